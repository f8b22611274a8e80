// The formats page: types values into the probe and checks every format's row against the core,
// recomputed here from encode/decode (not from the page's own probe helper).
import { test, expect, type Page } from '@playwright/test';
import { SCALAR_FORMATS, codeBits, codeHex, formatError, formatNumber } from '../src/core/formats/index.ts';

function expectedRow(id: string, x: number) {
  const f = SCALAR_FORMATS.find((g) => g.id === id)!;
  const code = f.encode(x);
  const v = Number.isNaN(x) ? NaN : f.decode(code);
  const abs = v === x ? 0 : Math.abs(v - x);
  return { hex: codeHex(f, code), bits: codeBits(f, code), value: formatNumber(v), abs: formatError(abs) };
}

async function typeValue(page: Page, text: string) {
  const input = page.getByTestId('probe-input');
  await input.fill(text);
}

test.describe('formats page', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/#/formats');
    await expect(page.getByTestId('formats-table')).toBeVisible();
  });

  test('the formats table shows the metadata of every format', async ({ page }) => {
    for (const f of SCALAR_FORMATS) {
      await expect(page.getByTestId(`fmt-bits-${f.id}`)).toHaveText(String(f.bits));
      await expect(page.getByTestId(`fmt-max-${f.id}`)).toHaveText(formatNumber(f.maxFinite));
    }
    await expect(page.getByTestId('fmt-max-e4m3')).toHaveText('448');
    await expect(page.getByTestId('fmt-max-e5m2')).toHaveText('57344');
    await expect(page.getByTestId('fmt-minsub-e4m3')).toHaveText('0.001953125');
    await expect(page.getByTestId('block-formats')).toContainText('nvfp4');
  });

  for (const [text, x] of [
    ['0.3', 0.3],
    ['1000', 1000],
    ['-1e-9', -1e-9],
    ['NaN', NaN],
    ['-inf', -Infinity],
  ] as const) {
    test(`probe ${text}: code, bits, decoded value and error in every format`, async ({ page }) => {
      await typeValue(page, text);
      for (const f of SCALAR_FORMATS) {
        const e = expectedRow(f.id, x);
        await expect(page.getByTestId(`probe-hex-${f.id}`)).toHaveText(e.hex);
        await expect(page.getByTestId(`probe-bits-${f.id}`)).toHaveText(e.bits);
        await expect(page.getByTestId(`probe-value-${f.id}`)).toHaveText(e.value);
        await expect(page.getByTestId(`probe-abs-${f.id}`)).toHaveText(e.abs);
      }
    });
  }

  test('hand-checked cells: 0.3 in E4M3 is 0.3125 (0|0101|010), 1000 saturates to 448 (0x7e)', async ({ page }) => {
    await typeValue(page, '0.3');
    await expect(page.getByTestId('probe-bits-e4m3')).toHaveText('0|0101|010');
    await expect(page.getByTestId('probe-value-e4m3')).toHaveText('0.3125');
    await expect(page.getByTestId('probe-value-bf16')).toHaveText('0.30078125');
    await typeValue(page, '1000');
    await expect(page.getByTestId('probe-hex-e4m3')).toHaveText('0x7e');
    await expect(page.getByTestId('probe-value-e4m3')).toHaveText('448');
    await expect(page.getByTestId('probe-rel-e4m3')).toHaveText('5.520e-1');
    await typeValue(page, 'NaN');
    await expect(page.getByTestId('probe-hex-e4m3')).toHaveText('0x7f');
    await expect(page.getByTestId('probe-hex-e2m1')).toHaveText('—'); // FP4 has no NaN code
  });

  test('invalid input shows a message instead of the table', async ({ page }) => {
    await typeValue(page, 'junk');
    await expect(page.getByTestId('probe-message')).toHaveText('"junk" is not a number.');
    await expect(page.getByTestId('probe-table')).toHaveCount(0);
    await typeValue(page, '');
    await expect(page.getByTestId('probe-message')).toContainText('Type a number');
    await typeValue(page, '2.5');
    await expect(page.getByTestId('probe-value-e2m1')).toHaveText('2'); // tie 2|3 -> even code
  });
});
