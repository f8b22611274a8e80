// One FGMP configuration answered from a profile alone, in the shape of the live pipeline's result
// (`fgmp run --json`): per-tensor weight FP8 shares, weight bits, simulated energy, and perplexity from the
// evaluation sweep when the configuration is one of its points (else null). Activation shares come from the
// sweep point (realised on the evaluation tokens, as `run` reports them) or, off the sweep, from the
// calibration activations (`source.activations` says which).
import {
  DEFAULT_HW_PARAMS,
  energySummary,
  simulateHardware,
  type HardwarePreset,
  type HardwareReport,
  type HwParams,
  type LinearInput,
} from '../hw/index.ts';
import { CountHardware } from './hwCounts.ts';
import type { ClipMode, PolicyKind } from '../fgmp/index.ts';
import type { Projection } from '../model/types.ts';
import { activationAnswer, WeightAnswerer, type AnswerSource } from './answer.ts';
import type { SweepPoint } from './format.ts';
import type { Profile } from './reader.ts';

export interface ProfileQuery {
  policy: PolicyKind;
  budget: number;
  /** null: activations float32 (weights only). */
  actBudget: number | null;
  /** Must equal the profile's clip mode (default: it). */
  clip?: ClipMode;
  actTau?: 'global' | 'layer';
  /** 'auto' (default): block scores when present and the model is not huge, else histograms. */
  mode?: 'auto' | AnswerSource;
  hw?: HwParams;
}

export interface ProfileResult {
  policy: PolicyKind;
  budget: number;
  actBudget: number | null;
  clip: ClipMode;
  ppl: number | null;
  fp8Share: number;
  layers: { layer: number; proj: Projection; fp8Share: number; actFp8Share: number | null }[];
  weightBits: number;
  energy: Record<string, unknown>;
  meanNll: number | null;
  tokens: number | null;
  actFp8Share: number | null;
  fp8Scaling: 'tensor' | 'row';
  actTau: 'global' | 'layer';
  tau: number | number[] | null;
  weightBitsPerWeight: number;
  weightMemoryVsFp8: number;
  float32Ppl: number | null;
  nonFinite: number | null;
  /** Where each number came from. */
  source: {
    weights: AnswerSource;
    activations: 'sweep' | 'calibration' | null;
    ppl: 'sweep' | null;
    maxTensorSlack: number;
  };
}

/** The sweep point of a configuration, if the profile has one. */
export function findSweepPoint(
  profile: Profile,
  policy: PolicyKind,
  budget: number,
  actBudget: number | null,
  clip: ClipMode,
): SweepPoint | null {
  const pts = profile.meta.evaluation?.points ?? [];
  return (
    pts.find((p) => p.policy === policy && p.budget === budget && p.actBudget === actBudget && p.clip === clip) ?? null
  );
}

/** Hardware token count: the evaluation positions of the profile's sweep, else 4,096 (the CLI's default evaluation). */
export const hardwareTokens = (profile: Profile): number => profile.meta.evaluation?.positions ?? 4096;

const countCache = new WeakMap<Profile, Map<string, { params: HwParams; hw: CountHardware }>>();

/** The count-based hardware model of a profile (cached per token count, preset and parameter table). */
export function countHardware(
  profile: Profile,
  tokens: number,
  params: HwParams = DEFAULT_HW_PARAMS,
  preset: HardwarePreset = 'prefill',
): CountHardware {
  let m = countCache.get(profile);
  if (!m) countCache.set(profile, (m = new Map()));
  const key = `${tokens}/${preset}`;
  const hit = m.get(key);
  if (hit && hit.params === params) return hit.hw;
  const hw = CountHardware.build(profile.tensors, tokens, params, {
    fp8Scale: profile.meta.quantization.fp8Scaling,
    preset,
  });
  m.set(key, { params, hw });
  return hw;
}

export async function answerProfile(
  profile: Profile,
  q: ProfileQuery,
  answerer?: WeightAnswerer,
): Promise<ProfileResult> {
  const clip = q.clip ?? profile.meta.quantization.clip;
  if (clip !== profile.meta.quantization.clip)
    throw new Error(`the profile's scores were computed with clip ${profile.meta.quantization.clip}, not ${clip}`);
  const actTau = q.actTau ?? 'global';
  const fp8Scaling = profile.meta.quantization.fp8Scaling;
  const wa = answerer ?? (await WeightAnswerer.create(profile, q.policy, q.mode ?? 'auto'));
  if (wa.policy !== q.policy) throw new Error(`answerer is for policy ${wa.policy}, asked ${q.policy}`);
  const w = wa.answer(q.budget);
  const point = actTau === 'global' ? findSweepPoint(profile, q.policy, q.budget, q.actBudget, clip) : null;
  const tokens = hardwareTokens(profile);
  let actShares: (number | null)[] = profile.tensors.map(() => null);
  let actTotal: number | null = null;
  let tau: number | number[] | null = null;
  let actSource: ProfileResult['source']['activations'] = null;
  if (q.actBudget !== null) {
    const pl = point?.layers as { actFp8Share: number | null }[] | undefined;
    if (point && pl && pl.length === profile.tensors.length) {
      actShares = pl.map((l) => l.actFp8Share);
      actTotal = (point.actFp8Share as number | null) ?? null;
      tau = (point.tau as number | number[] | null) ?? null;
      actSource = 'sweep';
    } else {
      const a = await activationAnswer(profile, q.actBudget, actTau, q.mode ?? 'auto');
      actShares = a.shares;
      actTotal = a.share;
      tau = actTau === 'global' ? a.tau[0] : a.tau;
      actSource = 'calibration';
    }
  }
  const shares = profile.tensors.map((_, i) => (q.actBudget === null ? 1 : (actShares[i] ?? 0)));
  const params = q.hw ?? DEFAULT_HW_PARAMS;
  let hw: HardwareReport;
  if (w.source === 'histogram') {
    // No masks at this size: memory and energy from the FP8 counts (hwCounts.ts), probes built once per profile.
    hw = countHardware(profile, tokens, params).report(
      w.perTensor.map((r) => r.fp8),
      shares,
    );
  } else {
    const inputs: LinearInput[] = profile.tensors.map((t, i) => ({
      layer: t.layer,
      proj: t.proj,
      rows: t.rows,
      cols: t.cols,
      weightMask: w.mask(i),
      tokens,
      activationFp8Share: shares[i],
    }));
    hw = simulateHardware(inputs, params, { fp8Scale: fp8Scaling });
  }
  const computedEnergy = energySummary(hw);
  const energy =
    q.actBudget !== null && actSource === 'sweep' && point?.energy
      ? (point.energy as Record<string, unknown>)
      : computedEnergy;
  return {
    policy: q.policy,
    budget: q.budget,
    actBudget: q.actBudget,
    clip,
    ppl: point ? point.ppl : null,
    fp8Share: w.fp8Share,
    layers: w.perTensor.map((r, i) => ({ layer: r.layer, proj: r.proj, fp8Share: r.share, actFp8Share: actShares[i] })),
    weightBits: hw.weightBits.mixed,
    energy,
    meanNll: point ? point.meanNll : null,
    tokens: point ? ((point.tokens as number | undefined) ?? profile.meta.evaluation!.tokens) : null,
    actFp8Share: actTotal,
    fp8Scaling,
    actTau,
    tau,
    weightBitsPerWeight: hw.weightBits.bitsPerWeight,
    weightMemoryVsFp8: hw.weightBits.mixed / hw.weightBits.allFp8,
    float32Ppl: profile.meta.evaluation?.float32Ppl ?? null,
    nonFinite: point ? ((point.nonFinite as number | undefined) ?? null) : null,
    source: {
      weights: w.source,
      activations: actSource,
      ppl: point ? 'sweep' : null,
      maxTensorSlack: Math.max(0, ...w.perTensor.map((r) => r.slack)),
    },
  };
}
