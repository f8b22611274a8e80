// FGMP pipeline: calibration tokens/s (forward+backward graph with per-sequence Fisher outputs) and
// evaluation tokens/s with the activation quantization unit in the graph versus float32 activations, on
// stories260K (real checkpoint and text when ../shared/data is present) and on the stories15M shape (random
// weights, random ids). Ceiling/reference in the same run: the plain forward graph over the same tokens.
// Time to score and sort all blocks and to answer a budget change: bench/policy.bench.ts (not repeated here).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../src/core/model/loaders/index';
import { randomModel, STORIES15M_SHAPE, type LlamaModel } from '../src/core/model/types';
import { LlamaEngine } from '../src/core/runtime/engine';
import { randomIds } from '../src/core/graph/testUtil';
import {
  calibrate,
  calibrationBatchSize,
  encodeTextPrefix,
  estimateCalibration,
  sequencesFromStream,
  textSequences,
  type TokenSequences,
} from '../src/core/pipeline/calibrate';
import { FgmpSession } from '../src/core/pipeline/evaluate';
import { median, printTable } from './util';

const shared = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/data');

interface Case {
  label: string;
  model: LlamaModel;
  calib: TokenSequences;
  evalStream: number[];
  evalWindow: number;
  runs: number;
}

async function timeMs(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function benchCase(c: Case, rows: (string | number)[][]): Promise<void> {
  const engine = LlamaEngine.forModel(c.model, { threads: 1 });
  const calibTokens = c.calib.count * c.calib.seqLen;
  await calibrate(engine, { ...c.calib, count: Math.min(c.calib.count, 2) }); // warm-up: session creation
  // The reference runs the same batches as calibration (calibrationBatchSize: fewer sequences on large models).
  const batch = calibrationBatchSize(c.model.config, c.calib.seqLen);
  const fwdMs = await timeMs(async () => {
    for (let s = 0; s < c.calib.count; s += batch) {
      const b = Math.min(batch, c.calib.count - s);
      const T = c.calib.seqLen;
      await engine.forward({
        batch: b,
        seq: T,
        tokens: c.calib.tokens.subarray(s * T, (s + b) * T),
        targets: c.calib.targets.subarray(s * T, (s + b) * T),
      });
    }
  }, c.runs);
  let calibResult = null as Awaited<ReturnType<typeof calibrate>> | null;
  const calMs = await timeMs(async () => {
    calibResult = await calibrate(engine, c.calib);
  }, c.runs);
  await engine.dispose();
  const est = estimateCalibration(c.model.config, c.calib.count, c.calib.seqLen);
  rows.push([c.label, 'forward graph only (reference)', `${calibTokens} tokens`, (calibTokens / fwdMs) * 1000, '1.00']);
  rows.push([
    c.label,
    `calibration (fwd+bwd, Fisher; ${Math.min(batch, c.calib.count)} seq/run); ${(est.flops / 1e9 / (calMs / 1000)).toFixed(1)} GFLOP/s`,
    `${calibTokens} tokens`,
    (calibTokens / calMs) * 1000,
    (fwdMs / calMs).toFixed(2),
  ]);

  const session = new FgmpSession(c.model, calibResult!, c.calib, c.evalStream, { evalWindow: c.evalWindow });
  const evalTokens = session.evalTokens;
  // Warm-up: weight quantization, ranking, τ scores, both graph sessions.
  await session.evaluate({ policy: 'fgmp', budget: 0.3, actBudget: null, clip: 'none' });
  await session.evaluate({ policy: 'fgmp', budget: 0.3, actBudget: 0.3, clip: 'none' });
  let k = 0;
  // Distinct budgets so no result comes from the cache.
  const offMs = await timeMs(
    () => session.evaluate({ policy: 'fgmp', budget: 0.2 + 0.001 * ++k, actBudget: null, clip: 'none' }),
    c.runs,
  );
  const onMs = await timeMs(
    () => session.evaluate({ policy: 'fgmp', budget: 0.2 + 0.001 * ++k, actBudget: 0.3, clip: 'none' }),
    c.runs,
  );
  await session.dispose();
  rows.push([
    c.label,
    'evaluation, activations float32 (unit off)',
    `${evalTokens} tokens`,
    (evalTokens / offMs) * 1000,
    '1.00',
  ]);
  rows.push([
    c.label,
    'evaluation, activation unit on (35 sites)'.replace('35', String(c.model.config.nLayers * 7)),
    `${evalTokens} tokens`,
    (evalTokens / onMs) * 1000,
    (offMs / onMs).toFixed(2),
  ]);
}

export default async function pipelineBench(): Promise<void> {
  const rows: (string | number)[][] = [];
  if (existsSync(path.join(shared, 'models/stories260K.bin'))) {
    const model = loadCheckpoint([
      { name: 'stories260K.bin', bytes: new Uint8Array(readFileSync(path.join(shared, 'models/stories260K.bin'))) },
      { name: 'tok512.bin', bytes: new Uint8Array(readFileSync(path.join(shared, 'models/tok512.bin'))) },
    ]).model;
    const calib = textSequences(
      model.tokenizer!,
      readFileSync(path.join(shared, 'text/tinystories_train_head.txt'), 'utf8'),
      16,
      256,
      'train head',
    );
    const evalStream = encodeTextPrefix(
      model.tokenizer!,
      readFileSync(path.join(shared, 'text/tinystories_valid_head.txt'), 'utf8'),
      2044,
    ).slice(0, 2044);
    await benchCase({ label: 'stories260K', model, calib, evalStream, evalWindow: 511, runs: 3 }, rows);
  } else {
    console.log(`(stories260K skipped: ${shared} not found)`);
  }
  const big = randomModel(STORIES15M_SHAPE, 1, 0.02);
  const ids = randomIds(4096, STORIES15M_SHAPE.vocabSize, 9);
  await benchCase(
    {
      label: 'stories15M shape',
      model: big,
      calib: sequencesFromStream(ids.slice(0, 2048), 2, 256, 1, 'random ids'),
      evalStream: ids.slice(2048, 2560),
      evalWindow: 256,
      runs: 1,
    },
    rows,
  );
  console.log(
    '1 wasm thread; tokens/s medians; ratio = tokens/s relative to the reference row above it (forward only / unit off)',
  );
  printTable(['model', 'step', 'size', 'tokens/s', 'ratio'], rows);
}
