// Clipping curves (MSE and Fisher-weighted MSE against the NVFP4 clip ratio, chosen ratio marked) and a
// value histogram with the block's NVFP4 quantization grid.
import { memo, useMemo } from 'react';
import * as d3 from 'd3';
import { roundE4M3 } from '../core/formats/index.ts';
import type { BlockCurve, TensorDetail } from '../core/pipeline/results';

const E2M1_LEVELS = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
const MSE_COLOUR = '#0072B2';
const FISHER_COLOUR = '#D55E00';

/** Memoised: its inputs do not change when a budget moves, and the histogram bins a whole tensor. */
export const ClippingView = memo(function ClippingView({
  detail,
  blockCurve,
  block,
}: {
  detail: TensorDetail;
  blockCurve: BlockCurve | null;
  block: number | null;
}) {
  const curve = block !== null && blockCurve && blockCurve.block === block ? blockCurve : detail.curve;
  const chosen = block !== null && block < detail.clipRatio.length ? detail.clipRatio[block] : null;
  const ratioShares = useMemo(() => {
    const m = new Map<number, number>();
    for (const a of detail.clipRatio) m.set(Math.round(a * 100) / 100, (m.get(Math.round(a * 100) / 100) ?? 0) + 1);
    return m;
  }, [detail.clipRatio]);
  return (
    <div className="flex flex-wrap gap-4">
      {curve ? (
        <CurveChart
          curve={curve}
          chosen={chosen}
          ratioShares={block === null ? ratioShares : null}
          total={detail.clipRatio.length}
          hasFisher={!!detail.fisher}
        />
      ) : (
        <p className="text-xs">No curve.</p>
      )}
      <Histogram detail={detail} block={block} />
    </div>
  );
});

function CurveChart(props: {
  curve: { grid: number[]; mse: Float64Array; fisherMse: Float64Array };
  chosen: number | null;
  ratioShares: Map<number, number> | null;
  total: number;
  hasFisher: boolean;
}) {
  const { curve, chosen, ratioShares, total, hasFisher } = props;
  const width = 330;
  const height = 200;
  const m = { top: 10, right: 12, bottom: 34, left: 46 };
  // Each objective relative to its value without clipping (α = 1), so both share one axis.
  const rel = (a: Float64Array) => {
    const i1 = curve.grid.indexOf(1);
    const base = i1 >= 0 && a[i1] > 0 ? a[i1] : d3.max(a) || 1;
    return Array.from(a, (v) => v / base);
  };
  const mse = rel(curve.mse);
  const fmse = hasFisher ? rel(curve.fisherMse) : null;
  const x = d3
    .scaleLinear()
    .domain(d3.extent(curve.grid) as [number, number])
    .range([m.left, width - m.right]);
  const ymax = Math.max(1.05, d3.max([...mse, ...(fmse ?? [])]) ?? 1);
  const y = d3
    .scaleLinear()
    .domain([0, Math.min(ymax, 4)])
    .nice()
    .range([height - m.bottom, m.top])
    .clamp(true);
  const line = d3
    .line<number>()
    .x((_, i) => x(curve.grid[i]))
    .y((v) => y(v));
  const best = (vals: number[]) => curve.grid[d3.minIndex(vals)];
  return (
    <svg
      data-chart
      width={width}
      height={height}
      role="img"
      aria-label="Relative MSE and Fisher-weighted MSE against the clip ratio"
    >
      {ratioShares &&
        [...ratioShares].map(([a, n]) => (
          <rect
            key={a}
            x={x(a) - 4}
            width={8}
            y={y(0) - (n / total) * (height - m.top - m.bottom)}
            height={(n / total) * (height - m.top - m.bottom)}
            fill="currentColor"
            opacity={0.15}
          >
            <title>{`${((n / total) * 100).toFixed(1)}% of blocks chose α = ${a.toFixed(2)}`}</title>
          </rect>
        ))}
      <g>
        {x.ticks(6).map((t) => (
          <g key={t} transform={`translate(${x(t)},${height - m.bottom})`}>
            <line y2={4} stroke="currentColor" />
            <text y={15} textAnchor="middle" fontSize={10} fill="currentColor">
              {t.toFixed(1)}
            </text>
          </g>
        ))}
        <text x={(m.left + width - m.right) / 2} y={height - 4} textAnchor="middle" fontSize={10} fill="currentColor">
          clip ratio α (block scale from α · amax)
        </text>
        {y.ticks(5).map((t) => (
          <g key={t} transform={`translate(${m.left},${y(t)})`}>
            <line x2={-4} stroke="currentColor" />
            <line x2={width - m.left - m.right} stroke="currentColor" opacity={0.08} />
            <text x={-6} dy="0.35em" textAnchor="end" fontSize={10} fill="currentColor">
              {t.toFixed(1)}
            </text>
          </g>
        ))}
        <text
          transform={`translate(11,${(m.top + height - m.bottom) / 2}) rotate(-90)`}
          textAnchor="middle"
          fontSize={10}
          fill="currentColor"
        >
          error ÷ error at α = 1
        </text>
      </g>
      <path d={line(mse) ?? ''} fill="none" stroke={MSE_COLOUR} strokeWidth={2} />
      {mse.map((v, i) => (
        <circle key={i} cx={x(curve.grid[i])} cy={y(v)} r={2.5} fill={MSE_COLOUR} />
      ))}
      {fmse && <path d={line(fmse) ?? ''} fill="none" stroke={FISHER_COLOUR} strokeWidth={2} strokeDasharray="5 3" />}
      {fmse?.map((v, i) => (
        <rect key={i} x={x(curve.grid[i]) - 2.5} y={y(v) - 2.5} width={5} height={5} fill={FISHER_COLOUR} />
      ))}
      {chosen !== null && (
        <g>
          <line
            x1={x(chosen)}
            x2={x(chosen)}
            y1={m.top}
            y2={height - m.bottom}
            stroke="currentColor"
            strokeWidth={1.5}
            strokeDasharray="2 2"
          />
          <text
            x={x(chosen) + (chosen > 0.75 ? -3 : 3)}
            y={m.top + 8}
            textAnchor={chosen > 0.75 ? 'end' : 'start'}
            fontSize={10}
            fill="currentColor"
          >{`chosen α = ${chosen.toFixed(2)}`}</text>
        </g>
      )}
      <g transform={`translate(${m.left + 6},${height - m.bottom - (fmse ? 24 : 10)})`} fontSize={10}>
        <line x2={16} stroke={MSE_COLOUR} strokeWidth={2} />
        <text x={20} dy="0.35em" fill="currentColor">{`MSE (min at ${best(mse).toFixed(2)})`}</text>
        {fmse && (
          <g transform="translate(0,13)">
            <line x2={16} stroke={FISHER_COLOUR} strokeWidth={2} strokeDasharray="5 3" />
            <text
              x={20}
              dy="0.35em"
              fill="currentColor"
            >{`Fisher-weighted MSE (min at ${best(fmse).toFixed(2)})`}</text>
          </g>
        )}
      </g>
    </svg>
  );
}

function Histogram({ detail, block }: { detail: TensorDetail; block: number | null }) {
  const width = 330;
  const height = 200;
  const m = { top: 10, right: 12, bottom: 34, left: 40 };
  const bpr = Math.ceil(detail.cols / 16);
  const { values, levels } = useMemo(() => {
    if (block === null || block >= detail.clipRatio.length)
      return { values: detail.weight, levels: null as number[] | null };
    const r = Math.floor(block / bpr);
    const c = block - r * bpr;
    const start = r * detail.cols + c * 16;
    const end = Math.min(start + 16, (r + 1) * detail.cols);
    const v = detail.weight.subarray(start, end);
    let amax = 0;
    for (const x of v) if (Number.isFinite(x)) amax = Math.max(amax, Math.abs(x));
    const ts = detail.nvfp4TensorScale;
    const scale = Math.fround(roundE4M3((detail.clipRatio[block] * amax) / 6 / ts) * ts);
    const lv = [...E2M1_LEVELS.map((l) => l * scale), ...E2M1_LEVELS.slice(1).map((l) => -l * scale)];
    return { values: v, levels: lv };
  }, [detail, block, bpr]);
  const { x, bins } = useMemo(() => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of [...(levels ?? []), ...values]) {
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (!(lo <= hi)) [lo, hi] = [-1, 1];
    const x = d3
      .scaleLinear()
      .domain(lo === hi ? [lo - 1, hi + 1] : [lo, hi])
      .nice()
      .range([m.left, width - m.right]);
    const bins = d3
      .bin()
      .domain(x.domain() as [number, number])
      .thresholds(block === null ? 60 : 24)(Array.from(values).filter(Number.isFinite));
    return { x, bins };
  }, [values, levels, block, m.left, m.right]);
  const y = d3
    .scaleLinear()
    .domain([0, d3.max(bins, (b) => b.length) ?? 1])
    .nice()
    .range([height - m.bottom, m.top]);
  return (
    <svg
      data-chart
      width={width}
      height={height}
      role="img"
      aria-label={
        block === null ? 'Histogram of the tensor values' : 'Histogram of the block values with its NVFP4 grid'
      }
    >
      {levels?.map((l, i) => (
        <line
          key={i}
          x1={x(l)}
          x2={x(l)}
          y1={m.top}
          y2={height - m.bottom}
          stroke="#009E73"
          strokeWidth={1}
          opacity={0.8}
        />
      ))}
      {bins.map((b, i) => (
        <rect
          key={i}
          x={x(b.x0!) + 0.5}
          width={Math.max(0, x(b.x1!) - x(b.x0!) - 1)}
          y={y(b.length)}
          height={y(0) - y(b.length)}
          fill="currentColor"
          opacity={0.55}
        />
      ))}
      {x.ticks(5).map((t) => (
        <g key={t} transform={`translate(${x(t)},${height - m.bottom})`}>
          <line y2={4} stroke="currentColor" />
          <text y={15} textAnchor="middle" fontSize={10} fill="currentColor">
            {d3.format('.2~g')(t)}
          </text>
        </g>
      ))}
      {y.ticks(4).map((t) => (
        <g key={t} transform={`translate(${m.left},${y(t)})`}>
          <line x2={-4} stroke="currentColor" />
          <text x={-6} dy="0.35em" textAnchor="end" fontSize={10} fill="currentColor">
            {t}
          </text>
        </g>
      ))}
      <text x={(m.left + width - m.right) / 2} y={height - 4} textAnchor="middle" fontSize={10} fill="currentColor">
        {block === null
          ? 'weight value (whole tensor; select a block for its grid)'
          : 'weight value · green: the block’s NVFP4 levels'}
      </text>
    </svg>
  );
}
