// Lesson 5's charts: activation error maps before and after smoothing, output SQNR against SmoothQuant's α,
// and the per-channel maxima the smoothing moves between activations and weights.
import { useMemo } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
import { errorMetrics } from '../../core/formats';
import { Num } from '../../views/learn/prose';
import { BarsY, ColorLegend, Dots, Heatmap, Key, Line, OKABE_ITO, Plot, useLogColour } from '../../views/charts';
import { db } from './fmt';
import { OUTLIER_SETUP } from './outliersModel';

export function ErrorMaps({
  x,
  perTensor,
  smoothed,
  alpha,
}: {
  x: Float32Array;
  perTensor: Float32Array;
  smoothed: Float32Array;
  alpha: number;
}) {
  const { t } = useTranslation('learn');
  const { tokens, channels } = OUTLIER_SETUP;
  const errs = useMemo(
    () => [perTensor, smoothed].map((q) => Float32Array.from(x, (v, i) => Math.abs(v - q[i]))),
    [x, perTensor, smoothed],
  );
  const top = Math.max(d3.max(errs[0]) ?? 1, d3.max(errs[1]) ?? 1);
  const { scale, colour: color } = useLogColour(top, 1000);
  const sqnr = [errorMetrics(x, perTensor).sqnrDb, errorMetrics(x, smoothed).sqnrDb];
  return (
    <div className="flex flex-wrap items-start gap-4">
      {[t('outliers.maps.plain'), t('outliers.maps.smoothed', { alpha: alpha.toFixed(2) })].map((title, k) => (
        <figure key={title} className="flex max-w-64 flex-col gap-1 text-xs">
          <Heatmap
            values={errs[k]}
            rows={tokens}
            cols={channels}
            cell={3}
            color={color}
            label={t('outliers.maps.aria', { title })}
          />
          <figcaption>
            <Trans
              t={t}
              i18nKey="outliers.maps.caption"
              values={{ title, sqnr: db(sqnr[k]) }}
              components={{ sqnr: <Num testId={k ? 'act-sqnr-smooth' : undefined} /> }}
            />
          </figcaption>
        </figure>
      ))}
      <ColorLegend scale={scale} title={t('outliers.maps.legend')} width={220} />
    </div>
  );
}

export function AlphaCurve({ curve, alpha }: { curve: { alpha: number; sqnrDb: number }[]; alpha: number }) {
  const { t } = useTranslation('learn');
  const width = 420;
  const height = 240;
  const m = { l: 50, r: 14, t: 10, b: 40 };
  const x = d3
    .scaleLinear()
    .domain([0, 1])
    .range([m.l, width - m.r]);
  const ext = d3.extent(curve, (p) => p.sqnrDb) as [number, number];
  const y = d3
    .scaleLinear()
    .domain([Math.floor(ext[0] - 1), Math.ceil(ext[1] + 1)])
    .range([height - m.b, m.t]);
  const pts = curve.map((p) => [p.alpha, p.sqnrDb] as const);
  const current = curve.reduce((a, b) => (Math.abs(b.alpha - alpha) < Math.abs(a.alpha - alpha) ? b : a));
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{ scale: x, ticks: 5, label: 'α' }}
      y={{ scale: y, ticks: 5, label: t('outliers.alphaCurve.y'), labelOffset: 36 }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-md"
      label={t('outliers.alphaCurve.aria')}
    >
      <Line data={pts} x={x} y={y} stroke={OKABE_ITO.blue} />
      <Dots data={pts} x={x} y={y} fill={OKABE_ITO.blue} />
      <circle
        cx={x(current.alpha)}
        cy={y(current.sqnrDb)}
        r={7}
        fill="none"
        stroke={OKABE_ITO.vermillion}
        strokeWidth={2.5}
      />
    </Plot>
  );
}

export function ChannelBars({
  before,
  after,
  weights,
}: {
  before: Float64Array;
  after: Float64Array;
  weights: Float64Array;
}) {
  const { t } = useTranslation('learn');
  const width = 560;
  const height = 240;
  const m = { l: 50, r: 10, t: 26, b: 40 };
  const n = before.length;
  const x = d3
    .scaleBand<number>()
    .domain(d3.range(n))
    .range([m.l, width - m.r])
    .padding(0.1);
  const top = Math.max(d3.max(before) ?? 1, d3.max(after) ?? 1, d3.max(weights) ?? 1);
  const y = d3
    .scaleSymlog()
    .domain([0, top])
    .range([height - m.b, m.t]);
  const bw = x.bandwidth() / 3;
  const series = [
    { label: t('outliers.bars.before'), data: before, color: OKABE_ITO.grey },
    { label: t('outliers.bars.after'), data: after, color: OKABE_ITO.orange },
    { label: t('outliers.bars.weights'), data: weights, color: OKABE_ITO.blue },
  ];
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{
        scale: d3
          .scaleLinear()
          .domain([0, n - 1])
          .range([(x(0) ?? 0) + x.bandwidth() / 2, (x(n - 1) ?? 0) + x.bandwidth() / 2]),
        ticks: 8,
        label: t('outliers.bars.x'),
      }}
      y={{
        scale: y,
        tickValues: [0, 1, 10, 100].filter((v) => v <= top),
        label: t('outliers.bars.y'),
        labelOffset: 36,
      }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-xl"
      label={t('outliers.bars.aria')}
    >
      {series.map((s, k) => (
        // Three bars per channel, side by side in its band (pixel edges, hence the identity x scale).
        <BarsY
          key={s.label}
          x={(px) => px}
          y={y}
          fill={s.color}
          data={Array.from(s.data, (v, j) => ({ x0: (x(j) ?? 0) + k * bw, x1: (x(j) ?? 0) + (k + 1) * bw, y: v }))}
        />
      ))}
      <Key
        x={m.l}
        y={10}
        direction="row"
        fontSize={11}
        items={series.map((s) => ({ label: s.label, colour: s.color }))}
      />
    </Plot>
  );
}
