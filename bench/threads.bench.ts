// The explorer's own speed with 1 and 2 wasm threads, in Chromium, on the production build served with
// COOP/COEP (so the page is cross-origin isolated): the default model is opened and calibrated by the app
// as a user gets it, and its calibration (forward+backward, Fisher) and perplexity (forward) tokens/s are
// read from the results the pipeline worker returns. The thread count is set with the page's ?threads=
// (src/core/runtime/engineChoice.ts); runs alternate 1, 2, 1, 2, … so a load change hits both alike.
//   npm run bench -- threads [--reps N] [--json]     (FGMP_DIST=dir: serve that build instead of building)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright';
import { preview } from 'vite';
import { median, printTable } from './util.ts';

const THREADS = [1, 2] as const;

interface Run {
  threads: number;
  calibrationTokensPerSecond: number;
  /** Median over the perplexities the explorer computed (the configuration and its baselines). */
  perplexityTokensPerSecond: number;
  perplexities: number;
  ppl: number;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
}

async function explorerRun(browser: Browser, url: string, threads: number): Promise<Run> {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`${url}?threads=${threads}`);
    const status = page.getByTestId('engine-status');
    await status.and(page.locator('[data-ep]:not([data-ep=""])')).waitFor({ timeout: 120_000 });
    const got = Number(await status.getAttribute('data-threads'));
    if (got !== threads)
      throw new Error(`asked for ${threads} threads, the explorer runs ${got}: ${await status.textContent()}`);
    await page.getByTestId('calibration-done').waitFor({ timeout: 900_000 });
    await page.locator('[data-testid="ppl"][data-stale="false"]:not([data-value=""])').waitFor({ timeout: 900_000 });
    const r = await page.evaluate(() => {
      const s = window.__fgmp!.store.getState();
      const cal = s.calibration.summary!;
      const evals = Object.values(s.perplexity.cache)
        .filter((e) => e.kind === 'configuration')
        .map((e) => e.result as { tokens: number; seconds: number; ppl: number });
      return { cal: { tokens: cal.tokens, seconds: cal.seconds }, evals };
    });
    if (r.evals.length === 0) throw new Error('the explorer computed no perplexity');
    return {
      threads,
      calibrationTokensPerSecond: r.cal.tokens / r.cal.seconds,
      perplexityTokensPerSecond: median(r.evals.map((e) => e.tokens / e.seconds)),
      perplexities: r.evals.length,
      ppl: Number(await page.getByTestId('ppl').getAttribute('data-value')),
    };
  } finally {
    await context.close();
  }
}

export default async function threadsBench(): Promise<void> {
  const reps = option('--reps', 3);
  const json = process.argv.includes('--json');
  let dist = process.env.FGMP_DIST;
  let built: string | null = null;
  if (!dist || !existsSync(path.join(dist, 'index.html'))) {
    built = mkdtempSync(path.join(os.tmpdir(), 'fgmp-threads-bench-'));
    dist = built;
    console.log(`building the app into ${dist} …`);
    execFileSync('npx', ['vite', 'build', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
      stdio: 'inherit',
    });
  }
  // vite.config.ts's preview headers: COOP/COEP, so the page is cross-origin isolated.
  const server = await preview({ build: { outDir: dist }, preview: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' });
  const url = server.resolvedUrls!.local[0];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const runs: Run[] = [];
  try {
    for (let r = 0; r < reps; r++)
      for (const t of THREADS) {
        const run = await explorerRun(browser, url, t);
        runs.push(run);
        console.log(
          `  run ${r + 1}/${reps}, ${t} thread(s): calibration ${run.calibrationTokensPerSecond.toFixed(0)} tokens/s, ` +
            `perplexity ${run.perplexityTokensPerSecond.toFixed(0)} tokens/s (${run.perplexities} evaluations), ppl ${run.ppl}`,
        );
      }
  } finally {
    await browser.close();
    await server.close();
    if (built) rmSync(built, { recursive: true, force: true });
  }
  const med = (t: number, k: 'calibrationTokensPerSecond' | 'perplexityTokensPerSecond') =>
    median(runs.filter((r) => r.threads === t).map((r) => r[k]));
  const result = {
    reps,
    calibrationTokensPerSecond: { t1: med(1, 'calibrationTokensPerSecond'), t2: med(2, 'calibrationTokensPerSecond') },
    perplexityTokensPerSecond: { t1: med(1, 'perplexityTokensPerSecond'), t2: med(2, 'perplexityTokensPerSecond') },
    pplRelativeDifference: Math.abs(
      runs.find((r) => r.threads === 2)!.ppl / runs.find((r) => r.threads === 1)!.ppl - 1,
    ),
  };
  console.log(
    `\nExplorer in Chromium (default model, its default 4,096 calibration and evaluation tokens), medians of ${reps} runs:`,
  );
  printTable(
    ['step', '1 thread, tokens/s', '2 threads, tokens/s', '2 / 1'],
    [
      [
        'calibration (forward+backward)',
        result.calibrationTokensPerSecond.t1,
        result.calibrationTokensPerSecond.t2,
        result.calibrationTokensPerSecond.t2 / result.calibrationTokensPerSecond.t1,
      ],
      [
        'perplexity (forward)',
        result.perplexityTokensPerSecond.t1,
        result.perplexityTokensPerSecond.t2,
        result.perplexityTokensPerSecond.t2 / result.perplexityTokensPerSecond.t1,
      ],
    ],
  );
  console.log(`perplexity, 2 threads against 1: relative difference ${result.pplRelativeDifference.toExponential(2)}`);
  if (json) console.log(JSON.stringify(result));
}
