// npm run bench [-- name ...]: runs every bench/<name>.bench.ts (or the named ones) in turn.
// Each bench prints its own table with medians and ratios measured in the same run.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import os from 'node:os';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

console.log(
  `# fgmp bench — ${new Date().toISOString()} — node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`,
);
for (const name of benches) {
  console.log(`\n## ${name}`);
  const mod = await import(pathToFileURL(path.join(dir, `${name}.bench.ts`)).href);
  await mod.default();
}
