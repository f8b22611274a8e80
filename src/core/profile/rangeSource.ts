// A ByteSource over HTTP Range requests (RFC 9110 §14), written against a fetch-like function so the same
// code runs with the browser's fetch, Node's fetch, or a test double. Opening a profile costs two small
// requests (the 8-byte length, then the header); one tensor is one more request for exactly its bytes.
import type { ByteSource } from './container.ts';

export interface FetchLikeResponse {
  status: number;
  headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}
export type FetchLike = (
  url: string,
  init: { headers: Record<string, string>; signal?: AbortSignal },
) => Promise<FetchLikeResponse>;

export interface RangeSourceOptions {
  signal?: AbortSignal;
  /** Called once per HTTP request (tests and the explorer's network counter). */
  onRequest?: (range: string) => void;
}

/** "bytes a-b/total" → [a, b, total] (total NaN when "*"). */
function parseContentRange(v: string | null): [number, number, number] | null {
  const m = v ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim()) : null;
  return m ? [Number(m[1]), Number(m[2]), m[3] === '*' ? NaN : Number(m[3])] : null;
}

export function rangeSource(url: string, fetchFn: FetchLike, options: RangeSourceOptions = {}): ByteSource {
  let total: number | null = null;
  // A server that ignores Range sends the whole file with status 200: keep it and serve reads from it.
  let whole: Uint8Array | null = null;
  // The last response, so the size probe's 8 bytes serve the first read too.
  let recent: { start: number; bytes: Uint8Array } | null = null;

  async function request(first: number, last: number): Promise<{ bytes: Uint8Array; start: number }> {
    const range = `bytes=${first}-${last}`;
    options.onRequest?.(range);
    let res: FetchLikeResponse | null = null;
    // One retry on a network error (a reused keep-alive connection the server just closed); HTTP errors are final.
    for (let attempt = 0; res === null; attempt++) {
      try {
        res = await fetchFn(url, { headers: { Range: range }, signal: options.signal });
      } catch (e) {
        if (attempt >= 1 || options.signal?.aborted)
          throw new Error(`fetching ${url} (${range}) failed: ${e instanceof Error ? e.message : String(e)}`, {
            cause: e,
          });
      }
    }
    if (res.status === 200) {
      whole = new Uint8Array(await res.arrayBuffer());
      total = whole.length;
      return { bytes: whole, start: 0 };
    }
    if (res.status === 416)
      throw new Error(`${url}: range ${range} not satisfiable (the file is shorter than its header says: truncated?)`);
    if (res.status !== 206) throw new Error(`${url}: HTTP ${res.status} for ${range}`);
    const cr = parseContentRange(res.headers.get('content-range'));
    if (!cr) throw new Error(`${url}: 206 response without a valid Content-Range header`);
    if (Number.isFinite(cr[2])) total = cr[2];
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length !== cr[1] - cr[0] + 1)
      throw new Error(`${url}: Content-Range ${cr[0]}-${cr[1]} but ${bytes.length} bytes received`);
    recent = { start: cr[0], bytes };
    return recent;
  }

  return {
    async size() {
      if (total === null) await request(0, 7);
      if (total === null || !Number.isFinite(total))
        throw new Error(`${url}: the server does not report the file size (Content-Range total)`);
      return total;
    },
    async read(offset, length) {
      if (length <= 0) return new Uint8Array(0);
      if (whole) return whole.subarray(offset, offset + length);
      if (recent && offset >= recent.start && offset + length <= recent.start + recent.bytes.length)
        return recent.bytes.subarray(offset - recent.start, offset - recent.start + length);
      const { bytes, start } = await request(offset, offset + length - 1);
      if (start === 0 && whole) return (whole as Uint8Array).subarray(offset, offset + length);
      if (start !== offset) throw new Error(`${url}: asked for bytes from ${offset}, the server sent from ${start}`);
      return bytes;
    },
  };
}
