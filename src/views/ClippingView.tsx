// Clipping curves (MSE and Fisher-weighted MSE against the NVFP4 clip ratio, chosen ratio marked) and a
// value histogram with the block's NVFP4 quantization grid (block scale and E2M1 levels from the core).
import { memo, useMemo } from 'react';
import * as d3 from 'd3';
import { useTranslation } from 'react-i18next';
import { E2M1, quantizeNvfp4 } from '../core/formats/index.ts';
import type { BlockCurve, TensorDetail } from '../core/pipeline/results';
import { BarsY, Dots, Key, Line, PALETTE, RuleX, Plot } from './charts';
import { blockGrid, blockSpan } from './blockSpan';
import { i18n } from '../i18n';

const tc = (key: string, values: Record<string, string | number> = {}): string =>
  i18n.t(`explorer:clippingChart.${key}`, values);

const WIDTH = 330;
const HEIGHT = 200;

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
  useTranslation(); // re-render on a language change: the charts below read i18n.t
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
        <p className="text-xs">{tc('noCurve')}</p>
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
    .range([m.left, WIDTH - m.right]);
  const ymax = Math.max(1.05, d3.max([...mse, ...(fmse ?? [])]) ?? 1);
  const y = d3
    .scaleLinear()
    .domain([0, Math.min(ymax, 4)])
    .nice()
    .range([HEIGHT - m.bottom, m.top])
    .clamp(true);
  const points = (vals: number[]) => vals.map((v, i) => [curve.grid[i], v] as const);
  // d3.minIndex is -1 when every value is NaN (a tensor with NaN/Inf weights): say NaN, do not throw.
  const best = (vals: number[]) => curve.grid[d3.minIndex(vals)] ?? NaN;
  const innerH = HEIGHT - m.top - m.bottom;
  return (
    <Plot
      compact
      margin={{ left: m.left, bottom: m.bottom }}
      x={{
        scale: x,
        ticks: 6,
        tickFormat: (t) => t.toFixed(1),
        label: tc('x'),
        labelOffset: 30,
      }}
      y={{
        scale: y,
        ticks: 5,
        grid: WIDTH - m.left - m.right,
        tickFormat: (t) => t.toFixed(1),
        label: tc('y'),
        labelOffset: 35,
      }}
      width={WIDTH}
      height={HEIGHT}
      label={tc('label')}
    >
      {ratioShares && (
        <BarsY
          x={x}
          y={(share) => y(0) - share * innerH}
          width={8}
          fill={PALETTE.ink}
          opacity={0.15}
          data={[...ratioShares].map(([a, n]) => ({
            x: a,
            y: n / total,
            title: tc('bar', { pct: ((n / total) * 100).toFixed(1), alpha: a.toFixed(2) }),
          }))}
        />
      )}
      <Line data={points(mse)} x={x} y={y} stroke={PALETTE.mse} />
      <Dots data={points(mse)} x={x} y={y} fill={PALETTE.mse} />
      {fmse && <Line data={points(fmse)} x={x} y={y} stroke={PALETTE.fisher} dash="5 3" />}
      {fmse && <Dots data={points(fmse)} x={x} y={y} fill={PALETTE.fisher} shape="square" />}
      {chosen !== null && (
        <g>
          <RuleX x={chosen} scale={x} y1={m.top} y2={HEIGHT - m.bottom} strokeWidth={1.5} dash="2 2" />
          <text
            x={x(chosen) + (chosen > 0.75 ? -3 : 3)}
            y={m.top + 8}
            textAnchor={chosen > 0.75 ? 'end' : 'start'}
            fontSize={10}
            fill="currentColor"
          >
            {tc('chosen', { alpha: chosen.toFixed(2) })}
          </text>
        </g>
      )}
      <Key
        x={m.left + 6}
        y={HEIGHT - m.bottom - (fmse ? 24 : 10)}
        items={[
          { label: tc('mse', { alpha: best(mse).toFixed(2) }), colour: PALETTE.mse, kind: 'line' },
          ...(fmse
            ? [
                {
                  label: tc('fisher', { alpha: best(fmse).toFixed(2) }),
                  colour: PALETTE.fisher,
                  kind: 'line' as const,
                  dash: '5 3',
                },
              ]
            : []),
        ]}
      />
    </Plot>
  );
}

/** The block's values and its NVFP4 levels ±E2M1 · scale, the scale computed by the core's quantizer. */
function blockValues(detail: TensorDetail, block: number | null) {
  if (block === null || block >= detail.clipRatio.length) return { values: detail.weight, levels: null };
  const { start, end } = blockSpan(blockGrid(detail.rows, detail.cols), block);
  const values = detail.weight.subarray(start, end);
  const q = quantizeNvfp4(values, { tensorScale: detail.nvfp4TensorScale, clip: [detail.clipRatio[block]] });
  const scale = q.scales[0];
  return { values, levels: E2M1.values().map((l) => l * scale) };
}

function Histogram({ detail, block }: { detail: TensorDetail; block: number | null }) {
  const m = { top: 10, right: 12, bottom: 34, left: 40 };
  const { values, levels } = useMemo(() => blockValues(detail, block), [detail, block]);
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
      .range([m.left, WIDTH - m.right]);
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
    .range([HEIGHT - m.bottom, m.top]);
  return (
    <Plot
      margin={{ left: m.left, bottom: m.bottom }}
      x={{
        scale: x,
        ticks: 5,
        tickSize: 4,
        domainLine: false,
        tickFormat: d3.format('.2~g'),
        label: block === null ? tc('histX') : tc('histXBlock'),
        labelOffset: 30,
        labelSize: 10,
      }}
      y={{ scale: y, ticks: 4, tickSize: 4, domainLine: false, tickFormat: String }}
      width={WIDTH}
      height={HEIGHT}
      label={block === null ? tc('hist') : tc('histBlock')}
    >
      {levels?.map((l, i) => (
        <RuleX key={i} x={l} scale={x} y1={m.top} y2={HEIGHT - m.bottom} stroke={PALETTE.level} opacity={0.8} />
      ))}
      <BarsY
        x={x}
        y={y}
        inset={1}
        fill={PALETTE.ink}
        opacity={0.55}
        data={bins.map((b) => ({ x0: b.x0!, x1: b.x1!, y: b.length }))}
      />
    </Plot>
  );
}
