// The WebGPU execution provider against the wasm (CPU) one, in Debian Chromium with --enable-unsafe-webgpu
// (a SwiftShader software adapter here). The same ONNX graphs and weights run on both, in the page, through
// the app's test hook (window.__fgmpRuntimeProbe, src/main.tsx -> src/core/runtime/epProbe.ts). Tolerances
// and measured figures: docs/webgpu.md. Also: the explorer's engine choice (src/core/runtime/engineChoice.ts)
// stays on wasm on this software adapter and says why, and its self-check passes here when an adapter
// that calls itself real is handed to it.
import { test, expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import baseConfig from '../playwright.config';
import { WEBGPU_TOLERANCE } from '../src/core/runtime/engineChoice';
import { hasSharedData, sharedPath, SKIP_REASON } from '../tests/support/sharedData';

// Tolerances of the WebGPU path against the CPU path (docs/webgpu.md says how they were chosen); the
// engine choice's self-check uses the same (WEBGPU_TOLERANCE).
const MAX_ABS_NLL_DIFF = WEBGPU_TOLERANCE.nll;
/** max |Δlogit| / max |logit| over all positions and the vocabulary. */
const MAX_REL_LOGIT_DIFF = WEBGPU_TOLERANCE.logitRel;
/** Per gradient output tensor: max |Δ| / max |wasm value|. */
const MAX_REL_GRAD_DIFF = WEBGPU_TOLERANCE.gradRel;
/** PROVENANCE.md: a correct forward reproduces the golden mean NLL of each sample to about 1e-4. */
const GOLDEN_NLL_TOLERANCE = 2e-4;

const SEQ = 255; // 255 predictions per sample, positions 0..254 as in stories260K-nll.txt
const SAMPLES = 2;

// The base launch options plus WebGPU; launchOptions is worker-scoped, so this file gets its own browser.
const baseLaunch = baseConfig.use?.launchOptions ?? {};
test.use({ launchOptions: { ...baseLaunch, args: [...(baseLaunch.args ?? []), '--enable-unsafe-webgpu'] } });

interface Stats {
  adapter: string;
  maxAbsNllDiff: number;
  maxRelLogitDiff: number;
  maxLogitAbs: number;
  meanNll: { wasm: number[]; webgpu: number[] };
  wasmRepeatIdentical: boolean;
  webgpuRepeatMaxAbsNllDiff: number;
  tokensPerSecond: { wasm: number; webgpu: number };
  firstRunSeconds: { wasm: number; webgpu: number };
  backward: {
    maxAbsNllDiff: number;
    worstRelDiff: number;
    worstTensor: string;
    tensors: number;
    seconds: { wasm: number; webgpu: number };
    wasmRepeatIdentical: boolean;
    allFinite: boolean;
  };
}

/** The page's adapter as "vendor architecture", or null when requestAdapter() gives none. */
const adapterOf = (page: Page) =>
  page.evaluate(async () => {
    type Adapter = { info: { vendor: string; architecture: string } };
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
    const a = gpu ? await gpu.requestAdapter() : null;
    return a ? `${a.info.vendor} ${a.info.architecture}`.trim() : null;
  });
/** A page without the explorer: its pipeline worker would calibrate the default model alongside the probe. */
const LEARN = '/#/learn';
const NO_ADAPTER = 'no WebGPU adapter in this headless Chromium: navigator.gpu.requestAdapter() returned none';

test.describe("the explorer's engine choice on the software adapter", () => {
  test.setTimeout(300_000);

  test('stays on wasm and shows why: the adapter is a fallback one', async ({ page }) => {
    await page.goto('/');
    const adapter = await adapterOf(page);
    test.skip(adapter === null, NO_ADAPTER);
    const status = page.getByTestId('engine-status');
    await expect(status).not.toHaveAttribute('data-ep', '', { timeout: 120_000 });
    await expect(status).toHaveAttribute('data-ep', 'wasm');
    await expect(status).toHaveAttribute('data-webgpu', 'fallback');
    await expect(status).toContainText(`WebGPU rejected: fallback adapter (${adapter})`);
    console.log(`engine status: ${await status.textContent()} — ${await status.getAttribute('title')}`);
    await status.scrollIntoViewIfNeeded();
    await test.info().attach('engine-status.png', { body: await status.screenshot(), contentType: 'image/png' });
  });

  test('its self-check runs on WebGPU and passes within the stated tolerance; an adapter that says it is real is taken', async ({
    page,
  }) => {
    await page.goto(LEARN);
    test.skip((await adapterOf(page)) === null, NO_ADAPTER);
    await page.waitForFunction(() => typeof window.__fgmpRuntimeProbe === 'function');
    const got = await page.evaluate(async () => {
      const probe = await window.__fgmpRuntimeProbe!();
      const relabelled = { info: { vendor: 'e2e', architecture: 'relabelled', isFallbackAdapter: false } };
      // One thread: this page's onnxruntime-web starts with the count the choice asks for.
      const env = {
        crossOriginIsolated: true,
        navigator: { hardwareConcurrency: 1, gpu: { requestAdapter: async () => relabelled } },
      };
      const choice = await probe.chooseEngine(env, (threads) => probe.runSelfCheck(threads));
      return { ep: choice.executionProvider, status: choice.webgpu.status, figures: choice.webgpu.check! };
    });
    console.log(JSON.stringify(got));
    expect(got.figures.maxAbsNllDiff).toBeLessThan(MAX_ABS_NLL_DIFF);
    expect(got.figures.maxRelLogitDiff).toBeLessThan(MAX_REL_LOGIT_DIFF);
    expect(got.figures.worstRelGradDiff).toBeLessThan(MAX_REL_GRAD_DIFF);
    expect(got).toMatchObject({ ep: 'webgpu', status: 'accepted' });
  });
});

test.describe(`WebGPU execution provider vs wasm${hasSharedData ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  test.skip(!hasSharedData, SKIP_REASON);
  test.setTimeout(480_000);

  test('forward and forward+backward on stories260K agree with the CPU path within the stated tolerances', async ({
    page,
  }) => {
    // ORT's verbose log (logSeverityLevel 0 on the WebGPU sessions) lists the nodes placed on each EP.
    const placements: string[] = [];
    page.on('console', (m) => {
      const t = m.text();
      if (t.includes('VerifyEachNodeIsAssignedToAnEp'))
        placements.push(t.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]/, ''));
    });
    await page.route('**/__test-data/stories260K.bin', (r) =>
      r.fulfill({ path: sharedPath('models/stories260K.bin'), contentType: 'application/octet-stream' }),
    );
    await page.goto(LEARN);
    await page.waitForFunction(() => typeof window.__fgmpRuntimeProbe === 'function');

    const adapter = await adapterOf(page);
    test.skip(adapter === null, NO_ADAPTER);

    const lines = readFileSync(sharedPath('golden/stories260K-samples-4x256.txt'), 'utf8').trim().split('\n');
    const sequences = lines.slice(0, SAMPLES).map((l) => l.trim().split(/\s+/).map(Number));
    const golden = readFileSync(sharedPath('golden/stories260K-nll.txt'), 'utf8');

    const stats: Stats = await page.evaluate(
      async ({ sequences, seq, adapter }) => {
        const probe = await window.__fgmpRuntimeProbe!();
        const bytes = new Uint8Array(await (await fetch('/__test-data/stories260K.bin')).arrayBuffer());
        const opts = { sequences, seq, repeats: 2, backward: true, threads: 1 };
        const wasm = await probe.probeExecutionProvider(bytes, 'wasm', opts);
        const gpu = await probe.probeExecutionProvider(bytes, 'webgpu', { ...opts, logSeverityLevel: 0 as const });

        const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
          let m = 0;
          for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
          return a.length === b.length ? m : Infinity;
        };
        const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const same = (a: Float32Array, b: Float32Array) =>
          a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
        const meanPerRow = (nll: Float32Array) =>
          sequences.map((_, r) => nll.subarray(r * seq, (r + 1) * seq).reduce((s, v) => s + v, 0) / seq);
        const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
        const tokens = sequences.length * seq;

        let worstRelDiff = 0;
        let worstTensor = '';
        let allFinite = true;
        const wb = wasm.backward!;
        const gb = gpu.backward!;
        for (const [name, ref] of Object.entries(wb.outputs)) {
          const got = gb.outputs[name];
          const rel = maxAbsDiff(ref, got) / Math.max(maxAbs(ref), 1e-30);
          allFinite &&= got.every(Number.isFinite);
          if (!(rel <= worstRelDiff)) {
            worstRelDiff = rel;
            worstTensor = name;
          }
        }
        return {
          adapter: adapter!,
          maxAbsNllDiff: maxAbsDiff(wasm.nll, gpu.nll),
          maxRelLogitDiff: maxAbsDiff(wasm.logits, gpu.logits) / maxAbs(wasm.logits),
          maxLogitAbs: maxAbs(wasm.logits),
          meanNll: { wasm: meanPerRow(wasm.nll), webgpu: meanPerRow(gpu.nll) },
          wasmRepeatIdentical: same(wasm.nll, wasm.nllRepeat) && same(wasm.logits, wasm.logitsRepeat),
          webgpuRepeatMaxAbsNllDiff: maxAbsDiff(gpu.nll, gpu.nllRepeat),
          tokensPerSecond: {
            wasm: tokens / median(wasm.forwardSeconds.slice(1)),
            webgpu: tokens / median(gpu.forwardSeconds.slice(1)),
          },
          firstRunSeconds: { wasm: wasm.forwardSeconds[0], webgpu: gpu.forwardSeconds[0] },
          backward: {
            maxAbsNllDiff: maxAbsDiff(wb.nll, gb.nll),
            worstRelDiff,
            worstTensor,
            tensors: Object.keys(wb.outputs).length,
            seconds: { wasm: wb.seconds[1], webgpu: gb.seconds[1] },
            wasmRepeatIdentical: wb.repeatIdentical,
            allFinite,
          },
        };
      },
      { sequences, seq: SEQ, adapter },
    );

    const report = JSON.stringify(stats, null, 1);
    await test.info().attach('webgpu-vs-wasm.json', { body: report, contentType: 'application/json' });
    await test.info().attach('webgpu-node-placements.txt', {
      body: placements.join('\n') || '(no placement log)',
      contentType: 'text/plain',
    });
    console.log(report);
    console.log(cpuFallbackSummary(placements));

    // The CPU path is exactly repeatable.
    expect(stats.wasmRepeatIdentical).toBe(true);
    expect(stats.backward.wasmRepeatIdentical).toBe(true);
    // Both paths reproduce the golden mean NLL of each sample (an independent reference: llama2.c's run.c).
    const wanted = goldenNll(golden).slice(0, SAMPLES);
    expect(wanted.length, 'stories260K-nll.txt lists the samples').toBe(SAMPLES);
    for (const ep of ['wasm', 'webgpu'] as const)
      stats.meanNll[ep].forEach((m, i) =>
        expect(Math.abs(m - wanted[i]), `${ep} sample ${i}: ${m} vs ${wanted[i]}`).toBeLessThan(GOLDEN_NLL_TOLERANCE),
      );
    // WebGPU vs wasm.
    expect(stats.maxAbsNllDiff).toBeLessThan(MAX_ABS_NLL_DIFF);
    expect(stats.maxRelLogitDiff).toBeLessThan(MAX_REL_LOGIT_DIFF);
    expect(stats.webgpuRepeatMaxAbsNllDiff).toBeLessThan(MAX_ABS_NLL_DIFF);
    expect(stats.backward.maxAbsNllDiff).toBeLessThan(MAX_ABS_NLL_DIFF);
    expect(stats.backward.allFinite).toBe(true);
    expect(stats.backward.worstRelDiff, `worst tensor ${stats.backward.worstTensor}`).toBeLessThan(MAX_REL_GRAD_DIFF);
  });
});

/** The per-sample mean NLLs of stories260K-nll.txt, in file order. */
function goldenNll(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^sample (\d+) mean NLL ([0-9.]+)$/);
    if (m) out[Number(m[1])] = Number(m[2]);
  }
  return out;
}

/** Per session: how many nodes ORT placed on the CPU EP, by op type (from the verbose placement log). */
function cpuFallbackSummary(lines: string[]): string {
  const out: string[] = [];
  let counts: Map<string, number> | null = null;
  const flush = () => {
    if (counts) out.push(`  CPU: ${[...counts].map(([op, n]) => `${op} x${n}`).join(', ')}`);
    counts = null;
  };
  for (const l of lines) {
    const header = l.match(/Node\(s\) placed on \[(\w+)\]\. Number of nodes: (\d+)/);
    if (header) {
      flush();
      out.push(`${header[1]}: ${header[2]} nodes`);
      if (header[1] === 'CPUExecutionProvider') counts = new Map();
      continue;
    }
    const node = l.match(/^\s+(\w+) \(/);
    if (node && counts) counts.set(node[1], (counts.get(node[1]) ?? 0) + 1);
    else if (/Node placements/.test(l)) flush();
  }
  flush();
  return out.join('\n');
}
