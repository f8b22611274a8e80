// Engine throughput: forward and forward+backward (Fisher) of the ONNX graphs in onnxruntime-web (wasm),
// for stories260K (real checkpoint when ../shared/data is present) and a random model of the stories15M
// shape, with 1 and 2 threads. ORT fixes its thread count per process, so each count runs in a child
// process; each child also times a float32 1024³ MatMul graph (the ceiling) with the same settings.
// FLOPs are counted analytically as dense work (full T×T attention scores, although the graphs skip ~45% of them).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { median, printTable } from './util.ts';

const here = fileURLToPath(import.meta.url);
const CHILD_ENV = 'FGMP_ENGINE_BENCH_THREADS';

interface Row {
  model: string;
  threads: number;
  pass: string;
  batch: string;
  tokensPerSecond: number;
  gflops: number;
  ceiling: number;
  /** The same per second of this process's CPU time (robust on a shared, loaded machine). */
  tokensPerCpuSecond: number;
  gflopsCpu: number;
  ceilingCpu: number;
}

/** Median wall and CPU milliseconds per run (CPU time of the whole process: all ORT threads). */
async function timeWallCpu(fn: () => Promise<unknown>, runs: number, warmup = 1): Promise<{ wall: number; cpu: number }> {
  for (let i = 0; i < warmup; i++) await fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Dense FLOPs of one forward over `batch` sequences of T tokens (and of forward+backward). */
function flops(c: { dim: number; hiddenDim: number; nLayers: number; nHeads: number; nKvHeads: number; vocabSize: number }, T: number) {
  const kv = (c.dim / c.nHeads) * c.nKvHeads;
  const linearParams = c.nLayers * (2 * c.dim * c.dim + 2 * kv * c.dim + 3 * c.dim * c.hiddenDim) + c.vocabSize * c.dim;
  const attention = c.nLayers * 4 * T * T * c.dim; // QKᵀ and PV over all heads
  const forward = 2 * T * linearParams + attention;
  // Backward: dX and dW for every matmul (2× the forward's linear work), four attention matmuls.
  return { forward, forwardBackward: 3 * 2 * T * linearParams + 3 * attention };
}

async function child(threads: number): Promise<Row[]> {
  const { createSession, f32 } = await import('../src/core/runtime/ort.ts');
  const { GraphBuilder } = await import('../src/core/graph/builder.ts');
  const { LlamaEngine } = await import('../src/core/runtime/engine.ts');
  const { randomModel, STORIES15M_SHAPE } = await import('../src/core/model/types.ts');
  const { parseLlama2c } = await import('../src/core/model/loaders/llama2c.ts');

  // Ceiling: C = A·B, 1024³, same ORT settings.
  const g = new GraphBuilder('matmul1024');
  g.input('a', 'float32', [1024, 1024]);
  g.input('b', 'float32', [1024, 1024]);
  g.output(g.op('MatMul', ['a', 'b']), 'c', 'float32', [1024, 1024]);
  const mm = await createSession(g.toBytes(), { threads });
  const a = new Float32Array(1024 * 1024).map((_, i) => Math.sin(i));
  const feeds = { a: f32(a, [1024, 1024]), b: f32(a, [1024, 1024]) };
  const mmTime = await timeWallCpu(() => mm.run(feeds), 7, 2);
  const ceiling = (2 * 1024 ** 3) / (mmTime.wall / 1000) / 1e9;
  const ceilingCpu = (2 * 1024 ** 3) / (mmTime.cpu / 1000) / 1e9;

  const sharedBin = path.resolve(path.dirname(here), '../../shared/data/models/stories260K.bin');
  const small = existsSync(sharedBin)
    ? parseLlama2c(new Uint8Array(readFileSync(sharedBin)), 'stories260K.bin')
    : randomModel({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, maxSeqLen: 512, ropeTheta: 10000, normEps: 1e-5, sharedClassifier: true }, 1);
  const cases = [
    { name: existsSync(sharedBin) ? 'stories260K' : 'stories260K shape (random)', model: small, fwd: [4, 511], bwd: [4, 511] },
    { name: 'stories260K', model: small, fwd: [16, 128], bwd: [16, 128] },
    { name: 'stories15M shape (random)', model: randomModel(STORIES15M_SHAPE, 1), fwd: [4, 256], bwd: [2, 256] },
  ];
  const rows: Row[] = [];
  for (const cs of cases) {
    const engine = LlamaEngine.forModel(cs.model, { threads });
    const V = cs.model.config.vocabSize;
    for (const [pass, [B, T]] of [['forward', cs.fwd], ['forward+backward', cs.bwd]] as const) {
      const tokens = Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % V);
      const batch = { batch: B, seq: T, tokens, targets: tokens };
      const run = pass === 'forward' ? () => engine.forward(batch) : () => engine.forwardBackward(batch);
      const { wall, cpu } = await timeWallCpu(run, pass === 'forward' ? 5 : 3, 1);
      const f = flops(cs.model.config, T)[pass === 'forward' ? 'forward' : 'forwardBackward'] * B;
      rows.push({
        model: cs.name, threads, pass, batch: `${B}x${T}`,
        tokensPerSecond: (B * T) / (wall / 1000), gflops: f / (wall / 1000) / 1e9, ceiling,
        tokensPerCpuSecond: (B * T) / (cpu / 1000), gflopsCpu: f / (cpu / 1000) / 1e9, ceilingCpu,
      });
    }
    await engine.dispose();
  }
  return rows;
}

export default async function engineBench(): Promise<void> {
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', here], { env: { ...process.env, [CHILD_ENV]: String(threads) }, encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('ROWS '));
    if (r.status !== 0 || !line) throw new Error(`engine bench child (${threads} threads) failed: ${r.stderr.slice(-2000)}`);
    rows.push(...(JSON.parse(line.slice(5)) as Row[]));
  }
  const targets: Record<string, number> = { 'stories15M shape (random)|forward': 1000, 'stories15M shape (random)|forward+backward': 300, 'stories260K|forward': 25000 };
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  printTable(
    ['model', 'pass', 'batch', 'threads', 'tokens/s', 'target', 'GFLOP/s', 'matmul 1024³ GFLOP/s', 'ratio', 'tokens/CPU-s', 'GFLOP/CPU-s', 'matmul GFLOP/CPU-s', 'CPU ratio'],
    rows.map((r) => [
      r.model, r.pass, r.batch, String(r.threads), r.tokensPerSecond, targets[`${r.model}|${r.pass}`] ?? '-', r.gflops, r.ceiling, r.gflops / r.ceiling,
      r.tokensPerCpuSecond, r.gflopsCpu, r.ceilingCpu, r.gflopsCpu / r.ceilingCpu,
    ]),
  );
  console.log(
    'FLOPs: dense matmul work (full T×T attention scores counted although both graphs skip ~45% of them with query chunks, so ratios can exceed 1). Medians of 5 (forward) or 3 ' +
      '(forward+backward) runs after a warm-up. Wall-clock columns depend on the machine\'s load; CPU-time columns (whole process, ' +
      'all ORT threads) are steadier on a shared machine; with 2 threads, tokens/CPU-s is per core-second.',
  );
}

if (process.env[CHILD_ENV] && process.argv[1] && path.resolve(process.argv[1]) === here) {
  const rows = await child(Number(process.env[CHILD_ENV]));
  console.log('ROWS ' + JSON.stringify(rows));
  process.exit(0);
}
