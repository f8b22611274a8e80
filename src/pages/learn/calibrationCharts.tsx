// Lesson 6's charts: the sample histogram with each method's thresholds, MSE against the threshold, and
// the clipping curves of the Fisher-weighted tensor.
import * as d3 from 'd3';
import { useTranslation } from 'react-i18next';
import { Axis, Dots, Key, Line, OKABE_ITO, Plot, RuleX } from '../../views/charts';
import { sig } from './fmt';
import type { CalibrationTable } from './calibrationModel';

export const METHOD_COLOURS: Record<string, string> = {
  absmax: OKABE_ITO.grey,
  mse: OKABE_ITO.blue,
  kl: OKABE_ITO.vermillion,
  percentile: OKABE_ITO.green,
};
export const METHOD_DASH: Record<string, string> = { absmax: '', mse: '6 3', kl: '2 3', percentile: '8 3 2 3' };

export function Histogram({ x, rows, amax }: { x: Float32Array; rows: CalibrationTable['rows']; amax: number }) {
  const { t } = useTranslation('learn');
  const width = 900;
  const height = 260;
  const m = { l: 50, r: 20, t: 30, b: 40 };
  const xs = d3
    .scaleLinear()
    .domain([-amax, amax])
    .range([m.l, width - m.r]);
  const bins = d3.bin().domain([-amax, amax]).thresholds(160)(Array.from(x));
  const maxCount = d3.max(bins, (b) => b.length) ?? 1;
  const ys = d3
    .scaleLog()
    .domain([0.8, maxCount * 1.2])
    .range([height - m.b, m.t]);
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{ scale: xs, ticks: 10, label: t('calibration.histogram.x') }}
      y={{
        scale: ys,
        tickValues: [1, 10, 100, 1000, 10000].filter((v) => v <= maxCount * 1.2),
        tickFormat: (v) => String(v),
        label: t('calibration.histogram.y'),
        labelOffset: 38,
      }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-5xl"
      label={t('calibration.histogram.aria')}
      testId="calib-histogram"
    >
      {bins.map((b, i) =>
        b.length > 0 ? (
          <rect
            key={i}
            x={xs(b.x0!)}
            width={Math.max(0.5, xs(b.x1!) - xs(b.x0!) - 0.5)}
            y={ys(b.length)}
            height={height - m.b - ys(b.length)}
            fill="currentColor"
            fillOpacity={0.35}
          />
        ) : null,
      )}
      {rows.map((r) =>
        [-1, 1].map((sgn) => (
          <RuleX
            key={`${r.id}${sgn}`}
            x={sgn * r.threshold}
            scale={xs}
            y1={m.t}
            y2={height - m.b}
            stroke={METHOD_COLOURS[r.id]}
            strokeWidth={2}
            dash={METHOD_DASH[r.id]}
          />
        )),
      )}
      <Key
        x={m.l}
        y={10}
        direction="row"
        step={210}
        fontSize={11}
        items={rows.map((r) => ({
          label: t(`calibration.key.${r.id}`),
          colour: METHOD_COLOURS[r.id],
          kind: 'line' as const,
          dash: METHOD_DASH[r.id],
        }))}
      />
    </Plot>
  );
}

export function MseCurve({
  search,
  amax,
  rows,
}: {
  search: CalibrationTable['search'];
  amax: number;
  rows: CalibrationTable['rows'];
}) {
  const { t } = useTranslation('learn');
  const width = 560;
  const height = 240;
  const m = { l: 60, r: 14, t: 10, b: 40 };
  const pts = search.curve.map((c) => ({ t: c.alpha * amax, mse: c.objective }));
  const xs = d3
    .scaleLog()
    .domain(d3.extent(pts, (p) => p.t) as [number, number])
    .range([m.l, width - m.r]);
  const ys = d3
    .scaleLog()
    .domain(d3.extent(pts, (p) => p.mse) as [number, number])
    .nice()
    .range([height - m.b, m.t]);
  const path =
    d3
      .line<{ t: number; mse: number }>()
      .x((p) => xs(p.t))
      .y((p) => ys(p.mse))(pts) ?? '';
  return (
    <figure className="flex flex-col gap-1">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        className="w-full max-w-xl"
        role="img"
        aria-label={t('calibration.mseCurve.aria')}
      >
        <path d={path} fill="none" stroke="currentColor" strokeWidth={1.5} />
        {rows.map((r) =>
          r.threshold >= xs.domain()[0] && r.threshold <= xs.domain()[1] ? (
            <circle
              key={r.id}
              cx={xs(r.threshold)}
              cy={ys(Math.max(r.metrics.mse, ys.domain()[0]))}
              r={5}
              fill={METHOD_COLOURS[r.id]}
              stroke="currentColor"
            />
          ) : null,
        )}
        <Axis
          scale={xs}
          orient="bottom"
          transform={`translate(0,${height - m.b})`}
          tickValues={[0.5, 1, 2, 5, 10, 20, 50, 100].filter((v) => v >= xs.domain()[0] && v <= xs.domain()[1])}
          tickFormat={(v) => sig(v, 2)}
          label={t('calibration.mseCurve.x')}
        />
        <Axis
          scale={ys}
          orient="left"
          transform={`translate(${m.l},0)`}
          label={t('calibration.mseCurve.y')}
          labelOffset={46}
        />
      </svg>
      <figcaption className="text-xs text-slate-600 dark:text-slate-400">
        {t('calibration.mseCurve.caption')}
      </figcaption>
    </figure>
  );
}

export function ClipCurves({ grid, mse, fisherMse }: { grid: number[]; mse: Float64Array; fisherMse: Float64Array }) {
  const { t } = useTranslation('learn');
  const width = 460;
  const height = 240;
  const m = { l: 50, r: 14, t: 28, b: 40 };
  const norm = (a: Float64Array) => Array.from(a, (v) => v / a[0]);
  const series = [
    { label: 'MSE', data: norm(mse), color: OKABE_ITO.blue, dash: '' },
    { label: t('calibration.clipCurves.fisher'), data: norm(fisherMse), color: OKABE_ITO.vermillion, dash: '6 3' },
  ];
  const all = series.flatMap((s) => s.data).filter(Number.isFinite);
  const xs = d3
    .scaleLinear()
    .domain([d3.min(grid)!, d3.max(grid)!])
    .range([m.l, width - m.r]);
  const ys = d3
    .scaleLinear()
    .domain([Math.min(...all) * 0.95, Math.max(...all) * 1.02])
    .range([height - m.b, m.t]);
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{ scale: xs, ticks: 6, label: t('calibration.clipCurves.x') }}
      y={{ scale: ys, ticks: 5, label: t('calibration.clipCurves.y'), labelOffset: 38 }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-md"
      label={t('calibration.clipCurves.aria')}
    >
      {series.map((s) => {
        const best = s.data.indexOf(Math.min(...s.data));
        return (
          <g key={s.label}>
            <Line data={s.data.map((v, i) => [grid[i], v] as const)} x={xs} y={ys} stroke={s.color} dash={s.dash} />
            <Dots data={[[grid[best], s.data[best]]]} x={xs} y={ys} fill={s.color} size={5} />
          </g>
        );
      })}
      <Key
        x={m.l}
        y={10}
        direction="row"
        step={150}
        fontSize={11}
        items={series.map((s) => ({ label: s.label, colour: s.color, kind: 'line' as const, dash: s.dash }))}
      />
    </Plot>
  );
}
