// Perplexity against the FP8 share of weight blocks and against simulated energy, one line per policy
// (from the sweep), the all-FP8 / all-NVFP4 baselines and the current configuration marked.
import { useMemo } from 'react';
import * as d3 from 'd3';
import { i18n } from '../i18n';
import { catalogTemplate } from './catalogTemplate';
import { POLICIES } from '../core/url/shareState';
import type { PolicyKind } from '../core/pipeline/vocabulary';
import type { SweepPoint } from '../core/pipeline/results';
import { Dots, Line, PALETTE, POLICY_STYLE, RuleY, SwatchLegend, Plot } from './charts';

export { POLICY_STYLE };

interface Current {
  policy: PolicyKind;
  share: number;
  energyVsFp8: number;
  ppl: number | null;
  stale: boolean;
}

/** The y axis: perplexity, or quality against float32 (mean KL, top-1 agreement) from the same runs. Labels:
 * common:chart.tradeoff.metric.<id> (axis) and .short.<id> (tooltips). */
export type TradeoffMetric = 'ppl' | 'kl' | 'top1';
export const METRICS: Record<TradeoffMetric, { of: (p: SweepPoint) => number; format: (y: number) => string }> = {
  ppl: { of: (p) => p.ppl, format: d3.format('.3~f') },
  kl: { of: (p) => p.kl?.kl ?? NaN, format: d3.format('.2~g') },
  top1: { of: (p) => p.kl?.top1 ?? NaN, format: d3.format('.1%') },
};
// A title per sweep point on every render: the catalog's raw strings, filled without an i18next call each.
const tr = catalogTemplate('common', 'chart.tradeoff');

/** The two charts' x positions (module-level: stable, so the memoised marks keep while the sweep does). */
const BY_SHARE = (p: { share: number }) => p.share;
const BY_ENERGY = (p: { energyVsFp8: number }) => p.energyVsFp8;
const PERCENT = (t: number) => `${Math.round(t * 100)}%`;

const WIDTH = 360;
const HEIGHT = 230;
const M = { top: 10, right: 20, bottom: 36, left: 46 };

function PplChart({
  points,
  current,
  xOf,
  xLabel,
  xFormat,
  baselines,
  domain,
  metric,
}: {
  metric: TradeoffMetric;
  points: SweepPoint[];
  current: Current;
  xOf: (p: { share: number; energyVsFp8: number }) => number;
  xLabel: string;
  xFormat: (x: number) => string;
  baselines: { fp8?: number; nvfp4?: number };
  domain: [number, number];
}) {
  // Scales and the sweep's marks kept while their inputs are: a budget move only moves the current mark (the
  // energy axis grows only when the current point leaves the sweep's range).
  const [d0, d1] = domain;
  const x = useMemo(
    () =>
      d3
        .scaleLinear()
        .domain([d0, d1])
        .nice()
        .range([M.left, WIDTH - M.right]),
    [d0, d1],
  );
  const m = METRICS[metric];
  const lng = i18n.language;
  const mLabel = tr(`metric.${metric}`);
  const ys = [
    ...points.map(m.of),
    ...(current.ppl ? [current.ppl] : []),
    baselines.fp8 ?? NaN,
    baselines.nvfp4 ?? NaN,
  ].filter(Number.isFinite);
  const [y0, y1] = ys.length ? (d3.extent(ys) as [number, number]) : [1, 2];
  const pad = (y1 - y0) * 0.08 || 0.05;
  const y = useMemo(
    () =>
      d3
        .scaleLinear()
        .domain([y0 - pad, y1 + pad])
        .nice()
        .range([HEIGHT - M.bottom, M.top]),
    [y0, y1, pad],
  );
  const innerW = WIDTH - M.left - M.right;
  const marks = useMemo(() => {
    const mShort = tr(`short.${metric}`);
    const byPolicy = d3.group(points, (p) => p.policy);
    const xy = (p: SweepPoint) => [xOf({ share: p.weightBudget, energyVsFp8: p.energyVsFp8 }), m.of(p)] as const;
    return (
      <>
        {baselines.fp8 !== undefined && (
          <RuleY
            y={baselines.fp8}
            scale={y}
            x1={M.left}
            x2={WIDTH - M.right}
            dash="4 3"
            opacity={0.6}
            label={tr('allFp8', { value: m.format(baselines.fp8) })}
          />
        )}
        {baselines.nvfp4 !== undefined && (
          <RuleY
            y={baselines.nvfp4}
            scale={y}
            x1={M.left}
            x2={WIDTH - M.right}
            stroke={PALETTE.reference}
            dash="2 3"
            label={tr('allNvfp4', { value: m.format(baselines.nvfp4) })}
            labelBelow
          />
        )}
        {[...byPolicy].map(([policy, pts]) => {
          const st = POLICY_STYLE[policy];
          const sorted = pts.filter((p) => Number.isFinite(m.of(p))).sort((a, b) => a.weightBudget - b.weightBudget);
          return (
            <g key={policy}>
              <Line data={sorted.map(xy)} x={x} y={y} stroke={st.colour} strokeWidth={1.8} dash={st.dash} />
              <Dots
                data={sorted.map(xy)}
                x={x}
                y={y}
                fill={st.colour}
                shape={st.shape}
                size={28}
                title={(i) => {
                  const p = sorted[i];
                  return tr('point', {
                    policy: st.label,
                    share: (p.weightBudget * 100).toFixed(0),
                    energy: (p.energyVsFp8 * 100).toFixed(1),
                    metric: mShort,
                    value: m.format(m.of(p)),
                  });
                }}
              />
            </g>
          );
        })}
      </>
    );
    // lng: the titles are in the current language.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [points, metric, baselines.fp8, baselines.nvfp4, x, y, xOf, lng]);
  return (
    <Plot
      compact
      margin={{ left: M.left, bottom: M.bottom }}
      x={{ scale: x, ticks: 5, grid: HEIGHT - M.top - M.bottom, tickFormat: xFormat, label: xLabel, labelOffset: 32 }}
      y={{ scale: y, ticks: 5, grid: innerW, tickFormat: m.format, label: mLabel, labelOffset: 35 }}
      width={WIDTH}
      height={HEIGHT}
      label={tr('chartLabel', { metric: `${mLabel[0].toUpperCase()}${mLabel.slice(1)}`, x: xLabel })}
    >
      {marks}
      {current.ppl !== null && Number.isFinite(current.ppl) && (
        <g transform={`translate(${x(xOf(current))},${y(current.ppl)})`} opacity={current.stale ? 0.4 : 1}>
          <circle r={7} fill="none" stroke="currentColor" strokeWidth={2} />
          <text x={9} y={-8} fontSize={10} fill="currentColor">
            {current.stale ? tr('currentStale') : tr('current')}
          </text>
        </g>
      )}
    </Plot>
  );
}

export function TradeoffView({
  points,
  current,
  baselines,
  metric = 'ppl',
  energyFloor,
}: {
  /**
   * The all-NVFP4 energy against all-FP8 (the least any configuration spends), kept in the energy axis so that
   * it stays put while the budgets move the current point (its sweep marks then skip the move).
   */
  energyFloor?: number;
  points: SweepPoint[];
  /** current.ppl and the baselines are in the metric's terms. */
  current: Current;
  baselines: { fp8?: number; nvfp4?: number };
  metric?: TradeoffMetric;
}) {
  const policies = [...new Set(points.map((p) => p.policy))];
  const eDomain = d3.extent([
    ...points.map((p) => p.energyVsFp8),
    current.energyVsFp8,
    1,
    ...(energyFloor === undefined ? [] : [energyFloor]),
  ]) as [number, number];
  return (
    <div>
      <div className="flex flex-wrap gap-4">
        <PplChart
          points={points}
          current={current}
          xOf={BY_SHARE}
          xLabel={tr('xShare')}
          xFormat={PERCENT}
          metric={metric}
          baselines={baselines}
          domain={[0, 1]}
        />
        <PplChart
          points={points}
          current={current}
          xOf={BY_ENERGY}
          xLabel={tr('xEnergy')}
          xFormat={PERCENT}
          metric={metric}
          baselines={baselines}
          domain={eDomain}
        />
      </div>
      <SwatchLegend
        className="mt-1 gap-x-4"
        items={(policies.length ? policies : POLICIES)
          .filter((p) => p in POLICY_STYLE)
          .map((p) => ({
            label: POLICY_STYLE[p].label,
            colour: POLICY_STYLE[p].colour,
            kind: 'line' as const,
            dash: POLICY_STYLE[p].dash,
          }))}
      />
    </div>
  );
}
