// The app's one service worker (built by vite-plugin-pwa, strategy injectManifest, into dist/sw.js).
// Two jobs, because only one service worker can control the scope:
//  1. Offline: precaches the whole build (app, onnxruntime-web's .wasm, the default model, its tokenizer
//     and profile, the texts) at install and answers from that cache first, GET, HEAD and Range alike.
//  2. Cross-origin isolation on hosts that cannot send headers: adds COOP/COEP to every same-origin
//     response (isolation.ts), so after one reload (register.ts) the page has SharedArrayBuffer and
//     onnxruntime-web may start wasm threads. The maintained coi-serviceworker does the same.
import { cleanupOutdatedCaches, getCacheKeyForURL, precache, type PrecacheEntry } from 'workbox-precaching';
import { createPartialResponse } from 'workbox-range-requests';
import { extraHeaders, headOf, precacheUrl, withIsolation } from './isolation';
import { CONTENT_SECURITY_POLICY } from './policy';

// Service-worker types by hand: the project's lib is DOM, which cannot be mixed with WebWorker.
interface SwEvent extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface SwFetchEvent extends SwEvent {
  readonly request: Request;
  respondWith(r: Promise<Response>): void;
}
interface SwScope {
  readonly location: Location;
  readonly registration: { readonly scope: string };
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'activate', f: (e: SwEvent) => void): void;
  addEventListener(type: 'fetch', f: (e: SwFetchEvent) => void): void;
}
const sw = self as unknown as SwScope;

// vite-plugin-pwa writes the build's file list (URL + revision) in place of this expression.
precache((self as unknown as { __WB_MANIFEST: (PrecacheEntry | string)[] }).__WB_MANIFEST);
cleanupOutdatedCaches();

// First install: activate at once and take the open page, which reloads under this worker to become
// isolated (register.ts). An update does not skip waiting: it takes over once no tab runs the old build,
// because an old page may still load chunks (a restarted pipeline worker, a lazy import) that the new
// cache and the host no longer have.
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  // Other origins (user-given model URLs) are the browser's business: CORS fetches pass COEP as they are.
  if (new URL(request.url).origin !== sw.location.origin) return;
  // Chromium throws on re-fetching these (devtools); leave them alone as coi-serviceworker does.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(respond(request));
});

async function respond(request: Request): Promise<Response> {
  const lookup = precacheUrl(request, sw.registration.scope);
  const key = lookup === null ? undefined : getCacheKeyForURL(lookup);
  const cached = key === undefined ? undefined : await caches.match(key);
  const extra = extraHeaders(request.destination, CONTENT_SECURITY_POLICY);
  if (cached) {
    if (request.method === 'HEAD') return headOf(cached);
    // The profile reader asks for byte ranges; answer them from the cached whole file.
    if (request.headers.has('range')) return withIsolation(await createPartialResponse(request, cached));
    return withIsolation(cached, cached.body, extra);
  }
  const res = await fetch(request);
  return withIsolation(res, res.body, extra);
}
