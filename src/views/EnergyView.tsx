// Simulated energy and memory (src/core/hw): per-layer stacked bars (datapath by precision pair,
// activation unit, memory traffic) with the all-FP8 and all-NVFP4 references, totals, bits per weight,
// and the editable parameter table with sources.
import * as d3 from 'd3';
import { type HardwarePreset, type HardwareReport, type HwParamKey, type HwParams } from '../core/hw/index';
import { ComponentTable, HwParamTable, PresetSelect } from './EnergyComponents';
import { formatBits, formatPercent } from '../store/derive';
import { BarsX, ENERGY_COLOURS, PALETTE, RuleX, SwatchLegend, Plot } from './charts';
import { memo } from 'react';
import { catalogTemplate } from './catalogTemplate';

// Nine titles per layer on every slider move: the catalog's raw strings, filled without an i18next call each.
const te = catalogTemplate('explorer', 'energyChart');
const SI = d3.format('.3~s');
const nj = (pj: number) => SI(pj * 1e-12) + 'J';
// Their props do not change with a budget: a slider move skips them.
const ParamTable = memo(HwParamTable);
const Presets = memo(PresetSelect);

// Labels: explorer:energyChart.segment.<key>, read in the current language.
const SEGMENTS = (['w8a8', 'w8a4', 'w4a8', 'w4a4', 'unit', 'wmem', 'amem'] as const).map((key) => ({
  key,
  get label(): string {
    return te(`segment.${key}`);
  },
}));
type SegKey = (typeof SEGMENTS)[number]['key'];

const WIDTH = 520;
const M = { top: 8, right: 16, bottom: 34, left: 40 };

// Kept while the longest bar is (the all-FP8 reference, mostly): the memoised axis then skips a slider move.
let lastScale: { max: number; x: d3.ScaleLinear<number, number> } | null = null;
function energyScale(max: number): d3.ScaleLinear<number, number> {
  if (lastScale?.max !== max)
    lastScale = {
      max,
      x: d3
        .scaleLinear()
        .domain([0, max])
        .nice()
        .range([M.left, WIDTH - M.right]),
    };
  return lastScale.x;
}

export function energyRows(hw: HardwareReport, params: HwParams) {
  const rows = new Map<number, Record<SegKey, number> & { fp8: number; nvfp4: number }>();
  for (const r of hw.perLinear) {
    let row = rows.get(r.layer);
    if (!row)
      rows.set(r.layer, (row = { w8a8: 0, w8a4: 0, w4a8: 0, w4a4: 0, unit: 0, wmem: 0, amem: 0, fp8: 0, nvfp4: 0 }));
    row.w8a8 += r.counts.w8a8 * params.dotW8A8.value;
    row.w8a4 += r.counts.w8a4 * params.dotW8A4.value;
    row.w4a8 += r.counts.w4a8 * params.dotW4A8.value;
    row.w4a4 += r.counts.w4a4 * params.dotW4A4.value;
    row.unit += r.energy.activationUnit;
    row.wmem += r.energy.weightMemory;
    row.amem += r.energy.activationMemory;
    row.fp8 += r.allFp8.total;
    row.nvfp4 += r.allNvfp4.total;
  }
  return [...rows].sort((a, b) => a[0] - b[0]);
}

export function EnergyView({
  hw,
  params,
  tokens,
  overrides,
  onOverride,
  measured,
  preset = 'prefill',
  onPreset,
}: {
  /** Where weights come from (src/core/hw HardwarePreset); the selector shows when onPreset is given. */
  preset?: HardwarePreset;
  onPreset?: (p: HardwarePreset) => void;
  hw: HardwareReport;
  params: HwParams;
  tokens: number;
  overrides: Partial<Record<HwParamKey, number>>;
  onOverride: (k: HwParamKey, v: number | undefined) => void;
  /** The pipeline's figures for this configuration on the evaluation text (realised activation masks, default parameters). */
  measured: {
    energyVsFp8: number;
    actFp8Share: number | null;
    tokens: number;
    /** pJ by component as `fgmp run` reports them (energy.components). */
    components?: Record<string, number> | null;
    /** The last configuration's figures, shown while this one's evaluation is pending. */
    stale?: boolean;
  } | null;
}) {
  const rows = energyRows(hw, params);
  const width = WIDTH;
  const barH = 18;
  const m = M;
  const height = m.top + rows.length * (barH + 6) + m.bottom;
  const max =
    d3.max(rows, ([, r]) =>
      Math.max(
        r.fp8,
        SEGMENTS.reduce((s, seg) => s + r[seg.key], 0),
      ),
    ) ?? 1;
  const x = energyScale(max);
  return (
    <div className="flex flex-wrap gap-4">
      <div className="min-w-0 max-w-full">
        <Plot
          compact
          margin={{ left: 0, bottom: m.bottom }}
          x={{
            scale: x,
            ticks: 5,
            tickFormat: nj,
            label: te('x', { tokens }),
            labelOffset: 30,
          }}
          width={width}
          height={height}
          label={te('label')}
        >
          {rows.map(([layer, r], i) => {
            const y = m.top + i * (barH + 6);
            let acc = 0;
            const segments = SEGMENTS.map((seg) => ({
              y,
              height: barH,
              x0: acc,
              x1: (acc += r[seg.key]),
              fill: ENERGY_COLOURS[seg.key],
              title: te('segmentTitle', { layer, segment: seg.label, value: nj(r[seg.key]) }),
            }));
            return (
              <g key={layer}>
                <text
                  x={m.left - 6}
                  y={y + barH / 2}
                  dy="0.35em"
                  textAnchor="end"
                  fontSize={10}
                  fill="currentColor"
                >{`L${layer}`}</text>
                <BarsX data={segments} x={x} />
                <RuleX
                  x={r.fp8}
                  scale={x}
                  y1={y - 2}
                  y2={y + barH + 2}
                  strokeWidth={2}
                  title={te('fp8Title', { value: nj(r.fp8) })}
                />
                <RuleX
                  x={r.nvfp4}
                  scale={x}
                  y1={y - 2}
                  y2={y + barH + 2}
                  stroke={PALETTE.reference}
                  strokeWidth={2}
                  dash="3 2"
                  title={te('nvfp4Title', { value: nj(r.nvfp4) })}
                />
              </g>
            );
          })}
        </Plot>
        <SwatchLegend
          className="mt-1 max-w-[520px]"
          items={[
            { label: te('allFp8'), colour: PALETTE.ink, kind: 'tick' },
            { label: te('allNvfp4'), colour: PALETTE.reference, kind: 'tick', dash: '3 2' },
            ...SEGMENTS.map((s) => ({ label: s.label, colour: ENERGY_COLOURS[s.key] })),
          ]}
        />
      </div>
      <EnergyTotals hw={hw} measured={measured} nj={nj} />
      <div className="w-full">
        {onPreset && <Presets preset={preset} onPreset={onPreset} />}
        <ComponentTable hw={hw} measured={preset === 'prefill' ? (measured?.components ?? null) : null} />
      </div>
      <ParamTable params={params} overrides={overrides} onOverride={onOverride} />
    </div>
  );
}

/** Energy and weight-memory totals, and the pipeline's own figures for this configuration when it has run. */
function EnergyTotals({
  hw,
  measured,
  nj,
}: {
  hw: HardwareReport;
  measured: { energyVsFp8: number; actFp8Share: number | null; tokens: number; stale?: boolean } | null;
  nj: (pj: number) => string;
}) {
  const memSavedFp8 = 1 - hw.weightBits.mixed / hw.weightBits.allFp8;
  return (
    <dl className="grid h-fit grid-cols-[auto_auto] gap-x-3 gap-y-0.5 text-xs tabular-nums" data-testid="energy-totals">
      <dt>{te('totals.energy')}</dt>
      <dd>{nj(hw.total.total)}</dd>
      <dt>{te('totals.vsFp8')}</dt>
      <dd data-testid="energy-ratio-fp8">{formatPercent(hw.vsFp8 - 1)}</dd>
      <dt>{te('totals.vsNvfp4')}</dt>
      <dd>{formatPercent(hw.vsNvfp4 - 1)}</dd>
      <dt className="mt-2 font-semibold">{te('totals.memory')}</dt>
      <dd className="mt-2" data-testid="memory-mixed" data-bits={hw.weightBits.mixed}>
        {formatBits(hw.weightBits.mixed)}
      </dd>
      <dt>{te('allFp8')}</dt>
      <dd>{formatBits(hw.weightBits.allFp8)}</dd>
      <dt>{te('allNvfp4')}</dt>
      <dd>{formatBits(hw.weightBits.allNvfp4)}</dd>
      <dt>{te('totals.saved')}</dt>
      <dd>{formatPercent(memSavedFp8)}</dd>
      <dt>{te('totals.bits')}</dt>
      <dd>{hw.weightBits.bitsPerWeight.toFixed(3)}</dd>
      {measured && (
        <>
          <dt className="mt-2 font-semibold" title={te('totals.measuredTitle')}>
            {te('totals.measured')}
          </dt>
          <dd
            className={`mt-2 ${measured.stale ? 'stale' : ''}`}
            data-testid="energy-measured"
            data-stale={measured.stale ? 'true' : 'false'}
            title={measured.stale ? te('totals.measuredStale') : undefined}
          >
            {te('totals.measuredVsFp8', { pct: formatPercent(measured.energyVsFp8 - 1) })}
            {measured.stale && ` ${te('totals.staleMark')}`}
          </dd>
          <dt>{te('totals.actShare')}</dt>
          <dd className={measured.stale ? 'stale' : undefined}>
            {measured.actFp8Share === null ? '—' : formatPercent(measured.actFp8Share)}
          </dd>
          <dt>{te('totals.tokens')}</dt>
          <dd className={measured.stale ? 'stale' : undefined}>{measured.tokens.toLocaleString('en-US')}</dd>
        </>
      )}
    </dl>
  );
}
