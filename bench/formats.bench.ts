// Fake-quantize throughput over a 16M-element float32 tensor (million elements/s, median of runs),
// next to a plain Float32Array copy (dst.set(src)) measured in the same run: the memory-bound
// ceiling. What each row measures:
//   copy          dst.set(src) of 64 MB into an allocated array: one memmove (glibc streams it).
//   quantizers    quantizeNvfp4Fast / quantizeE4M3Fast / quantizeMxFast with `out` given: the input is
//                 copied into wasm linear memory in 16K-element chunks, quantized there, and values
//                 (4 B), codes (1 B, a fresh array) and block scales copied back out; NVFP4 and FP8 also
//                 read the whole tensor once more first for its amax (the tensor scale). NVFP4 runs two
//                 kernels per chunk: block-scale codes, then the elements.
//   round trip    that chunked copy in and out of linear memory with no kernel (the wrappers' floor).
//   kernel only   the kernel on one chunk already in linear memory (cache-resident), run over 16M
//                 elements: the compute part without any copy.
// Then the Fisher clip search of a whole stories15M-shaped model (prepareWeights, clip fisher: both
// versions of every weight, fresh output arrays) against a copy of those weights.
// `npm run bench -- formats --json` also prints one JSON object
// {"copy", "nvfp4", "fp8", "mxfp4" (M elem/s, kernels), "clipSearchMs", "clipSearchCopyRatio", ...}
// from process CPU time, with the wall-clock figures of the same run under "wall" and the kernel's
// (sys) share under "sysMs".
import os from 'node:os';
import { median, printTable, timeRuns } from './util.ts';
import {
  quantizeE4M3,
  quantizeE4M3Fast,
  quantizeMx,
  quantizeMxFast,
  quantizeNvfp4,
  quantizeNvfp4Fast,
  weightKernelEngine,
} from '../src/core/formats/index.ts';
import { weightKernels } from '../src/core/formats/wasm/kernels.ts';
import { prepareWeights, type ClipMode } from '../src/core/fgmp/index.ts';
import { MODEL_SHAPES } from '../src/core/model/shapes.ts';
import { PROJECTIONS, projectionShape, randomModel, type Projection } from '../src/core/model/types.ts';

const N = 16 * 1024 * 1024;
const RUNS = 5;

/** Median wall and process-CPU milliseconds of fn (the first run is a warm-up). */
async function measure(fn: () => unknown, runs = RUNS): Promise<{ ms: number; cpuMs: number; sysMs: number }> {
  // CPU time next to wall time: on a shared, loaded machine wall time mostly measures waiting for a
  // core, CPU time what the loop itself costs. The kernel's share of it (sys) is mostly page faults
  // on the first touch of fresh result arrays (about 2.3 us per 4 KiB page on this machine).
  const cpu: number[] = [];
  const sys: number[] = [];
  const wall = await timeRuns(
    () => {
      const u = process.cpuUsage();
      fn();
      const d = process.cpuUsage(u);
      cpu.push((d.user + d.system) / 1000);
      sys.push(d.system / 1000);
    },
    runs,
    1,
  );
  return { ms: median(wall), cpuMs: median(cpu.slice(1)), sysMs: median(sys.slice(1)) };
}

/** The round trip through linear memory and each kernel alone (see the header); none without the kernels. */
function kernelRows(src: Float32Array, dst: Float32Array): [string, string, () => unknown][] {
  const k = weightKernels();
  if (!k) return [];
  const chunk = src.subarray(0, 16384);
  const rows: [string, string, () => unknown][] = [
    ['roundTrip', 'round trip through wasm memory, no kernel', () => k.roundTrip(src, dst)],
  ];
  for (const kind of ['nvfp4', 'fp8', 'mxfp4'] as const) {
    const run = k.inPlace(kind, chunk);
    rows.push([
      `${kind}Kernel`,
      `${kind.toUpperCase()} kernel only (data in wasm memory)`,
      () => run(N / chunk.length),
    ]);
  }
  return rows;
}

export default async function formatsBench(): Promise<void> {
  const json = process.argv.includes('--json');
  // Seeded, roughly Gaussian weights with a few outliers (what LLM weight tensors look like).
  let s = 1;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const src = new Float32Array(N);
  for (let i = 0; i < N; i++) src[i] = (rnd() + rnd() + rnd() - 1.5) * 0.05 * (i % 4099 === 0 ? 20 : 1);
  const dst = new Float32Array(N);
  const rowLength = 4096;
  const load0 = os.loadavg()[0];

  const cases: [string, string, () => unknown][] = [
    ['copy', 'copy (dst.set(src))', () => dst.set(src)],
    ['nvfp4', 'NVFP4 (16 E2M1 + E4M3 scale), wasm SIMD', () => quantizeNvfp4Fast(src, { rowLength, out: dst })],
    ['fp8', 'FP8 E4M3 per-tensor, wasm SIMD', () => quantizeE4M3Fast(src, { out: dst })],
    ['mxfp4', 'MXFP4 (32 E2M1 + E8M0 scale), wasm SIMD', () => quantizeMxFast(src, 'e2m1', { rowLength, out: dst })],
    ...kernelRows(src, dst),
    ['nvfp4Ts', 'NVFP4, TS oracle', () => quantizeNvfp4(src, { rowLength, out: dst })],
    ['fp8Ts', 'FP8 E4M3 per-tensor, TS oracle', () => quantizeE4M3(src, { out: dst })],
    ['mxfp4Ts', 'MXFP4, TS oracle', () => quantizeMx(src, 'e2m1', { rowLength, out: dst })],
  ];
  const rows: (string | number)[][] = [];
  const rate: Record<string, number> = {};
  const cpuRate: Record<string, number> = {};
  const sysMs: Record<string, number> = {};
  for (const [key, name, fn] of cases) {
    const m = await measure(fn);
    rate[key] = N / (m.ms / 1000) / 1e6;
    cpuRate[key] = N / (m.cpuMs / 1000) / 1e6;
    const pc = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    sysMs[key] = m.sysMs;
    rows.push([
      name,
      m.ms,
      rate[key],
      pc(rate[key], rate.copy),
      m.cpuMs,
      m.sysMs,
      cpuRate[key],
      pc(cpuRate[key], cpuRate.copy),
    ]);
  }
  console.log(
    `${N.toLocaleString('en')} float32 elements, median of ${RUNS} runs; engine ${weightKernelEngine()}; load average ${load0.toFixed(1)} on ${os.cpus().length} cores`,
  );
  printTable(
    ['operation', 'wall ms', 'M elem/s', 'vs copy', 'CPU ms', 'of which sys', 'M elem/s (CPU)', 'vs copy (CPU)'],
    rows,
  );

  // Clip search of a stories15M-shaped model: every projection, both versions, with a random Fisher.
  const config = MODEL_SHAPES.stories15M;
  const model = randomModel(config, 1);
  const fisherCache = new Map<string, Float32Array>();
  const fisher = (layer: number, proj: Projection) => {
    const key = `${layer}/${proj}`;
    let f = fisherCache.get(key);
    if (!f) {
      const [r, c] = projectionShape(config, proj);
      f = Float32Array.from({ length: r * c }, () => Math.exp(6 * rnd() - 3));
      fisherCache.set(key, f);
    }
    return f;
  };
  const tensors = model.weights.layers.flatMap((lw) => PROJECTIONS.map((p) => lw[p]));
  const elements = tensors.reduce((n, t) => n + t.length, 0);
  const copies = tensors.map((t) => new Float32Array(t.length));
  // Copying 24 MB of weights may stay in the last-level cache and time anywhere from 1.7 to 19 ms on
  // this machine, so the ratio uses the 16M-element copy rate above (a copy at memory speed).
  const measured = await measure(() => tensors.forEach((t, i) => copies[i].set(t)), 9);
  const copy = { ms: (elements / rate.copy) * 1e-3, cpuMs: (elements / cpuRate.copy) * 1e-3 };
  const clipRows: (string | number)[][] = [
    ['copy of every weight at the 16M copy rate', copy.ms, '1.0', copy.cpuMs, '1.0'],
    [
      'copy of every weight, measured (cache-warm)',
      measured.ms,
      (measured.ms / copy.ms).toFixed(1),
      measured.cpuMs,
      (measured.cpuMs / copy.cpuMs).toFixed(1),
    ],
  ];
  const clipMs: Record<string, { ms: number; cpuMs: number; sysMs: number }> = {};
  for (const clip of ['none', 'fisher', 'mse', 'fisher-sweep'] as ClipMode[]) {
    const m = await measure(() => prepareWeights(config, model.weights, { clip, fisher }), 3);
    clipMs[clip] = m;
    clipRows.push([
      `prepareWeights, clip ${clip}`,
      m.ms,
      (m.ms / copy.ms).toFixed(1),
      m.cpuMs,
      (m.cpuMs / copy.cpuMs).toFixed(1),
    ]);
  }
  console.log(
    `\nstories15M shape, ${(elements / 1e6).toFixed(2)} M weights (random, random positive Fisher); medians; ratio = time / copy`,
  );
  printTable(['step', 'wall ms', 'ratio', 'CPU ms', 'ratio (CPU)'], clipRows);

  if (json) {
    // Top-level figures from process CPU time (equal to wall time on a quiet machine; on a shared one
    // wall time mostly measures waiting for a core); the wall-clock figures of the same run under "wall".
    const r1 = (x: number) => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        copy: r1(cpuRate.copy),
        nvfp4: r1(cpuRate.nvfp4),
        fp8: r1(cpuRate.fp8),
        mxfp4: r1(cpuRate.mxfp4),
        clipSearchMs: r1(clipMs.fisher.cpuMs),
        clipSearchCopyRatio: r1(clipMs.fisher.cpuMs / copy.cpuMs),
        engine: weightKernelEngine(),
        timing: 'process CPU time',
        wall: {
          copy: r1(rate.copy),
          nvfp4: r1(rate.nvfp4),
          fp8: r1(rate.fp8),
          mxfp4: r1(rate.mxfp4),
          clipSearchMs: r1(clipMs.fisher.ms),
          clipSearchCopyRatio: r1(clipMs.fisher.ms / copy.ms),
        },
        ts: { nvfp4: r1(cpuRate.nvfp4Ts), fp8: r1(cpuRate.fp8Ts), mxfp4: r1(cpuRate.mxfp4Ts) },
        ...(cpuRate.roundTrip
          ? {
              roundTrip: r1(cpuRate.roundTrip),
              kernelOnly: {
                nvfp4: r1(cpuRate.nvfp4Kernel),
                fp8: r1(cpuRate.fp8Kernel),
                mxfp4: r1(cpuRate.mxfp4Kernel),
              },
            }
          : {}),
        sweepMs: r1(clipMs['fisher-sweep'].cpuMs),
        // Kernel (sys) CPU ms of the medians above: page faults on fresh result arrays.
        sysMs: {
          nvfp4: r1(sysMs.nvfp4),
          fp8: r1(sysMs.fp8),
          mxfp4: r1(sysMs.mxfp4),
          clipSearch: r1(clipMs.fisher.sysMs),
        },
        loadAverage: r1(load0),
        cores: os.cpus().length,
      }),
    );
  }
}
