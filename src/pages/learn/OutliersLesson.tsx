// Lesson 5: outlier features in activations, what they do to INT8, and two fixes: LLM.int8()'s
// mixed-precision decomposition and SmoothQuant's migration of scale into the weights.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { errorMetrics, INT8 } from '../../core/formats';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Slider } from '../../views/inputs';
import {
  BarsY,
  ColorLegend,
  Dots,
  Heatmap,
  Key,
  Line,
  MatrixFigure,
  OKABE_ITO,
  useLogColour,
  useMagnitudeColour,
  Plot,
} from '../../views/charts';
import { db, pct, sig } from './fmt';
import {
  channelAbsMax,
  decomposition,
  maxCodeOutside,
  OUTLIER_SETUP,
  outlierActivations,
  outlierWeights,
  outputError,
  reference,
  smoothCurve,
  smoothQuant,
  w8a8,
} from './outliersModel';

export function OutliersLesson() {
  const [gain, setGain] = useState(40);
  const [threshold, setThreshold] = useState(6);
  const [alpha, setAlpha] = useState(0.5);
  const { tokens, channels, outlierChannel } = OUTLIER_SETUP;
  const w = useMemo(() => outlierWeights(), []);
  const x = useMemo(() => outlierActivations(gain), [gain]);
  const yRef = useMemo(() => reference(x, w), [x, w]);
  const perTensor = useMemo(() => w8a8(x, w, 'tensor'), [x, w]);
  const perToken = useMemo(() => w8a8(x, w, 'row'), [x, w]);
  const decomp = useMemo(() => decomposition(x, w, threshold), [x, w, threshold]);
  const curve = useMemo(() => smoothCurve(x, w, yRef), [x, w, yRef]);
  const smooth = useMemo(() => smoothQuant(x, w, alpha), [x, w, alpha]);

  const xErrTensor = errorMetrics(x, perTensor.xq.values);
  const normalLevels = maxCodeOutside(perTensor.xq.codes, [outlierChannel]);
  const errTensor = outputError(yRef, perTensor.y);
  const errToken = outputError(yRef, perToken.y);
  const errDecomp = outputError(yRef, decomp.y);
  const errSmooth = outputError(yRef, smooth.y);
  const best = curve.reduce((a, b) => (b.sqnrDb > a.sqnrDb ? b : a));

  const amax = d3.max(x, (v) => Math.abs(v)) ?? 1;
  const magnitude = useMagnitudeColour(amax);

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          Large language models develop a few activation features (channels) whose values are tens of times larger than
          the rest, on almost every token. Here <Num>{tokens}</Num> tokens × <Num>{channels}</Num> channels of
          activations feed a linear layer; channel <Num>{outlierChannel}</Num> is the outlier, about{' '}
          <Num testId="gain-shown">{gain}</Num>× the others.
        </p>
      </Prose>
      <Controls>
        <Slider label="Outlier magnitude" value={gain} min={1} max={80} step={1} onChange={setGain} testId="gain" />
        <Slider
          label="Decomposition threshold"
          value={threshold}
          min={1}
          max={20}
          step={0.5}
          onChange={setThreshold}
          testId="threshold"
        />
        <Slider
          label="SmoothQuant α"
          value={alpha}
          min={0}
          max={1}
          step={0.05}
          onChange={setAlpha}
          format={(v) => v.toFixed(2)}
          testId="alpha"
        />
      </Controls>
      <Section title="The activations">
        <MatrixFigure
          values={x}
          rows={tokens}
          cols={channels}
          cell={3}
          colour={magnitude}
          label="Magnitude of each activation, tokens by channels"
          testId="activation-map"
          legendTitle="|activation| (cividis)"
          tickFormat={(v) => sig(v, 2)}
        />
      </Section>
      <Section title="Per-tensor INT8 activations">
        <Prose>
          <p data-testid="per-tensor-text">
            One INT8 scale for the whole activation matrix is set by the outlier: scale ={' '}
            <Num testId="act-scale">{sig(perTensor.xq.scales[0])}</Num>. The ordinary channels then use codes up to only
            ±<Num testId="normal-levels">{normalLevels}</Num> of ±<Num>{INT8.maxFinite}</Num>, and the activations keep
            an SQNR of <Num testId="act-sqnr">{db(xErrTensor.sqnrDb)}</Num>. The layer output (INT8 weights per output
            channel) has SQNR <Num testId="out-tensor">{db(errTensor.sqnrDb)}</Num>; with one scale per token instead it
            is <Num testId="out-token">{db(errToken.sqnrDb)}</Num>, only{' '}
            <Num>{(errToken.sqnrDb - errTensor.sqnrDb).toFixed(1)} dB</Num> better: the outlier is in every token, so
            every token&apos;s scale is still set by it.
          </p>
        </Prose>
      </Section>
      <Section title="Mixed-precision decomposition (LLM.int8())">
        <Prose>
          <p data-testid="decomposition-text">
            Channels with any |x| ≥ <Num>{threshold}</Num> go through FP16 (with the matching weight columns), the rest
            through INT8 with per-token and per-output-channel scales. At this threshold{' '}
            <Num testId="outlier-count">{decomp.outliers.length}</Num> of <Num>{channels}</Num> channels (
            <Num>{pct(decomp.outliers.length / channels)}</Num> of the multiply) run in FP16
            {decomp.outliers.length > 0 && decomp.outliers.length <= 8 && <> (channel {decomp.outliers.join(', ')})</>},
            and the output SQNR is <Num testId="out-decomp">{db(errDecomp.sqnrDb)}</Num>. Lower the threshold and
            ordinary channels join the FP16 part too.
          </p>
        </Prose>
      </Section>
      <Section title="SmoothQuant: migrate the scale into the weights">
        <Prose>
          <p data-testid="smooth-text">
            Divide each activation channel by s_j = max|X_j|^α / max|W_j|^(1−α) and multiply the weight column by the
            same s_j: the product is unchanged, but the activations become easier to quantize (one INT8 scale per tensor
            again) and the weights a little harder. At α = <Num testId="alpha-shown">{alpha.toFixed(2)}</Num> the output
            SQNR is <Num testId="out-smooth">{db(errSmooth.sqnrDb)}</Num> (without smoothing, per-tensor:{' '}
            <Num>{db(errTensor.sqnrDb)}</Num>). The best α on this grid is{' '}
            <Num testId="best-alpha">{best.alpha.toFixed(2)}</Num> with <Num testId="best-sqnr">{db(best.sqnrDb)}</Num>.
          </p>
        </Prose>
        <ErrorMaps x={x} perTensor={perTensor.xq.values} smoothed={smooth.xBack} alpha={alpha} />
        <div className="flex flex-wrap gap-6">
          <AlphaCurve curve={curve} alpha={alpha} />
          <ChannelBars
            before={channelAbsMax(x, channels)}
            after={channelAbsMax(smooth.xs, channels)}
            weights={channelAbsMax(smooth.ws, channels)}
          />
        </div>
      </Section>
    </div>
  );
}

function ErrorMaps({
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
      {['per-tensor INT8', `per-tensor INT8 after smoothing (α = ${alpha.toFixed(2)})`].map((title, k) => (
        <figure key={title} className="flex max-w-64 flex-col gap-1 text-xs">
          <Heatmap
            values={errs[k]}
            rows={tokens}
            cols={channels}
            cell={3}
            color={color}
            label={`Activation error, ${title}`}
          />
          <figcaption>
            |error| of {title}: SQNR <Num testId={k ? 'act-sqnr-smooth' : undefined}>{db(sqnr[k])}</Num>
          </figcaption>
        </figure>
      ))}
      <ColorLegend scale={scale} title="|activation error| (viridis, log)" width={220} />
    </div>
  );
}

function AlphaCurve({ curve, alpha }: { curve: { alpha: number; sqnrDb: number }[]; alpha: number }) {
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
      y={{ scale: y, ticks: 5, label: 'output SQNR (dB)', labelOffset: 36 }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-md"
      label="Output SQNR against SmoothQuant alpha"
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

function ChannelBars({ before, after, weights }: { before: Float64Array; after: Float64Array; weights: Float64Array }) {
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
    { label: 'max|X_j| before', data: before, color: OKABE_ITO.grey },
    { label: 'max|X_j/s_j| after', data: after, color: OKABE_ITO.orange },
    { label: 'max|W_j·s_j| after', data: weights, color: OKABE_ITO.blue },
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
        label: 'channel j',
      }}
      y={{
        scale: y,
        tickValues: [0, 1, 10, 100].filter((v) => v <= top),
        label: 'max magnitude (symlog)',
        labelOffset: 36,
      }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-xl"
      label="Per-channel maxima before and after smoothing"
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
