// Node file access for profiles: a ByteSource that reads ranges of a local file (no whole-file read), and a
// ByteSink that streams to a file.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { ByteSink, ByteSource } from '../core/profile/index.ts';

/** Reads byte ranges of a local file on demand. Keeps one descriptor open; call close() when done. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    size: async () => size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, out, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      return got === n ? out : out.subarray(0, got);
    },
    close: () => closeSync(fd),
  };
}

/** Streams bytes to a new file (synchronous writes: the writer awaits each one anyway). */
export function fileSink(path: string): ByteSink & { close(): void; bytesWritten(): number } {
  const fd = openSync(path, 'w');
  let written = 0;
  return {
    write(b) {
      let o = 0;
      while (o < b.length) o += writeSync(fd, b, o, b.length - o);
      written += b.length;
    },
    close: () => closeSync(fd),
    bytesWritten: () => written,
  };
}
