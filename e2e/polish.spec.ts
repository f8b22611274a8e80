// First-minute polish (issue 15): dark preference on a direct lesson link and the toggle kept across a
// reload; unknown routes; share-link range messages; axe-core clean on every route (light and dark);
// no horizontal scroll at 390 px and at 200 % zoom (a 100,000-character file name in a link included);
// distinct export names; the truncation lesson opened directly shows the default model's perplexity; files
// dropped on any route open in the explorer.
// Screenshots of every route at 1440×900 and 390×844, light and dark: e2e-artifacts/screenshots/polish-*.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { hasSharedData, sharedPath, SKIP_REASON } from '../tests/support/sharedData';

const SHOTS = path.resolve('e2e-artifacts/screenshots');
const LESSONS = ['formats', 'truncation', 'uniform', 'granularity', 'outliers', 'calibration', 'tour'];
const ROUTES = ['explorer', 'formats', ...LESSONS.map((l) => `learn/${l}`)];

test.describe.configure({ mode: 'serial' });

/** Waits until a route has drawn what it draws (the explorer: its model and heatmap). */
async function settle(page: Page, route: string): Promise<void> {
  if (route === 'explorer') {
    await expect(page.getByTestId('model-name')).not.toBeEmpty({ timeout: 120_000 });
    await expect(page.getByTestId('heatmap-weights')).toBeVisible({ timeout: 120_000 });
  } else if (route.startsWith('learn/')) {
    await expect(page.getByTestId(`lesson-${route.slice(6)}`)).toBeVisible();
  } else {
    await expect(page.locator('main')).not.toBeEmpty();
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function scrollWidth(page: Page): Promise<{ scroll: number; viewport: number }> {
  return page.evaluate(() => ({ scroll: document.scrollingElement!.scrollWidth, viewport: window.innerWidth }));
}

test('dark preference: honoured on a direct lesson link; the toggle persists across a reload', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/#/learn/truncation');
  await expect(page.locator('html')).toHaveClass(/\bdark\b/);
  const bg = await page.locator('body > #root > div').evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(bg).not.toBe('rgb(255, 255, 255)');
  await page.getByRole('button', { name: 'Light theme' }).click();
  await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
  await page.reload();
  await expect(page.getByTestId('lesson-truncation')).toBeVisible();
  await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
  expect(await page.evaluate(() => localStorage.getItem('fgmp-theme'))).toBe('light');
  // The choice is kept on the other routes too.
  await page.goto('/#/formats');
  await expect(page.locator('html')).not.toHaveClass(/\bdark\b/);
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await page.reload();
  await expect(page.locator('html')).toHaveClass(/\bdark\b/);
});

test('unknown routes say so, with links; the address bar tracks the explorer afterwards', async ({ page }) => {
  for (const bad of ['#/nowhere', '#/learn/nope', '#/explorer/x']) {
    await page.goto(`/${bad}`);
    await expect(page.getByTestId('not-found')).toContainText('Page not found');
    await expect(page.getByTestId('not-found')).toContainText(bad);
    await expect(page.getByRole('navigation', { name: 'Pages' }).locator('[aria-current]')).toHaveCount(0);
  }
  await page.getByTestId('not-found').getByRole('link', { name: 'Explorer' }).click();
  await expect(page).toHaveURL(/#\/explorer\?v=1&/);
  await expect(page.getByTestId('not-found')).toHaveCount(0);
  await page.getByLabel('Weight precision budget').fill('0.55');
  await expect(page).toHaveURL(/budget=0\.55/);
});

test('share-link numbers out of range say "out of range (min–max)"; the field uses the same limit', async ({
  page,
}) => {
  await page.goto('/#/explorer?v=1&budget=-0.5&abudget=1e308&ctok=2&etok=99999999');
  const errors = page.getByTestId('url-errors');
  await expect(errors).toContainText('budget: -0.5 is out of range (0–1)');
  await expect(errors).toContainText('abudget: 1e308 is out of range (0–1)');
  await expect(errors).toContainText('ctok: 2 tokens is out of range (256–4194304)');
  await expect(errors).toContainText('etok: 99999999 tokens is out of range (256–4194304)');
  await expect(errors).not.toContainText('is not a number');
  await expect(page.getByLabel('Calibration tokens')).toHaveAttribute('min', '256');
  await expect(page.getByLabel('Calibration tokens')).toHaveAttribute('max', '4194304');
});

test('every route: axe-core finds no violations, light and dark', async ({ page }) => {
  test.setTimeout(400_000);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const route of ROUTES) {
      await page.goto(`/#/${route}`);
      await settle(page, route);
      const { violations } = await new AxeBuilder({ page }).analyze();
      const summary = violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
      expect.soft(summary, `${route} (${theme})`).toEqual([]);
    }
  }
});

test('no horizontal scroll at 390 px and at 200 % zoom on every route; long names do not draw across', async ({
  page,
}) => {
  test.setTimeout(400_000);
  // 200 % zoom of a 1440×900 window is a 720×450 CSS-pixel viewport.
  for (const size of [
    { width: 390, height: 844 },
    { width: 720, height: 450 },
  ]) {
    await page.setViewportSize(size);
    for (const route of ROUTES) {
      await page.goto(`/#/${route}`);
      await settle(page, route);
      const w = await scrollWidth(page);
      expect.soft(w.scroll, `${route} at ${size.width} px`).toBeLessThanOrEqual(w.viewport);
    }
  }
  await page.setViewportSize({ width: 390, height: 844 });
  const long = 'x'.repeat(100_000);
  await page.goto(`/#/explorer?v=1&model=file:${long}.bin`);
  await expect(page.getByTestId('url-errors').or(page.getByText(/x{20}/).first())).toBeVisible();
  const w = await scrollWidth(page);
  expect(w.scroll).toBeLessThanOrEqual(w.viewport);
  await page.screenshot({ path: `${SHOTS}/polish-long-name-390.png` });
});

test('export buttons have distinct accessible names', async ({ page }) => {
  await page.goto('/#/explorer');
  await settle(page, 'explorer');
  const names = await page
    .getByRole('button', { name: /SVG|PNG|CSV|JSON/ })
    .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? e.textContent ?? ''));
  expect(names.length).toBeGreaterThanOrEqual(7);
  expect(new Set(names).size).toBe(names.length);
  for (const n of names) expect(n).toMatch(/^Export .+/);
});

test('the truncation lesson opened directly loads the default model and shows its perplexity', async ({ page }) => {
  test.setTimeout(400_000);
  await page.goto('/#/learn/truncation');
  await expect(page.getByTestId('no-model')).toHaveCount(0);
  await expect(page.getByTestId('truncation-ppl')).toBeVisible({ timeout: 300_000 });
  const ppl = Number(await page.getByTestId('ppl-truncated').getAttribute('data-value'));
  expect(ppl).toBeGreaterThan(1);
  expect(Number.isFinite(ppl)).toBe(true);
});

test('files are recognised by their bytes and the user is told what each became', async ({ page }) => {
  test.skip(!hasSharedData, SKIP_REASON);
  test.setTimeout(300_000);
  await page.goto('/#/explorer');
  await settle(page, 'explorer');
  const picker = page.getByLabel('Open checkpoint and tokenizer files');
  const report = page.getByTestId('file-report');
  const text = readFileSync(sharedPath('text/tinystories_valid_head.txt'));
  // A checkpoint named notes.txt, its tokenizer named vocab.dat, a text named weights.bin, and junk.
  await picker.setInputFiles([
    { name: 'notes.txt', mimeType: 'text/plain', buffer: readFileSync(sharedPath('models/stories260K.bin')) },
    { name: 'vocab.dat', mimeType: 'application/octet-stream', buffer: readFileSync(sharedPath('models/tok512.bin')) },
    { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: text.subarray(0, 20_000) },
    { name: 'junk.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0xff, 0x00, 0x13, 0x37, 0x00]) },
  ]);
  await expect(page.getByTestId('model-name')).toHaveText('notes.txt', { timeout: 60_000 });
  await expect(report).toContainText('notes.txt→ the model (llama2.c checkpoint (dim 64, 5 layers, vocabulary 512))');
  await expect(report).toContainText('vocab.dat→ its tokenizer');
  await expect(report).toContainText('weights.bin→ the calibration text (20,000 characters)');
  await expect(report).toContainText('junk.bin→ not opened: not a checkpoint, tokenizer, profile or text');
  await page.screenshot({ path: `${SHOTS}/polish-file-report-1440.png` });
  // A tokenizer alone attaches to the model open now when it fits.
  await picker.setInputFiles(sharedPath('models/tok512.bin'));
  await expect(report).toContainText('tok512.bin→ the tokenizer of notes.txt');
  // A checkpoint alone: loaded, and the report says a tokenizer is missing.
  await picker.setInputFiles(sharedPath('models/stories260K.bin'));
  await expect(report).toContainText('stories260K.bin→ the model');
  await expect(report).toContainText('has no tokenizer');
});

test('files dropped on a lesson or the formats page open in the explorer; the tab does not navigate away', async ({
  page,
}) => {
  test.skip(!hasSharedData, SKIP_REASON);
  for (const route of ['formats', 'learn/tour']) {
    await page.goto(`/#/${route}`);
    await settle(page, route);
    const files = [
      { name: 'stories260K.bin', data: readFileSync(sharedPath('models/stories260K.bin')).toString('base64') },
      { name: 'tok512.bin', data: readFileSync(sharedPath('models/tok512.bin')).toString('base64') },
    ];
    const handled = await page.locator('main').evaluate((main, list) => {
      const dt = new DataTransfer();
      for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0))], f.name));
      main.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      // dispatchEvent is false when a listener called preventDefault: the browser's own drop (open the file
      // in the tab) does not happen.
      return !main.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
    expect(handled, route).toBe(true);
    await expect(page.getByTestId('model-name')).toHaveText('stories260K.bin');
    await expect(page.getByTestId('model-config')).toContainText('tokenizer file (512)');
    await page.goto('/#/explorer');
  }
});

test('screenshots of every route: 1440×900 and 390×844, light and dark', async ({ page }) => {
  test.setTimeout(600_000);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const size of [
      { width: 1440, height: 900 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(size);
      for (const route of ROUTES) {
        await page.goto(`/#/${route}`);
        await settle(page, route);
        await page.screenshot({ path: `${SHOTS}/polish-${route.replace('/', '-')}-${size.width}-${theme}.png` });
      }
    }
  }
});
