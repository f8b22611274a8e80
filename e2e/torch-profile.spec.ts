// Issue 12: the explorer opens a profile made by the PyTorch producer (python/fgmp_torch) of stories260K and shows
// the same weight heatmap as the profile `fgmp profile` makes of the same model and calibration (both made here).
// Skips, saying why, when the shared data or /usr/bin/python3 with torch is missing, except under CI=true.
import { test, expect, type Page } from '@playwright/test';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const DATA = path.resolve('..', 'shared', 'data');
const MODEL = path.join(DATA, 'models', 'stories260K.bin');
const TOK = path.join(DATA, 'models', 'tok512.bin');
const TEXT = path.join(DATA, 'text', 'tinystories_train_head.txt');
const hasData = existsSync(MODEL) && existsSync(TOK) && existsSync(TEXT);
const hasTorch = (() => {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const missing = !hasData ? `shared data absent (${DATA})` : !hasTorch ? '/usr/bin/python3 cannot import torch' : '';
if (process.env.CI === 'true' && missing) throw new Error(`e2e/torch-profile.spec.ts under CI=true: ${missing}`);

const calibration = ['--tokenizer', TOK, '--calib', TEXT, '--calib-tokens', '4096', '--seq-len', '256'];

const weightShares = (page: Page) =>
  page
    .getByTestId('heatmap-weights')
    .evaluate((svg) =>
      [...svg.querySelectorAll('[data-cell]')].map((c) => [c.getAttribute('data-cell'), c.getAttribute('data-share')]),
    );

async function openProfile(page: Page, file: string) {
  await page.locator('#profile-file').setInputFiles(file);
  await expect(page.getByTestId('profile-status')).toContainText(path.basename(file), { timeout: 60_000 });
  await expect(page.getByTestId('profile-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('heatmap-weights').locator('[data-cell]')).toHaveCount(5 * 7);
  return weightShares(page);
}

test('a torch-made profile of stories260K shows the heatmap of the TS-made one', async ({ page }) => {
  test.skip(missing !== '', missing);
  test.setTimeout(600_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fgmp-torch-e2e-'));
  const ts = path.join(dir, 'stories260K.ts.profile.safetensors');
  const torch = path.join(dir, 'stories260K.torch.profile.safetensors');
  const run = promisify(execFile);
  await run('npx', ['tsx', 'src/cli/main.ts', 'profile', MODEL, ...calibration, '--threads', '1', '--out', ts], {
    timeout: 400_000,
  });
  await run('/usr/bin/python3', ['-m', 'fgmp_torch', 'profile', MODEL, ...calibration, '--out', torch], {
    timeout: 400_000,
    env: { ...process.env, PYTHONPATH: 'python' },
  });
  await page.goto('/');
  const fromTs = await openProfile(page, ts);
  const fromTorch = await openProfile(page, torch);
  expect(fromTorch.every(([, s]) => s !== null && Number.isFinite(Number(s)))).toBe(true);
  expect(fromTorch).toEqual(fromTs);
  // Another budget answers the same on both.
  const setBudget = async (v: number) => {
    await page.getByLabel('Weight precision budget').fill(String(v));
    await expect(page.getByTestId('weight-budget-value')).toHaveText(`${(v * 100).toFixed(1)}% FP8`);
  };
  await setBudget(0.1);
  const torch01 = await weightShares(page);
  expect(torch01).not.toEqual(fromTorch);
  await page.locator('#profile-file').setInputFiles(ts);
  await expect(page.getByTestId('profile-status')).toContainText(path.basename(ts), { timeout: 60_000 });
  await expect(page.getByTestId('profile-status')).toHaveAttribute('data-status', 'done');
  await setBudget(0.1);
  expect(await weightShares(page)).toEqual(torch01);
});
