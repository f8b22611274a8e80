// fgmp: the command line over src/core. Each command lives in src/cli/commands/<name>.ts and
// default-exports a Command; this file only dispatches and turns errors into messages and exit codes.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UsageError, type CliIO, type Command } from './args.ts';

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !commandNames().includes(name)) return undefined;
  return (await import(pathToFileURL(path.join(commandsDir, `${name}.ts`)).href)).default as Command;
}

export const nodeIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readStdin: async () => {
    if (process.stdin.isTTY) return new Uint8Array();
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const b = Buffer.concat(chunks);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
};

async function help(io: CliIO): Promise<void> {
  const lines = ['fgmp: fine-grained mixed-precision quantization of small Llama models', '', 'commands:'];
  for (const n of commandNames()) {
    const c = await loadCommand(n);
    if (c) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  }
  lines.push('', 'fgmp <command> --help shows its options.');
  io.stdout(lines.join('\n') + '\n');
}

export async function main(argv: string[], io: CliIO = nodeIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await help(io);
    return name ? 0 : 2;
  }
  const command = await loadCommand(name);
  if (!command) {
    io.stderr(`fgmp: unknown command "${name}" (fgmp --help lists them)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${command.summary}\nusage: ${command.usage}\n`);
    return 0;
  }
  try {
    return (await command.run(rest, io)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`fgmp ${name}: ${e.message}\n`);
      return 2;
    }
    io.stderr(`fgmp ${name}: ${(e as Error).message ?? String(e)}\n`);
    if (process.env.FGMP_DEBUG) io.stderr(`${(e as Error).stack}\n`);
    return 1;
  }
}

const isEntry = process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1]);
const viaBin = process.argv[1]?.endsWith(path.join('bin', 'fgmp.mjs')) || process.argv[1]?.endsWith('/fgmp');
if (isEntry || viaBin) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
