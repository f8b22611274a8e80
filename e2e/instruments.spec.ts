// The expert instruments in the explorer (issue 14), on the embedded default model: KL in the summary equals
// `fgmp run --engine wasm --json`; a clicked heatmap cell pins its tensor (the link carries pin=1:SPEC, the
// shares move, both survive a reload); a budget in bits per weight gives the CLI's --bpw share; the A/B
// difference counts agree with the two configurations' own counts per tensor. Screenshots at 1440 and 390 px,
// light and dark.
import { test, expect, type Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const SHOTS = path.resolve('e2e-artifacts/screenshots');
const run = promisify(execFile);
// The app's defaults: 4,096 calibration and evaluation tokens, activation budget 0.3, Fisher clipping.
const CLI = ['tsx', 'src/cli/main.ts', 'run', '--engine', 'wasm', '--calib-tokens', '4096', '--eval-tokens', '4096'];
const cliJson = async (...args: string[]) => {
  const { stdout } = await run('npx', [...CLI, '--act-budget', '0.3', ...args, '--json'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
};

/** FP8 blocks of each weight tensor of a heatmap, from its cells' labels ("… (123 of 4,096 blocks)"). */
async function counts(page: Page, testId: string): Promise<Record<string, number>> {
  return page.getByTestId(testId).evaluate((svg) => {
    const out: Record<string, number> = {};
    for (const c of svg.querySelectorAll('[data-cell]')) {
      const m = /\(([\d,]+) of [\d,]+ blocks\)/.exec(c.getAttribute('aria-label') ?? '');
      if (m) out[c.getAttribute('data-cell')!] = Number(m[1].replace(/,/g, ''));
    }
    return out;
  });
}

async function settled(page: Page) {
  await expect(page.getByTestId('calibration-done')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('ppl')).toHaveAttribute('data-stale', 'false', { timeout: 300_000 });
  await expect(page.getByTestId('kl')).not.toHaveAttribute('data-value', '', { timeout: 300_000 });
}

async function shots(page: Page, name: string) {
  for (const width of [1440, 390])
    for (const dark of [false, true]) {
      await page.setViewportSize({ width, height: 900 });
      await page.evaluate((d) => document.documentElement.classList.toggle('dark', d), dark);
      await page.screenshot({ path: `${SHOTS}/${name}-${width}-${dark ? 'dark' : 'light'}.png`, fullPage: true });
    }
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.evaluate(() => document.documentElement.classList.remove('dark'));
}

test('instruments: KL equals fgmp run; pins in the link survive a reload; bits give the CLI share; A/B counts', async ({
  page,
}) => {
  test.setTimeout(1_500_000);
  mkdirSync(SHOTS, { recursive: true });
  // One CLI run after the other (the machine is small): the default configuration with KL, then --bpw 6.
  const cli = (async () => {
    const plain = await cliJson('--budget', '0.3');
    const bits = await cliJson('--bpw', '6', '--kl', 'off');
    return { plain, bits };
  })();

  // One wasm thread, as the CLI runs: multi-threaded reductions differ in the last bits.
  await page.goto('/?threads=1');
  await settled(page);

  // KL statistics next to perplexity, as fgmp run reports them for the same configuration.
  const { plain, bits } = await cli;
  const kl = Number(await page.getByTestId('kl').getAttribute('data-value'));
  expect(Math.abs(kl / plain.kl - 1)).toBeLessThan(1e-9);
  const stats = page.getByTestId('kl-stats');
  expect(Number(await stats.getAttribute('data-top1'))).toBeCloseTo(plain.top1, 12);
  expect(Number(await stats.getAttribute('data-median'))).toBeCloseTo(plain.klMedian, 12);
  expect(Number(await stats.getAttribute('data-p99'))).toBeCloseTo(plain.klP99, 12);

  // Pins: with "Click pins" on, a click on L0 q pins it to FP8; the budget keeps its block count.
  const before = await counts(page, 'heatmap-weights');
  const k = Object.values(before).reduce((a, b) => a + b, 0);
  await page.getByTestId('pin-mode').check();
  await page.getByTestId('heatmap-weights').locator('[data-cell="0-q"]').click();
  await expect(page).toHaveURL(/[?&]pin=1%3A0\.q%3Dfp8(&|$)/);
  await expect(page.getByTestId('heatmap-weights').locator('[data-pin="0-q"]')).toHaveAttribute(
    'data-precision',
    'fp8',
  );
  const cell = page.getByTestId('heatmap-weights').locator('[data-cell="0-q"]');
  await expect(cell).toHaveAttribute('data-share', '1');
  const pinned = await counts(page, 'heatmap-weights');
  expect(Object.values(pinned).reduce((a, b) => a + b, 0)).toBe(k);
  expect(pinned['0-q']).toBeGreaterThan(before['0-q']);
  await expect(page.getByTestId('pin-spec')).toHaveValue('0.q=fp8');
  await settled(page);
  await shots(page, 'instruments-pins');

  await page.reload();
  await settled(page);
  await expect(page.getByTestId('heatmap-weights').locator('[data-pin="0-q"]')).toHaveAttribute(
    'data-precision',
    'fp8',
  );
  expect(await counts(page, 'heatmap-weights')).toEqual(pinned);
  // A second click: NVFP4; a third: unpinned again (the original shares back).
  await page.getByTestId('pin-mode').check();
  await cell.click();
  await expect(page).toHaveURL(/[?&]pin=1%3A0\.q%3Dnvfp4(&|$)/);
  await expect(cell).toHaveAttribute('data-share', '0');
  await cell.click();
  await expect(page).not.toHaveURL(/[?&]pin=/);
  expect(await counts(page, 'heatmap-weights')).toEqual(before);
  await page.getByTestId('pin-mode').uncheck();

  // Bits per weight: 6 gives the share fgmp run --bpw 6 picks; an infeasible value states the range.
  await page.getByTestId('budget-mode').getByText('bits per weight').click();
  await page.getByTestId('bpw-input').fill('6');
  await expect(page.getByTestId('fp8-share')).toHaveAttribute('data-value', String(bits.fp8Share));
  await expect(page).toHaveURL(/[?&]bpw=1%3A6(&|$)/);
  await page.getByTestId('bpw-input').fill('2');
  await expect(page.getByTestId('budget-refused')).toContainText("this model's feasible range is");
  await page.getByTestId('budget-mode').getByText('FP8 share').click();

  // A/B: B = A with the magnitude policy; per tensor, (A only − B only) = A's count − B's count.
  await page.getByTestId('ab-start').click();
  await page.locator('#ab-policy').selectOption('magnitude');
  await expect(page).toHaveURL(/[?&]ab=1%3Amagnitude%3A[\d.]+%3Afisher(&|$)/);
  const diff = page.getByTestId('heatmap-difference');
  await expect(diff).toBeVisible({ timeout: 120_000 });
  const a = await counts(page, 'ab-heatmap-A');
  const b = await counts(page, 'ab-heatmap-B');
  const cells = await diff.evaluate((svg) =>
    [...svg.querySelectorAll('[data-cell]')].map((c) => ({
      cell: c.getAttribute('data-cell')!,
      aOnly: Number(c.getAttribute('data-a-only')),
      bOnly: Number(c.getAttribute('data-b-only')),
    })),
  );
  expect(cells).toHaveLength(4 * 7);
  for (const c of cells) expect(c.aOnly - c.bOnly, c.cell).toBe(a[c.cell] - b[c.cell]);
  const row = page.getByTestId('ab-diff-counts');
  const aOnly = Number(await row.getAttribute('data-a-only'));
  const bOnly = Number(await row.getAttribute('data-b-only'));
  expect(aOnly).toBe(cells.reduce((s, c) => s + c.aOnly, 0));
  expect(bOnly).toBe(cells.reduce((s, c) => s + c.bOnly, 0));
  expect(aOnly).toBeGreaterThan(0); // magnitude and FGMP pick different blocks
  await expect(page.getByTestId('ab-row-ppl')).not.toHaveAttribute('data-b', '', { timeout: 300_000 });
  // B's own pins: every down projection FP8 in B (marked on B's heatmap, spelled as --pin in the link).
  await page.getByTestId('ab-pins').fill('*.down=fp8');
  await page.getByTestId('ab-pins').press('Enter');
  await expect(page).toHaveURL(/[?&]ab=1%3Amagnitude%3A[\d.]+%3Afisher%3A\*\.down%3Dfp8(&|$)/);
  await expect(page.getByTestId('ab-heatmap-B').locator('[data-pin]')).toHaveCount(4);
  await expect(page.getByTestId('ab-heatmap-B').locator('[data-cell="3-down"]')).toHaveAttribute('data-share', '1');
  await page.getByTestId('energy-components').scrollIntoViewIfNeeded();
  await shots(page, 'instruments-ab');
});
