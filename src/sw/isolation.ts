// What the service worker (sw.ts) does to a response, as plain functions of Request/Response so they are
// tested in Node (isolation.test.ts). No DOM, no service-worker globals.

/**
 * The two headers that make a page cross-origin isolated (`crossOriginIsolated === true`), which
 * SharedArrayBuffer and so onnxruntime-web's wasm threads need. Many static hosts cannot send them;
 * the service worker adds them to every same-origin response it hands to the page or its workers
 * (a dedicated worker of an isolated page must itself be served with COEP).
 */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  // require-corp rather than credentialless: Safari knows only the former. Cross-origin model URLs are
  // fetched in CORS mode, which require-corp allows.
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The response with the isolation headers added (body, status and other headers unchanged). An opaque
 * response (status 0) cannot be rebuilt and is returned as it is. Rebuilding also drops the
 * `redirected` flag, which a navigation must not see on a response from a service worker.
 */
export function withIsolation(res: Response, body: BodyInit | null = res.body, extra: HeadersInit = {}): Response {
  if (res.status === 0) return res;
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  for (const [k, v] of new Headers(extra)) headers.set(k, v);
  // 1xx/204/304 responses may not carry a body; none of those reach here from the cache.
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/** A HEAD answer from a cached GET: same status and headers, no body (controller.ts probes the model with HEAD). */
export const headOf = (res: Response): Response => withIsolation(res, null);

/**
 * Headers beyond isolation for a request's destination: a worker script gets the page's
 * Content-Security-Policy (policy.ts), which the page's <meta> does not reach.
 */
export const extraHeaders = (destination: string, policy: string): Record<string, string> =>
  destination === 'worker' || destination === 'sharedworker' ? { 'Content-Security-Policy': policy } : {};

/**
 * The URL to look up in the precache for a request, or null when the cache is not the place to look.
 * Navigations inside the scope are the single-page app (routes live in the hash): any path that is the
 * scope or its index.html, with any query, is index.html. Other requests are looked up as they are,
 * without their fragment.
 */
export function precacheUrl(request: { url: string; mode: string; method: string }, scope: string): string | null {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  const url = new URL(request.url);
  const base = new URL(scope);
  if (url.origin !== base.origin) return null;
  url.hash = '';
  if (request.mode === 'navigate') {
    if (url.pathname !== base.pathname && url.pathname !== `${base.pathname}index.html`) return null;
    return new URL('index.html', base).href;
  }
  return url.href;
}
