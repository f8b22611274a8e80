// fgmp sweep: calibrate once, then evaluate every policy at every budget (and every clipping mode given),
// printing perplexity, weight memory and energy against budget; --json prints an array of run's objects.
import { parse, table, UsageError, type Command } from '../args.ts';
import { POLICY_KINDS, type ClipMode } from '../../core/fgmp/index.ts';
import { summarisePins } from '../../core/fgmp/pins.ts';
import { DEFAULT_BUDGETS, type EvalPolicy, type EvalResult } from '../../core/pipeline/config.ts';
import { modelArgument } from '../defaultModel.ts';
import {
  actBudgetOption,
  clipOption,
  rankOption,
  commonOptions,
  commonUsage,
  evalPolicyOption,
  klOption,
  pct,
  pinsOption,
  prepareFromArgs,
  resultJson,
  shareOption,
} from './run.ts';

const usage =
  `fgmp sweep [MODEL] [--budgets ${DEFAULT_BUDGETS.join(',')}] [--policies ${POLICY_KINDS.join(',')}[,layerwise]] [--clip fisher[,mse,none,mse-sweep,fisher-sweep]] [--rank clipped|unclipped] ` +
  `[--act-budget P|none|same] ${commonUsage}`;

function list(v: string, name: string): string[] {
  const items = v.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new UsageError(`--${name} must be a comma-separated list without empty items, got "${v}"`);
  return items;
}

const command: Command = {
  name: 'sweep',
  summary: 'perplexity, weight memory and energy against FP8 budget for every policy (and clipping mode)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        ...commonOptions,
        budgets: { type: 'string' },
        policies: { type: 'string' },
        clip: { type: 'string' },
        rank: { type: 'string' },
      },
      usage,
    );
    const budgets =
      values.budgets === undefined
        ? [...DEFAULT_BUDGETS]
        : list(values.budgets, 'budgets').map((b) => shareOption(b, 'budgets'));
    const policies: EvalPolicy[] =
      values.policies === undefined
        ? [...POLICY_KINDS]
        : list(values.policies, 'policies').map((p) => evalPolicyOption(p, 'policies'));
    const pins = pinsOption(values.pin);
    const local = policies.filter((x) => x === 'uniform' || x === 'layerwise');
    if (pins.length > 0 && local.length > 0)
      throw new UsageError(`--pin: pins apply to the global policies, not to ${local.join(', ')}`);
    const kl = klOption(values.kl);
    const clips: ClipMode[] = list(values.clip ?? 'fisher', 'clip').map((c) => clipOption(c));
    const rank = rankOption(values.rank);
    const act = actBudgetOption(values['act-budget'], true);
    const p = await prepareFromArgs(modelArgument(positionals, usage), values, io);
    if (pins.length > 0) {
      // Budgets the pins cannot meet (below the FP8 pins, above what the NVFP4 pins leave) are left out.
      const s = summarisePins(p.session.ranking('fgmp', clips[0], p.fp8Scaling), pins);
      const n = p.session.ranking('fgmp', clips[0], p.fp8Scaling).totalBlocks;
      const kept = budgets.filter((b) => Math.round(b * n) >= s.fp8Blocks && Math.round(b * n) <= n - s.nvfp4Blocks);
      if (kept.length < budgets.length)
        io.stderr(
          `--pin: budgets ${budgets.filter((b) => !kept.includes(b)).join(', ')} left out (the pins hold ${s.fp8Blocks} FP8 and ${s.nvfp4Blocks} NVFP4 of ${n} blocks)\n`,
        );
      if (kept.length === 0) throw new UsageError('--pin: no budget of the sweep is feasible with these pins');
      budgets.splice(0, budgets.length, ...kept);
    }
    const results: EvalResult[] = [];
    try {
      for (const clip of clips)
        await p.session.sweep(
          { actBudget: act, clip, fp8Scaling: p.fp8Scaling, actTau: p.actTau, pins, kl, rank },
          budgets,
          policies,
          {
            onResult: (r) => {
              results.push(r);
              if (!values.json)
                io.stderr(
                  `  ${clip} ${r.policy} ${pct(r.budget)}: ppl ${r.ppl.toFixed(4)} (${r.seconds.toFixed(1)} s)\n`,
                );
            },
          },
        );
    } finally {
      await p.session.dispose();
    }
    if (values.json) {
      io.stdout(JSON.stringify(results.map((r) => resultJson(r, p.float32Ppl))) + '\n');
      return 0;
    }
    io.stdout(
      `${p.describe}\nactivations: ${act === null ? 'float32' : act === 'same' ? 'quantized, FP8 share = weight budget (τ on calibration activations)' : `quantized, FP8 share ${pct(act)}`}\n\n`,
    );
    // Budgets 0 and 1 are the same for every policy: one row each per clipping mode.
    const rows: (string | number)[][] = [];
    for (const clip of clips) {
      const allFp8 = results.find((r) => r.clip === clip && r.budget === 1);
      const seen = new Set<number>();
      for (const r of results.filter((x) => x.clip === clip)) {
        const uniformEnd = r.budget === 0 || r.budget === 1;
        if (uniformEnd && seen.has(r.budget)) continue;
        if (uniformEnd) seen.add(r.budget);
        const name = r.budget === 1 ? 'all-FP8' : r.budget === 0 ? 'all-NVFP4' : r.policy;
        rows.push([
          clip,
          name,
          pct(r.fp8Share),
          pct(r.actFp8Share),
          r.ppl.toFixed(4),
          allFp8 ? `${(100 * (r.ppl / allFp8.ppl - 1)).toFixed(2)}%` : '',
          r.weightBitsPerWeight.toFixed(3),
          pct(r.weightMemoryVsFp8),
          pct(r.energy.vsFp8),
          r.kl ? r.kl.kl.toExponential(3) : '',
          r.kl ? pct(r.kl.top1) : '',
        ]);
      }
    }
    io.stdout(
      table(
        [
          'clip',
          'policy',
          'W FP8',
          'A FP8',
          'ppl',
          'ppl vs all-FP8',
          'bits/weight',
          'W memory vs FP8',
          'energy vs FP8',
          'KL',
          'top-1',
        ],
        rows,
      ),
    );
    // Perplexity by budget (rows) and policy (columns), per clipping mode.
    const mid = budgets.filter((b) => b !== 0 && b !== 1);
    if (mid.length && policies.length > 1)
      for (const clip of clips) {
        io.stdout(`\nperplexity by FP8 budget, clip ${clip}:\n`);
        io.stdout(
          table(
            ['budget', ...policies],
            mid.map((b) => [
              pct(b),
              ...policies.map((pol) =>
                results.find((r) => r.clip === clip && r.policy === pol && r.budget === b)!.ppl.toFixed(4),
              ),
            ]),
          ),
        );
      }
    return 0;
  },
};

export default command;
