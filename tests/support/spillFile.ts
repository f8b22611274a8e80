// A spill file (src/core/pipeline/spill.ts) in memory, for tests in Node (which has no origin-private file system).
import type { SpillFile } from '../../src/core/pipeline/spill.ts';

/** A SpillFile in memory; `limit` makes writes past that byte fall short (a full disk). */
export function memoryFile(limit = Infinity): SpillFile & { bytes: () => Uint8Array; closed: boolean } {
  let buf = new Uint8Array(0);
  const f = {
    closed: false,
    bytes: () => buf,
    write(bytes: Uint8Array, at: number) {
      const n = Math.max(0, Math.min(bytes.byteLength, limit - at));
      if (at + n > buf.byteLength) {
        const grown = new Uint8Array(at + n);
        grown.set(buf);
        buf = grown;
      }
      buf.set(bytes.subarray(0, n), at);
      return n;
    },
    read(into: Uint8Array, at: number) {
      const part = buf.subarray(at, at + into.byteLength);
      into.set(part);
      return part.byteLength;
    },
    flush() {},
    close() {
      f.closed = true;
    },
  };
  return f;
}
