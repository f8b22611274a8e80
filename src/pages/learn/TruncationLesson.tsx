// Lesson 2: how many mantissa bits do weights need? Drop bits of a seeded Gaussian tensor and watch the error,
// and the perplexity of the app's model (computed in the pipeline worker); opened directly, the lesson loads
// the default model itself, as the explorer does.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
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
import { ModelPerplexity } from './truncationPerplexity';

type Mode = MantissaMode;

const MODES: readonly Mode[] = ['truncate', 'round'];

export function TruncationLesson() {
  const { t } = useTranslation('learn');
  const modeOptions = MODES.map((m) => ({ value: m, label: t(`truncation.mode.${m}`) }));
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
          <Trans
            t={t}
            i18nKey="truncation.intro"
            values={{ manBits: FP32.manBits, size: weights.length, std: exact(TRUNCATION_TENSOR.std) }}
            components={{ n: <Num />, size: <Num testId="tensor-size" /> }}
          />
        </p>
      </Prose>
      <Controls>
        <Slider
          label={t('truncation.keepBits')}
          value={keep}
          min={0}
          max={FP32.manBits}
          step={1}
          onChange={setKeep}
          testId="keep-bits"
        />
        <Segmented label={t('truncation.dropBy')} value={mode} options={modeOptions} onChange={setMode} testId="mode" />
      </Controls>
      <Section title={t('truncation.errorTitle')}>
        <p className="text-sm">
          <Trans
            t={t}
            i18nKey={`truncation.error.${mode}`}
            values={{
              keep,
              total: FP32.manBits,
              sqnr: db(chosen.sqnrDb),
              mse: sig(chosen.mse),
              maxAbs: sig(chosen.maxAbs),
              maxRel: sig(maxRel),
              exp: mode === 'truncate' ? keep : keep + 1,
              bound: sig(relBound),
              example: exact(example),
              after: exact(exampleAfter),
            }}
            components={{
              n: <Num />,
              keep: <Num testId="keep-shown" />,
              sqnr: <Num testId="sqnr" />,
              mse: <Num testId="mse" />,
              maxAbs: <Num testId="max-abs" />,
              maxRel: <Num testId="max-rel" />,
              bound: <Num testId="rel-bound" />,
              after: <Num testId="example-after" />,
            }}
          />
        </p>
        <p className="text-sm">
          <Trans
            t={t}
            i18nKey={
              bf16.mse === curve[BF16.manBits].round.mse && tf32.mse === curve[TF32.manBits].round.mse
                ? 'truncation.slope.match'
                : 'truncation.slope.bug'
            }
            values={{
              slope: slope.toFixed(2),
              from: SLOPE_FIT[0],
              to: SLOPE_FIT[1],
              penalty: (point.round.sqnrDb - point.truncate.sqnrDb).toFixed(1),
              bf16Bits: BF16.manBits,
              tf32Bits: TF32.manBits,
              bf16: db(bf16.sqnrDb),
              tf32: db(tf32.sqnrDb),
            }}
            components={{
              n: <Num />,
              slope: <Num testId="db-per-bit" />,
              penalty: <Num testId="trunc-penalty" />,
              bf16: <Num testId="bf16-sqnr" />,
              tf32: <Num testId="tf32-sqnr" />,
            }}
          />
        </p>
        <BitsView x={example} keep={keep} />
        <ErrorCurve curve={curve} keep={keep} mode={mode} />
      </Section>
      <Section title={t('truncation.perplexityTitle')}>
        <ModelPerplexity keep={keep} mode={mode} />
      </Section>
    </div>
  );
}

function BitsView({ x, keep }: { x: number; keep: number }) {
  const { t } = useTranslation('learn');
  const bits = new Uint32Array(new Float32Array([x]).buffer)[0].toString(2).padStart(32, '0');
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm">
      <span>{t('truncation.bits.title')}</span>
      <span className="font-mono" aria-label={t('truncation.bits.aria', { keep, dropped: 23 - keep })}>
        <span className="bg-[#CC79A7] px-0.5 text-black">{bits[0]}</span>
        <span className="bg-[#56B4E9] px-0.5 text-black">{bits.slice(1, 9)}</span>
        <span className="bg-[#E69F00] px-0.5 text-black">{bits.slice(9, 9 + keep)}</span>
        <span className="px-0.5 text-slate-600 line-through dark:text-slate-400">{bits.slice(9 + keep)}</span>
      </span>
      <span className="text-xs text-slate-600 dark:text-slate-400">{t('truncation.bits.key')}</span>
    </div>
  );
}

function ErrorCurve({ curve, keep, mode }: { curve: ReturnType<typeof truncationCurve>; keep: number; mode: Mode }) {
  const { t } = useTranslation('learn');
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
    { key: 'truncate' as const, label: t('truncation.curve.truncate'), color: OKABE_ITO.vermillion, dash: '' },
    { key: 'round' as const, label: t('truncation.curve.round'), color: OKABE_ITO.blue, dash: '6 3' },
  ];
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{ scale: x, ticks: 12, label: t('truncation.curve.x') }}
      y={{ scale: y, ticks: 6, label: t('truncation.curve.y') }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-3xl"
      label={t('truncation.curve.aria')}
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
