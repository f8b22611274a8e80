// Perplexity against the FP8 share of weight blocks and against simulated energy, one line per policy
// (from the sweep), the all-FP8 / all-NVFP4 baselines and the current configuration marked.
import * as d3 from 'd3';
import { POLICIES } from '../core/url/shareState';
import type { PolicyKind } from '../core/pipeline/vocabulary';
import type { SweepPoint } from '../core/pipeline/results';

export const POLICY_STYLE: Record<PolicyKind, { colour: string; label: string; dash: string; shape: d3.SymbolType }> = {
  fgmp: { colour: '#D55E00', label: 'FGMP (Fisher-weighted)', dash: '', shape: d3.symbolCircle },
  uniform: { colour: '#CC79A7', label: 'per-layer uniform', dash: '6 3', shape: d3.symbolSquare },
  unweighted: { colour: '#0072B2', label: 'unweighted error', dash: '2 2', shape: d3.symbolTriangle },
  magnitude: { colour: '#009E73', label: 'largest magnitude', dash: '8 2 2 2', shape: d3.symbolDiamond },
  random: { colour: '#777777', label: 'random blocks', dash: '1 3', shape: d3.symbolCross },
  // CLI-only policy (fgmp sweep --policies error); the explorer does not offer it.
  error: { colour: '#56B4E9', label: 'quantization error', dash: '4 2', shape: d3.symbolStar },
};

interface Current {
  policy: PolicyKind;
  share: number;
  energyVsFp8: number;
  ppl: number | null;
  stale: boolean;
}

function Chart({
  points,
  current,
  xOf,
  xLabel,
  xFormat,
  baselines,
  domain,
}: {
  points: SweepPoint[];
  current: Current;
  xOf: (p: { share: number; energyVsFp8: number }) => number;
  xLabel: string;
  xFormat: (x: number) => string;
  baselines: { fp8?: number; nvfp4?: number };
  domain: [number, number];
}) {
  const width = 360;
  const height = 230;
  const m = { top: 10, right: 20, bottom: 36, left: 46 };
  const x = d3
    .scaleLinear()
    .domain(domain)
    .nice()
    .range([m.left, width - m.right]);
  const ys = [
    ...points.map((p) => p.ppl),
    ...(current.ppl ? [current.ppl] : []),
    baselines.fp8 ?? NaN,
    baselines.nvfp4 ?? NaN,
  ].filter(Number.isFinite);
  const [y0, y1] = ys.length ? (d3.extent(ys) as [number, number]) : [1, 2];
  const pad = (y1 - y0) * 0.08 || 0.05;
  const y = d3
    .scaleLinear()
    .domain([y0 - pad, y1 + pad])
    .nice()
    .range([height - m.bottom, m.top]);
  const byPolicy = d3.group(points, (p) => p.policy);
  const line = d3
    .line<SweepPoint>()
    .x((p) => x(xOf({ share: p.weightBudget, energyVsFp8: p.energyVsFp8 })))
    .y((p) => y(p.ppl));
  const cx = x(xOf(current));
  return (
    <svg
      data-chart
      width={width}
      height={height}
      role="img"
      aria-label={`Perplexity against ${xLabel}, one line per block-selection rule`}
    >
      {x.ticks(5).map((t) => (
        <g key={t} transform={`translate(${x(t)},${height - m.bottom})`}>
          <line y2={4} stroke="currentColor" />
          <line y2={-(height - m.top - m.bottom)} stroke="currentColor" opacity={0.08} />
          <text y={15} textAnchor="middle" fontSize={10} fill="currentColor">
            {xFormat(t)}
          </text>
        </g>
      ))}
      <text x={(m.left + width - m.right) / 2} y={height - 4} textAnchor="middle" fontSize={10} fill="currentColor">
        {xLabel}
      </text>
      {y.ticks(5).map((t) => (
        <g key={t} transform={`translate(${m.left},${y(t)})`}>
          <line x2={-4} stroke="currentColor" />
          <line x2={width - m.left - m.right} stroke="currentColor" opacity={0.08} />
          <text x={-6} dy="0.35em" textAnchor="end" fontSize={10} fill="currentColor">
            {d3.format('.3~f')(t)}
          </text>
        </g>
      ))}
      <text
        transform={`translate(11,${(m.top + height - m.bottom) / 2}) rotate(-90)`}
        textAnchor="middle"
        fontSize={10}
        fill="currentColor"
      >
        perplexity
      </text>
      {baselines.fp8 !== undefined && (
        <g>
          <line
            x1={m.left}
            x2={width - m.right}
            y1={y(baselines.fp8)}
            y2={y(baselines.fp8)}
            stroke="currentColor"
            strokeDasharray="4 3"
            opacity={0.6}
          />
          <text
            x={width - m.right - 2}
            y={y(baselines.fp8) - 3}
            textAnchor="end"
            fontSize={9}
            fill="currentColor"
          >{`all-FP8 ${baselines.fp8.toFixed(3)}`}</text>
        </g>
      )}
      {baselines.nvfp4 !== undefined && (
        <g>
          <line
            x1={m.left}
            x2={width - m.right}
            y1={y(baselines.nvfp4)}
            y2={y(baselines.nvfp4)}
            stroke="#888"
            strokeDasharray="2 3"
          />
          <text
            x={width - m.right - 2}
            y={y(baselines.nvfp4) + 10}
            textAnchor="end"
            fontSize={9}
            fill="currentColor"
          >{`all-NVFP4 ${baselines.nvfp4.toFixed(3)}`}</text>
        </g>
      )}
      {[...byPolicy].map(([policy, pts]) => {
        const st = POLICY_STYLE[policy];
        const sorted = [...pts].sort((a, b) => a.weightBudget - b.weightBudget);
        return (
          <g key={policy}>
            <path d={line(sorted) ?? ''} fill="none" stroke={st.colour} strokeWidth={1.8} strokeDasharray={st.dash} />
            {sorted.map((p, i) => (
              <path
                key={i}
                transform={`translate(${x(xOf({ share: p.weightBudget, energyVsFp8: p.energyVsFp8 }))},${y(p.ppl)})`}
                d={d3.symbol(st.shape, 28)() ?? ''}
                fill={st.colour}
              >
                <title>{`${st.label}: ${(p.weightBudget * 100).toFixed(0)}% FP8, energy ${(p.energyVsFp8 * 100).toFixed(1)}% of all-FP8, ppl ${p.ppl.toFixed(4)}`}</title>
              </path>
            ))}
          </g>
        );
      })}
      {current.ppl !== null && (
        <g transform={`translate(${cx},${y(current.ppl)})`} opacity={current.stale ? 0.4 : 1}>
          <circle r={7} fill="none" stroke="currentColor" strokeWidth={2} />
          <text x={9} y={-8} fontSize={10} fill="currentColor">
            {current.stale ? 'current (stale)' : 'current'}
          </text>
        </g>
      )}
    </svg>
  );
}

export function TradeoffView({
  points,
  current,
  baselines,
}: {
  points: SweepPoint[];
  current: Current;
  baselines: { fp8?: number; nvfp4?: number };
}) {
  const policies = [...new Set(points.map((p) => p.policy))];
  const eDomain = d3.extent([...points.map((p) => p.energyVsFp8), current.energyVsFp8, 1]) as [number, number];
  return (
    <div>
      <div className="flex flex-wrap gap-4">
        <Chart
          points={points}
          current={current}
          xOf={(p) => p.share}
          xLabel="share of weight blocks in FP8"
          xFormat={(t) => `${Math.round(t * 100)}%`}
          baselines={baselines}
          domain={[0, 1]}
        />
        <Chart
          points={points}
          current={current}
          xOf={(p) => p.energyVsFp8}
          xLabel="simulated energy (all-FP8 = 100%)"
          xFormat={(t) => `${Math.round(t * 100)}%`}
          baselines={baselines}
          domain={eDomain}
        />
      </div>
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs">
        {(policies.length ? policies : POLICIES).map((p) => (
          <span key={p} className="flex items-center gap-1">
            <svg width={22} height={10}>
              <line
                x1={0}
                x2={22}
                y1={5}
                y2={5}
                stroke={POLICY_STYLE[p].colour}
                strokeWidth={2}
                strokeDasharray={POLICY_STYLE[p].dash}
              />
            </svg>
            {POLICY_STYLE[p].label}
          </span>
        ))}
      </div>
    </div>
  );
}
