// FGMP policy on a stories15M-shaped random model (6 layers × 7 projections, 373,248 weight blocks):
// time to quantize (both versions + clip search), to score and sort all blocks, and to answer one
// budget change (shares only; shares + all masks). Ceilings from the same run: native Float64Array
// sort (unstable, no ids) for the sort, one read pass over all weights for the quantizers.
import { STORIES15M_SHAPE, projectionShape, randomModel, type Projection } from '../src/core/model/types';
import { unit, xorshift32 } from '../src/core/random';
import { allMasks, answerBudget, buildRanking, prepareWeights, sortDescendingStable, type ClipMode } from '../src/core/fgmp/index';
import { simulateHardware } from '../src/core/hw/index';
import { median, printTable, timeRuns } from './util';

export default async function policyBench(): Promise<void> {
  const config = STORIES15M_SHAPE;
  const model = randomModel(config, 1);
  // Random positive Fisher with a wide dynamic range, fixed per (layer, projection).
  const fisherCache = new Map<string, Float32Array>();
  const fisher = (layer: number, proj: Projection) => {
    const key = `${layer}/${proj}`;
    let f = fisherCache.get(key);
    if (!f) {
      const [r, c] = projectionShape(config, proj);
      const u = unit(xorshift32(layer * 7919 + proj.length * 104729));
      f = new Float32Array(r * c);
      for (let i = 0; i < f.length; i++) f[i] = Math.exp(6 * u() - 3);
      fisherCache.set(key, f);
    }
    return f;
  };
  for (let l = 0; l < config.nLayers; l++) for (const p of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) fisher(l, p);
  const elements = model.weights.layers.reduce((s, lw) => s + lw.q.length + lw.k.length + lw.v.length + lw.o.length + lw.gate.length + lw.up.length + lw.down.length, 0);

  const rows: (string | number)[][] = [];
  // Ceiling for the quantizers: one pass reading every weight.
  const readPass = median(
    await timeRuns(() => {
      let acc = 0;
      for (const lw of model.weights.layers) for (const a of [lw.q, lw.k, lw.v, lw.o, lw.gate, lw.up, lw.down]) for (let i = 0; i < a.length; i++) acc += a[i];
      return acc;
    }, 5),
  );
  rows.push(['read every weight once (ceiling)', `${(elements / 1e6).toFixed(2)} M weights`, readPass, '1.0']);

  let prepared = prepareWeights(config, model.weights, { clip: 'none', fisher });
  for (const clip of ['none', 'mse', 'fisher'] as ClipMode[]) {
    const times = await timeRuns(() => {
      prepared = prepareWeights(config, model.weights, { clip, fisher });
    }, 3, 0);
    const t = median(times);
    rows.push([`quantize all (NVFP4 + FP8, clip ${clip})`, `${(elements / 1e6).toFixed(2)} M weights`, t, (t / readPass).toFixed(1)]);
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
  const uniformRank = median(await timeRuns(() => buildRanking(prepared, 'uniform'), 5));
  rows.push(['score + per-tensor sorts (uniform)', `${N} blocks`, uniformRank, (uniformRank / nativeSort).toFixed(2)]);

  // One budget change: batches of 200 answers at different budgets, per-answer time.
  const batch = 200;
  const budgets = Array.from({ length: batch }, (_, i) => (i * 0.61803398875) % 1);
  const shares = median(await timeRuns(() => budgets.forEach((p) => answerBudget(ranking, p)), 15, 2)) / batch;
  rows.push(['one budget change: shares only', `${ranking.tensors.length} tensors`, shares, '']);
  const masksBudgets = budgets.slice(0, 20);
  const withMasks = median(await timeRuns(() => masksBudgets.forEach((p) => allMasks(ranking, answerBudget(ranking, p))), 9, 1)) / masksBudgets.length;
  rows.push(['one budget change: shares + all masks', `${N} blocks`, withMasks, '']);
  const uniform = buildRanking(prepared, 'uniform');
  const uShares = median(await timeRuns(() => budgets.forEach((p) => answerBudget(uniform, p)), 15, 2)) / batch;
  rows.push(['one budget change (uniform): shares only', `${uniform.tensors.length} tensors`, uShares, '']);
  const hwTime = median(
    await timeRuns(() => {
      const a = answerBudget(ranking, 0.3);
      const masks = allMasks(ranking, a);
      return simulateHardware(ranking.tensors.map((t, i) => ({ layer: t.layer, proj: t.proj, rows: t.grid.rows, cols: t.grid.cols, weightMask: masks[i], tokens: config.maxSeqLen, activationFp8Share: 0.3 })));
    }, 9),
  );
  rows.push(['budget change + masks + hardware model', `${N} blocks`, hwTime, '']);

  console.log(`stories15M shape (random weights, random positive Fisher); medians in ms; ratio = time / ceiling`);
  printTable(['step', 'size', 'median ms', 'ratio'], rows);
}
