// Reference dumps of the TypeScript pipeline for the PyTorch producer's cross-checks (python/tests).
//   npx tsx scripts/fgmp-torch-reference.ts quantize W.f32 F.f32|- ROWS COLS CLIP OUTDIR
//     quantizeWeight + every block score of one tensor; plain NVFP4 / E4M3 codes and values of W.
//   npx tsx scripts/fgmp-torch-reference.ts actquant X.f32 F.f32 TOKENS IN OUTDIR
//     the activation unit's rule (actquant/rule.ts) on X [TOKENS, IN] with per-channel Fisher F: block scores, Q_lo, Q_hi.
//   npx tsx scripts/fgmp-torch-reference.ts profile-check PROFILE [BUDGETS]
//     opens a profile with the TS reader (the format's reference validator) and prints JSON: metadata,
//     per-tensor FP8 counts of the FGMP policy at BUDGETS from block scores and from histograms, τ and
//     realised activation shares.
//   npx tsx scripts/fgmp-torch-reference.ts calib MODEL TOKENIZER TEXT SEQS SEQLEN OUTDIR [BUDGETS]
//     calibration sequences, weight and activation Fisher (calibrate.ts, the default engine, 1 thread),
//     clip ratios and FGMP scores (clip fisher), FP8 masks of the global FGMP ranking at BUDGETS
//     (comma list, default 0.05,0.1,0.2,0.3), activation calibration block scores.
// Files are raw little-endian arrays named after what they hold, plus meta.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCheckpoint, loadTokenizerFile } from '../src/core/model/loaders/index.ts';
import { modelFiles } from '../src/cli/commands/info.ts';
import { PROJECTIONS, projectionShape } from '../src/core/model/types.ts';
import { calibrate, tensorKey, textSequences } from '../src/core/pipeline/calibrate.ts';
import { LlamaEngine } from '../src/core/runtime/engine.ts';
import { quantizeWeight } from '../src/core/fgmp/quantize.ts';
import { errorScores, fgmpScores, magnitudeScores, unweightedScores } from '../src/core/fgmp/scores.ts';
import { prepareWeights, buildRanking } from '../src/core/fgmp/prepare.ts';
import { allMasks, answerBudget } from '../src/core/fgmp/policy.ts';
import { quantizeE4M3, quantizeNvfp4 } from '../src/core/formats/index.ts';
import { FgmpSession } from '../src/core/pipeline/evaluate.ts';
import { quantizeActivations } from '../src/core/actquant/rule.ts';
import { Profile } from '../src/core/profile/reader.ts';
import { bufferSource } from '../src/core/profile/container.ts';
import { activationAnswer, WeightAnswerer } from '../src/core/profile/answer.ts';
import { writeModelProfile } from '../src/core/profile/build.ts';
import { memorySink } from '../src/core/profile/writer.ts';

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const readF32 = (p: string) => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function quantizeCase(args: string[]): void {
  const [wPath, fPath, rowsS, colsS, clip, out] = args;
  const rows = Number(rowsS);
  const cols = Number(colsS);
  const w = readF32(wPath);
  const fisher = fPath === '-' ? undefined : readF32(fPath);
  mkdirSync(out, { recursive: true });
  const q = quantizeWeight(w, rows, cols, { clip: clip as 'none' | 'mse' | 'fisher', fisher });
  const put = (name: string, a: ArrayBufferView) => writeFileSync(path.join(out, name), bytesOf(a));
  put('qlo.f32', q.qLo);
  put('qhi.f32', q.qHi);
  put('clip.f32', q.clipRatio);
  put('unweighted.f64', unweightedScores(rows, cols, q.qLo, q.qHi));
  put('magnitude.f64', magnitudeScores(rows, cols, w));
  put('error.f64', errorScores(rows, cols, q.qLo, w, fisher));
  if (fisher) put('fgmp.f64', fgmpScores(rows, cols, q.qLo, q.qHi, fisher));
  const nv = quantizeNvfp4(w, { rowLength: cols });
  put('nvfp4.values.f32', nv.values);
  put('nvfp4.codes.u8', nv.codes);
  put('nvfp4.scalecodes.u8', nv.scaleCodes);
  const e4 = quantizeE4M3(w, { rowLength: cols });
  put('e4m3.values.f32', e4.values);
  put('e4m3.codes.u8', e4.codes);
  writeFileSync(
    path.join(out, 'meta.json'),
    JSON.stringify({ nvfp4TensorScale: q.nvfp4TensorScale, fp8Scale: q.fp8Scales[0], nvTensorScale: nv.tensorScale }),
  );
}

function actquantCase(args: string[]): void {
  const [xPath, fPath, tokensS, inS, out] = args;
  const r = quantizeActivations({
    x: readF32(xPath),
    tokens: Number(tokensS),
    inFeatures: Number(inS),
    fisher: readF32(fPath),
    tau: Infinity,
  });
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'scores.f32'), bytesOf(r.scores));
  writeFileSync(path.join(out, 'qlo.f32'), bytesOf(r.qLo));
  writeFileSync(path.join(out, 'qhi.f32'), bytesOf(r.qHi));
}

async function profileCheck(args: string[]): Promise<void> {
  const [file, budgetsS] = args;
  const b = readFileSync(file);
  const profile = await Profile.open(bufferSource(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  const budgets = (budgetsS ?? '0.05,0.1,0.2,0.3').split(',').map(Number);
  const exact = await WeightAnswerer.create(profile, 'fgmp', 'block scores');
  const hist = await WeightAnswerer.create(profile, 'fgmp', 'histogram');
  const weights = budgets.map((budget) => {
    const e = exact.answer(budget);
    const h = hist.answer(budget);
    return {
      budget,
      k: e.k,
      exact: e.perTensor.map((t) => t.fp8),
      histogram: h.perTensor.map((t) => t.fp8),
      slack: h.perTensor.map((t) => t.slack),
    };
  });
  const activations = [];
  for (const budget of budgets) {
    const a = await activationAnswer(profile, budget);
    activations.push({ budget, tau: a.tau[0], share: a.share, shares: a.shares });
  }
  process.stdout.write(
    JSON.stringify({ meta: profile.meta, totalBlocks: profile.totalBlocks, weights, activations }) + '\n',
  );
}

async function calibCase(args: string[]): Promise<void> {
  const [modelPath, tokPath, textPath, seqsS, seqLenS, out, budgetsS] = args;
  const loaded = loadCheckpoint(modelFiles(modelPath));
  const model = loaded.model;
  const tokBytes = readFileSync(tokPath);
  model.tokenizer = loadTokenizerFile(
    { name: path.basename(tokPath), bytes: new Uint8Array(tokBytes.buffer, tokBytes.byteOffset, tokBytes.byteLength) },
    model.config.vocabSize,
  );
  const text = readFileSync(textPath, 'utf8').replace(/\r\n/g, '\n');
  const seqs = textSequences(model.tokenizer, text, Number(seqsS), Number(seqLenS), textPath);
  mkdirSync(out, { recursive: true });
  const put = (name: string, a: ArrayBufferView) => writeFileSync(path.join(out, name), bytesOf(a));
  put('tokens.i32', seqs.tokens);
  put('targets.i32', seqs.targets);
  const engine = LlamaEngine.forModel(model, { threads: 1 });
  const t0 = performance.now();
  const calib = await calibrate(engine, seqs);
  const calibSeconds = (performance.now() - t0) / 1000;
  await engine.dispose();
  const c = model.config;
  for (let l = 0; l < c.nLayers; l++)
    for (const p of PROJECTIONS) {
      put(`fisher.${tensorKey(l, p)}.f32`, calib.weightFisher.get(tensorKey(l, p))!);
      put(`actfisher.${tensorKey(l, p)}.f32`, calib.activationFisher.get(tensorKey(l, p))!);
    }
  const t1 = performance.now();
  const prepared = prepareWeights(c, model.weights, {
    clip: 'fisher',
    fisher: (l, p) => calib.weightFisher.get(tensorKey(l, p)),
  });
  const ranking = buildRanking(prepared, 'fgmp');
  const scoreSeconds = (performance.now() - t1) / 1000;
  for (const t of prepared) {
    put(`clip.${tensorKey(t.layer, t.proj)}.f32`, t.quant.clipRatio);
    put(`fgmp.${tensorKey(t.layer, t.proj)}.f64`, fgmpScores(t.rows, t.cols, t.quant.qLo, t.quant.qHi, t.fisher!));
  }
  const budgets = (budgetsS ?? '0.05,0.1,0.2,0.3').split(',').map(Number);
  for (const b of budgets) {
    const masks = allMasks(ranking, answerBudget(ranking, b));
    ranking.tensors.forEach((t, i) => put(`mask${b}.${tensorKey(t.layer, t.proj)}.u8`, masks[i]));
  }
  const session = new FgmpSession(model, calib, seqs, [1, 2, 3], {});
  const actScores = await session.calibrationScores();
  for (const [k, s] of actScores) put(`actscores.${k}.f32`, s);
  // The TS-made profile of the same calibration (src/core/profile/build.ts), for profile-vs-profile checks.
  const sink = memorySink();
  await writeModelProfile(
    {
      model,
      modelName: path.basename(modelPath),
      modelSha256: null,
      tokenizer: { name: path.basename(tokPath), sha256: null },
      calibration: calib,
      calibrationInfo: {
        tokens: calib.tokens,
        sequences: seqs.count,
        seqLen: seqs.seqLen,
        source: textPath,
        textSha256: null,
        seed: null,
        meanNll: calib.meanNll,
        seconds: calibSeconds,
        engine: 'onnxruntime-node',
        threads: 1,
        producer: 'scripts/fgmp-torch-reference.ts',
        versions: {},
      },
      activationScores: actScores,
      activationTokens: seqs.count * seqs.seqLen,
      clip: 'fisher',
      fp8Scaling: 'tensor',
    },
    sink,
  );
  put('ts.profile.safetensors', sink.bytes());
  const shapes = Object.fromEntries(PROJECTIONS.map((p) => [p, projectionShape(c, p)]));
  writeFileSync(
    path.join(out, 'meta.json'),
    JSON.stringify({
      config: c,
      sequences: seqs.count,
      seqLen: seqs.seqLen,
      meanNll: calib.meanNll,
      calibSeconds,
      scoreSeconds,
      budgets,
      shapes,
    }),
  );
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'quantize') quantizeCase(rest);
else if (cmd === 'actquant') actquantCase(rest);
else if (cmd === 'profile-check') await profileCheck(rest);
else if (cmd === 'calib') await calibCase(rest);
else {
  process.stderr.write(
    'usage: fgmp-torch-reference.ts quantize W.f32 F.f32|- ROWS COLS CLIP OUTDIR | actquant X.f32 F.f32 TOKENS IN OUTDIR | profile-check PROFILE [BUDGETS] | calib MODEL TOKENIZER TEXT SEQS SEQLEN OUTDIR [BUDGETS]\n',
  );
  process.exit(2);
}
