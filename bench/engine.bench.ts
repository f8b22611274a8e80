// Engines side by side: onnxruntime-node (native) and onnxruntime-web (wasm) on the same graphs and feeds, in the
// same process and with their runs interleaved: a 1024³ float32 MatMul, and forward and forward+backward (Fisher)
// of stories260K (the real checkpoint when ../shared/data is present, else its shape with random weights) and of
// random:stories15M, with 1 and 2 threads. onnxruntime-web fixes its thread count per process, so each count runs
// in a child process. Target (issue 11): native ≥ 3× wasm on the 15M shape, forward and forward+backward.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, timeInterleaved } from './util.ts';

const here = fileURLToPath(import.meta.url);
const CHILD_ENV = 'FGMP_ENGINE_BENCH_THREADS';
const ENGINES = ['native', 'wasm'] as const;

interface Row {
  model: string;
  pass: string;
  batch: string;
  threads: number;
  /** Per engine: tokens (or, for the MatMul, GFLOP) per wall second and per CPU second. */
  native: { perSecond: number; perCpuSecond: number };
  wasm: { perSecond: number; perCpuSecond: number };
}

async function child(threads: number): Promise<Row[]> {
  const { createSession, f32 } = await import('../src/core/runtime/ort.ts');
  const { GraphBuilder } = await import('../src/core/graph/builder.ts');
  const { LlamaEngine } = await import('../src/core/runtime/engine.ts');
  const { randomShapeModel } = await import('../src/core/model/shapes.ts');
  const { parseLlama2c } = await import('../src/core/model/loaders/llama2c.ts');
  const rows: Row[] = [];
  const row = (model: string, pass: string, batch: string, work: number, t: { wall: number; cpu: number }[]): Row => {
    const [n, w] = t;
    return {
      model,
      pass,
      batch,
      threads,
      native: { perSecond: work / (n.wall / 1000), perCpuSecond: work / (n.cpu / 1000) },
      wasm: { perSecond: work / (w.wall / 1000), perCpuSecond: work / (w.cpu / 1000) },
    };
  };

  // The ceiling: C = A·B, 1024³, as GFLOP per second.
  const g = new GraphBuilder('matmul1024');
  g.input('a', 'float32', [1024, 1024]);
  g.input('b', 'float32', [1024, 1024]);
  g.output(g.op('MatMul', ['a', 'b']), 'c', 'float32', [1024, 1024]);
  const a = new Float32Array(1024 * 1024).map((_, i) => Math.sin(i));
  const feeds = { a: f32(a, [1024, 1024]), b: f32(a, [1024, 1024]) };
  const mm = await Promise.all(ENGINES.map((engine) => createSession(g.toBytes(), { engine, threads })));
  const mmTimes = await timeInterleaved(
    mm.map((s) => () => s.run(feeds)),
    7,
    2,
  );
  rows.push(row('MatMul 1024³ (GFLOP/s)', '-', '-', (2 * 1024 ** 3) / 1e9, mmTimes));

  const sharedBin = path.resolve(path.dirname(here), '../../shared/data/models/stories260K.bin');
  const real = existsSync(sharedBin);
  const small = real
    ? parseLlama2c(new Uint8Array(readFileSync(sharedBin)), 'stories260K.bin')
    : randomShapeModel('random:stories260K');
  const cases = [
    { name: real ? 'stories260K' : 'random:stories260K', model: small, fwd: [4, 511], bwd: [4, 511] },
    { name: 'random:stories15M', model: randomShapeModel('random:stories15M'), fwd: [4, 256], bwd: [2, 256] },
  ];
  for (const cs of cases) {
    const engines = ENGINES.map((engine) => LlamaEngine.forModel(cs.model, { engine, threads }));
    const V = cs.model.config.vocabSize;
    for (const [pass, [B, T]] of [
      ['forward', cs.fwd],
      ['forward+backward', cs.bwd],
    ] as const) {
      const tokens = Array.from({ length: B * T }, (_, i) => (i * 7919 + 13) % V);
      const batch = { batch: B, seq: T, tokens, targets: tokens };
      const fns = engines.map((e) => (pass === 'forward' ? () => e.forward(batch) : () => e.forwardBackward(batch)));
      rows.push(row(cs.name, pass, `${B}x${T}`, B * T, await timeInterleaved(fns, pass === 'forward' ? 5 : 3, 1)));
    }
    for (const e of engines) await e.dispose();
  }
  return rows;
}

export default async function engineBench(): Promise<void> {
  const rows: Row[] = [];
  for (const threads of [1, 2]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', here], {
      env: { ...process.env, [CHILD_ENV]: String(threads) },
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('ROWS '));
    if (r.status !== 0 || !line)
      throw new Error(`engine bench child (${threads} threads) failed: ${r.stderr.slice(-2000)}`);
    rows.push(...(JSON.parse(line.slice(5)) as Row[]));
  }
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (${os.cpus().length} cores)`,
  );
  printTable(
    [
      'model',
      'pass',
      'batch',
      'threads',
      'native /s',
      'wasm /s',
      'native/wasm',
      'native /CPU-s',
      'wasm /CPU-s',
      'CPU ratio',
      'target',
    ],
    rows.map((r) => [
      r.model,
      r.pass,
      r.batch,
      String(r.threads),
      r.native.perSecond,
      r.wasm.perSecond,
      r.native.perSecond / r.wasm.perSecond,
      r.native.perCpuSecond,
      r.wasm.perCpuSecond,
      r.native.perCpuSecond / r.wasm.perCpuSecond,
      r.model === 'random:stories15M'
        ? r.native.perSecond / r.wasm.perSecond >= 3
          ? '≥3×: met'
          : '≥3×: NOT met'
        : '-',
    ]),
  );
  console.log(
    'Tokens per second (MatMul row: GFLOP per second), medians of 5 (forward), 3 (forward+backward) or 7 (MatMul) runs after a ' +
      "warm-up, native and wasm runs interleaved in one process. Wall-clock columns depend on the machine's load (this " +
      "project's machine is shared and noisy); CPU-time columns (whole process, all ORT threads) are steadier; with 2 " +
      'threads, per CPU-second is per core-second.',
  );
}

if (process.env[CHILD_ENV] && process.argv[1] && path.resolve(process.argv[1]) === here) {
  const rows = await child(Number(process.env[CHILD_ENV]));
  console.log('ROWS ' + JSON.stringify(rows));
  process.exit(0);
}
