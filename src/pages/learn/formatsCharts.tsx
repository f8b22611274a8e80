// Lesson 1's charts: the number line of a format's values, rounding on the line, and the ranges of all
// formats on one log axis. Values come from the core's encode/decode.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
import { Minifloat, SCALAR_FORMATS, type ScalarFormat } from '../../core/formats';
import { Num, Prose, Section } from '../../views/learn/prose';
import { Segmented } from '../../views/inputs';
import { Axis, OKABE_ITO } from '../../views/charts';
import { exact, sig } from './fmt';
import { rangeAndPrecision, valuesInRange } from './formatsModel';

type AxisKind = 'linear' | 'symlog';
const AXIS_KINDS: readonly AxisKind[] = ['linear', 'symlog'];

export function NumberLine({ format, lo, hi, x }: { format: ScalarFormat; lo: number; hi: number; x: number | null }) {
  const { values, truncated } = useMemo(() => valuesInRange(format, lo, hi), [format, lo, hi]);
  const [axisKind, setAxisKind] = useState<AxisKind>('linear');
  const { t } = useTranslation('learn');
  const axisOptions = AXIS_KINDS.map((k) => ({ value: k, label: t(`formats.numberLine.axis.${k}`) }));
  const width = 900;
  const scale = useMemo(() => {
    const range = [20, width - 20];
    if (axisKind === 'linear') return d3.scaleLinear().domain([lo, hi]).range(range);
    // Symmetric log: linear within the smallest positive step, logarithmic beyond, so every binade gets room.
    const smallest = values.find((v) => v > 0) ?? 1;
    return d3.scaleSymlog().constant(smallest).domain([lo, hi]).range(range);
  }, [lo, hi, axisKind, values]);
  const ticks = axisKind === 'linear' ? scale.ticks(10) : symlogTicks(lo, hi);
  const rounded = x === null ? null : format.round(x);
  const inView = (v: number | null) => v !== null && Number.isFinite(v) && v >= lo && v <= hi;
  return (
    <Section title={t('formats.numberLine.title')}>
      <p className="text-sm">
        <Trans
          t={t}
          i18nKey={format.kind === 'float' ? 'formats.numberLine.summaryFloat' : 'formats.numberLine.summary'}
          values={{
            n: values.length,
            plus: truncated ? '+' : '',
            format: format.name,
            lo: exact(lo),
            hi: exact(hi),
            note: truncated ? t('formats.numberLine.truncated') : '',
            max: exact(format.maxFinite),
            minNormal: exact(format.minNormal),
            minSubnormal: exact(format.minSubnormal),
          }}
          components={{
            count: <Num testId="range-count" />,
            max: <Num testId="format-max" />,
            normal: <Num testId="format-min-normal" />,
            sub: <Num testId="format-min-subnormal" />,
          }}
        />
      </p>
      <svg
        viewBox={`0 0 ${width} 90`}
        className="w-full max-w-5xl"
        role="img"
        aria-label={t('formats.numberLine.aria', {
          n: values.length,
          format: format.name,
          lo: exact(lo),
          hi: exact(hi),
        })}
        data-testid="number-line"
      >
        <g>
          {values.map((v) => (
            <line
              key={v}
              x1={scale(v)}
              x2={scale(v)}
              y1={22}
              y2={50}
              stroke={OKABE_ITO.blue}
              strokeWidth={values.length > 400 ? 0.5 : 1.5}
              className="dark:stroke-sky-300"
            >
              <title>{exact(v)}</title>
            </line>
          ))}
        </g>
        {x !== null && inView(x) && (
          <g>
            <path d={`M${scale(x)},12 l-5,-8 h10 z`} fill={OKABE_ITO.vermillion} />
          </g>
        )}
        {rounded !== null && inView(rounded) && (
          <circle cx={scale(rounded)} cy={36} r={5} fill="none" stroke={OKABE_ITO.vermillion} strokeWidth={2.5} />
        )}
        <Axis
          scale={scale}
          orient="bottom"
          transform="translate(0,52)"
          tickValues={ticks}
          tickFormat={(v) => sig(v, 3)}
        />
      </svg>
      <div className="flex flex-wrap items-end gap-4">
        <Segmented
          label={t('formats.numberLine.axis.label')}
          value={axisKind}
          options={axisOptions}
          onChange={setAxisKind}
          testId="axis-kind"
        />
        <p className="text-xs text-slate-600 dark:text-slate-400">{t('formats.numberLine.key')}</p>
      </div>
    </Section>
  );
}

/** A zoom on the two neighbours of x, their midpoint and the winner of round-to-nearest-even. */
export function RoundingLine(props: {
  format: ScalarFormat;
  x: number;
  below: number | null;
  above: number | null;
  rounded: number;
}) {
  const { format, x, below, above, rounded } = props;
  const { t } = useTranslation('learn');
  if (below === null || above === null || below === above || !Number.isFinite(x)) {
    return (
      <p className="text-sm" data-testid="rounding-note">
        {t(below === above ? 'formats.rounding.exact' : 'formats.rounding.outside', { x: exact(x) })}
      </p>
    );
  }
  const mid = (below + above) / 2;
  const tie = x === mid;
  const evenCode = (v: number) => {
    const c = format.encode(v);
    return format instanceof Minifloat || format.kind === 'nf4' ? c % 2 === 0 : Math.abs(c) % 2 === 0;
  };
  const pad = (above - below) * 0.35;
  const width = 900;
  const scale = d3
    .scaleLinear()
    .domain([below - pad, above + pad])
    .range([20, width - 20]);
  const tickFormat = (v: number) => exact(v);
  return (
    <div className="flex flex-col gap-1">
      <p className="text-sm" data-testid="rounding-note">
        <Trans
          t={t}
          i18nKey={tie ? 'formats.rounding.tie' : 'formats.rounding.nearer'}
          values={{ x: exact(x), below: exact(below), above: exact(above), mid: exact(mid), rounded: exact(rounded) }}
          components={{
            below: <Num testId="neighbour-below" />,
            above: <Num testId="neighbour-above" />,
            mid: <Num testId="midpoint" />,
          }}
        />
      </p>
      <svg
        viewBox={`0 0 ${width} 70`}
        className="w-full max-w-5xl"
        role="img"
        aria-label={t('formats.rounding.aria', { x: exact(x), rounded: exact(rounded) })}
      >
        <line x1={scale(below)} x2={scale(above)} y1={30} y2={30} stroke="currentColor" strokeOpacity={0.4} />
        {[below, above].map((v) => (
          <g key={v}>
            <line x1={scale(v)} x2={scale(v)} y1={18} y2={42} stroke={OKABE_ITO.blue} strokeWidth={3} />
            <text x={scale(v)} y={12} textAnchor="middle" fontSize={11} fill="currentColor">
              {t(evenCode(v) ? 'formats.rounding.evenCode' : 'formats.rounding.oddCode')}
            </text>
          </g>
        ))}
        <line x1={scale(mid)} x2={scale(mid)} y1={20} y2={40} stroke="currentColor" strokeDasharray="3 3" />
        <path d={`M${scale(x)},24 l-5,-9 h10 z`} fill={OKABE_ITO.vermillion} />
        <path
          d={`M${scale(x)},34 Q${(scale(x) + scale(rounded)) / 2},52 ${scale(rounded)},36`}
          fill="none"
          stroke={OKABE_ITO.vermillion}
          strokeWidth={2}
          markerEnd="url(#learn-arrow)"
        />
        <defs>
          <marker id="learn-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" fill={OKABE_ITO.vermillion} />
          </marker>
        </defs>
        <Axis
          scale={scale}
          orient="bottom"
          transform="translate(0,50)"
          tickValues={[below, mid, above]}
          tickFormat={tickFormat}
        />
      </svg>
    </div>
  );
}

/** Axis ticks for a symmetric log scale: 0 and signed powers of ten inside [lo, hi]. */
export function symlogTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  for (let k = Math.floor(Math.log10(top)); k >= Math.floor(Math.log10(top)) - 4; k--) {
    for (const v of [10 ** k, -(10 ** k)]) if (v >= lo && v <= hi) out.push(v);
  }
  if (lo <= 0 && hi >= 0) out.push(0);
  return out.sort((a, b) => a - b);
}

/** Dynamic range (binades between the smallest and largest positive value) and precision of every format. */
export function RangeComparison({ selected }: { selected: string }) {
  const { t } = useTranslation('learn');
  const rows = SCALAR_FORMATS.map((f) => ({ f, ...rangeAndPrecision(f) }));
  const width = 900;
  const rowH = 20;
  const left = 150;
  const lows = rows.map(({ f }) => Math.log2(f.kind === 'int' ? 1 : f.minSubnormal));
  const highs = rows.map(({ f }) => Math.log2(f.maxFinite));
  const scale = d3
    .scaleLinear()
    .domain([Math.floor(Math.min(...lows) / 10) * 10, Math.ceil(Math.max(...highs) / 10) * 10])
    .range([left, width - 20]);
  const height = rows.length * rowH + 40;
  return (
    <Section title={t('formats.ranges.title')}>
      <Prose>
        <p>{t('formats.ranges.text')}</p>
      </Prose>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        className="w-full max-w-5xl"
        role="img"
        aria-label={t('formats.ranges.aria')}
      >
        {rows.map(({ f }, i) => {
          const y = i * rowH + 4;
          const lowNormal = Math.log2(f.kind === 'int' ? 1 : f.minNormal);
          return (
            <g key={f.id} fontWeight={f.id === selected ? 700 : 400}>
              <text x={left - 6} y={y + 12} textAnchor="end" fontSize={11} fill="currentColor">
                {f.id.toUpperCase()}
              </text>
              <rect
                x={scale(lows[i])}
                y={y + 3}
                width={Math.max(1, scale(highs[i]) - scale(lows[i]))}
                height={12}
                fill={OKABE_ITO.skyBlue}
              />
              <rect
                x={scale(lowNormal)}
                y={y + 3}
                width={Math.max(1, scale(highs[i]) - scale(lowNormal))}
                height={12}
                fill={OKABE_ITO.blue}
                stroke={f.id === selected ? OKABE_ITO.vermillion : 'none'}
                strokeWidth={2}
              />
            </g>
          );
        })}
        <Axis
          scale={scale}
          orient="bottom"
          transform={`translate(0,${rows.length * rowH + 6})`}
          ticks={12}
          label={t('formats.ranges.axis')}
          labelOffset={32}
        />
      </svg>
      <div className="overflow-x-auto">
        <table className="text-sm" data-testid="range-table">
          <thead>
            <tr className="border-b border-slate-300 text-left whitespace-nowrap dark:border-slate-700">
              <th className="px-2 py-1">{t('formats.ranges.format')}</th>
              <th className="px-2 py-1 text-right">{t('formats.ranges.bits')}</th>
              <th className="px-2 py-1 text-right">{t('formats.ranges.largest')}</th>
              <th className="px-2 py-1 text-right">{t('formats.ranges.smallest')}</th>
              <th className="px-2 py-1 text-right">{t('formats.ranges.binades')}</th>
              <th className="px-2 py-1 text-right">{t('formats.ranges.relStep')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map(({ f, binades, relStep }) => (
              <tr
                key={f.id}
                data-testid={`range-row-${f.id}`}
                className={`border-b border-slate-200 dark:border-slate-800 ${f.id === selected ? 'bg-sky-50 dark:bg-sky-950' : ''}`}
              >
                <td className="px-2 py-0.5">{f.name}</td>
                <td className="px-2 py-0.5 text-right font-mono">{f.bits}</td>
                <td className="px-2 py-0.5 text-right font-mono">
                  {f.maxFinite >= 1e6 ? sig(f.maxFinite) : exact(f.maxFinite)}
                </td>
                <td className="px-2 py-0.5 text-right font-mono">{sig(f.kind === 'int' ? 1 : f.minSubnormal)}</td>
                <td className="px-2 py-0.5 text-right font-mono" data-testid={`binades-${f.id}`}>
                  {binades.toFixed(1)}
                </td>
                <td className="px-2 py-0.5 text-right font-mono">{sig(relStep, 3)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
