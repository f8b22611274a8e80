// A/B comparison (issue 14): configuration A (the explorer's) and B side by side — both weight heatmaps, a
// difference heatmap (blocks FP8 in A only / in B only, per tensor), and the figures of both with B − A.
import { i18n } from '../i18n';
import * as d3 from 'd3';
import { PROJECTIONS, type Projection } from '../core/model/types';
import type { EvaluateResult } from '../core/pipeline/results';
import type { AbConfig } from '../core/url/instrumentFields';
import { CLIPPINGS, POLICIES } from '../core/url/shareState';
import type { Derived } from '../store/derive';
import type { AbDifference } from '../store/instrumentsDerive';
import { tensorKey } from '../store/derive';
import { Axis, ColorLegend, HeatCells, OKABE_ITO } from './charts';
import { useState } from 'react';
import { canonicalPins } from '../core/url/instrumentFields';
import { Select, Slider } from './inputs';

/** −1 (every block FP8 in B only) … 0 (same) … +1 (every block FP8 in A only): blue ↔ orange, grey at 0. */
export const diffColour = d3
  .scaleDiverging<string>()
  .domain([-1, 0, 1])
  .range([OKABE_ITO.blue, '#f4f4f4', OKABE_ITO.vermillion]);

/** Per tensor: (FP8 in A only − FP8 in B only) / blocks, with the counts in each cell's label. */
export function DiffHeatmap({ nLayers, difference }: { nLayers: number; difference: AbDifference }) {
  const cell = { w: 34, h: Math.max(14, Math.min(26, Math.floor(260 / Math.max(1, nLayers)))) };
  const margin = { top: 18, left: 44, right: 4, bottom: 4 };
  const x = d3
    .scaleBand<Projection>()
    .domain(PROJECTIONS)
    .range([0, cell.w * PROJECTIONS.length])
    .padding(0.06);
  const y = d3
    .scaleBand<number>()
    .domain(d3.range(nLayers))
    .range([0, cell.h * nLayers])
    .padding(0.06);
  const at = (l: number, p: Projection) => difference.perTensor.get(tensorKey(l, p));
  return (
    <svg
      data-chart
      data-testid="heatmap-difference"
      width={margin.left + cell.w * PROJECTIONS.length + margin.right}
      height={margin.top + cell.h * nLayers + margin.bottom}
      role="img"
      aria-label={ta('diffLabel', { a: difference.aOnly, b: difference.bOnly })}
      className="block"
    >
      <g transform={`translate(${margin.left},${margin.top})`}>
        <Axis scale={x} orient="top" tickSize={0} domainLine={false} tickFormat={(p) => p} />
        <HeatCells
          rows={d3.range(nLayers)}
          cols={PROJECTIONS}
          x={x}
          y={y}
          rowLabel={(l) => `L${l}`}
          fill={(l, p) => {
            const c = at(l, p);
            return c ? diffColour((c.aOnly - c.bOnly) / Math.max(1, c.blocks)) : 'transparent';
          }}
          cellProps={(l, p) => {
            const c = at(l, p);
            return {
              'data-cell': `${l}-${p}`,
              'data-a-only': c?.aOnly ?? '',
              'data-b-only': c?.bOnly ?? '',
              children: c ? (
                <title>{ta('cell', { layer: l, proj: p, a: c.aOnly, b: c.bOnly, blocks: c.blocks })}</title>
              ) : undefined,
            };
          }}
        />
      </g>
    </svg>
  );
}

/** The legend reads a two-ended domain; the diverging scale's has its midpoint too. */
const diffLegendScale = Object.assign((v: number) => diffColour(v), { domain: () => [-1, 1] });

export const DiffLegend = () => (
  <ColorLegend
    scale={diffLegendScale}
    title={ta('legendTitle')}
    width={200}
    tickValues={[-1, -0.5, 0, 0.5, 1]}
    tickFormat={(t) => `${t > 0 ? '+' : ''}${Math.round(t * 100)}%`}
    description={ta('legendDescription')}
  />
);

const ta = (key: string, values: Record<string, string | number> = {}): string =>
  i18n.t(`explorer:abView.${key}`, values);

const POLICY_OPTIONS = [...POLICIES, 'layerwise' as const].map((p) => ({ value: p, label: p }));

/** B's own controls: policy, weight budget, clipping, pins (A's data, scaling and activations are shared). */
export function AbControls({ ab, onChange }: { ab: AbConfig; onChange: (v: Partial<AbConfig>) => void }) {
  return (
    <div className="grid grid-cols-1 gap-2 text-xs sm:grid-cols-2" data-testid="ab-controls">
      <Select
        compact
        id="ab-policy"
        label={ta('policy')}
        value={ab.policy}
        options={POLICY_OPTIONS}
        onChange={(policy) => onChange({ policy })}
      />
      <Select
        compact
        id="ab-clipping"
        label={ta('clipping')}
        value={ab.clipping}
        options={CLIPPINGS.map((c) => ({ value: c, label: c }))}
        onChange={(clipping) => onChange({ clipping })}
      />
      <Slider
        compact
        accent="fp8"
        id="ab-budget"
        testId="ab-budget"
        label={ta('budget')}
        value={ab.weightBudget}
        min={0}
        max={1}
        step={0.01}
        format={(v) => `${(v * 100).toFixed(1)}% FP8`}
        onChange={(weightBudget) => onChange({ weightBudget })}
      />
      <AbPins pins={ab.pins} onPins={(pins) => onChange({ pins })} />
    </div>
  );
}

/** B's pins as the CLI's --pin SPEC, applied on Enter or leaving the field; a malformed spec says why. */
function AbPins({ pins, onPins }: { pins: string; onPins: (pins: string) => void }) {
  const [draft, setDraft] = useState({ for: pins, text: pins, error: null as string | null });
  const d = draft.for === pins ? draft : { for: pins, text: pins, error: null };
  const apply = () => {
    try {
      const spec = canonicalPins(d.text);
      setDraft({ for: spec, text: spec, error: null });
      if (spec !== pins) onPins(spec);
    } catch (e) {
      setDraft({ ...d, error: (e as Error).message });
    }
  };
  return (
    <div>
      <label htmlFor="ab-pins" className="block font-medium">
        {ta('pins')} <code>--pin</code>
        {ta('pinsAfter')}
      </label>
      <input
        id="ab-pins"
        data-testid="ab-pins"
        className="input font-mono"
        placeholder={i18n.t('explorer:instruments.pinsPlaceholder', { example: '*.down=fp8' })}
        value={d.text}
        onChange={(e) => setDraft({ for: pins, text: e.target.value, error: null })}
        onBlur={apply}
        onKeyDown={(e) => e.key === 'Enter' && apply()}
      />
      {d.error && (
        <span role="alert" className="text-red-700 dark:text-red-400">
          {d.error}
        </span>
      )}
    </div>
  );
}

export interface AbFigures {
  derived: Derived;
  ppl: EvaluateResult | undefined;
}

const fmt = {
  share: (x: number) => `${(x * 100).toFixed(2)}%`,
  bits: (x: number) => x.toFixed(3),
  ratio: (x: number) => `${((x - 1) * 100).toFixed(2)}%`,
  ppl: (x: number) => x.toFixed(3),
  kl: (x: number) => x.toFixed(5),
};

/** The figures of A and B and B − A: shares, bits, energy, perplexity, KL, top-1. */
export function AbTable({ a, b, difference }: { a: AbFigures; b: AbFigures; difference: AbDifference | null }) {
  const rows: { label: string; id: string; of: (f: AbFigures) => number | undefined; f: (x: number) => string }[] = [
    { label: ta('row.share'), id: 'share', of: (x) => x.derived.answer.fp8Share, f: fmt.share },
    { label: ta('row.bits'), id: 'bits', of: (x) => x.derived.hardware.weightBits.bitsPerWeight, f: fmt.bits },
    { label: ta('row.energy'), id: 'energy', of: (x) => x.derived.hardware.vsFp8, f: fmt.ratio },
    { label: ta('row.ppl'), id: 'ppl', of: (x) => x.ppl?.ppl, f: fmt.ppl },
    { label: ta('row.kl'), id: 'kl', of: (x) => x.ppl?.kl?.kl, f: fmt.kl },
    { label: ta('row.top1'), id: 'top1', of: (x) => x.ppl?.kl?.top1, f: fmt.share },
  ];
  return (
    <table className="text-xs tabular-nums" data-testid="ab-table">
      <thead>
        <tr className="text-left text-slate-600 dark:text-slate-400">
          <th className="pr-3 font-normal" />
          <th className="pr-3 font-normal">A</th>
          <th className="pr-3 font-normal">B</th>
          <th className="font-normal">B − A</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const va = r.of(a);
          const vb = r.of(b);
          const d = va !== undefined && vb !== undefined ? vb - va : undefined;
          return (
            <tr key={r.id} data-testid={`ab-row-${r.id}`} data-a={va ?? ''} data-b={vb ?? ''}>
              <td className="pr-3">{r.label}</td>
              <td className="pr-3">{va === undefined ? '…' : r.f(va)}</td>
              <td className="pr-3">{vb === undefined ? '…' : r.f(vb)}</td>
              <td>{d === undefined ? '' : `${d >= 0 ? '+' : '−'}${r.f(Math.abs(d) + (r.id === 'energy' ? 1 : 0))}`}</td>
            </tr>
          );
        })}
        {difference && (
          <tr data-testid="ab-diff-counts" data-a-only={difference.aOnly} data-b-only={difference.bOnly}>
            <td className="pr-3 pt-1">{ta('oneOnly')}</td>
            <td className="pr-3 pt-1">{difference.aOnly.toLocaleString('en-US')}</td>
            <td className="pr-3 pt-1">{difference.bOnly.toLocaleString('en-US')}</td>
            <td className="pt-1">{ta('both', { n: difference.both.toLocaleString('en-US') })}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
