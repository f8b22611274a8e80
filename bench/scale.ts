// A stories110M-shaped random model in Node on the native engine: load (make) it, calibrate it (weight and
// activation Fisher through the forward+backward graph), then score it once; prints wall time, CPU time and
// peak RSS of each stage. Not part of `npm run bench` (it takes minutes): `npx tsx bench/scale.ts [SHAPE]
// [--engine native|wasm] [--threads N] [--seqs N] [--seq-len N]`.
import { parseArgs } from 'node:util';
import { randomShapeModel } from '../src/core/model/shapes.ts';
import { parameterCount } from '../src/core/model/types.ts';
import { LlamaEngine } from '../src/core/runtime/engine.ts';
import { calibrate, sequencesFromStream } from '../src/core/pipeline/calibrate.ts';
import type { EngineKind } from '../src/core/runtime/ort.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    engine: { type: 'string' },
    threads: { type: 'string' },
    seqs: { type: 'string' },
    'seq-len': { type: 'string' },
  },
});
const shape = positionals[0] ?? 'stories110M';
const engineKind = (values.engine ?? 'native') as EngineKind;
const threads = Number(values.threads ?? 2);
const seqs = Number(values.seqs ?? 8);
const seqLen = Number(values['seq-len'] ?? 256);

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const peak = () => process.resourceUsage().maxRSS; // kilobytes
const stage = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const c = process.cpuUsage(c0);
  console.log(
    `${name.padEnd(34)} ${((performance.now() - t0) / 1000).toFixed(1).padStart(7)} s wall, ${((c.user + c.system) / 1e6).toFixed(1).padStart(7)} s CPU, ` +
      `RSS now ${mb(process.memoryUsage().rss / 1024)}, peak ${mb(peak())}`,
  );
  return r;
};

console.log(
  `random:${shape} on ${engineKind}, ${threads} thread(s); calibration ${seqs} x ${seqLen} tokens (random ids)`,
);
const model = await stage('make the random model', () => randomShapeModel(`random:${shape}:1`));
console.log(
  `  ${parameterCount(model.config).toLocaleString('en-US')} parameters, ${((4 * parameterCount(model.config)) / 1e6).toFixed(0)} MB float32`,
);
const engine = LlamaEngine.forModel(model, { engine: engineKind, threads });
let s = 12345;
const stream = Array.from({ length: seqs * seqLen + 1 }, () => {
  s = (s * 1103515245 + 12345) >>> 0;
  return 3 + (s % (model.config.vocabSize - 3));
});
const data = sequencesFromStream(stream, seqs, seqLen, 1, 'random ids');
const calib = await stage('calibrate (Fisher, forward+backward)', () => calibrate(engine, data, { batchSize: 2 }));
console.log(
  `  ${calib.tokens} tokens, ${(calib.tokens / calib.seconds).toFixed(0)} tokens/s, mean NLL ${calib.meanNll.toFixed(4)}`,
);
await stage('forward (4 x 256 tokens)', () =>
  engine.forward({
    batch: 4,
    seq: 256,
    tokens: data.tokens.subarray(0, 1024),
    targets: data.targets.subarray(0, 1024),
  }),
);
await engine.dispose();
console.log(`peak RSS of the process: ${mb(peak())}`);
