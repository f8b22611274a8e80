// FGMP policy on a stories15M-shaped random model (6 layers × 7 projections, 373,248 weight blocks):
// time to quantize (both versions + clip search), to score and sort all blocks, and to answer a budget
// change. The full budget answer (shares, every mask, the per-column FP8 counts and the energy of
// src/core/hw) is incremental (fgmp/incremental.ts): measured for slider steps (±1 % of the blocks)
// and for jumps to random budgets, on the 15M shape and on a stories110M-shaped ranking (12 × 7
// tensors, 5.3 M blocks, random scores), next to the from-scratch answer (answerBudget + allMasks +
// simulateHardware on the masks). Ceilings from the same run: native Float64Array sort for the sort,
// one read pass over all weights for the quantizers.
import os from 'node:os';
import { PROJECTIONS, projectionShape, randomModel, type LlamaConfig, type Projection } from '../src/core/model/types';
import { MODEL_SHAPES } from '../src/core/model/shapes';
import {
  allMasks,
  answerBudget,
  buildRanking,
  IncrementalBudget,
  prepareWeights,
  rankGlobally,
  sortDescendingStable,
  type BlockRanking,
  type ClipMode,
} from '../src/core/fgmp/index';
import { simulateHardware } from '../src/core/hw/index';
import { median, printTable, timeRuns } from './util';

const ACT_SHARE = 0.3;

type Timing = { ms: number; cpuMs: number };

/** Median wall and process-CPU ms per run (on a loaded machine wall time is mostly waiting for a core). */
async function timed(fn: () => unknown, runs: number, warmup: number): Promise<Timing> {
  const cpu: number[] = [];
  const wall = await timeRuns(
    () => {
      const u = process.cpuUsage();
      fn();
      const d = process.cpuUsage(u);
      cpu.push((d.user + d.system) / 1000);
    },
    runs,
    warmup,
  );
  return { ms: median(wall), cpuMs: median(cpu.slice(warmup)) };
}

/** Per-answer medians of the incremental answer for slider steps and random jumps, and from scratch. */
async function budgetAnswers(
  ranking: BlockRanking,
  tokens: number,
): Promise<{
  step: Timing;
  jump: Timing;
  scratch: Timing;
  stepChanged: number;
  jumpChanged: number;
  /** Jumps with every mask moved one way only (the default takes the cheapest per tensor). */
  jumpBy: Record<'flip' | 'fill' | 'scan', Timing>;
}> {
  const inc = new IncrementalBudget(ranking);
  const stepChanged: number[] = [];
  const jumpChanged: number[] = [];
  inc.setBudget(0.3);
  inc.energy(tokens, ACT_SHARE);
  let p = 0.3;
  let dir = 1;
  const step = await timed(
    () => {
      p += dir * 0.01;
      if (p > 0.95 || p < 0.05) dir = -dir;
      stepChanged.push(inc.setBudget(p).changed);
      return inc.energy(tokens, ACT_SHARE);
    },
    61,
    5,
  );
  let s = 7;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const jump = await timed(
    () => {
      jumpChanged.push(inc.setBudget(rnd()).changed);
      return inc.energy(tokens, ACT_SHARE);
    },
    31,
    3,
  );
  const scratch = await timed(
    () => {
      const a = answerBudget(ranking, rnd());
      const masks = allMasks(ranking, a);
      return simulateHardware(
        ranking.tensors.map((t, i) => ({
          layer: t.layer,
          proj: t.proj,
          rows: t.grid.rows,
          cols: t.grid.cols,
          weightMask: masks[i],
          tokens,
          activationFp8Share: ACT_SHARE,
        })),
      );
    },
    9,
    1,
  );
  const jumpBy = {} as Record<'flip' | 'fill' | 'scan', Timing>;
  for (const how of ['flip', 'fill', 'scan'] as const) {
    const one = new IncrementalBudget(ranking, { maskUpdate: how });
    s = 7;
    jumpBy[how] = await timed(
      () => {
        one.setBudget(rnd());
        return one.energy(tokens, ACT_SHARE);
      },
      15,
      2,
    );
  }
  return { step, jump, scratch, stepChanged: median(stepChanged), jumpChanged: median(jumpChanged), jumpBy };
}

/** A global ranking of a shape's projections with random scores (no weights held). */
function randomRanking(config: LlamaConfig): BlockRanking {
  let s = 3;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const tensors = [];
  for (let layer = 0; layer < config.nLayers; layer++)
    for (const proj of PROJECTIONS) {
      const [rows, cols] = projectionShape(config, proj);
      const scores = new Float64Array(rows * Math.ceil(cols / 16));
      for (let j = 0; j < scores.length; j++) scores[j] = Math.exp(8 * rnd());
      tensors.push({ layer, proj, rows, cols, scores });
    }
  return rankGlobally(tensors);
}

export default async function policyBench(): Promise<void> {
  // POLICY_BENCH=answers: only the budget answers, the 15M ranking from random scores (no quantization).
  if (process.env.POLICY_BENCH === 'answers') {
    const ranking = randomRanking(MODEL_SHAPES.stories15M);
    console.log(
      `random scores on both shapes; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    return answersTable(ranking, ranking.totalBlocks);
  }
  const config = MODEL_SHAPES.stories15M;
  const model = randomModel(config, 1);
  // Random positive Fisher with a wide dynamic range, fixed per (layer, projection).
  const fisherCache = new Map<string, Float32Array>();
  const fisher = (layer: number, proj: Projection) => {
    const key = `${layer}/${proj}`;
    let f = fisherCache.get(key);
    if (!f) {
      const [r, c] = projectionShape(config, proj);
      let s = (layer * 7919 + proj.length * 104729) >>> 0 || 1;
      f = new Float32Array(r * c);
      for (let i = 0; i < f.length; i++) {
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        f[i] = Math.exp(6 * (s / 4294967296) - 3);
      }
      fisherCache.set(key, f);
    }
    return f;
  };
  for (let l = 0; l < config.nLayers; l++) for (const p of PROJECTIONS) fisher(l, p);
  const weights = model.weights.layers.flatMap((lw) => PROJECTIONS.map((p) => lw[p]));
  const elements = weights.reduce((s, a) => s + a.length, 0);

  const rows: (string | number)[][] = [];
  // Ceiling for the quantizers: one pass reading every weight.
  const readPass = median(
    await timeRuns(() => {
      let acc = 0;
      for (const a of weights) for (let i = 0; i < a.length; i++) acc += a[i];
      return acc;
    }, 5),
  );
  rows.push(['read every weight once (ceiling)', `${(elements / 1e6).toFixed(2)} M weights`, readPass, '1.0']);

  let prepared = prepareWeights(config, model.weights, { clip: 'none', fisher });
  for (const clip of ['none', 'mse', 'fisher', 'fisher-sweep'] as ClipMode[]) {
    const t = median(await timeRuns(() => (prepared = prepareWeights(config, model.weights, { clip, fisher })), 3, 0));
    rows.push([
      `quantize all (NVFP4 + FP8, clip ${clip})`,
      `${(elements / 1e6).toFixed(2)} M weights`,
      t,
      (t / readPass).toFixed(1),
    ]);
  }

  const ranking = buildRanking(prepared, 'fgmp');
  const N = ranking.totalBlocks;
  const scoresCopy = Float64Array.from(ranking.scores);
  const nativeSort = median(await timeRuns(() => Float64Array.from(scoresCopy).sort(), 7));
  rows.push(['native Float64Array sort (ceiling)', `${N} blocks`, nativeSort, '1.0']);
  const sortOnly = median(await timeRuns(() => sortDescendingStable(scoresCopy), 7));
  rows.push(['stable radix sort of block ids', `${N} blocks`, sortOnly, (sortOnly / nativeSort).toFixed(2)]);
  const scoreSort = median(await timeRuns(() => buildRanking(prepared, 'fgmp'), 7));
  rows.push(['score + sort + per-tensor ranks (fgmp)', `${N} blocks`, scoreSort, (scoreSort / nativeSort).toFixed(2)]);
  const unclipped = median(await timeRuns(() => buildRanking(prepared, 'fgmp', { rank: 'unclipped' }), 3));
  rows.push(['score + sort, --rank unclipped', `${N} blocks`, unclipped, (unclipped / nativeSort).toFixed(2)]);
  const uniformRank = median(await timeRuns(() => buildRanking(prepared, 'uniform'), 5));
  rows.push(['score + per-tensor sorts (uniform)', `${N} blocks`, uniformRank, (uniformRank / nativeSort).toFixed(2)]);

  const batch = 200;
  const budgets = Array.from({ length: batch }, (_, i) => (i * 0.61803398875) % 1);
  const shares = median(await timeRuns(() => budgets.forEach((p) => answerBudget(ranking, p)), 15, 2)) / batch;
  rows.push(['one budget change: shares only', `${ranking.tensors.length} tensors`, shares, '']);

  console.log(
    `stories15M shape (random weights, random positive Fisher); medians in ms; ratio = time / ceiling; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  printTable(['step', 'size', 'median ms', 'ratio'], rows);
  await answersTable(ranking, N);
}

/** The full budget answer on the 15M ranking given and on a 110M-shaped random ranking. */
async function answersTable(ranking: BlockRanking, N: number): Promise<void> {
  const answers: (string | number)[][] = [];
  const small = await budgetAnswers(ranking, MODEL_SHAPES.stories15M.maxSeqLen);
  const big = randomRanking(MODEL_SHAPES.stories110M);
  const large = await budgetAnswers(big, MODEL_SHAPES.stories110M.maxSeqLen);
  for (const [name, r, blocks, target] of [
    ['stories15M', small, N, 1],
    ['stories110M', large, big.totalBlocks, 5],
  ] as const) {
    const row = (what: string, t: Timing, changed: number | null) => [
      `${name}: ${what}`,
      `${blocks} blocks`,
      changed ?? blocks,
      t.ms,
      t.cpuMs,
      changed === null ? '' : target,
      changed === null ? '' : (t.ms / target).toFixed(2),
      changed === null ? '' : `${t.ms < target ? 'yes' : 'NO'} / ${t.cpuMs < target ? 'yes' : 'NO'}`,
    ];
    answers.push(row('slider step (±1 % of blocks)', r.step, r.stepChanged));
    answers.push(row('jump to a random budget', r.jump, r.jumpChanged));
    for (const how of ['flip', 'fill', 'scan'] as const)
      answers.push(row(`  jump, every mask by ${how} (for comparison)`, r.jumpBy[how], r.jumpChanged));
    answers.push(row('from scratch (answerBudget + allMasks + hw on masks)', r.scratch, null));
  }

  console.log(
    `\nfull budget answer (shares, every mask, per-column FP8 counts, energy at ${ACT_SHARE * 100} % FP8 activations), per answer`,
  );
  printTable(
    [
      'answer',
      'size',
      'blocks changed (median)',
      'wall ms',
      'CPU ms',
      'target ms',
      'wall / target',
      'under target (wall / CPU)',
    ],
    answers,
  );
}
