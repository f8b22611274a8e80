// The production build (dist/, which the config's webServer builds first) on the plainest static host:
// scripts/static-server.ts, started here on a free loopback port, sends no COOP/COEP and no CSP header.
// First visit: the service worker installs, the page reloads once and is then cross-origin isolated
// (SharedArrayBuffer, so wasm threads). Second visit with the server closed, the context offline and
// every request refused: the explorer opens on the default model and calibrates it from the cache. On
// both: no Content-Security-Policy violation, no 404, no page error; the site is installable. (Isolation
// is checked by posting a SharedArrayBuffer, what wasm threads need; the app itself runs onnxruntime-web
// with one thread.)
import { test, expect, type BrowserContext, type Page } from '@playwright/test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStaticServer } from '../scripts/static-server';
import { probeExecutionProvider } from '../src/core/runtime/epProbe';

const SHOTS = path.resolve('e2e-artifacts/screenshots');
// The build to serve: the webServer's fresh `npm run build` unless FGMP_DIST names another.
const DIST = process.env.FGMP_DIST ?? 'dist';

// The other specs block service workers (playwright.config.ts); this one is about them.
test.use({ serviceWorkers: 'allow' });

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/** Console errors, page errors and 404s from every page and worker of the context. */
function watch(context: BrowserContext): string[] {
  const problems: string[] = [];
  const onPage = (page: Page) => {
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => r.status() === 404 && problems.push(`404: ${r.url()}`));
  };
  context.on('page', onPage);
  context.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  // The document's own record of violations: a blocked inline script or eval says so here for sure.
  void context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations!.push(`${e.effectiveDirective} ${e.blockedURI}`),
    );
  });
  return problems;
}

const isolated = (page: Page) =>
  page.evaluate(() => {
    // A SharedArrayBuffer can be posted (what wasm threads do) only in a cross-origin isolated page.
    let posted = false;
    try {
      new MessageChannel().port1.postMessage(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer);
      posted = true;
    } catch {
      posted = false;
    }
    return {
      crossOriginIsolated: window.crossOriginIsolated,
      posted,
      controlled: !!navigator.serviceWorker.controller,
    };
  });

test('static host without headers: isolated by the service worker, installable, offline on the second visit, CSP clean', async ({
  playwright,
}, testInfo) => {
  test.setTimeout(480_000);
  expect(existsSync(`${DIST}/sw.js`), `${DIST}/ must be a production build with its service worker`).toBe(true);
  mkdirSync(SHOTS, { recursive: true });
  const server = await startStaticServer(DIST);
  // A persistent (not off-the-record) profile, as a user has: Chromium never offers to install from an
  // incognito one, so only there does its installability check mean anything.
  const profile = mkdtempSync(path.join(tmpdir(), 'fgmp-deploy-'));
  const context = await playwright.chromium.launchPersistentContext(profile, {
    ...testInfo.project.use.launchOptions,
    viewport: testInfo.project.use.viewport,
    serviceWorkers: 'allow',
  });
  const problems = watch(context);
  try {
    // ---- First visit, online.
    const page = await context.newPage();
    const first = await page.goto(server.url);
    expect(first?.headers()['cross-origin-embedder-policy']).toBeUndefined();
    expect(first?.headers()['content-security-policy']).toBeUndefined();
    // The worker precaches the build (≈ 33 MB), takes control, and the page reloads itself once.
    await expect
      .poll(() => isolated(page).catch(() => null), { timeout: 180_000, intervals: [500] })
      .toEqual({ crossOriginIsolated: true, posted: true, controlled: true });
    await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 60_000 });
    expect(server.log.filter((l) => l.startsWith('GET /sw.js'))).not.toHaveLength(0);

    // Installable: Chromium's own check (manifest, icons, service worker, secure context) finds nothing.
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    expect(JSON.parse(manifest.data ?? '{}')).toMatchObject({ name: 'FGMP Explorer', display: 'standalone' });
    // The favicon exists (no more /favicon.ico 404) and the page names it.
    expect(await page.locator('link[rel="icon"]').evaluateAll((ls) => ls.map((l) => l.getAttribute('href')))).toEqual([
      './favicon.svg',
      './favicon.ico',
    ]);
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([]);
    await page.close();

    // ---- Second visit: nothing reachable.
    await server.close();
    await context.setOffline(true);
    const refused: string[] = [];
    await context.route('**/*', (route) => {
      refused.push(route.request().url());
      return route.abort('internetdisconnected');
    });
    const servedBefore = server.log.length;
    const offline = await context.newPage();
    await offline.goto(server.url);
    await expect(offline.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 60_000 });
    // Calibration ran on the cached model, tokenizer, text and onnxruntime-web .wasm.
    await expect(offline.getByTestId('calibration-done')).toBeVisible({ timeout: 300_000 });
    await expect(offline.getByTestId('heatmap-weights').locator('[data-cell]')).toHaveCount(4 * 7);
    expect(await isolated(offline)).toEqual({ crossOriginIsolated: true, posted: true, controlled: true });
    await offline.screenshot({ path: `${SHOTS}/deploy-offline.png`, fullPage: true });

    // HEAD and byte ranges (the model probe, the profile reader) come from the cache too, byte for byte.
    const files = [
      'models/sotu-llama.bin',
      ...readdirSync(`${DIST}/models`)
        .filter((f) => f.startsWith('sotu-llama.profile.'))
        .map((f) => `models/${f}`),
    ];
    for (const file of files) {
      const local = readFileSync(`${DIST}/${file}`);
      const got = await offline.evaluate(async (file) => {
        const head = await fetch(file, { method: 'HEAD' });
        const part = await fetch(file, { headers: { Range: 'bytes=8-23' } });
        return {
          head: [head.status, head.headers.get('content-length')],
          part: [part.status, part.headers.get('content-range'), Array.from(new Uint8Array(await part.arrayBuffer()))],
        };
      }, file);
      expect(got).toEqual({
        head: [200, String(local.length)],
        part: [206, `bytes 8-23/${local.length}`, Array.from(local.subarray(8, 24))],
      });
    }

    // The page itself compiles onnxruntime-web's .wasm and builds its ONNX graphs under the policy (the
    // app's test hook), from the cache, and gets the numbers Node gets for the same model and tokens.
    const sequences = [[1, 72, 301, 17, 450, 9, 33, 260, 5]];
    const inPage = await offline.evaluate(async (sequences) => {
      const probe = await window.__fgmpRuntimeProbe!();
      const bytes = new Uint8Array(await (await fetch('models/sotu-llama.bin')).arrayBuffer());
      return Array.from((await probe.probeExecutionProvider(bytes, 'wasm', { sequences, seq: 8, threads: 1 })).nll);
    }, sequences);
    const inNode = await probeExecutionProvider(readFileSync(`${DIST}/models/sotu-llama.bin`), 'wasm', {
      sequences,
      seq: 8,
    });
    expect(inPage).toHaveLength(8);
    inPage.forEach((x, i) => expect(Math.abs(x - inNode.nll[i])).toBeLessThanOrEqual(1e-5 * inNode.nll[i]));
    expect(server.log.length).toBe(servedBefore);
    // The service worker answered everything: what reached the network was only its own update check.
    expect(refused.filter((u) => !u.endsWith('/sw.js'))).toEqual([]);

    // The policy is in force: an injected inline script is refused, and the watcher sees it.
    expect(await offline.evaluate(() => window.__cspViolations)).toEqual([]);
    await offline.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
    });
    await expect.poll(() => offline.evaluate(() => window.__cspViolations)).toEqual(['script-src-elem inline']);
    expect(await offline.evaluate(() => (window as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
    const cspMessages = problems.filter((p) => /Content Security Policy/.test(p));
    expect(cspMessages).toHaveLength(1); // that refusal, and nothing before it
    expect(problems.filter((p) => !cspMessages.includes(p))).toEqual([]);
  } finally {
    await context.close();
    await server.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
});
