// From a model and its data to a ready FgmpSession, in the steps both callers share: the CLI runs them in
// one go (setupSession); the app's Pipeline (pipeline.ts) runs them as separate steps (calibrate when the
// calibration text arrives, open the evaluation session when perplexity is asked for). The same functions
// choose the sequences and the tokens, so `fgmp run` and the app agree by construction.
import type { LlamaConfig, LlamaModel } from '../model/types.ts';
import { LlamaEngine } from '../runtime/engine.ts';
import type { RuntimeOptions } from '../runtime/ort.ts';
import {
  calibrate,
  DEFAULT_CALIBRATION,
  encodeTextPrefix,
  estimateCalibration,
  sampledSequences,
  sampledStream,
  textSequences,
  idSequences,
  type CalibrationEstimate,
  type CalibrationResult,
  type TokenSequences,
} from './calibrate.ts';
import { FgmpSession, type FgmpSessionOptions } from './evaluate.ts';
import { sequenceWindows } from '../eval/windows.ts';
import { tokenProgress, type Progress } from './results.ts';
import { describeSource, type DataSource } from './vocabulary.ts';

export { describeSource, type DataSource } from './vocabulary.ts';

/** Calibration sequences of min(256, context) tokens, as many as `tokens` asks (rounded up). */
export function calibrationShape(
  config: LlamaConfig,
  tokens: number,
  seqLen = Math.min(DEFAULT_CALIBRATION.seqLen, config.maxSeqLen),
): { sequences: number; seqLen: number } {
  return { sequences: Math.max(1, Math.ceil(tokens / seqLen)), seqLen };
}

function needTokenizer(model: LlamaModel, s: DataSource): void {
  if (s.kind === 'text' && !model.tokenizer)
    throw new Error(
      `text data (${s.name}) needs a tokenizer: give --tokenizer, or use model samples (--calib-seed / --eval-seed)`,
    );
}

/** Long data steps (the model sampling its own tokens): stop and progress, as calibration's. */
export interface DataOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Per-sample progress of the model's own samples; stops at the next sample once the signal is aborted. */
function sampling(label: string, total: number, o?: DataOptions): ((tokens: number) => void) | undefined {
  if (!o?.signal && !o?.onProgress) return undefined;
  const t0 = performance.now();
  o.signal?.throwIfAborted();
  o.onProgress?.({ stage: 'calibrate', label, done: 0, total, unit: 'tokens', rate: 0, etaSeconds: NaN });
  return (done) => {
    o.signal?.throwIfAborted();
    o.onProgress?.(tokenProgress('calibrate', label, done, total, t0));
  };
}

const count = (n: number) => n.toLocaleString('en-US');

/** The calibration sequences of a data source (text through the tokenizer, or the model's own samples). */
export function calibrationSequences(
  model: LlamaModel,
  source: DataSource,
  sequences: number,
  seqLen: number,
  o?: DataOptions,
): TokenSequences {
  if (source.kind === 'held-out') throw new Error('calibration data cannot be "held out": give a text or a seed');
  if (seqLen > model.config.maxSeqLen)
    throw new Error(`sequence length ${seqLen} exceeds the model's context ${model.config.maxSeqLen}`);
  needTokenizer(model, source);
  if (source.kind === 'ids')
    return idSequences(source.sequences, model.config.vocabSize, model.config.maxSeqLen, source.name);
  return source.kind === 'text'
    ? textSequences(model.tokenizer!, source.text, sequences, seqLen, source.name)
    : sampledSequences(
        model,
        sequences,
        seqLen,
        source.seed,
        sampling(
          `Sampling ${count(sequences * seqLen)} calibration tokens from the model (seed ${source.seed})`,
          sequences * seqLen,
          o,
        ),
      );
}

/**
 * Up to `tokens` evaluation tokens (no BOS: windows add it). 'held-out' takes the calibration text after the
 * part calibration read (its sequences' tokens plus one per sequence), so the two sets stay apart.
 */
export function evaluationStream(
  model: LlamaModel,
  source: DataSource,
  tokens: number,
  calibration?: { source: DataSource; sequences: TokenSequences },
  o?: DataOptions,
): number[] {
  if (!Number.isInteger(tokens) || tokens < 1)
    throw new Error(`evaluation tokens must be a positive integer, got ${tokens}`);
  needTokenizer(model, source);
  if (source.kind === 'text') return encodeTextPrefix(model.tokenizer!, source.text, tokens).slice(0, tokens);
  if (source.kind === 'samples') {
    const label = `Sampling ${count(tokens)} evaluation tokens from the model (seed ${source.seed})`;
    return sampledStream(model, tokens, source.seed, 1, sampling(label, tokens, o)).slice(0, tokens);
  }
  if (source.kind === 'ids') return source.sequences.flat();
  const cal = calibration?.source;
  if (cal?.kind !== 'text' || !model.tokenizer) throw new Error('held-out evaluation tokens need a calibration text');
  const used = calibration!.sequences.count * (calibration!.sequences.seqLen + 1);
  return encodeTextPrefix(model.tokenizer, cal.text, used + tokens).slice(used, used + tokens);
}

export interface CalibrationRunOptions {
  runtime?: RuntimeOptions;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

/** Fisher calibration on its own engine (released afterwards: the session's graphs are forward only). */
export async function runCalibration(
  model: LlamaModel,
  sequences: TokenSequences,
  o: CalibrationRunOptions = {},
): Promise<CalibrationResult> {
  const engine = LlamaEngine.forModel(model, o.runtime);
  try {
    return await calibrate(engine, sequences, { signal: o.signal, onProgress: o.onProgress });
  } finally {
    await engine.dispose();
  }
}

export interface SetupOptions {
  calibration: DataSource;
  evaluation: DataSource;
  /** Calibration sequences and their length (default 64 × 256, capped by the model's context). */
  sequences?: number;
  seqLen?: number;
  /** Evaluation predictions (default 4,096). */
  evalTokens?: number;
  runtime?: RuntimeOptions;
  session?: FgmpSessionOptions;
  signal?: AbortSignal;
  onEstimate?: (e: CalibrationEstimate) => void;
  onProgress?: (p: Progress) => void;
}

/** Checks, sequences, calibration and evaluation stream in one call (the CLI's run, sweep; tests). */
export async function setupSession(
  model: LlamaModel,
  o: SetupOptions,
): Promise<{ session: FgmpSession; calibSequences: TokenSequences }> {
  const c = model.config;
  const sequences = o.sequences ?? DEFAULT_CALIBRATION.sequences;
  const seqLen = o.seqLen ?? Math.min(DEFAULT_CALIBRATION.seqLen, c.maxSeqLen);
  const evalTokens = o.evalTokens ?? 4096;
  if (!Number.isInteger(evalTokens) || evalTokens < 1)
    throw new Error(`evaluation tokens must be a positive integer, got ${evalTokens}`);
  if (seqLen > c.maxSeqLen) throw new Error(`sequence length ${seqLen} exceeds the model's context ${c.maxSeqLen}`);
  if (o.calibration.kind === 'samples' && o.evaluation.kind === 'samples' && o.calibration.seed === o.evaluation.seed)
    throw new Error(
      `calibration and evaluation seeds are both ${o.calibration.seed}: they must differ so the two sets are held apart`,
    );
  if (o.calibration.kind === 'text' && o.evaluation.kind === 'text' && o.calibration.text === o.evaluation.text)
    throw new Error(
      'calibration and evaluation text are the same: give different files so the two sets are held apart',
    );
  needTokenizer(model, o.calibration);
  needTokenizer(model, o.evaluation);
  const calibSequences = calibrationSequences(model, o.calibration, sequences, seqLen);
  const evalStream = evaluationStream(model, o.evaluation, evalTokens, {
    source: o.calibration,
    sequences: calibSequences,
  });
  // Id sequences are scored whole, each alone; their count, not evalTokens, sets the size.
  const windows = o.evaluation.kind === 'ids' ? sequenceWindows(o.evaluation.sequences) : undefined;
  if (windows)
    for (const w of windows)
      for (const id of [...w.tokens, ...w.targets])
        if (!(Number.isInteger(id) && id >= 0 && id < c.vocabSize))
          throw new Error(
            `${o.evaluation.kind === 'ids' ? o.evaluation.name : ''}: id ${id} is outside the vocabulary (0..${c.vocabSize - 1})`,
          );
  if (!windows && evalStream.length < evalTokens)
    throw new Error(`${describeSource(o.evaluation)} gives only ${evalStream.length} tokens, ${evalTokens} asked`);
  o.onEstimate?.(estimateCalibration(c, calibSequences.count, calibSequences.seqLen));
  const calib = await runCalibration(model, calibSequences, {
    runtime: o.runtime,
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const session = new FgmpSession(model, calib, calibSequences, evalStream, {
    runtime: o.runtime,
    ...o.session,
    windows,
  });
  return { session, calibSequences };
}
