// Hostile conditions around the explorer (issue 13), in Debian Chromium: a pipeline worker script that
// cannot load (the app backs off, stops with a final message naming the cause, and recovers on Try again
// once the script loads), and share links that name URLs (nothing is fetched before the user agrees; the
// dialog names the host; Cancel keeps the model; file:, javascript: and data: addresses are refused).
// The model the links point at is the repository's default model (public/models), served from a second
// origin by a small server that records every request it gets.
import { test, expect, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { randomModel } from '../src/core/model/types';
import { writeLlama2cVersioned } from '../src/core/model/loaders/fixtures';

const SHOTS = path.resolve('e2e-artifacts/screenshots');
const MODEL = readFileSync('public/models/sotu-llama.bin');
const TOKENIZER = readFileSync('public/models/sotu-tok512.bin');
const WORKER_SCRIPT = /\/pipeline\.worker[^/]*\.js(\?|$)/;

test.describe.configure({ mode: 'serial' });

/** Screenshots of what is on screen at 1440 px and 390 px, light and dark (the store's theme, as the theme button sets it). */
async function shoot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((t) => window.__fgmp!.store.setState({ theme: t }), theme);
    await expect(page.locator('html')).toHaveClass(theme === 'dark' ? /dark/ : /^(?!.*dark)/);
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: width > 500 ? 900 : 844 });
      await page.screenshot({ path: `${SHOTS}/hostile-${name}-${width}-${theme}.png` });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

test('a worker script that cannot load: bounded restarts, a final message naming the cause, Try again recovers', async ({
  page,
}) => {
  test.setTimeout(400_000);
  let blocked = true;
  let attempts = 0;
  await page.route(WORKER_SCRIPT, (route) => {
    if (!blocked) return route.continue();
    attempts++;
    return route.abort('blockedbyclient');
  });
  const t0 = Date.now();
  await page.goto('/');
  const failed = page.getByTestId('worker-failed');
  await expect(failed).toBeVisible({ timeout: 120_000 });
  // Printed, not asserted: the back-off's waits add up to 7.5 s.
  console.log(
    `blocked worker script: final message after ${((Date.now() - t0) / 1000).toFixed(1)} s, ${attempts} starts`,
  );
  await expect(failed).toHaveAttribute('data-cause', 'load');
  await expect(failed).toContainText('its script failed to load');
  await expect(failed).toContainText('started 5 times over 7.5 s');
  await expect(failed.getByRole('button', { name: 'Try again' })).toBeVisible();
  expect(attempts).toBe(5);
  // Final: no further start after the longest wait of the back-off (4 s) has passed again.
  await page.waitForTimeout(6_000);
  expect(attempts).toBe(5);
  // The model panel does not pretend nothing happened.
  const panel = page.getByTestId('model-panel');
  await expect(panel).not.toContainText('No model loaded yet');
  await expect(page.getByTestId('model-error')).toContainText('pipeline worker is stopped');
  await shoot(page, 'worker-failed');

  blocked = false;
  await failed.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 120_000 });
  await expect(page.getByTestId('calibration-done')).toBeVisible({ timeout: 300_000 });
  await expect(failed).toBeHidden();
  await expect(page.getByTestId('model-error')).toBeHidden();
  expect(attempts).toBe(5);
});

test.describe('share links that name URLs', () => {
  let server: Server;
  let base = '';
  let host = '';
  const seen: string[] = [];

  test.beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const headers = {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': 'Content-Length',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'Content-Type': 'application/octet-stream',
      };
      const url = req.url ?? '';
      const body = url.endsWith('/linked-model.bin') ? MODEL : url.endsWith('/linked-tok.bin') ? TOKENIZER : null;
      if (!body) {
        res.writeHead(404, headers);
        return res.end('not found');
      }
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${host}`;
  });
  test.afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('ask first: no request before the answer, the host shown, Cancel keeps the model, Fetch loads it', async ({
    page,
  }) => {
    test.setTimeout(400_000);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const link = (extra: string) =>
      `/#/explorer?v=1&model=url:${base}/m/linked-model.bin&tok=url:${base}/m/linked-tok.bin&policy=magnitude&clip=mse${extra}`;

    // A first visit through the link: the dialog, and nothing asked of the host.
    await page.goto(link('&budget=0.4'));
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('link-fetch-hosts')).toHaveText(host);
    await expect(dialog).toContainText(`${base}/m/linked-model.bin`);
    await expect(dialog).toContainText('not known until the host is asked');
    expect(seen).toEqual([]);
    expect(requests.filter((u) => u.startsWith(base))).toEqual([]);
    await shoot(page, 'link-dialog');
    // The link's other settings apply at once.
    await expect(page.getByLabel('Policy')).toHaveValue('magnitude');

    // Cancel on a first visit: nothing fetched, the default model opens instead.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 120_000 });
    expect(seen).toEqual([]);

    // The same kind of link while a model is open: Cancel leaves that model loaded.
    await page.goto(link('&budget=0.45'));
    await expect(dialog).toBeVisible();
    // The size, only when asked for: one HEAD per file, no body.
    await dialog.getByRole('button', { name: 'Ask the host for the size' }).click();
    await expect(page.getByTestId('link-fetch-size').first()).toHaveText(
      `size: ${(MODEL.length / 2 ** 20).toFixed(1)} MiB`,
    );
    expect(seen.sort()).toEqual(['HEAD /m/linked-model.bin', 'HEAD /m/linked-tok.bin']);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin');
    await expect(page.getByTestId('model-progress')).toBeHidden();
    expect(seen.filter((s) => s.startsWith('GET'))).toEqual([]);
    expect(decodeURIComponent(page.url())).not.toContain('linked-model.bin');

    // Yes: now, and only now, the files are fetched and the linked model replaces the default one.
    await page.goto(link('&budget=0.5'));
    await dialog.getByRole('button', { name: `Fetch from ${host}` }).click();
    await expect(page.getByTestId('model-name')).toHaveText('linked-model.bin', { timeout: 120_000 });
    expect(seen.filter((s) => s.startsWith('GET')).sort()).toEqual([
      'GET /m/linked-model.bin',
      'GET /m/linked-tok.bin',
    ]);
    await expect.poll(() => decodeURIComponent(page.url())).toContain(`model=url:${base}/m/linked-model.bin`); // the address follows once settings rest
    await expect(page.getByTestId('fp8-share')).toHaveText('50.0%', { timeout: 120_000 });
  });

  test('file:, javascript: and data: addresses are refused without a fetch; the model stays', async ({ page }) => {
    test.setTimeout(300_000);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto('/');
    await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 120_000 });
    const before = seen.length;
    const cases: [string, string][] = [
      ['model=url:file:///etc/passwd', 'model: only http(s) URLs can be fetched, got file:'],
      ['model=url:javascript:alert(1)', 'model: only http(s) URLs can be fetched, got javascript:'],
      [`model=url:data:application/octet-stream;base64,${MODEL.subarray(0, 64).toString('base64')}`, 'got data:'],
      ['calib=url:file:///etc/hosts', 'calib: only http(s) URLs can be fetched, got file:'],
    ];
    for (const [i, [query, message]] of cases.entries()) {
      await page.goto(`/#/explorer?v=1&${query}&budget=0.${i + 1}`);
      await expect(page.getByTestId('url-errors')).toContainText(message);
      await expect(page.getByRole('dialog')).toBeHidden();
      await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin');
      await expect(page.getByTestId('weight-budget-value')).toHaveText(`${(i + 1) * 10}.0% FP8`);
    }
    expect(requests.filter((u) => /^(file|javascript|data):/.test(u))).toEqual([]);
    expect(seen.length).toBe(before);
    // The model's source is still the one the user had (default), not the refused address.
    await expect.poll(() => decodeURIComponent(page.url())).toContain('model=default'); // once settings rest
  });
});

test('NaN and ±Inf weights: the model panel counts them apart and names the tensors', async ({ page }) => {
  test.setTimeout(200_000);
  const m = randomModel(
    {
      dim: 32,
      hiddenDim: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      vocabSize: 32,
      maxSeqLen: 32,
      ropeTheta: 10000,
      normEps: 1e-5,
      sharedClassifier: false,
    },
    7,
  );
  m.weights.layers[0].q.set([NaN, NaN, Infinity], 0);
  m.weights.layers[1].down.set([-Infinity, Infinity, -Infinity, Infinity], 10);
  const file = path.join(tmpdir(), 'nonfinite.bin');
  writeFileSync(file, writeLlama2cVersioned(m, 1));
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/#/explorer?v=1&model=file:nonfinite.bin&policy=magnitude&clip=mse');
  await page.getByLabel('Open checkpoint and tokenizer files').setInputFiles(file);
  const note = page.getByTestId('non-finite');
  await expect(note).toHaveAttribute('data-nan', '2', { timeout: 60_000 });
  await expect(note).toHaveAttribute('data-inf', '5');
  await expect(note).toContainText('This model has 2 NaN and 5 infinite (±Inf) weights.');
  await expect(note).toContainText('NaN in layers.0.q (2).');
  await expect(note).toContainText('±Inf in layers.0.q (1), layers.1.down (4).');
  await page.getByText('Tensors (').click();
  const row = page.getByTestId('tensor-table').locator('tr', { hasText: 'layers.1.down' });
  await expect(row.locator('td').nth(3)).toHaveText('0');
  await expect(row.locator('td').nth(4)).toHaveText('4');
  // The views render such a model too (the clipping chart of a NaN tensor once threw and blanked the page).
  await expect(page.getByTestId('heatmap-weights')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('model-panel')).toBeVisible();
  expect(pageErrors).toEqual([]);
});
