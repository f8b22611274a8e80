// Lesson 4: where the scales live. One tensor with outlier input channels, quantized per tensor, per
// channel, per group and per block (MXFP4, NVFP4, NF4 with double quantization); error maps side by side.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Select, Slider, Toggle } from '../../views/inputs';
import { ColorLegend, Heatmap, MatrixFigure, useLogColour, useMagnitudeColour } from '../../views/charts';
import { db, pct, sig } from './fmt';
import { E2M1, INT4, INT8, mxElementEmax, NVFP4_BLOCK } from '../../core/formats';

const MX_E2M1_EMAX = mxElementEmax('e2m1');
import { absError, GRANULARITY_TENSOR, granularityTensor, runSchemes, type SchemeResult } from './granularityModel';

const GROUP_OPTIONS = [16, 32, 64, 128].map((g) => ({ value: String(g), label: String(g) }));

/** A scheme's title and scale layout in the current language (NF4 has its double-quantized wording). */
function schemeText(t: TFunction, s: SchemeResult): { title: string; detail: string } {
  const dq = s.id === 'nf4' && s.counts.doubleQuant ? 'Dq' : '';
  return {
    title: t(`granularity.scheme.${s.id}.title${dq}`, { ...s.counts }),
    detail: t(`granularity.scheme.${s.id}.detail${dq}`, { ...s.counts }),
  };
}

export function GranularityLesson() {
  const { t } = useTranslation('learn');
  const [gain, setGain] = useState(12);
  const [groupSize, setGroupSize] = useState('32');
  const [doubleQuant, setDoubleQuant] = useState(false);
  const x = useMemo(() => granularityTensor(gain), [gain]);
  const schemes = useMemo(() => runSchemes(x, Number(groupSize), doubleQuant), [x, groupSize, doubleQuant]);
  const errors = useMemo(() => schemes.map((s) => absError(x, s.values)), [schemes, x]);
  const { rows, cols, outlierCols } = GRANULARITY_TENSOR;

  const maxErr = d3.max(errors, (e) => d3.max(e)) ?? 1;
  const { scale: errScale, colour: errColor } = useLogColour(maxErr, 1000);
  const amax = d3.max(x, (v) => Math.abs(v)) ?? 1;
  const magnitude = useMagnitudeColour(amax);
  const byId = Object.fromEntries(schemes.map((s) => [s.id, s]));
  const texts = schemes.map((s) => schemeText(t, s));

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          <Trans
            t={t}
            i18nKey="granularity.intro"
            values={{ rows, cols, outliers: outlierCols.join(t('granularity.and')), gain, bits: INT4.bits }}
            components={{ n: <Num />, gain: <Num testId="gain-shown" /> }}
          />
        </p>
      </Prose>
      <Controls>
        <Slider label={t('granularity.gain')} value={gain} min={1} max={50} step={1} onChange={setGain} testId="gain" />
        <Select
          label={t('granularity.groupSize')}
          value={groupSize}
          options={GROUP_OPTIONS}
          onChange={setGroupSize}
          testId="group-size"
        />
        <Toggle
          label={t('granularity.doubleQuant')}
          checked={doubleQuant}
          onChange={setDoubleQuant}
          testId="double-quant"
        />
      </Controls>
      <Section title={t('granularity.tensorTitle')}>
        <MatrixFigure
          values={x}
          rows={rows}
          cols={cols}
          colour={magnitude}
          label={t('granularity.tensorAria')}
          testId="tensor-map"
          legendTitle={t('granularity.tensorLegend')}
          tickFormat={(v) => sig(v, 2)}
        />
      </Section>
      <Section title={t('granularity.mapsTitle')}>
        <ColorLegend scale={errScale} title={t('granularity.mapsLegend')} testId="error-legend" />
        <div className="grid grid-cols-[repeat(auto-fill,minmax(min(340px,100%),1fr))] gap-4">
          {schemes.map((s, i) => (
            <figure key={s.id} className="flex flex-col gap-1" data-testid={`scheme-${s.id}`}>
              <Heatmap
                values={errors[i]}
                rows={rows}
                cols={cols}
                cell={2.6}
                color={errColor}
                label={t('granularity.mapAria', { title: texts[i].title })}
              />
              <figcaption className="text-xs">
                <span className="font-semibold">{texts[i].title}</span>
                <br />
                <Trans
                  t={t}
                  i18nKey="granularity.caption"
                  values={{
                    detail: texts[i].detail,
                    bits: s.bitsPerElement.toFixed(3),
                    sqnr: db(s.metrics.sqnrDb),
                    zeroed: pct(s.zeroedShare),
                  }}
                  components={{
                    bits: <Num testId={`bits-${s.id}`} />,
                    sqnr: <Num testId={`sqnr-${s.id}`} />,
                    zeroed: <Num testId={`zeroed-${s.id}`} />,
                  }}
                />
              </figcaption>
            </figure>
          ))}
        </div>
      </Section>
      <Section title={t('granularity.whyTitle')}>
        <Prose>
          <p data-testid="why-blocks">
            <Trans
              t={t}
              i18nKey="granularity.why"
              values={{
                zeroed: pct(byId.tensor.zeroedShare),
                tensorSqnr: db(byId.tensor.metrics.sqnrDb),
                rowGain: (byId.row.metrics.sqnrDb - byId.tensor.metrics.sqnrDb).toFixed(1),
                block: NVFP4_BLOCK,
                nvfp4: db(byId.nvfp4.metrics.sqnrDb),
                nvfp4Bits: byId.nvfp4.bitsPerElement.toFixed(3),
                mxfp4: db(byId.mxfp4.metrics.sqnrDb),
                lo: 2 ** MX_E2M1_EMAX,
                hi: 2 ** (MX_E2M1_EMAX + 1),
                e2m1Max: E2M1.maxFinite,
                column: db(byId.column.metrics.sqnrDb),
              }}
              components={{ n: <Num /> }}
            />
          </p>
          <p data-testid="double-quant-note">
            <Trans
              t={t}
              i18nKey={doubleQuant ? 'granularity.dqWith' : 'granularity.dqWithout'}
              values={{
                bits: INT8.bits,
                superGroup: byId.nf4.superGroup ?? 0,
                nf4Bits: byId.nf4.bitsPerElement.toFixed(3),
                nf4Sqnr: db(byId.nf4.metrics.sqnrDb),
              }}
              components={{ n: <Num />, nf4Bits: <Num testId="nf4-bits" />, nf4Sqnr: <Num testId="nf4-sqnr" /> }}
            />
          </p>
        </Prose>
      </Section>
    </div>
  );
}
