// One call from a model and its data to a ready FgmpSession: calibration sequences (text or the model's
// own samples), Fisher calibration, evaluation stream. Used by the CLI; the app's worker can call it too.
import type { LlamaModel } from '../model/types.ts';
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
  type CalibrationEstimate,
  type Progress,
  type TokenSequences,
} from './calibrate.ts';
import { FgmpSession, type FgmpSessionOptions } from './evaluate.ts';

/** Where calibration or evaluation tokens come from. */
export type DataSource = { kind: 'text'; text: string; name: string } | { kind: 'samples'; seed: number };

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
  onProgress?: (stage: 'calibration', p: Progress) => void;
}

export function describeSource(s: DataSource): string {
  return s.kind === 'text' ? s.name : `model samples (seed ${s.seed})`;
}

export async function setupSession(model: LlamaModel, o: SetupOptions): Promise<{ session: FgmpSession; calibSequences: TokenSequences }> {
  const c = model.config;
  const sequences = o.sequences ?? DEFAULT_CALIBRATION.sequences;
  const seqLen = o.seqLen ?? Math.min(DEFAULT_CALIBRATION.seqLen, c.maxSeqLen);
  const evalTokens = o.evalTokens ?? 4096;
  if (!Number.isInteger(evalTokens) || evalTokens < 1) throw new Error(`evaluation tokens must be a positive integer, got ${evalTokens}`);
  if (seqLen > c.maxSeqLen) throw new Error(`sequence length ${seqLen} exceeds the model's context ${c.maxSeqLen}`);
  if (o.calibration.kind === 'samples' && o.evaluation.kind === 'samples' && o.calibration.seed === o.evaluation.seed)
    throw new Error(`calibration and evaluation seeds are both ${o.calibration.seed}: they must differ so the two sets are held apart`);
  if (o.calibration.kind === 'text' && o.evaluation.kind === 'text' && o.calibration.text === o.evaluation.text)
    throw new Error('calibration and evaluation text are the same: give different files so the two sets are held apart');
  const needTokenizer = (s: DataSource) => {
    if (s.kind === 'text' && !model.tokenizer) throw new Error(`text data (${s.name}) needs a tokenizer: give --tokenizer, or use model samples (--calib-seed / --eval-seed)`);
  };
  needTokenizer(o.calibration);
  needTokenizer(o.evaluation);
  const calibSequences =
    o.calibration.kind === 'text'
      ? textSequences(model.tokenizer!, o.calibration.text, sequences, seqLen, o.calibration.name)
      : sampledSequences(model, sequences, seqLen, o.calibration.seed);
  const evalStream =
    o.evaluation.kind === 'text' ? encodeTextPrefix(model.tokenizer!, o.evaluation.text, evalTokens).slice(0, evalTokens) : sampledStream(model, evalTokens, o.evaluation.seed).slice(0, evalTokens);
  if (evalStream.length < evalTokens) throw new Error(`${describeSource(o.evaluation)} gives only ${evalStream.length} tokens, ${evalTokens} asked`);
  o.onEstimate?.(estimateCalibration(c, sequences, seqLen));
  const engine = LlamaEngine.forModel(model, o.runtime);
  try {
    const calib = await calibrate(engine, calibSequences, { signal: o.signal, onProgress: (p) => o.onProgress?.('calibration', p) });
    const session = new FgmpSession(model, calib, calibSequences, evalStream, { runtime: o.runtime, ...o.session });
    return { session, calibSequences };
  } finally {
    await engine.dispose();
  }
}
