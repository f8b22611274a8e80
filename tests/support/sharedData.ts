// Locates ../shared/data (beside the repository). Tests that need it skip with a clear reason when it
// is absent, except under CI=true, where its absence is a failure.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATA = process.env.FGMP_SHARED_DATA ?? path.resolve(repoRoot, '../shared/data');

export const hasSharedData = existsSync(path.join(SHARED_DATA, 'models/stories260K.bin'));

if (!hasSharedData && process.env.CI === 'true') {
  throw new Error(`../shared/data is missing at ${SHARED_DATA}: under CI=true the shared data must be present`);
}

/** Reason printed by skipped tests. */
export const SKIP_REASON = `shared data not found at ${SHARED_DATA} (tests that read the real checkpoint and texts are skipped)`;

export function sharedPath(rel: string): string {
  return path.join(SHARED_DATA, rel);
}

export function readShared(rel: string): Uint8Array {
  const b = readFileSync(sharedPath(rel));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function readSharedText(rel: string): string {
  return readFileSync(sharedPath(rel), 'utf8');
}
