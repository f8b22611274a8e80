// fetchBytes against a stubbed fetch: the bytes and their progress, and each refusal's exact message.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CancelledError, fetchBytes, MAX_MODEL_BYTES } from './fetchBytes';
import type { Progress } from '../core/pipeline/results';

const body = (chunks: Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });

afterEach(() => vi.unstubAllGlobals());

describe('fetchBytes', () => {
  it('joins the streamed chunks and reports bytes as they arrive', async () => {
    const parts = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5)];
    vi.stubGlobal('fetch', async () => new Response(body(parts), { headers: { 'content-length': '5' } }));
    const seen: Progress[] = [];
    const got = await fetchBytes('https://host/a%20b/model.bin', new AbortController().signal, (p) => seen.push(p));
    expect(got.name).toBe('model.bin');
    expect([...got.bytes]).toEqual([1, 2, 3, 4, 5]);
    expect(seen.map((p) => p.done)).toEqual([3, 5, 5]);
    expect(seen.every((p) => p.total === 5 && p.unit === 'bytes' && p.stage === 'fetch')).toBe(true);
    expect(seen[0].label).toBe('Downloading model.bin');
  });

  it('says the HTTP status of a failed request', async () => {
    vi.stubGlobal('fetch', async () => new Response('no', { status: 404, statusText: 'Not Found' }));
    await expect(fetchBytes('https://host/x.bin', new AbortController().signal, () => {})).rejects.toThrow(
      'could not fetch https://host/x.bin: HTTP 404 Not Found',
    );
  });

  it('refuses a declared size over the limit before reading', async () => {
    const declared = MAX_MODEL_BYTES + 2 ** 20;
    vi.stubGlobal('fetch', async () => new Response(body([]), { headers: { 'content-length': String(declared) } }));
    await expect(fetchBytes('https://host/big.bin', new AbortController().signal, () => {})).rejects.toThrow(
      'https://host/big.bin is 1537 MiB; the explorer runs models up to 1536 MiB',
    );
  });

  it('names a network failure and a cancel apart', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(fetchBytes('https://host/x.bin', new AbortController().signal, () => {})).rejects.toThrow(
      'could not fetch https://host/x.bin: Failed to fetch (the server may not allow cross-origin requests)',
    );
    const ac = new AbortController();
    ac.abort();
    await expect(fetchBytes('https://host/x.bin', ac.signal, () => {})).rejects.toBeInstanceOf(CancelledError);
  });
});
