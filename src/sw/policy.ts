// The production build's Content-Security-Policy. vite.config.ts writes it into index.html as a <meta>
// (so it holds on any static host); the service worker also sends it with the app's worker scripts,
// which a <meta> in the page does not cover (a worker takes its policy from its own response).
//  - Code only from the app's own origin; 'wasm-unsafe-eval' lets it compile onnxruntime-web's .wasm.
//    No inline script anywhere, no eval.
//  - User files and model URLs are data: fetched from any http(s) host (connect-src), never run.
//  - Inline styles stay allowed: they are not code, and the views set style attributes.
//  - frame-ancestors and report-uri cannot be delivered by <meta>, so they are not here.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self' https: http: blob: data:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');
