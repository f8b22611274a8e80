// Lesson 5: outlier features in activations, what they do to INT8, and two fixes: LLM.int8()'s
// mixed-precision decomposition and SmoothQuant's migration of scale into the weights.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
import { errorMetrics, INT8 } from '../../core/formats';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Slider } from '../../views/inputs';
import { MatrixFigure, useMagnitudeColour } from '../../views/charts';
import { AlphaCurve, ChannelBars, ErrorMaps } from './outliersCharts';
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
  const { t } = useTranslation('learn');
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
          <Trans
            t={t}
            i18nKey="outliers.intro"
            values={{ tokens, channels, outlier: outlierChannel, gain }}
            components={{ n: <Num />, gain: <Num testId="gain-shown" /> }}
          />
        </p>
      </Prose>
      <Controls>
        <Slider label={t('outliers.gain')} value={gain} min={1} max={80} step={1} onChange={setGain} testId="gain" />
        <Slider
          label={t('outliers.threshold')}
          value={threshold}
          min={1}
          max={20}
          step={0.5}
          onChange={setThreshold}
          testId="threshold"
        />
        <Slider
          label={t('outliers.alpha')}
          value={alpha}
          min={0}
          max={1}
          step={0.05}
          onChange={setAlpha}
          format={(v) => v.toFixed(2)}
          testId="alpha"
        />
      </Controls>
      <Section title={t('outliers.activationsTitle')}>
        <MatrixFigure
          values={x}
          rows={tokens}
          cols={channels}
          cell={3}
          colour={magnitude}
          label={t('outliers.activationsAria')}
          testId="activation-map"
          legendTitle={t('outliers.activationsLegend')}
          tickFormat={(v) => sig(v, 2)}
        />
      </Section>
      <Section title={t('outliers.perTensorTitle')}>
        <Prose>
          <p data-testid="per-tensor-text">
            <Trans
              t={t}
              i18nKey="outliers.perTensor"
              values={{
                scale: sig(perTensor.xq.scales[0]),
                levels: normalLevels,
                max: INT8.maxFinite,
                actSqnr: db(xErrTensor.sqnrDb),
                tensor: db(errTensor.sqnrDb),
                token: db(errToken.sqnrDb),
                gain: (errToken.sqnrDb - errTensor.sqnrDb).toFixed(1),
              }}
              components={{
                n: <Num />,
                scale: <Num testId="act-scale" />,
                levels: <Num testId="normal-levels" />,
                actSqnr: <Num testId="act-sqnr" />,
                tensor: <Num testId="out-tensor" />,
                token: <Num testId="out-token" />,
              }}
            />
          </p>
        </Prose>
      </Section>
      <Section title={t('outliers.decompositionTitle')}>
        <Prose>
          <p data-testid="decomposition-text">
            <Trans
              t={t}
              i18nKey="outliers.decomposition"
              values={{
                threshold,
                count: decomp.outliers.length,
                channels,
                share: pct(decomp.outliers.length / channels),
                list:
                  decomp.outliers.length > 0 && decomp.outliers.length <= 8
                    ? t('outliers.channelList', { list: decomp.outliers.join(', ') })
                    : '',
                sqnr: db(errDecomp.sqnrDb),
              }}
              components={{ n: <Num />, count: <Num testId="outlier-count" />, sqnr: <Num testId="out-decomp" /> }}
            />
          </p>
        </Prose>
      </Section>
      <Section title={t('outliers.smoothTitle')}>
        <Prose>
          <p data-testid="smooth-text">
            <Trans
              t={t}
              i18nKey="outliers.smooth"
              values={{
                alpha: alpha.toFixed(2),
                sqnr: db(errSmooth.sqnrDb),
                plain: db(errTensor.sqnrDb),
                best: best.alpha.toFixed(2),
                bestSqnr: db(best.sqnrDb),
              }}
              components={{
                n: <Num />,
                alpha: <Num testId="alpha-shown" />,
                sqnr: <Num testId="out-smooth" />,
                best: <Num testId="best-alpha" />,
                bestSqnr: <Num testId="best-sqnr" />,
              }}
            />
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
