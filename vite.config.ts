import { defineConfig, type Plugin } from 'vitest/config';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { VitePWA } from 'vite-plugin-pwa';
import { CONTENT_SECURITY_POLICY } from './src/sw/policy.ts';

// Cross-origin isolation lets onnxruntime-web use wasm threads (SharedArrayBuffer). The dev and preview
// servers send the headers; a static host that cannot gets them from the service worker (src/sw).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The Content-Security-Policy (src/sw/policy.ts) as a <meta>, right after the charset, before any script
// or style the page loads. Build only: the dev server's React refresh preamble is an inline script.
const contentSecurityPolicy = (): Plugin => ({
  name: 'fgmp-content-security-policy',
  apply: 'build',
  transformIndexHtml(html) {
    const charset = '<meta charset="UTF-8" />';
    if (!html.includes(charset)) throw new Error(`index.html: no ${charset} to put the Content-Security-Policy after`);
    return html.replace(
      charset,
      `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`,
    );
  },
});

export default defineConfig({
  // Relative URLs: the build runs from any folder of any host (a GitHub Pages project path too).
  base: './',
  plugins: [
    react(),
    tailwindcss(),
    contentSecurityPolicy(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      injectRegister: false, // src/sw/register.ts, which also reloads once for isolation
      includeManifestIcons: false, // the globs below have them (else listed twice)
      manifest: {
        name: 'FGMP Explorer',
        short_name: 'FGMP',
        description: 'Fine-grained mixed-precision (NVFP4/FP8) quantization of small Llama models, in the browser',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#0f172a',
        theme_color: '#0f172a',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
          { src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml' },
        ],
      },
      injectManifest: {
        rollupFormat: 'iife', // a classic worker: module service workers are not everywhere yet
        // The app, onnxruntime-web's .wasm, icons, and the default model with everything it opens with.
        globPatterns: [
          '*.{html,svg,ico}', // manifest.webmanifest: the plugin adds it
          'assets/**',
          'icons/**',
          'models/sotu-llama.{bin,card.json,other-run.json,train.json,train.jsonl}',
          'models/sotu-llama.profile.*',
          'models/sotu-tok512.bin',
          'text/*',
        ],
        maximumFileSizeToCacheInBytes: 64 * 2 ** 20, // the .wasm is 28 MB
      },
    }),
  ],
  server: { headers: isolation },
  preview: { headers: isolation },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'tests/**/*.test.ts', 'workers/**/*.test.ts'],
    environment: 'node',
    // The string catalog, so components rendered in tests show English rather than keys.
    setupFiles: ['src/i18n/index.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
