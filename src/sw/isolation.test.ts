import { describe, expect, it } from 'vitest';
import { extraHeaders, headOf, precacheUrl, withIsolation } from './isolation';

const SCOPE = 'https://example.org/fgmp/';

describe('withIsolation', () => {
  it('adds COOP same-origin and COEP require-corp, keeping status, other headers and body', async () => {
    const res = withIsolation(
      new Response('abc', { status: 206, statusText: 'Partial Content', headers: { 'Content-Range': 'bytes 0-2/9' } }),
    );
    expect(res.status).toBe(206);
    expect(res.statusText).toBe('Partial Content');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(res.headers.get('content-range')).toBe('bytes 0-2/9');
    expect(await res.text()).toBe('abc');
  });

  it('replaces a weaker policy the host sent', () => {
    const res = withIsolation(new Response('', { headers: { 'Cross-Origin-Embedder-Policy': 'unsafe-none' } }));
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('returns an opaque response untouched (it cannot be rebuilt)', () => {
    const opaque = { status: 0, headers: new Headers() } as Response;
    expect(withIsolation(opaque)).toBe(opaque);
  });

  it('answers HEAD from a cached GET: headers, no body', async () => {
    const res = headOf(new Response(new Uint8Array(7), { headers: { 'Content-Type': 'application/octet-stream' } }));
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(res.body).toBeNull();
  });
});

describe('precacheUrl', () => {
  const req = (url: string, mode = 'cors', method = 'GET') => ({ url, mode, method });

  it('maps navigations to the scope or its index.html, with any query or fragment, to index.html', () => {
    for (const u of [SCOPE, `${SCOPE}?lang=zh`, `${SCOPE}#/learn/formats`, `${SCOPE}index.html?x=1#/`])
      expect(precacheUrl(req(u, 'navigate'), SCOPE)).toBe(`${SCOPE}index.html`);
  });

  it('leaves other navigations (a model file opened directly, another app on the host) to the network', () => {
    expect(precacheUrl(req(`${SCOPE}models/sotu-llama.bin`, 'navigate'), SCOPE)).toBeNull();
    expect(precacheUrl(req('https://example.org/', 'navigate'), SCOPE)).toBeNull();
  });

  it('looks up subresources as they are, GET and HEAD, same origin only', () => {
    const model = `${SCOPE}models/sotu-llama.bin`;
    expect(precacheUrl(req(model), SCOPE)).toBe(model);
    expect(precacheUrl(req(model, 'cors', 'HEAD'), SCOPE)).toBe(model);
    expect(precacheUrl(req(`${model}#x`), SCOPE)).toBe(model);
    expect(precacheUrl(req(model, 'cors', 'POST'), SCOPE)).toBeNull();
    expect(precacheUrl(req('https://huggingface.co/x/resolve/main/model.bin'), SCOPE)).toBeNull();
  });
});

describe('extraHeaders', () => {
  it("gives worker scripts the page's policy and nothing else any", () => {
    expect(extraHeaders('worker', "script-src 'self'")).toEqual({ 'Content-Security-Policy': "script-src 'self'" });
    for (const d of ['document', 'script', 'image', ''] as const)
      expect(extraHeaders(d, "script-src 'self'")).toEqual({});
  });

  it('withIsolation sets them on top of the isolation headers', () => {
    const res = withIsolation(new Response('x'), null, extraHeaders('worker', "default-src 'none'"));
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });
});
