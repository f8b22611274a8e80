// Per-element tensors kept in storage instead of memory (issue 16: a stories110M-shaped model in a tab). The
// weight Fisher of a calibration is one float32 per weight (340 MB on the 110M shape) and is read only tensor
// by tensor (the clip search and block scores of a clipping mode, one tensor's detail), so the worker may
// write it to a file and read each tensor back when asked: same bytes, so same numbers. The file itself is
// the caller's (src/platform/opfsSpill.ts: the origin-private file system); this module is only the layout.
import { release } from '../memory.ts';

/** A random-access file: synchronous reads and writes at byte offsets (FileSystemSyncAccessHandle's shape). */
export interface SpillFile {
  write(bytes: Uint8Array, at: number): number;
  read(into: Uint8Array, at: number): number;
  flush(): void;
  /** Closes and deletes the file. */
  close(): void;
}

/** Tensors read back from a SpillFile: a fresh array per get(); close() deletes the file. */
export class SpilledTensors implements ReadonlyMap<string, Float32Array> {
  private closed = false;

  private constructor(
    private readonly file: SpillFile,
    private readonly index: ReadonlyMap<string, { at: number; length: number }>,
    /** What the tensors held in memory before they were written out. */
    readonly bytes: number,
  ) {}

  /**
   * Writes every tensor of `tensors` to `file` and frees each array once written (the map is emptied: its
   * arrays are no longer usable). Throws, leaving `tensors` as it was, when a write falls short.
   */
  static write(tensors: Map<string, Float32Array>, file: SpillFile): SpilledTensors {
    const index = new Map<string, { at: number; length: number }>();
    let at = 0;
    for (const [key, t] of tensors) {
      const bytes = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
      const n = file.write(bytes, at);
      if (n !== bytes.byteLength)
        throw new Error(`could not write ${key} to storage (${n} of ${bytes.byteLength} bytes; is the disk full?)`);
      index.set(key, { at, length: t.length });
      at += bytes.byteLength;
    }
    file.flush();
    // Only now that all of it is stored: the arrays go (nothing else may hold them).
    for (const t of tensors.values()) release(t);
    tensors.clear();
    return new SpilledTensors(file, index, at);
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): Float32Array | undefined {
    const e = this.index.get(key);
    if (!e) return undefined;
    if (this.closed) throw new Error(`${key} was stored for a calibration that has been replaced`);
    const out = new Float32Array(e.length);
    const n = this.file.read(new Uint8Array(out.buffer), e.at);
    if (n !== out.byteLength)
      throw new Error(`could not read ${key} back from storage (${n} of ${out.byteLength} bytes)`);
    return out;
  }

  keys(): MapIterator<string> {
    return this.index.keys();
  }

  *entries(): MapIterator<[string, Float32Array]> {
    for (const k of this.index.keys()) yield [k, this.get(k)!];
  }

  *values(): MapIterator<Float32Array> {
    for (const k of this.index.keys()) yield this.get(k)!;
  }

  [Symbol.iterator](): MapIterator<[string, Float32Array]> {
    return this.entries();
  }

  forEach(cb: (value: Float32Array, key: string, map: ReadonlyMap<string, Float32Array>) => void): void {
    for (const [k, v] of this.entries()) cb(v, k, this);
  }

  /** Deletes the file; later reads throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }
}

/** The bytes of a map of tensors. */
export const tensorBytes = (tensors: ReadonlyMap<string, Float32Array>): number => {
  let n = 0;
  for (const t of tensors.values()) n += t.byteLength;
  return n;
};

/** From this size on a weight Fisher goes to storage (a stories110M shape's is 340 MB; stories15M's 24 MB). */
export const SPILL_MIN_BYTES = 64 * 2 ** 20;

/**
 * `tensors` written to a file from `open` when they hold `minBytes` or more; as they are when smaller, when
 * there is no file (Node, a browser without the origin-private file system) or when storage refuses them.
 */
export async function spillIfLarge(
  tensors: ReadonlyMap<string, Float32Array>,
  open: (() => Promise<SpillFile | null>) | undefined,
  minBytes = SPILL_MIN_BYTES,
): Promise<ReadonlyMap<string, Float32Array>> {
  if (!(tensors instanceof Map) || !open || tensorBytes(tensors) < minBytes) return tensors;
  let file: SpillFile | null = null;
  try {
    file = await open();
    return file ? SpilledTensors.write(tensors, file) : tensors;
  } catch (e) {
    // Storage refused (quota, a private window): memory holds them, as for a small model.
    console.warn(`the weight Fisher stays in memory: ${(e as Error).message}`);
    try {
      file?.close();
    } catch {
      // nothing to delete
    }
    return tensors;
  }
}
