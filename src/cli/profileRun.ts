// fgmp run --profile FILE: one FGMP configuration answered from a profile alone (no model), with the same
// JSON as `fgmp run` on the model — layers[].fp8Share, weightBits, weightBitsPerWeight, energy — and `ppl`
// from the profile's sweep when the configuration is one of its points, else null. run.ts only branches here.
import { numberOption, parse, table, UsageError, type CliIO } from './args.ts';
import { fileSource } from './profileFile.ts';
import { existsSync } from 'node:fs';
import { CLIP_MODES, POLICY_KINDS, type ClipMode, type PolicyKind } from '../core/fgmp/index.ts';
import { answerProfile, Profile, type ProfileResult } from '../core/profile/index.ts';

export const profileRunUsage =
  `fgmp run --profile FILE --budget P [--act-budget P|none] [--policy ${POLICY_KINDS.join('|')}] [--clip C] [--act-tau global|layer] ` +
  '[--from auto|scores|histogram] [--json]   (answers from the profile alone; ppl from its sweep when the configuration is in it, else null)';

const options = {
  profile: { type: 'string' },
  budget: { type: 'string' },
  'act-budget': { type: 'string' },
  policy: { type: 'string' },
  clip: { type: 'string' },
  'act-tau': { type: 'string' },
  from: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** True when argv asks run to answer from a profile. */
export const wantsProfile = (argv: readonly string[]): boolean =>
  argv.some((a) => a === '--profile' || a.startsWith('--profile='));

const share = (v: string, name: string): number => {
  const n = numberOption(v, name);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} must be a share in [0, 1] (e.g. 0.1 for 10 %), got "${v}"`);
  return n;
};
const jsonNumber = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const pct = (x: number | null) => (x === null ? 'f32' : `${(100 * x).toFixed(1)}%`);

/** run's JSON object (resultJson's fields, in its order), plus where the numbers came from. */
export function profileResultJson(r: ProfileResult, file: string): Record<string, unknown> {
  return {
    policy: r.policy,
    budget: r.budget,
    actBudget: r.actBudget,
    clip: r.clip,
    ppl: r.ppl,
    fp8Share: r.fp8Share,
    layers: r.layers,
    weightBits: r.weightBits,
    energy: r.energy,
    meanNll: r.meanNll,
    tokens: r.tokens,
    actFp8Share: r.actFp8Share,
    fp8Scaling: r.fp8Scaling,
    actTau: r.actTau,
    tau: Array.isArray(r.tau)
      ? r.tau.map((t) => (typeof t === 'number' ? jsonNumber(t) : t))
      : typeof r.tau === 'number'
        ? jsonNumber(r.tau)
        : r.tau,
    weightBitsPerWeight: r.weightBitsPerWeight,
    weightMemoryVsFp8: r.weightMemoryVsFp8,
    float32Ppl: r.float32Ppl,
    nonFinite: r.nonFinite,
    profile: { file, ...r.source },
  };
}

export async function runFromProfile(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, options, profileRunUsage);
  if (positionals.length > 0)
    throw new UsageError(`--profile answers without a model: drop "${positionals[0]}"\nusage: ${profileRunUsage}`);
  const file = values.profile!;
  if (!existsSync(file)) throw new UsageError(`profile not found: ${file}`);
  if (values.budget === undefined)
    throw new UsageError(`--budget is required (share of weight blocks in FP8, e.g. 0.1)\nusage: ${profileRunUsage}`);
  const budget = share(values.budget, 'budget');
  const ab = values['act-budget'];
  const actBudget = ab === undefined || ab === 'none' ? null : share(ab, 'act-budget');
  const policy = (values.policy ?? 'fgmp') as PolicyKind;
  if (!POLICY_KINDS.includes(policy))
    throw new UsageError(`--policy: unknown policy "${policy}" (use ${POLICY_KINDS.join(', ')})`);
  const clip = values.clip as ClipMode | undefined;
  if (clip !== undefined && !CLIP_MODES.includes(clip))
    throw new UsageError(`--clip: unknown clip mode "${clip}" (use ${CLIP_MODES.join(', ')})`);
  const actTau = values['act-tau'] ?? 'global';
  if (actTau !== 'global' && actTau !== 'layer')
    throw new UsageError(`--act-tau must be global or layer, got "${actTau}"`);
  const from = values.from ?? 'auto';
  const mode =
    from === 'auto' ? 'auto' : from === 'scores' ? 'block scores' : from === 'histogram' ? 'histogram' : null;
  if (!mode) throw new UsageError(`--from must be auto, scores or histogram, got "${from}"`);
  const src = fileSource(file);
  try {
    const profile = await Profile.open(src);
    if (clip !== undefined && clip !== profile.meta.quantization.clip)
      throw new UsageError(
        `the profile's scores were computed with clip ${profile.meta.quantization.clip}; it cannot answer --clip ${clip}`,
      );
    const r = await answerProfile(profile, { policy, budget, actBudget, clip, actTau, mode });
    if (values.json) {
      io.stdout(JSON.stringify(profileResultJson(r, file)) + '\n');
      return 0;
    }
    const m = profile.meta;
    io.stdout(
      `profile ${file}: model ${m.model.name}, calibration ${m.calibration.tokens} tokens from ${m.calibration.source}; shares from ${r.source.weights}\n`,
    );
    io.stdout(
      `policy ${policy}, weight budget ${pct(budget)}, activation budget ${actBudget === null ? 'none (float32)' : pct(actBudget)}, clip ${r.clip}\n\n`,
    );
    io.stdout(
      table(
        ['layer', 'proj', 'weight FP8', 'act FP8'],
        r.layers.map((l) => [l.layer, l.proj, pct(l.fp8Share), pct(l.actFp8Share)]),
      ),
    );
    const energy = r.energy as { total: number; vsFp8: number; vsNvfp4: number };
    io.stdout(
      `\nweight FP8 share ${pct(r.fp8Share)}; activation FP8 share ${pct(r.actFp8Share)} (${r.source.activations ?? 'float32'} tokens)\n` +
        `perplexity ${r.ppl === null ? 'not in the profile sweep' : r.ppl.toFixed(4)}\n` +
        `weight memory ${(r.weightBits / 8 / 1024).toFixed(1)} KiB, ${r.weightBitsPerWeight.toFixed(3)} bits/weight, ${pct(r.weightMemoryVsFp8)} of all-FP8\n` +
        `energy ${(energy.total / 1e6).toFixed(3)} µJ per evaluation pass of the linear layers: ${pct(energy.vsFp8)} of all-FP8, ${pct(energy.vsNvfp4)} of all-NVFP4\n`,
    );
    return 0;
  } finally {
    src.close();
  }
}
