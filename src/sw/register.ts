// Page side of the service worker (sw.ts): registers it in the production build, and reloads once when
// it first takes control of a page that is not yet cross-origin isolated, because only a page served
// with COOP/COEP (which the worker adds) gets SharedArrayBuffer and so wasm threads.

const RELOADED = 'fgmp-isolation-reload';

function reloadIfNotIsolated(): void {
  if (window.crossOriginIsolated || !navigator.serviceWorker.controller) return;
  // Once per tab session: where isolation does not take (a browser without it), run single-threaded
  // instead of reloading for ever.
  if (sessionStorage.getItem(RELOADED) !== null) return;
  sessionStorage.setItem(RELOADED, '1');
  window.location.reload();
}

export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('controllerchange', reloadIfNotIsolated);
  // Controlled already but not isolated: the worker installed in another tab while this one loaded.
  reloadIfNotIsolated();
  navigator.serviceWorker
    .register(new URL('sw.js', document.baseURI))
    .catch((e: unknown) => console.warn(`service worker not registered (no offline use): ${String(e)}`));
}
