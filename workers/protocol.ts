// What crosses the worker boundary (structured clone / transfer): the core's result types as they are, and
// the one class-free form that needs converting, a BlockRanking without its block grids. Conversion both
// ways lives here, beside the wire type.
import { blockGrid, type BlockRanking } from '../src/core/fgmp/index';
import type { Projection } from '../src/core/model/types';
import type { QuantizeResult } from '../src/core/pipeline/results';
export type * from '../src/core/pipeline/results';

/** A BlockRanking (src/core/fgmp/policy.ts) as plain arrays, rebuilt on the UI thread in O(1). */
export interface WireRanking {
  kind: 'global' | 'per-tensor';
  totalBlocks: number;
  scores: Float64Array;
  order: Uint32Array | null;
  tensors: {
    layer: number;
    proj: Projection;
    rows: number;
    cols: number;
    offset: number;
    order: Uint32Array;
    ranks: Uint32Array;
  }[];
}

export type WireQuantizeResult = Omit<QuantizeResult, 'ranking'> & { ranking: WireRanking };

/** The policy's BlockRanking in the form that crosses the worker boundary (arrays shared, grids dropped). */
export function rankingToWire(r: BlockRanking): WireRanking {
  const tensors = r.tensors.map(({ grid, ...t }) => ({ ...t, rows: grid.rows, cols: grid.cols }));
  return { kind: r.kind, totalBlocks: r.totalBlocks, scores: r.scores, order: r.order, tensors };
}

/** Rebuilds the policy's BlockRanking from its wire form (no copy of the arrays). */
export function rankingFromWire(w: WireRanking): BlockRanking {
  const tensors = w.tensors.map(({ rows, cols, ...t }) => ({ ...t, grid: blockGrid(rows, cols) }));
  return { ...w, tensors, layers: [...new Set(w.tensors.map((t) => t.layer))] };
}

export const quantizeToWire = (q: QuantizeResult): WireQuantizeResult => ({ ...q, ranking: rankingToWire(q.ranking) });
export const quantizeFromWire = (q: WireQuantizeResult): QuantizeResult => ({
  ...q,
  ranking: rankingFromWire(q.ranking),
});
