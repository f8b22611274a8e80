// wasm threads in the explorer (src/core/runtime/engineChoice.ts), on the production build:
//  - served with COOP/COEP (the webServer's vite preview) the page is cross-origin isolated and the pipeline
//    worker runs onnxruntime-web with navigator.hardwareConcurrency threads, more than one here; its thread
//    workers run ORT's own module (before, they loaded the app's chunk and died: "document is not defined");
//  - ?threads=1 runs one thread and gives the same perplexity within the stated tolerance, and the same
//    share link (the engine is not part of it);
//  - from a static host without those headers and no service worker, one thread, and the status says why.
// Speed with 1 and 2 threads: `npm run bench -- threads` (bench/threads.bench.ts), never asserted here.
import { test, expect, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { startStaticServer } from '../scripts/static-server';
import { MAX_WASM_THREADS } from '../src/core/runtime/engineChoice';

// The build to serve from the plain static host: the webServer's fresh build unless FGMP_DIST names another.
const DIST = process.env.FGMP_DIST ?? 'dist';
/**
 * 1 thread against N: ORT splits sums differently with more threads (per-position NLL differs by ~1e-7
 * relative, measured); perplexity over 4,096 tokens must agree far inside this.
 */
const THREAD_PPL_TOLERANCE = 1e-5;
const ORT_THREAD_WORKER = /ort-wasm-simd-threaded[^/]*\.mjs$/;

/** Page errors and console errors of the page and its workers. */
function problems(page: Page): string[] {
  const seen: string[] = [];
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && seen.push(`console error: ${m.text()}`));
  return seen;
}

async function engineOf(page: Page) {
  const status = page.getByTestId('engine-status');
  await expect(status).not.toHaveAttribute('data-ep', '', { timeout: 120_000 });
  return {
    threads: Number(await status.getAttribute('data-threads')),
    ep: await status.getAttribute('data-ep'),
    text: (await status.textContent()) ?? '',
  };
}

/** Opens the explorer (default model, calibrated) and returns its perplexity and share state. */
async function calibratedRun(page: Page, query: string) {
  await page.goto(`/${query}`);
  const engine = await engineOf(page);
  await expect(page.getByTestId('calibration-done')).toBeVisible({ timeout: 400_000 });
  const ppl = page.getByTestId('ppl');
  await expect(ppl).toHaveAttribute('data-stale', 'false', { timeout: 300_000 });
  await expect(ppl).not.toHaveAttribute('data-value', '', { timeout: 300_000 });
  return {
    engine,
    ppl: Number(await ppl.getAttribute('data-value')),
    hash: await page.evaluate(() => window.location.hash),
    ortWorkers: page.workers().filter((w) => ORT_THREAD_WORKER.test(w.url())).length,
  };
}

test.describe('wasm threads on the built site', () => {
  test('cross-origin isolated: hardwareConcurrency threads, ORT thread workers running; ?threads=1 gives the same numbers', async ({
    page,
  }) => {
    test.setTimeout(900_000);
    const seen = problems(page);
    await page.goto('/');
    const env = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
    expect(env.isolated, 'vite preview sends COOP/COEP (vite.config.ts)').toBe(true);
    test.skip(env.cores < 2, `one core here (hardwareConcurrency ${env.cores}): wasm runs one thread by design`);
    const expected = Math.min(env.cores, MAX_WASM_THREADS);

    const many = await calibratedRun(page, '');
    expect(many.engine).toMatchObject({ ep: 'wasm', threads: expected });
    expect(many.engine.threads).toBeGreaterThan(1);
    expect(many.engine.text).toContain(`${expected} threads (cross-origin isolated)`);
    // ORT's pool: numThreads - 1 Web Workers, each started from ORT's own module file.
    await expect.poll(() => page.workers().filter((w) => ORT_THREAD_WORKER.test(w.url())).length).toBe(expected - 1);
    console.log(`${many.engine.text}: perplexity ${many.ppl}`);

    const one = await calibratedRun(page, '?threads=1');
    expect(one.engine).toMatchObject({ ep: 'wasm', threads: 1 });
    expect(one.engine.text).toContain('1 thread (asked for with ?threads=)');
    expect(one.ortWorkers).toBe(0);
    console.log(`${one.engine.text}: perplexity ${one.ppl}`);
    expect(Math.abs(one.ppl / many.ppl - 1)).toBeLessThan(THREAD_PPL_TOLERANCE);
    // The same share state: the engine is not part of the link.
    expect(one.hash).toBe(many.hash);
    expect(one.hash).not.toMatch(/thread|engine|webgpu|wasm/i);
    expect(seen).toEqual([]);
  });

  test('a static host without COOP/COEP (no service worker): one thread, and the status says why', async ({
    browser,
  }) => {
    test.skip(
      !existsSync(`${DIST}/index.html`),
      `${DIST}/ is not a build (set FGMP_DIST to the build the webServer made)`,
    );
    const server = await startStaticServer(DIST);
    // The config blocks service workers, so nothing adds the isolation headers.
    const context = await browser.newContext({ serviceWorkers: 'block' });
    try {
      const page = await context.newPage();
      const seen = problems(page);
      await page.goto(server.url);
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
      const engine = await engineOf(page);
      expect(engine).toMatchObject({ ep: 'wasm', threads: 1 });
      expect(engine.text).toContain('1 thread (page not cross-origin isolated)');
      // The one-thread engine works: the default model calibrates.
      await expect(page.getByTestId('calibration-done')).toBeVisible({ timeout: 400_000 });
      expect(page.workers().filter((w) => ORT_THREAD_WORKER.test(w.url()))).toEqual([]);
      expect(seen.filter((s) => !/Service Worker registration blocked/.test(s))).toEqual([]);
    } finally {
      await context.close();
      await server.close();
    }
  });
});
