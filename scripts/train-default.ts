// npm run train-default: reproduces the embedded default model from scratch.
//   1. data: the calibration/evaluation slices into public/text/ (prepare-data)
//   2. tokenizer: byte-level BPE (512) on the training addresses -> public/models/sotu-tok512.bin
//   3. training: AdamW on the ONNX forward+backward graph (onnxruntime-web, wasm, 2 threads),
//      checkpointed at every validation (40 steps) to --state-dir (resume with --resume)
//   4. checkpoint: llama2.c legacy format -> public/models/sotu-llama.bin, plus the training log
//   5. model card: MODEL.md (scripts/write-card.ts)
// Options: --steps N (default: the recipe's), --threads N (default 2), --state-dir DIR
// (default $TMPDIR/fgmp-train-default), --resume, --out-dir DIR (default: the repo, i.e.
// public/models and MODEL.md; give another folder for trial runs), --no-card.
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_MODEL } from '../src/core/data/index';
import { trainingText, splitRole } from '../src/core/data/sotu';
import { loadLlama2c } from '../src/core/model/loaders/llama2c';
import { writeLlama2c } from '../src/core/model/writers/llama2c';
import { writeLlama2cTokenizer } from '../src/core/model/writers/llama2cTokenizer';
import { trainBpe } from '../src/core/tokenizer/bpeTrainer';
import { parseLlama2cTokenizer } from '../src/core/tokenizer/llama2c';
import { DEFAULT_TOKENIZER_OPTIONS, DEFAULT_TRAIN_CONFIG } from '../src/core/train/defaultModel';
import { evenlySpacedWindows } from '../src/core/train/batches';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '../src/core/train/checkpoint';
import { EngineGradientSource } from '../src/core/train/gradientSource';
import { initialState, Trainer, type StepLog, type TrainConfig } from '../src/core/train/trainer';
import { parseFlags, intFlag } from './lib/args';
import { readSotuAddresses, repoRoot, sha256 } from './lib/sotu';
import { prepareData } from './prepare-data';
import { writeCard } from './write-card';

export interface TrainSummary {
  config: TrainConfig;
  threads: number;
  tokenizer: {
    merges: number;
    alphabet: number;
    trainingTokens: number;
    trainingBytes: number;
    evaluationTokens: number;
  };
  /** Seconds per stage of this (last) invocation; training sums all resumed sessions. */
  seconds: { data: number; tokenizer: number; encode: number; training: number; total: number };
  finalTrainLossLast20: number;
  finalValidationLoss: number;
  checkpointSha256: string;
  tokenizerSha256: string;
  machine: { cpus: number; cpuModel: string; node: string; platform: string };
  finishedAt: string;
  /** HEAD when training started, "+dirty" when src/ or scripts/ had uncommitted changes. */
  gitCommit?: string;
}

const flags = parseFlags(process.argv.slice(2));
const outDir = path.resolve(String(flags.get('out-dir') ?? repoRoot));
const stateDir = path.resolve(String(flags.get('state-dir') ?? path.join(os.tmpdir(), 'fgmp-train-default')));
const threads = intFlag(flags, 'threads', 2);
const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, steps: intFlag(flags, 'steps', DEFAULT_TRAIN_CONFIG.steps) };
const resume = flags.get('resume') === true;
const out = (rel: string) => path.join(outDir, rel);
const write = (rel: string, data: string | Uint8Array) => {
  mkdirSync(path.dirname(out(rel)), { recursive: true });
  writeFileSync(out(rel), data);
};

const tStart = performance.now();
const gitCommit = (() => {
  try {
    const head = execSync('git rev-parse --short HEAD', { cwd: repoRoot }).toString().trim();
    const dirty = execSync('git status --porcelain -- src scripts', { cwd: repoRoot }).toString().trim() !== '';
    return head + (dirty ? '+dirty' : '');
  } catch {
    return undefined;
  }
})();
const secondsSince = (t: number) => (performance.now() - t) / 1000;

// 1. Data slices (always into the repo's public/text: they are inputs, not results).
let t = performance.now();
prepareData();
const addresses = readSotuAddresses();
const evalText = readFileSync(path.join(repoRoot, DEFAULT_MODEL.evaluationText), 'utf8');
const dataSeconds = secondsSince(t);

// 2. Tokenizer on the training addresses only.
t = performance.now();
const vocab = trainBpe(
  addresses.filter((a) => splitRole(a.index) === 'train').map((a) => a.text),
  DEFAULT_TOKENIZER_OPTIONS,
);
if (vocab.pieces.length !== config.model.vocabSize)
  throw new Error(`tokenizer has ${vocab.pieces.length} pieces, the model ${config.model.vocabSize}`);
const tokBytes = writeLlama2cTokenizer(vocab.pieces, vocab.scores);
write(DEFAULT_MODEL.tokenizer, tokBytes);
const tokenizerSeconds = secondsSince(t);
console.log(
  `tokenizer: ${vocab.merges} merges, ${vocab.alphabet.length} characters, ${tokenizerSeconds.toFixed(1)} s -> ${out(DEFAULT_MODEL.tokenizer)}`,
);

// 3. Token streams.
t = performance.now();
const tok = parseLlama2cTokenizer(tokBytes, config.model.vocabSize);
const train = trainingText(addresses);
const trainStream = tok.encodeToArray(train);
const evalStream = tok.encodeToArray(evalText);
const { windows, windowTokens } = DEFAULT_MODEL.validation;
const validation = evenlySpacedWindows(evalStream, windows, windowTokens);
const encodeSeconds = secondsSince(t);
console.log(
  `training text: ${Buffer.byteLength(train)} bytes -> ${trainStream.length} tokens; evaluation: ${evalStream.length} tokens (${windows} windows of ${windowTokens}); ${encodeSeconds.toFixed(1)} s`,
);

// 4. Training (resumable).
mkdirSync(stateDir, { recursive: true });
const statePath = path.join(stateDir, 'state.bin');
const logPath = path.join(stateDir, 'log.jsonl');
const metaPath = path.join(stateDir, 'meta.json');
let state = initialState(config);
let logs: StepLog[] = [];
let trainingSecondsBefore = 0;
if (resume && existsSync(statePath)) {
  const loaded = loadTrainingCheckpoint(readFileSync(statePath));
  if (JSON.stringify(loaded.config) !== JSON.stringify(config))
    throw new Error(`${statePath} was saved with another training config; delete it or drop --resume`);
  state = loaded.state;
  logs = readFileSync(logPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StepLog)
    .filter((l) => l.step <= state.step);
  trainingSecondsBefore = (JSON.parse(readFileSync(metaPath, 'utf8')) as { trainingSeconds: number }).trainingSeconds;
  console.log(`resuming at step ${state.step} from ${statePath}`);
} else if (resume) console.log(`no checkpoint at ${statePath}: starting from scratch`);

const source = new EngineGradientSource({ threads });
const trainer = new Trainer(config, state, source, trainStream, validation);
t = performance.now();
const saveState = () => {
  // Write then rename, so an interrupted save never leaves a half checkpoint behind.
  writeFileSync(statePath + '.tmp', saveTrainingCheckpoint(config, trainer.state));
  renameSync(statePath + '.tmp', statePath);
  writeFileSync(logPath, logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(metaPath, JSON.stringify({ trainingSeconds: trainingSecondsBefore + secondsSince(t) }));
};
if (trainer.state.step === 0) {
  const v0 = await trainer.validationLoss();
  console.log(
    `step 0: validation loss ${v0.toFixed(4)} (uniform would be ${Math.log(config.model.vocabSize).toFixed(4)})`,
  );
}
await trainer.run(async (log) => {
  logs.push(log);
  const elapsed = trainingSecondsBefore + secondsSince(t);
  const eta = ((config.steps - log.step) * elapsed) / Math.max(1, log.step);
  console.log(
    `step ${log.step}/${config.steps} loss ${log.loss.toFixed(4)}${log.valLoss !== undefined ? ` val ${log.valLoss.toFixed(4)}` : ''} ` +
      `lr ${log.lr.toExponential(2)} |g| ${log.gradNorm.toFixed(3)} ${log.seconds.toFixed(2)} s ` +
      `(${((config.batchSize * config.windowTokens) / log.seconds).toFixed(0)} tok/s, elapsed ${elapsed.toFixed(0)} s, eta ${eta.toFixed(0)} s)`,
  );
  if (log.step % config.evalEvery === 0 || log.step === config.steps) saveState();
});
await source.dispose();
const trainingSeconds = trainingSecondsBefore + secondsSince(t);

// 5. The llama2.c checkpoint, re-read to prove it round-trips.
const model = { ...trainer.state.model, source: { format: 'llama2c' as const, name: DEFAULT_MODEL.name } };
const ckpt = writeLlama2c(model);
const reread = loadLlama2c(ckpt, 'sotu-llama.bin').model;
if (!reread.weights.layers.every((l, i) => l.down.every((x, j) => x === model.weights.layers[i].down[j])))
  throw new Error('checkpoint did not round-trip');
write(DEFAULT_MODEL.checkpoint, ckpt);
write('public/models/sotu-llama.train.jsonl', logs.map((l) => JSON.stringify(l)).join('\n') + '\n');
console.log(`checkpoint: ${ckpt.length} bytes -> ${out(DEFAULT_MODEL.checkpoint)}`);

const last = logs.slice(-20);
const summary: TrainSummary = {
  config,
  threads,
  tokenizer: {
    merges: vocab.merges,
    alphabet: vocab.alphabet.length,
    trainingTokens: trainStream.length,
    trainingBytes: Buffer.byteLength(train),
    evaluationTokens: evalStream.length,
  },
  seconds: {
    data: dataSeconds,
    tokenizer: tokenizerSeconds,
    encode: encodeSeconds,
    training: trainingSeconds,
    total: secondsSince(tStart),
  },
  finalTrainLossLast20: last.reduce((s, l) => s + l.loss, 0) / last.length,
  finalValidationLoss: logs.at(-1)?.valLoss ?? NaN,
  checkpointSha256: sha256(ckpt),
  tokenizerSha256: sha256(tokBytes),
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  },
  finishedAt: new Date().toISOString(),
  gitCommit,
};
write('public/models/sotu-llama.train.json', JSON.stringify(summary, null, 2) + '\n');
console.log(
  `training ${trainingSeconds.toFixed(0)} s, total ${summary.seconds.total.toFixed(0)} s; final validation loss ${summary.finalValidationLoss.toFixed(4)}`,
);

// 6. Model card.
if (flags.get('no-card') !== true) await writeCard({ outDir, threads, trainStream, evalStream });
