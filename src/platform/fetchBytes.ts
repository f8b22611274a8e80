// Fetch with byte progress, for the pipeline worker's loadUrls (e.g. Hugging Face resolve/ links): a
// size check before and while reading (a tab cannot hold much more than MAX_MODEL_BYTES), messages that
// say what went wrong, and a cancel through the signal.
import { CheckpointError } from '../core/model/loaders/index';
import type { NamedBytes, ProgressCallback, Stage } from '../../workers/protocol';

/** Files above this are refused before reading (a browser tab cannot hold much more). */
export const MAX_MODEL_BYTES = 1.5 * 2 ** 30;
const MIB = (b: number) => (b / 2 ** 20).toFixed(0);

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** A step that counts bytes (parse, download): its progress at `done` bytes; the throttler fills in the rate. */
export function byteProgress(stage: Stage, label: string, total: number, cb: ProgressCallback) {
  return (done: number) => cb({ stage, label, done, total, unit: 'bytes', rate: 0, etaSeconds: NaN });
}

/** The bytes at `url`, with progress through `onProgress` (throttled by the caller). */
export async function fetchBytes(url: string, signal: AbortSignal, onProgress: ProgressCallback): Promise<NamedBytes> {
  let res: Response;
  try {
    res = await fetch(url, { signal, mode: 'cors' });
  } catch (e) {
    if (signal.aborted) throw new CancelledError();
    throw new Error(`could not fetch ${url}: ${(e as Error).message} (the server may not allow cross-origin requests)`);
  }
  if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_MODEL_BYTES)
    throw new CheckpointError(
      `${url} is ${MIB(declared)} MiB; the explorer runs models up to ${MIB(MAX_MODEL_BYTES)} MiB`,
    );
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || 'download.bin');
  const total = Number.isFinite(declared) ? declared : 0;
  const report = byteProgress('fetch', `Downloading ${name}`, total, onProgress);
  const reader = res.body?.getReader();
  if (!reader) return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
  const chunks: Uint8Array[] = [];
  let got = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    got += value.byteLength;
    if (got > MAX_MODEL_BYTES)
      throw new CheckpointError(`${url} is larger than ${MIB(MAX_MODEL_BYTES)} MiB; the explorer cannot hold it`);
    report(got);
  }
  report(got);
  const bytes = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  return { name, bytes };
}
