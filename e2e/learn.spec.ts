// The teaching pages: drive every lesson (type, drag, toggle) and check the numbers shown against the
// core computed here. Screenshots of each lesson go to e2e-artifacts/screenshots/learn-<lesson>.png.
import { test, expect, type Page } from '@playwright/test';
import {
  BF16,
  E4M3,
  errorMetrics,
  INT4,
  INT8,
  NF4,
  quantizeGrouped,
  quantizeNvfp4,
  TF32,
  UINT4,
  weightedMse,
} from '../src/core/formats';
import { absmaxThreshold, clipRatioSearch, klThreshold, percentileThreshold } from '../src/core/calib';
import { quantizeWeight, storageFromCounts } from '../src/core/fgmp';
import { decodeShareHash } from '../src/core/url/shareState';
import { db, exact, pct, sig } from '../src/pages/learn/fmt';
import { gaussianTensor, matrixWithOutlierColumns } from '../src/pages/learn/synthetic';
import { TRUNCATION_TENSOR } from '../src/pages/learn/truncationModel';
import { GRANULARITY_TENSOR } from '../src/pages/learn/granularityModel';
import { OUTLIER_SETUP, outlierActivations, outlierWeights } from '../src/pages/learn/outliersModel';
import {
  calibrationSample,
  FINE_GRID,
  fisherWeights,
  FISHER_TENSOR,
  syntheticFisher,
} from '../src/pages/learn/calibrationModel';
import { TOUR_TENSORS } from '../src/pages/learn/tourModel';

async function shot(page: Page, name: string) {
  // No focus ring from the last control the test touched.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: `e2e-artifacts/screenshots/learn-${name}.png`, fullPage: true });
}

const text = (page: Page, id: string) => page.getByTestId(id);

test('lesson navigation: sub-routes in the hash, sub-navigation and next links', async ({ page }) => {
  await page.goto('/#/learn');
  await expect(page.getByTestId('lesson-formats')).toBeVisible();
  await page.getByRole('navigation', { name: 'Lessons' }).getByRole('link', { name: '4. Granularity' }).click();
  await expect(page).toHaveURL(/#\/learn\/granularity$/);
  await expect(page.getByTestId('lesson-granularity')).toBeVisible();
  await page.getByRole('link', { name: '5. Outliers and activations →' }).click();
  await expect(page.getByTestId('lesson-outliers')).toBeVisible();
  await page.goto('/#/learn/tour');
  await expect(page.getByTestId('lesson-tour')).toBeVisible();
});

test('1 formats: typed values, bit fields, round-to-nearest-even, ranges', async ({ page }) => {
  await page.goto('/#/learn/formats');
  await page.getByLabel('Format', { exact: true }).selectOption('e4m3');
  const value = page.getByLabel('Value to encode');
  await value.fill('0.3');
  const code = E4M3.encode(0.3);
  await expect(text(page, 'code')).toHaveText(`0x${code.toString(16).toUpperCase().padStart(2, '0')}`);
  await expect(text(page, 'rounded')).toHaveText(exact(E4M3.round(0.3)));
  await expect(text(page, 'abs-error')).toHaveText(sig(E4M3.round(0.3) - 0.3));
  // The bit fields spell the code: sign, 4 exponent bits, 3 mantissa bits.
  const bits = code.toString(2).padStart(8, '0');
  await expect(text(page, 'field-sign')).toContainText(bits[0]);
  await expect(text(page, 'field-exponent')).toContainText(bits.slice(1, 5));
  await expect(text(page, 'field-mantissa')).toContainText(bits.slice(5));
  await expect(text(page, 'arithmetic')).toContainText(`= ${exact(E4M3.decode(code))}`);
  await expect(text(page, 'format-max')).toHaveText(exact(E4M3.maxFinite));

  // A midpoint between two E4M3 neighbours: the tie goes to the even code.
  const below = E4M3.decode(code - 1);
  const above = E4M3.decode(code);
  const mid = (below + above) / 2;
  await value.fill(String(mid));
  await expect(text(page, 'midpoint')).toHaveText(exact(mid));
  await expect(text(page, 'neighbour-below')).toHaveText(exact(below));
  await expect(text(page, 'neighbour-above')).toHaveText(exact(above));
  await expect(text(page, 'rounded')).toHaveText(exact(E4M3.round(mid)));
  expect(E4M3.encode(E4M3.round(mid)) % 2).toBe(0);
  await expect(text(page, 'rounding-note')).toContainText('tie goes to the neighbour with the even code');

  // Saturation, and a clear message for bad input.
  await value.fill('1000');
  await expect(text(page, 'rounded')).toHaveText(exact(E4M3.maxFinite));
  await value.fill('abc');
  await expect(page.getByRole('alert')).toContainText('not a number');
  await value.fill('0.3');

  // BF16 in [1, 2]: every representable value counted by the core.
  await page.getByLabel('Format', { exact: true }).selectOption('bf16');
  await page.getByLabel('Range from').fill('1');
  await page.getByLabel('Range to').fill('2');
  await expect(text(page, 'range-count')).toHaveText(String(BF16.values().filter((v) => v >= 1 && v <= 2).length));
  await expect(text(page, 'rounded')).toHaveText(exact(BF16.round(0.3)));
  // TF32 is too wide to list in full: the page walks its codes; the count must match the core's list.
  await page.getByLabel('Format', { exact: true }).selectOption('tf32');
  await page.getByLabel('Range from').fill('1');
  await page.getByLabel('Range to').fill('1.25');
  await expect(text(page, 'range-count')).toHaveText(String(TF32.values().filter((v) => v >= 1 && v <= 1.25).length));
  await expect(text(page, 'binades-e2m1')).toHaveText(Math.log2(6 / 0.5).toFixed(1));
  // The symmetric-log axis keeps the same values, only spread by binade.
  await page.getByText('symmetric log').click();
  await expect(text(page, 'range-count')).toHaveText(String(TF32.values().filter((v) => v >= 1 && v <= 1.25).length));
  await page.getByText('linear', { exact: true }).click();
  // FP32 against JavaScript's own float32 (Math.fround and the IEEE bit pattern of a Float32Array).
  await page.getByLabel('Format', { exact: true }).selectOption('fp32');
  await page.getByLabel('Value to encode').fill('0.1');
  const f32bits = new Uint32Array(new Float32Array([0.1]).buffer)[0];
  await expect(text(page, 'code')).toHaveText(`0x${f32bits.toString(16).toUpperCase().padStart(8, '0')}`);
  await expect(text(page, 'rounded')).toHaveText(exact(Math.fround(0.1)));
  // NF4: a table lookup, no exponent.
  await page.getByLabel('Format', { exact: true }).selectOption('nf4');
  await page.getByLabel('Value to encode').fill('0.5');
  await expect(text(page, 'rounded')).toHaveText(exact(NF4.round(0.5)));
  await expect(text(page, 'arithmetic')).toHaveText(
    `NF4 level[${NF4.encode(0.5)}] = ${exact(NF4.decode(NF4.encode(0.5)))}`,
  );
  await page.getByLabel('Format', { exact: true }).selectOption('e4m3');
  await page.getByLabel('Value to encode').fill('0.3');
  await shot(page, 'formats');
  await page.evaluate(() => document.documentElement.classList.add('dark'));
  await shot(page, 'formats-dark');
});

function truncateIndependently(x: Float32Array, keep: number): Float32Array {
  const out = new Float32Array(x);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < u.length; i++) u[i] = (u[i] >>> (23 - keep)) << (23 - keep);
  return out;
}

test('2 truncation: mantissa bits slider, truncation vs rounding, BF16/TF32 points', async ({ page }) => {
  const x = gaussianTensor(TRUNCATION_TENSOR.n, TRUNCATION_TENSOR.std, TRUNCATION_TENSOR.seed);
  await page.goto('/#/learn/truncation');
  await page.getByLabel(/Mantissa bits kept/).fill('10');
  await expect(text(page, 'keep-shown')).toHaveText('10');
  await expect(text(page, 'sqnr')).toHaveText(db(errorMetrics(x, truncateIndependently(x, 10)).sqnrDb));
  await expect(text(page, 'max-abs')).toHaveText(sig(errorMetrics(x, truncateIndependently(x, 10)).maxAbs));
  const t10 = truncateIndependently(x, 10);
  const maxRel = Math.max(...Array.from(x, (v, i) => (v === 0 ? 0 : Math.abs((t10[i] - v) / v))));
  expect(maxRel).toBeLessThan(2 ** -10);
  await expect(text(page, 'max-rel')).toHaveText(sig(maxRel));
  // Keyboard: two steps down.
  await page.getByLabel(/Mantissa bits kept/).focus();
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(text(page, 'keep-shown')).toHaveText('8');
  await expect(text(page, 'mse')).toHaveText(sig(errorMetrics(x, truncateIndependently(x, 8)).mse));
  // Rounding to 10 bits is TF32, to 7 bits BF16 (FP32's exponent either way).
  await page.getByText('Rounding (RNE)').click();
  await page.getByLabel(/Mantissa bits kept/).fill('10');
  await expect(text(page, 'sqnr')).toHaveText(
    db(
      errorMetrics(
        x,
        x.map((v) => TF32.round(v)),
      ).sqnrDb,
    ),
  );
  await expect(text(page, 'rel-bound')).toHaveText(sig(2 ** -11));
  await expect(text(page, 'bf16-sqnr')).toHaveText(
    db(
      errorMetrics(
        x,
        x.map((v) => BF16.round(v)),
      ).sqnrDb,
    ),
  );
  await expect(text(page, 'tf32-sqnr')).toHaveText(
    db(
      errorMetrics(
        x,
        x.map((v) => TF32.round(v)),
      ).sqnrDb,
    ),
  );
  await expect(page.getByText('exactly the rounding curve at 7 and 10 bits')).toBeVisible();
  // Opened directly, the lesson loads the default model itself (issue 15): no "no model" message.
  await expect(page.getByTestId('no-model')).toHaveCount(0);
  await page.getByLabel(/Mantissa bits kept/).fill('7');
  await shot(page, 'truncation');
});

async function pointValues(page: Page): Promise<number[]> {
  return page
    .locator('[data-testid^="point-"]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
}

async function checkUniform(page: Page, bits: 4 | 8) {
  const x = Float32Array.from(await pointValues(page));
  const sym = quantizeGrouped(x, bits === 8 ? INT8 : INT4, { scaling: 'absmax' });
  const asym = quantizeGrouped(x, bits === 8 ? 'uint8' : UINT4, { scaling: 'zeropoint' });
  let amax = 0;
  for (const v of x) amax = Math.max(amax, Math.abs(v));
  // The absmax scale by hand, and the core's: both must be what the page shows.
  expect(sym.scales[0]).toBe(Math.fround(amax / (bits === 8 ? 127 : 7)));
  await expect(text(page, 'sym-scale')).toHaveText(sig(sym.scales[0], 6));
  await expect(text(page, 'asym-scale')).toHaveText(sig(asym.scales[0], 6));
  await expect(text(page, 'asym-zp')).toHaveText(String(asym.zeroPoints![0]));
  await expect(text(page, 'sym-mse')).toHaveText(sig(errorMetrics(x, sym.values).mse));
  await expect(text(page, 'asym-mse')).toHaveText(sig(errorMetrics(x, asym.values).mse));
  await expect(text(page, 'p0-code')).toHaveText(String(sym.codes[0]));
  await expect(text(page, 'p0-sym')).toHaveText(sig(sym.values[0], 6));
  const deq = await page
    .locator('[data-testid^="deq-sym-"]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
  expect(deq).toEqual(Array.from(sym.values));
}

test('3 uniform: drag points, arrow keys, INT4/INT8, symmetric vs zero point', async ({ page }) => {
  await page.goto('/#/learn/uniform');
  const before = await pointValues(page);
  await checkUniform(page, 4);
  // Drag the first point 150 px to the right.
  const box = (await text(page, 'point-0').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 75, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const after = await pointValues(page);
  expect(after[0]).toBeGreaterThan(before[0] + 0.5);
  await checkUniform(page, 4);
  // Keyboard: three steps of 0.01 to the right on the second point.
  await text(page, 'point-1').focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  const moved = await pointValues(page);
  expect(moved[1]).toBeCloseTo(before[1] + 0.03, 2);
  await checkUniform(page, 4);
  await page.getByText('INT8', { exact: true }).click();
  await checkUniform(page, 8);
  await page.getByText('INT4', { exact: true }).click();
  await shot(page, 'uniform');
});

test('4 granularity: gain slider, group size, double quantization', async ({ page }) => {
  await page.goto('/#/learn/granularity');
  await page.getByLabel(/Outlier channel gain/).fill('20');
  await page.getByLabel('INT4 group size').selectOption('64');
  await page.getByLabel('Double-quantize the NF4 scales').check();
  const { rows, cols, outlierCols, seed } = GRANULARITY_TENSOR;
  const x = matrixWithOutlierColumns(rows, cols, outlierCols, 20, seed);
  const n = x.length;
  const tensor = quantizeGrouped(x, INT4, { granularity: 'tensor' });
  await expect(text(page, 'sqnr-tensor')).toHaveText(db(errorMetrics(x, tensor.values).sqnrDb));
  const group = quantizeGrouped(x, INT4, { granularity: 'group', groupSize: 64, rowLength: cols });
  await expect(text(page, 'sqnr-group')).toHaveText(db(errorMetrics(x, group.values).sqnrDb));
  await expect(text(page, 'bits-group')).toHaveText((4 + 32 / 64).toFixed(3));
  const nv = quantizeNvfp4(x, { rowLength: cols });
  await expect(text(page, 'sqnr-nvfp4')).toHaveText(db(errorMetrics(x, nv.values).sqnrDb));
  await expect(text(page, 'bits-nvfp4')).toHaveText((4 + 8 / 16 + 32 / n).toFixed(3));
  await expect(text(page, 'bits-mxfp4')).toHaveText((4 + 8 / 32).toFixed(3));
  const nf4 = quantizeGrouped(x, NF4, { granularity: 'group', groupSize: 64, rowLength: cols, doubleQuant: true });
  const scales = n / 64;
  const superScales = Math.ceil(scales / 256);
  await expect(text(page, 'nf4-bits')).toHaveText((4 + (8 * scales + 32 * superScales + 32) / n).toFixed(3));
  await expect(text(page, 'nf4-sqnr')).toHaveText(db(errorMetrics(x, nf4.values).sqnrDb));
  // Zeroed share under the per-tensor scale.
  let zeroed = 0;
  for (let i = 0; i < n; i++) if (x[i] !== 0 && tensor.values[i] === 0) zeroed++;
  await expect(text(page, 'zeroed-tensor')).toHaveText(pct(zeroed / n));
  await expect(page.locator('canvas')).toHaveCount(8);
  await shot(page, 'granularity');
  await page.getByLabel('Double-quantize the NF4 scales').uncheck();
  await expect(text(page, 'nf4-bits')).toHaveText((4 + 32 / 64).toFixed(3));
});

function matmulT(x: Float32Array, w: Float32Array, t: number, k: number, o: number): Float64Array {
  const y = new Float64Array(t * o);
  for (let a = 0; a < t; a++)
    for (let b = 0; b < o; b++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[a * k + i] * w[b * k + i];
      y[a * o + b] = s;
    }
  return y;
}

test('5 outliers: magnitude, decomposition threshold and SmoothQuant alpha sliders', async ({ page }) => {
  await page.goto('/#/learn/outliers');
  await page.getByLabel(/Outlier magnitude/).fill('60');
  await page.getByLabel(/Decomposition threshold/).fill('4');
  await page.getByLabel(/SmoothQuant α/).fill('0.8');
  await expect(text(page, 'alpha-shown')).toHaveText('0.80');
  const { tokens, channels, outputs, outlierChannel } = OUTLIER_SETUP;
  const x = outlierActivations(60);
  const w = outlierWeights();
  const xq = quantizeGrouped(x, INT8, { granularity: 'tensor' });
  await expect(text(page, 'act-scale')).toHaveText(sig(xq.scales[0]));
  await expect(text(page, 'act-sqnr')).toHaveText(db(errorMetrics(x, xq.values).sqnrDb));
  let normalMax = 0;
  for (let i = 0; i < x.length; i++)
    if (i % channels !== outlierChannel) normalMax = Math.max(normalMax, Math.abs(xq.codes[i]));
  await expect(text(page, 'normal-levels')).toHaveText(String(normalMax));
  // Outlier columns at threshold 4, counted here.
  let count = 0;
  for (let c = 0; c < channels; c++) {
    let m = 0;
    for (let t = 0; t < tokens; t++) m = Math.max(m, Math.abs(x[t * channels + c]));
    if (m >= 4) count++;
  }
  await expect(text(page, 'outlier-count')).toHaveText(String(count));
  // SmoothQuant at alpha 0.8, written out here: X/s per tensor INT8, W·s per row INT8.
  const yRef = matmulT(x, w, tokens, channels, outputs);
  const xMax = new Float64Array(channels);
  const wMax = new Float64Array(channels);
  for (let i = 0; i < x.length; i++) xMax[i % channels] = Math.max(xMax[i % channels], Math.abs(x[i]));
  for (let i = 0; i < w.length; i++) wMax[i % channels] = Math.max(wMax[i % channels], Math.abs(w[i]));
  const s = Array.from(xMax, (xm, c) => Math.pow(xm, 0.8) / Math.pow(wMax[c], 0.2));
  const xs = x.map((v, i) => v / s[i % channels]);
  const ws = w.map((v, i) => v * s[i % channels]);
  const ySmooth = matmulT(
    quantizeGrouped(xs, INT8, { granularity: 'tensor' }).values,
    quantizeGrouped(ws, INT8, { granularity: 'row', rowLength: channels }).values,
    tokens,
    channels,
    outputs,
  );
  await expect(text(page, 'out-smooth')).toHaveText(db(errorMetrics(yRef, ySmooth).sqnrDb));
  // The smoothed activations back in original units, Q(X/s)·s.
  const xsq = quantizeGrouped(xs, INT8, { granularity: 'tensor' }).values;
  await expect(text(page, 'act-sqnr-smooth')).toHaveText(
    db(
      errorMetrics(
        x,
        xsq.map((v, i) => v * s[i % channels]),
      ).sqnrDb,
    ),
  );
  const yTensor = matmulT(
    xq.values,
    quantizeGrouped(w, INT8, { granularity: 'row', rowLength: channels }).values,
    tokens,
    channels,
    outputs,
  );
  await expect(text(page, 'out-tensor')).toHaveText(db(errorMetrics(yRef, yTensor).sqnrDb));
  await page.getByLabel(/SmoothQuant α/).fill('0.5');
  await page.getByLabel(/Outlier magnitude/).fill('40');
  await page.getByLabel(/Decomposition threshold/).fill('6');
  await shot(page, 'outliers');
});

test('6 calibration: INT4/INT8, percentile slider, Fisher-weighted clipping', async ({ page }) => {
  await page.goto('/#/learn/calibration');
  const x = calibrationSample();
  const amax = absmaxThreshold(x);
  const at = (bits: 'int8' | 'int4', a: number) =>
    quantizeGrouped(x, bits === 'int8' ? INT8 : INT4, { granularity: 'tensor', clip: a }).values;
  for (const bits of ['int8', 'int4'] as const) {
    if (bits === 'int4') await page.getByText('INT4 per tensor').click();
    await expect(text(page, 'threshold-absmax')).toHaveText(sig(amax));
    const search = clipRatioSearch(x, (a) => at(bits, a), { grid: FINE_GRID });
    await expect(text(page, 'mse-alpha')).toHaveText(sig(search.alpha, 3));
    await expect(text(page, 'threshold-mse')).toHaveText(sig(search.alpha * amax));
    await expect(text(page, 'mse-mse')).toHaveText(sig(errorMetrics(x, at(bits, search.alpha)).mse));
    const kl = klThreshold(x, { levels: bits === 'int8' ? 128 : 8 });
    await expect(text(page, 'threshold-kl')).toHaveText(sig(kl.threshold));
  }
  await page.getByLabel(/Percentile/).fill('99.5');
  await expect(text(page, 'threshold-percentile')).toHaveText(sig(percentileThreshold(x, 99.5)));

  // Fisher-weighted clipping with the "small weights matter" importance.
  await page.getByLabel('Synthetic importance').selectOption('small');
  const w = fisherWeights();
  const f = syntheticFisher(w, 'small');
  const { rows, cols } = FISHER_TENSOR;
  const none = quantizeWeight(w, rows, cols, { clip: 'none' });
  const fisherQ = quantizeWeight(w, rows, cols, { clip: 'fisher', fisher: f });
  await expect(text(page, 'weighted-none')).toHaveText(sig(weightedMse(w, none.qLo, f)));
  await expect(text(page, 'weighted-fisher')).toHaveText(sig(weightedMse(w, fisherQ.qLo, f)));
  const mean = fisherQ.clipRatio.reduce((a, b) => a + b, 0) / fisherQ.clipRatio.length;
  await expect(text(page, 'mean-fisher-ratio')).toHaveText(mean.toFixed(3));
  await page.getByLabel('Synthetic importance').selectOption('large');
  await page.getByText('INT8 per tensor').click();
  await page.getByLabel(/Percentile/).fill('99.9');
  await shot(page, 'calibration');
});

test('7 tour: budget slider, per-tensor shares, storage and the explorer link', async ({ page }) => {
  await page.goto('/#/learn/tour');
  const blocks = TOUR_TENSORS.reduce((s, t) => s + t.rows * Math.ceil(t.cols / 16), 0);
  // At 30% the large-tensor figure is the paper's operating point: 4.5·0.7 + 8·0.3 + 1/16 bits vs 8.
  await expect(text(page, 'fp8-blocks')).toHaveText(String(Math.round(0.3 * blocks)));
  await expect(text(page, 'saving')).toHaveText(pct(1 - (4.5 * 0.7 + 8 * 0.3 + 1 / 16) / 8));
  await expect(text(page, 'bits-nvfp4')).toHaveText(sig(storageFromCounts(4096, 4096, 0, 0).bitsPerWeight));
  await page.getByLabel(/Share of blocks in FP8/).fill('0.5');
  await expect(text(page, 'budget-shown')).toHaveText('50%');
  await expect(text(page, 'fp8-blocks')).toHaveText(String(Math.round(0.5 * blocks)));
  const big = 4096 * 256;
  const k = Math.round(0.5 * big);
  const mixed = storageFromCounts(4096, 4096, k, k * 16, { metadata: 'always' }).bitsPerWeight;
  await expect(text(page, 'large-bpw')).toHaveText(sig(mixed));
  const href = (await text(page, 'explorer-link').getAttribute('href'))!;
  const decoded = decodeShareHash(href);
  expect(decoded.errors).toEqual([]);
  expect(decoded.state.weightBudget).toBe(0.5);
  expect(decoded.state.activationBudget).toBe(0.5);
  expect(decoded.state.policy).toBe('fgmp');
  expect(decoded.state.clipping).toBe('fisher');
  await page.getByLabel(/Share of blocks in FP8/).fill('0.3');
  await shot(page, 'tour');
  await text(page, 'explorer-link').click();
  await expect(page).toHaveURL(/#\/explorer\?v=1/);
});

test('dark theme: every lesson renders with the dark palette', async ({ page }) => {
  for (const lesson of ['truncation', 'uniform', 'granularity', 'outliers', 'calibration', 'tour']) {
    await page.goto(`/#/learn/${lesson}`);
    await page.evaluate(() => document.documentElement.classList.add('dark'));
    await expect(page.getByTestId(`lesson-${lesson}`)).toBeVisible();
    // Text follows the theme: the lesson heading is light on dark.
    // Any CSS colour syntax (oklch, lab, rgb) through a canvas pixel: mean RGB of the heading's text colour.
    const lightness = await page.getByRole('heading', { level: 2 }).evaluate((el) => {
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.fillStyle = getComputedStyle(el).color;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
      return (r + g + b) / 765;
    });
    expect(lightness).toBeGreaterThan(0.8);
    await shot(page, `${lesson}-dark`);
  }
});
