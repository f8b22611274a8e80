// The truncation lesson with a model loaded: the app opens on the default model (sotu-llama, loaded and
// calibrated by itself), the lesson then shows the perplexity of that model with every linear weight reduced
// to the slider's mantissa bits, computed in the worker. The figures must equal what src/core computes here in
// Node on the same evaluation tokens (FgmpSession.evaluateLinearTransform with the core's reduceMantissa).
import { test, expect, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL } from '../src/core/data/index';
import { reduceMantissa, type MantissaMode } from '../src/core/formats/truncate';
import { loadCheckpoint } from '../src/core/model/loaders/index';
import { setupSession, type FgmpSession } from '../src/core/pipeline/index';
import { DEFAULT_SHARE_STATE } from '../src/core/url/shareState';

const SHOTS = path.resolve('e2e-artifacts/screenshots');
const read = (p: string) => new Uint8Array(readFileSync(p));
const text = (p: string) => readFileSync(p, 'utf8').replace(/\r\n/g, '\n');

/** The worker's evaluation session, rebuilt in Node: the default model on the app's evaluation tokens. */
async function nodeSession(): Promise<FgmpSession> {
  const { model } = loadCheckpoint([
    { name: path.basename(DEFAULT_MODEL.checkpoint), bytes: read(DEFAULT_MODEL.checkpoint) },
    { name: path.basename(DEFAULT_MODEL.tokenizer), bytes: read(DEFAULT_MODEL.tokenizer) },
  ]);
  // Calibration does not touch the float32 graph: one short sequence is enough to build the session.
  const { session } = await setupSession(model, {
    calibration: { kind: 'text', text: text(DEFAULT_MODEL.calibrationText), name: 'calibration' },
    evaluation: { kind: 'text', text: text(DEFAULT_MODEL.evaluationText), name: 'evaluation' },
    sequences: 1,
    seqLen: 32,
    evalTokens: DEFAULT_SHARE_STATE.evaluationTokens,
    runtime: { threads: 1 },
  });
  return session;
}

async function shownPpl(page: Page): Promise<{ truncated: number; float32: number }> {
  await expect(page.getByTestId('truncation-ppl')).toBeVisible({ timeout: 120_000 });
  return {
    truncated: Number(await page.getByTestId('ppl-truncated').getAttribute('data-value')),
    float32: Number(await page.getByTestId('ppl-float32').getAttribute('data-value')),
  };
}

async function setBits(page: Page, keep: number) {
  await page.getByLabel(/Mantissa bits kept/).fill(String(keep));
  await expect(page.getByTestId('keep-shown')).toHaveText(String(keep));
}

test('truncation lesson: perplexity of the default model with truncated weights equals the core in Node', async ({
  page,
}) => {
  test.setTimeout(400_000);
  mkdirSync(SHOTS, { recursive: true });
  const session = await nodeSession();
  try {
    const expected = async (keep: number, mode: MantissaMode) =>
      (await session.evaluateLinearTransform((w) => reduceMantissa(w, keep, mode))).ppl;
    const float32 = (await session.evaluateFloat32()).ppl;

    // One wasm thread, as the Node session here: multi-threaded reductions differ in the last bits.
    await page.goto('/?threads=1');
    await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 60_000 });
    await expect(page.getByTestId('calibration-done')).toBeVisible({ timeout: 240_000 });
    // Same document, same store and worker: only the hash changes.
    await page.evaluate(() => (window.location.hash = '#/learn/truncation'));
    await expect(page.getByTestId('lesson-truncation')).toBeVisible();

    // The page opens at 7 bits (BF16's mantissa), truncation.
    await expect(page.getByTestId('keep-shown')).toHaveText('7');
    let shown = await shownPpl(page);
    expect(shown.float32).toBe(float32);
    expect(Math.abs(shown.truncated / (await expected(7, 'truncate')) - 1)).toBeLessThan(1e-12);
    await expect(page.getByTestId('ppl-truncated')).toHaveText((await expected(7, 'truncate')).toFixed(4));
    await expect(page.getByTestId('ppl-float32')).toHaveText(float32.toFixed(4));

    // Move the slider: "computing…" while the worker runs, then the new figure.
    await setBits(page, 2);
    await expect(page.getByTestId('truncation-computing')).toBeVisible();
    shown = await shownPpl(page);
    const t2 = await expected(2, 'truncate');
    expect(Math.abs(shown.truncated / t2 - 1)).toBeLessThan(1e-12);
    expect(shown.truncated).toBeGreaterThan(float32);

    await page.getByText('Rounding (RNE)').click();
    await expect(page.getByTestId('truncation-computing')).toBeVisible();
    shown = await shownPpl(page);
    const r2 = await expected(2, 'round');
    expect(Math.abs(shown.truncated / r2 - 1)).toBeLessThan(1e-12);
    await expect(page.getByTestId('ppl-truncated')).toHaveText(r2.toFixed(4));
    await page.screenshot({ path: `${SHOTS}/learn-truncation-model.png`, fullPage: true });

    // All 23 bits: the float32 model exactly, in both modes.
    await setBits(page, 23);
    shown = await shownPpl(page);
    expect(shown.truncated).toBe(float32);
    expect(shown.float32).toBe(float32);
    await page.getByText('Truncation', { exact: true }).click();
    await expect(page.getByText('All 23 bits kept: the float32 model itself.')).toBeVisible({ timeout: 60_000 });
    expect(Number(await page.getByTestId('ppl-truncated').getAttribute('data-value'))).toBe(float32);

    // Back to 2 bits, rounding: cached, shown at once without recomputing.
    await page.getByText('Rounding (RNE)').click();
    await setBits(page, 2);
    await expect(page.getByTestId('ppl-truncated')).toHaveAttribute('data-value', String(r2), { timeout: 1_000 });

    // A failure in the worker is shown, not swallowed: ask for 1 evaluation token (the worker refuses: fewer
    // than 2 tokens), then back to the app's setting (the figure comes back from the cache).
    type StoreHandle = { getState(): { settings: object }; setState(s: object): void };
    const setEvalTokens = (n: number) =>
      page.evaluate((tokens) => {
        const store = (window as unknown as { __fgmp: { store: StoreHandle } }).__fgmp.store;
        store.setState({ settings: { ...store.getState().settings, evaluationTokens: tokens } });
      }, n);
    await setEvalTokens(1);
    await expect(page.getByTestId('truncation-error')).toContainText('fewer than 2 tokens', { timeout: 60_000 });
    await setEvalTokens(DEFAULT_SHARE_STATE.evaluationTokens);
    await expect(page.getByTestId('ppl-truncated')).toHaveAttribute('data-value', String(r2));
  } finally {
    await session.dispose();
  }
});

test('truncation lesson opened directly: loads the default model itself; the explorer then has it', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await page.goto('/#/learn/truncation');
  await expect(page.getByTestId('no-model')).toHaveCount(0);
  await expect(page.getByTestId('truncation-ppl')).toBeVisible({ timeout: 240_000 });
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Explorer' }).click();
  await expect(page).toHaveURL(/#\/explorer/);
  await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 60_000 });
});
