// Lesson 2: how many mantissa bits do weights need? Drop bits of a seeded Gaussian tensor and watch the error,
// and the perplexity of the app's model (computed in the pipeline worker); opened directly, the lesson loads
// the default model itself, as the explorer does.
import { useEffect, useMemo, useState } from 'react';
import * as d3 from 'd3';
import { BF16, errorMetrics, FP32, quantizeGrouped, TF32 } from '../../core/formats';

/** Kept-bit range of the SQNR-per-bit fit (away from 0 bits and from exactness at 23). */
const SLOPE_FIT = [2, 20] as const;
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Segmented, Slider } from '../../views/inputs';
import { Key, Line, OKABE_ITO, Plot } from '../../views/charts';
import { db, exact, sig } from './fmt';
import {
  dbPerBit,
  roundMantissa,
  truncateMantissa,
  TRUNCATION_TENSOR,
  truncationCurve,
  truncationTensor,
  type MantissaMode,
} from './truncationModel';
import { useExplorer } from '../../store/explorerStore';
import { openDefaultModel } from '../../store/actions';
import {
  requestTruncationPerplexity,
  truncationContext,
  truncationError,
  truncationKey,
  truncationProgress,
  truncationResult,
  truncationRunning,
} from '../../store/truncation';

type Mode = MantissaMode;

const MODE_OPTIONS: readonly { value: Mode; label: string }[] = [
  { value: 'truncate', label: 'Truncation' },
  { value: 'round', label: 'Rounding (RNE)' },
];

export function TruncationLesson() {
  const weights = useMemo(() => truncationTensor(), []);
  const curve = useMemo(() => truncationCurve(weights), [weights]);
  const [keep, setKeep] = useState<number>(BF16.manBits);
  const [mode, setMode] = useState<Mode>('truncate');
  const point = curve[keep];
  const chosen = point[mode];
  const slope = dbPerBit(curve, SLOPE_FIT[0], SLOPE_FIT[1], (p) => p.round.sqnrDb);
  const bf16 = errorMetrics(weights, quantizeGrouped(weights, BF16).values);
  const tf32 = errorMetrics(weights, quantizeGrouped(weights, TF32).values);
  const after = useMemo(
    () => (mode === 'truncate' ? truncateMantissa : roundMantissa)(weights, keep),
    [weights, keep, mode],
  );
  let maxRel = 0;
  for (let i = 0; i < weights.length; i++)
    if (weights[i] !== 0) maxRel = Math.max(maxRel, Math.abs((after[i] - weights[i]) / weights[i]));
  // Keeping k bits leaves a relative gap of 2^-k between neighbours: truncation loses less than a gap, rounding at most half.
  const relBound = mode === 'truncate' ? 2 ** -keep : 2 ** -(keep + 1);
  const example = weights[0];
  const exampleAfter = (mode === 'truncate' ? truncateMantissa : roundMantissa)(weights.subarray(0, 1), keep)[0];

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          A float32 weight has <Num>{FP32.manBits}</Num> mantissa bits. How many does a network need? Here a seeded
          Gaussian tensor of <Num testId="tensor-size">{weights.length}</Num> weights (standard deviation{' '}
          <Num>{exact(TRUNCATION_TENSOR.std)}</Num>, like a linear layer&apos;s) keeps only the top mantissa bits; the
          exponent is untouched, so the relative error of each weight is bounded by the bits kept. Truncation simply
          zeroes the dropped bits (rounds toward zero); rounding picks the nearest value, ties to even.
        </p>
      </Prose>
      <Controls>
        <Slider
          label="Mantissa bits kept"
          value={keep}
          min={0}
          max={FP32.manBits}
          step={1}
          onChange={setKeep}
          testId="keep-bits"
        />
        <Segmented label="Dropping bits by" value={mode} options={MODE_OPTIONS} onChange={setMode} testId="mode" />
      </Controls>
      <Section title="Error of the tensor">
        <p className="text-sm">
          Keeping <Num testId="keep-shown">{keep}</Num> of {FP32.manBits} mantissa bits by{' '}
          {mode === 'truncate' ? 'truncation' : 'rounding'}: SQNR <Num testId="sqnr">{db(chosen.sqnrDb)}</Num>, mean
          squared error <Num testId="mse">{sig(chosen.mse)}</Num>, largest error{' '}
          <Num testId="max-abs">{sig(chosen.maxAbs)}</Num>. The largest relative error is{' '}
          <Num testId="max-rel">{sig(maxRel)}</Num>, within the bound 2^−{mode === 'truncate' ? keep : keep + 1} ={' '}
          <Num testId="rel-bound">{sig(relBound)}</Num> that {keep} kept bits guarantee
          {mode === 'round' ? ' when rounding' : ''}. The first weight, <Num>{exact(example)}</Num>, becomes{' '}
          <Num testId="example-after">{exact(exampleAfter)}</Num>.
        </p>
        <p className="text-sm">
          Each mantissa bit is worth about <Num testId="db-per-bit">{slope.toFixed(2)}</Num> dB of SQNR (slope of the
          rounding curve between <Num>{SLOPE_FIT[0]}</Num> and <Num>{SLOPE_FIT[1]}</Num> bits). Truncation costs about{' '}
          <Num testId="trunc-penalty">{(point.round.sqnrDb - point.truncate.sqnrDb).toFixed(1)}</Num> dB against
          rounding at this width. BF16 (<Num>{BF16.manBits}</Num> bits, rounded) gives{' '}
          <Num testId="bf16-sqnr">{db(bf16.sqnrDb)}</Num> and TF32 (<Num>{TF32.manBits}</Num> bits){' '}
          <Num testId="tf32-sqnr">{db(tf32.sqnrDb)}</Num>
          {bf16.mse === curve[BF16.manBits].round.mse && tf32.mse === curve[TF32.manBits].round.mse
            ? `: exactly the rounding curve at ${BF16.manBits} and ${TF32.manBits} bits.`
            : ': (they differ from the rounding curve here, which would be a bug in the core).'}
        </p>
        <BitsView x={example} keep={keep} />
        <ErrorCurve curve={curve} keep={keep} mode={mode} />
      </Section>
      <Section title="Perplexity">
        <ModelPerplexity keep={keep} mode={mode} />
      </Section>
    </div>
  );
}

/** No model yet and the settings name the default one (a lesson link opened directly). */
function needsDefaultModel(): boolean {
  const st = useExplorer.getState();
  return !st.model.summary && st.model.status !== 'running' && st.settings.model.kind === 'default';
}

/** Perplexity of the explorer's model with every linear weight reduced to `keep` mantissa bits (worker). */
function ModelPerplexity({ keep, mode }: { keep: number; mode: Mode }) {
  const model = useExplorer((s) => s.model);
  const calibration = useExplorer((s) => s.calibration);
  const evaluationText = useExplorer((s) => s.texts.evaluation?.name ?? null);
  const context = useExplorer(truncationContext);
  const key = context ? truncationKey(context, keep, mode) : null;
  const result = useExplorer(truncationResult(key));
  const running = useExplorer(truncationRunning(key));
  const progress = useExplorer(truncationProgress(key));
  const error = useExplorer(truncationError(key));
  useEffect(() => {
    if (context) requestTruncationPerplexity(keep, mode);
  }, [context, keep, mode]);
  // Opened directly (no model yet, the settings on the default one): load it, as the explorer would.
  const [defaultTried, setDefaultTried] = useState(() => !needsDefaultModel());
  useEffect(() => {
    if (needsDefaultModel()) void openDefaultModel().finally(() => setDefaultTried(true));
  }, []);

  const box = 'rounded border p-2 text-sm';
  const warn = `${box} border-amber-400 bg-amber-50 dark:border-amber-600 dark:bg-amber-950`;
  const explorerLink = (
    <a href="#/explorer" className="text-sky-700 underline dark:text-sky-300" data-testid="truncation-explorer-link">
      the explorer
    </a>
  );
  if (!model.summary && model.status !== 'running' && !defaultTried)
    return (
      <p className={box} aria-live="polite" data-testid="truncation-loading">
        Loading the default model (the explorer&apos;s) to compute its perplexity with the bits chosen above…
      </p>
    );
  if (!model.summary && model.status !== 'running')
    return (
      <p className={warn} data-testid="no-model">
        No model is loaded in the app{model.status === 'error' && model.error ? ` (${model.error})` : ''}: this build
        has no default model. Open one of yours in {explorerLink}; come back here to see its perplexity with every
        linear weight reduced to the bits chosen above. Meanwhile the tensor error above is computed live.
      </p>
    );
  if (!context)
    return (
      <p className={warn} data-testid="truncation-waiting">
        {calibration.status === 'error'
          ? `The explorer could not calibrate ${model.summary?.name ?? 'the model'} (${calibration.error}); the perplexity needs its evaluation session. See `
          : `The app is ${model.status === 'running' ? 'loading' : 'calibrating'} ${model.summary?.name ?? 'the model'}; the perplexity appears here once it is ready (progress in `}
        {explorerLink}
        {calibration.status === 'error' ? '.' : ').'}
      </p>
    );
  if (error)
    return (
      <p
        className="rounded border border-red-500 bg-red-50 p-2 text-sm dark:border-red-500 dark:bg-red-950"
        role="alert"
        data-testid="truncation-error"
      >
        The pipeline worker could not compute the perplexity: {error}
      </p>
    );
  if (!result)
    return (
      <p className={box} aria-live="polite" data-testid="truncation-computing">
        computing… perplexity of {model.summary!.name} with {keep} mantissa bits (
        {mode === 'truncate' ? 'truncated' : 'rounded'}) in the pipeline worker
        {running && progress && progress.total > 0
          ? ` (${Math.round((100 * progress.done) / progress.total)}% of ${progress.label.toLowerCase()})`
          : ''}
      </p>
    );
  const verb = mode === 'truncate' ? 'truncated' : 'rounded';
  return (
    <div className="flex flex-col gap-2 text-sm" data-testid="truncation-ppl">
      <p>
        {model.summary!.name} on <Num testId="ppl-tokens">{result.tokens}</Num> evaluation tokens
        {evaluationText ? ` of ${evaluationText}` : ''}, with {result.weights} {verb} to <Num>{result.keep}</Num>{' '}
        mantissa bits (token embedding, norms and classifier stay float32): perplexity{' '}
        <span className="font-mono font-semibold" data-testid="ppl-truncated" data-value={result.ppl}>
          {result.ppl.toFixed(4)}
        </span>{' '}
        against{' '}
        <span className="font-mono font-semibold" data-testid="ppl-float32" data-value={result.float32Ppl}>
          {result.float32Ppl.toFixed(4)}
        </span>{' '}
        in float32 (<Num testId="ppl-ratio">{(result.ppl / result.float32Ppl).toFixed(4)}</Num>×, mean NLL{' '}
        <Num testId="nll-delta">
          {(result.meanNll - result.float32MeanNll >= 0 ? '+' : '−') +
            Math.abs(result.meanNll - result.float32MeanNll).toExponential(2)}
        </Num>{' '}
        nats).
        {result.keep === 23 ? ' All 23 bits kept: the float32 model itself.' : ''}
      </p>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        Computed in the pipeline worker ({result.engine}), {result.seconds.toFixed(2)} s; each (bits, mode) pair is
        computed once.
      </p>
    </div>
  );
}

function BitsView({ x, keep }: { x: number; keep: number }) {
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0].toString(2).padStart(32, '0');
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <span>Bits of the first weight:</span>
      <span
        className="font-mono"
        aria-label={`sign, 8 exponent bits, ${keep} kept and ${23 - keep} dropped mantissa bits`}
      >
        <span className="bg-[#CC79A7] px-0.5 text-black">{bits[0]}</span>
        <span className="bg-[#56B4E9] px-0.5 text-black">{bits.slice(1, 9)}</span>
        <span className="bg-[#E69F00] px-0.5 text-black">{bits.slice(9, 9 + keep)}</span>
        <span className="px-0.5 text-slate-600 line-through dark:text-slate-400">{bits.slice(9 + keep)}</span>
      </span>
      <span className="text-xs text-slate-600 dark:text-slate-400">
        (sign, exponent, kept mantissa, dropped mantissa)
      </span>
    </div>
  );
}

function ErrorCurve({ curve, keep, mode }: { curve: ReturnType<typeof truncationCurve>; keep: number; mode: Mode }) {
  const width = 720;
  const height = 260;
  const m = { l: 56, r: 120, t: 10, b: 40 };
  const x = d3
    .scaleLinear()
    .domain([0, 23])
    .range([m.l, width - m.r]);
  const finiteDb = curve.flatMap((p) => [p.round.sqnrDb, p.truncate.sqnrDb]).filter(Number.isFinite);
  const maxDb = d3.max(finiteDb) ?? 150;
  const y = d3
    .scaleLinear()
    .domain([0, Math.ceil(maxDb / 20) * 20])
    .range([height - m.b, m.t]);
  const series = [
    { key: 'truncate' as const, label: 'truncation', color: OKABE_ITO.vermillion, dash: '' },
    { key: 'round' as const, label: 'rounding', color: OKABE_ITO.blue, dash: '6 3' },
  ];
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{ scale: x, ticks: 12, label: 'mantissa bits kept' }}
      y={{ scale: y, ticks: 6, label: 'SQNR (dB)' }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-3xl"
      label="SQNR against mantissa bits kept, for truncation and rounding"
    >
      {series.map((s) => (
        <Line
          key={s.key}
          data={curve.map((p) => [p.keep, p[s.key].sqnrDb] as const)}
          x={x}
          y={y}
          stroke={s.color}
          dash={s.dash}
        />
      ))}
      <circle
        cx={x(keep)}
        cy={y(Math.min(curve[keep][mode].sqnrDb, y.domain()[1]))}
        r={6}
        fill="none"
        stroke="currentColor"
        strokeWidth={2}
      />
      <Key
        x={width - m.r + 12}
        y={m.t + 14}
        step={18}
        fontSize={12}
        items={series.map((s) => ({ label: s.label, colour: s.color, kind: 'line' as const, dash: s.dash }))}
      />
    </Plot>
  );
}
