// The README's first command: the app opens on the embedded default model (public/models, MODEL.md),
// calibrates it on its own text and populates the heatmap, with every request outside this machine
// refused (offline). Its numbers equal what `fgmp run` (which uses the same default model and text when
// MODEL is omitted) reports for the app's settings.
import { test, expect } from '@playwright/test';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { availableParallelism } from 'node:os';
import { MAX_WASM_THREADS } from '../src/core/runtime/engineChoice';

// The app runs as many wasm threads as the page's cores on this cross-origin isolated preview
// (src/core/runtime/engineChoice.ts); the CLI runs the same count, so the sums go in the same order.
const WASM_THREADS = String(Math.min(availableParallelism(), MAX_WASM_THREADS));

const SHOTS = path.resolve('e2e-artifacts/screenshots');

test('opens on the default model, calibrated, heatmap populated, offline; numbers equal fgmp run', async ({ page }) => {
  test.setTimeout(400_000);
  mkdirSync(SHOTS, { recursive: true });
  // The CLI figure for the app's defaults (4,096 calibration and evaluation tokens, budgets 0.3/0.3, Fisher clipping).
  const cli = promisify(execFile)(
    'npx',
    [
      'tsx',
      'src/cli/main.ts',
      'run',
      // The app runs onnxruntime-web (wasm): compare with the same engine (the CLI's default is native).
      '--engine',
      'wasm',
      '--threads',
      WASM_THREADS,
      '--calib-tokens',
      '4096',
      '--eval-tokens',
      '4096',
      '--budget',
      '0.3',
      '--act-budget',
      '0.3',
      '--json',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );

  const outside: string[] = [];
  await page.route('**/*', (route) => {
    const host = new URL(route.request().url()).hostname;
    if (host === '127.0.0.1' || host === 'localhost') return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  await page.goto('/');
  await expect(page.getByTestId('model-name')).toHaveText('sotu-llama.bin', { timeout: 60_000 });
  await expect(page.getByTestId('calibration-done')).toBeVisible({ timeout: 240_000 });
  await expect(page.getByTestId('engine-status')).toHaveAttribute('data-threads', WASM_THREADS);
  await expect(page.getByTestId('ppl')).toHaveAttribute('data-stale', 'false', { timeout: 240_000 });
  await expect(page.getByTestId('ppl')).not.toHaveAttribute('data-value', '', { timeout: 240_000 });

  const shares = await page
    .getByTestId('heatmap-weights')
    .evaluate((svg) => [...svg.querySelectorAll('[data-cell]')].map((c) => Number(c.getAttribute('data-share'))));
  expect(shares).toHaveLength(4 * 7); // 4 layers × q, k, v, o, gate, up, down
  // One global threshold gives unequal per-layer shares: some tensors get more FP8 than others.
  expect(Math.max(...shares) - Math.min(...shares)).toBeGreaterThan(0.05);

  const result = JSON.parse((await cli).stdout.trim().split('\n').pop()!);
  const ppl = Number(await page.getByTestId('ppl').getAttribute('data-value'));
  expect(Math.abs(ppl / result.ppl - 1)).toBeLessThan(1e-9);
  expect(Number(await page.getByTestId('fp8-share').getAttribute('data-value'))).toBeCloseTo(result.fp8Share, 12);
  expect(outside).toEqual([]);
  await page.screenshot({ path: `${SHOTS}/default-model.png`, fullPage: true });
});
