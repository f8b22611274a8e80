// The app's requests (results.ts: EvaluateRequest, SweepRequest, TruncationRequest) as FgmpSession calls:
// a variant becomes its budgets, a sweep its points, a truncation a transformed-weight evaluation. The
// same FgmpSession methods `fgmp run` and `fgmp sweep` call, so the figures are the CLI's.
import { parsePins } from '../fgmp/pins.ts';
import { reduceMantissa } from '../formats/truncate.ts';
import type { FgmpSession } from './evaluate.ts';
import type * as R from './results.ts';

interface StepOptions {
  signal?: AbortSignal;
  onProgress?: R.ProgressCallback;
}

const SWEEP_LABEL = 'Sweep: perplexity of each block-selection rule';

/** A configuration ('mixed'), its all-FP8 / all-NVFP4 baseline, or the float32 model; τ global. */
export async function evaluateRequest(
  session: FgmpSession,
  req: R.EvaluateRequest,
  o: StepOptions,
  engine: string,
): Promise<R.EvaluateResult> {
  const t0 = performance.now();
  const label = `Perplexity (${req.variant === 'mixed' ? 'this configuration' : `all-${req.variant.toUpperCase()}`})`;
  const opts = { ...o, label };
  if (req.variant === 'float') {
    const f = await session.evaluateFloat32(opts);
    const none = { fp8Share: null, weightBits: null, weightBitsPerWeight: null, energyVsFp8: null, actFp8Share: null };
    return {
      meanNll: f.meanNll,
      ppl: f.ppl,
      tokens: f.tokens,
      seconds: f.seconds,
      engine,
      activationThreshold: NaN,
      ...none,
    };
  }
  const [budget, actBudget] =
    req.variant === 'fp8' ? [1, 1] : req.variant === 'nvfp4' ? [0, 0] : [req.weightBudget, req.activationBudget];
  const mixed = req.variant === 'mixed';
  const config = {
    policy: mixed && req.layerwise ? ('layerwise' as const) : req.policy,
    budget,
    actBudget,
    clip: req.clipping,
    fp8Scaling: req.fp8Scaling,
    pins: mixed ? parsePins(req.pins ?? '') : [],
    kl: req.kl ?? false,
  };
  const r = await session.evaluate({ ...config, actTau: 'global' }, opts);
  return {
    meanNll: r.meanNll,
    ppl: r.ppl,
    tokens: r.tokens,
    seconds: (performance.now() - t0) / 1000,
    engine,
    activationThreshold: typeof r.tau === 'number' ? r.tau : NaN,
    fp8Share: r.fp8Share,
    weightBits: r.weightBits,
    weightBitsPerWeight: r.weightBitsPerWeight,
    energyVsFp8: r.energy.vsFp8,
    actFp8Share: r.actFp8Share,
    kl: r.kl,
    energyComponents: r.energy.components,
  };
}

/** Every policy at every budget through FgmpSession.sweep; progress counts points. */
export async function sweepRequest(
  session: FgmpSession,
  req: R.SweepRequest,
  o: StepOptions & { onPoint?: (p: R.SweepPoint) => void },
): Promise<R.SweepPoint[]> {
  const total = req.budgets.length * req.policies.length;
  const report = (done: number) =>
    o.onProgress?.({ stage: 'sweep', label: SWEEP_LABEL, done, total, unit: 'points', rate: 0, etaSeconds: NaN });
  const points: R.SweepPoint[] = [];
  report(0);
  const base = {
    actBudget: req.activationBudget,
    clip: req.clipping,
    fp8Scaling: req.fp8Scaling,
    actTau: 'global' as const,
    kl: req.kl ?? false,
  };
  await session.sweep(base, req.budgets, req.policies, {
    signal: o.signal,
    onResult: (r) => {
      const p = {
        policy: r.policy,
        weightBudget: r.budget,
        ppl: r.ppl,
        meanNll: r.meanNll,
        energyVsFp8: r.energy.vsFp8,
        kl: r.kl,
      };
      points.push(p);
      o.onPoint?.(p);
      report(points.length);
    },
  });
  return points;
}

export function checkTruncation(req: R.TruncationRequest): void {
  if (!Number.isInteger(req.keep) || req.keep < 0 || req.keep > 23)
    throw new Error(`mantissa bits to keep must be an integer in 0..23, got ${req.keep}`);
  if (req.mode !== 'truncate' && req.mode !== 'round')
    throw new Error(`mode must be "truncate" or "round", got "${String(req.mode)}"`);
}

/**
 * The evaluation tokens through the float32 graph with every linear projection's weights truncated or
 * rounded to `keep` mantissa bits by src/core/formats/truncate.ts (embeddings, norms, classifier stay float32).
 */
export async function truncationRequest(
  session: FgmpSession,
  req: R.TruncationRequest,
  o: StepOptions,
  engine: string,
): Promise<R.TruncationResult> {
  checkTruncation(req);
  const t0 = performance.now();
  const float = await session.evaluateFloat32({ ...o, label: 'Perplexity (float32)' });
  const how = req.mode === 'truncate' ? 'truncated' : 'rounded';
  const r = await session.evaluateLinearTransform((w) => reduceMantissa(w, req.keep, req.mode), {
    ...o,
    label: `Perplexity (${req.keep} mantissa bits, ${how})`,
  });
  o.signal?.throwIfAborted();
  return {
    keep: req.keep,
    mode: req.mode,
    evaluationTokens: req.evaluationTokens,
    ppl: r.ppl,
    meanNll: r.meanNll,
    float32Ppl: float.ppl,
    float32MeanNll: float.meanNll,
    tokens: r.tokens,
    seconds: (performance.now() - t0) / 1000,
    weights: 'every linear projection (q, k, v, o, gate, up, down of each layer)',
    engine,
  };
}
