// The model panel (issue 3 item 7) in Debian Chromium: file picker, drag-and-drop and URL (with a download
// progress bar), config and tensor table, and clear errors for truncated, foreign and oversized inputs while
// the previously loaded model stays in use.
import { test, expect, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { hasSharedData, sharedPath, SKIP_REASON } from '../tests/support/sharedData';

const MODEL = sharedPath('models/stories260K.bin');
const TOKENIZER = sharedPath('models/tok512.bin');
// A link that names a local model, so the embedded default model (once the build has it) does not load first.
const START = '/#/explorer?v=1&model=file:stories260K.bin';

async function expectStories260K(page: Page) {
  await expect(page.getByTestId('model-name')).toHaveText('stories260K.bin');
  const config = page.getByTestId('model-config');
  for (const [k, v] of [
    ['dim', '64'],
    ['hidden', '172'],
    ['layers', '5'],
    ['heads / kv heads', '8 / 4'],
    ['vocab', '512'],
    ['context', '512'],
    ['parameters', '260,032'],
  ])
    await expect(config.locator(`dt:text-is("${k}") + dd`)).toHaveText(v);
}

test.describe(`model panel${hasSharedData ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  test.skip(!hasSharedData, SKIP_REASON);
  let server: Server;
  let base = '';

  test.beforeAll(async () => {
    const model = readFileSync(MODEL);
    const tok = readFileSync(TOKENIZER);
    // A small file server on another origin: CORS (the page is cross-origin isolated) and a slow, chunked
    // body so that the download progress bar is visible.
    server = createServer((req, res) => {
      const headers = {
        'Access-Control-Allow-Origin': '*',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'Content-Type': 'application/octet-stream',
      };
      const url = req.url ?? '';
      if (url.endsWith('/huge.bin')) {
        res.writeHead(200, { ...headers, 'Content-Length': String(3 * 2 ** 30) });
        res.end();
        return;
      }
      const body = url.endsWith('/stories260K.bin') ? model : url.endsWith('/tok512.bin') ? tok : null;
      if (!body) {
        res.writeHead(404, headers);
        res.end('not found');
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length) });
      let o = 0;
      const step = () => {
        if (o >= body.length) return res.end();
        res.write(body.subarray(o, o + 65536));
        o += 65536;
        setTimeout(step, 60);
      };
      step();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  test.afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('file picker: config and tensor table', async ({ page }) => {
    await page.goto(START);
    await page.getByLabel('Open checkpoint and tokenizer files').setInputFiles([MODEL, TOKENIZER]);
    await expectStories260K(page);
    await expect(page.getByTestId('model-config')).toContainText('tokenizer file (512)');
    await page.getByText('Tensors (47)').click();
    const table = page.getByTestId('tensor-table');
    await expect(table.locator('tbody tr')).toHaveCount(47);
    await expect(table.locator('tr', { hasText: 'layers.0.q' }).first()).toContainText('64×64');
    await expect(table.locator('tr', { hasText: 'layers.4.down' })).toContainText('64×172');
    await page.getByTestId('model-panel').screenshot({ path: 'e2e-artifacts/screenshots/model-panel.png' });
  });

  test('drag and drop onto the panel', async ({ page }) => {
    await page.goto(START);
    const files = [
      { name: 'stories260K.bin', data: readFileSync(MODEL).toString('base64') },
      { name: 'tok512.bin', data: readFileSync(TOKENIZER).toString('base64') },
    ];
    await page.getByTestId('model-panel').evaluate((panel, list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0))], f.name));
      panel.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      panel.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    await expectStories260K(page);
  });

  test('URL: download progress, then the model; the URL is shared in the link', async ({ page }) => {
    await page.goto(START);
    await page.getByLabel('Checkpoint URL').fill(`${base}/m/stories260K.bin`);
    await page.getByLabel('Tokenizer URL (optional)').fill(`${base}/m/tok512.bin`);
    await page.getByRole('button', { name: 'Fetch' }).click();
    const bar = page.getByTestId('model-progress').getByRole('progressbar');
    await expect(bar).toBeVisible();
    await expect(page.getByTestId('model-progress')).toContainText(/Downloading stories260K\.bin: \d+/);
    await page.getByTestId('model-panel').screenshot({ path: 'e2e-artifacts/screenshots/model-panel-download.png' });
    await expectStories260K(page);
    await expect.poll(() => decodeURIComponent(page.url())).toContain(`model=url:${base}/m/stories260K.bin`); // the address follows once settings rest
  });

  test('truncated, foreign and oversized inputs: clear errors, previous model kept', async ({ page }) => {
    await page.goto(START);
    const picker = page.getByLabel('Open checkpoint and tokenizer files');
    await picker.setInputFiles([MODEL, TOKENIZER]);
    await expectStories260K(page);
    const error = page.getByTestId('model-error');

    await picker.setInputFiles({
      name: 'cut.bin',
      mimeType: 'application/octet-stream',
      buffer: readFileSync(MODEL).subarray(0, 500_000),
    });
    await expect(error).toContainText(/truncated/i);
    await expect(page.getByTestId('model-panel')).toContainText('Still using stories260K.bin');

    await picker.setInputFiles({
      name: 'photo.jpg',
      mimeType: 'image/jpeg',
      buffer: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(4000, 7)]),
    });
    await expect(error).toContainText(/cannot tell the format|not a|invalid/i);

    // A llama2.c header of a Llama-2-70B-sized model (about 275 GB of float32) in a 92-byte file.
    const header = Buffer.alloc(28 + 64);
    [8192, 28672, 80, 64, 8, 32000, 4096].forEach((v, i) => header.writeInt32LE(v, 4 * i));
    await picker.setInputFiles({ name: 'giant.bin', mimeType: 'application/octet-stream', buffer: header });
    await expect(error).not.toHaveText('');
    const giantMessage = await error.textContent();
    expect(giantMessage).toMatch(/truncated|out of range|too large|implies|exceed/i);

    await page.getByLabel('Checkpoint URL').fill(`${base}/m/huge.bin`);
    await page.getByRole('button', { name: 'Fetch' }).click();
    await expect(error).toContainText(/MiB; the explorer runs models up to/);
    await page.getByTestId('model-panel').screenshot({ path: 'e2e-artifacts/screenshots/model-panel-error.png' });

    await page.getByLabel('Checkpoint URL').fill(`${base}/m/missing.bin`);
    await page.getByRole('button', { name: 'Fetch' }).click();
    await expect(error).toContainText('HTTP 404');

    // Still usable: the previous model is loaded and the views answer the slider.
    await expectStories260K(page);
    await page.getByLabel('Policy').selectOption('magnitude');
    await page.getByLabel('Clipping', { exact: true }).selectOption('mse');
    await page.getByLabel('Weight precision budget').fill('0.4');
    await expect(page.getByTestId('fp8-share')).toHaveText('40.0%');
    console.log(`oversized header message: ${giantMessage}`);
  });
});
