// Lesson 6: choosing the clipping threshold. absmax vs MSE-optimal vs KL ("saturate") vs percentile on a
// heavy-tailed histogram, then FGMP's Fisher-weighted clipping of NVFP4 blocks.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Segmented, Select, Slider } from '../../views/inputs';
import { ColorLegend, Heatmap, SEQUENTIAL } from '../../views/charts';
import { db, pct, sig } from './fmt';
import { INT4, NVFP4_BLOCK } from '../../core/formats';
import { explorerHash } from './tourModel';
import { ClipCurves, Histogram, METHOD_COLOURS, MseCurve } from './calibrationCharts';

const INT4_LEVELS = INT4.maxFinite;
import {
  CALIB_SAMPLE,
  calibrationSample,
  calibrationBase,
  percentileRow,
  type CalibrationTable,
  FISHER_TENSOR,
  fisherClipping,
  fisherWeights,
  mseClipRatio,
  syntheticFisher,
  type Importance,
  type IntBits,
} from './calibrationModel';

const BITS: readonly IntBits[] = ['int8', 'int4'];

export function CalibrationLesson() {
  const { t } = useTranslation('learn');
  const bitsOptions = BITS.map((b) => ({ value: b, label: t(`calibration.bits.${b}`) }));
  const x = useMemo(() => calibrationSample(), []);
  const [bits, setBits] = useState<IntBits>('int8');
  const [percentile, setPercentile] = useState(99.9);
  const base = useMemo(() => calibrationBase(x, bits), [x, bits]);
  const pctRow = useMemo(() => percentileRow(x, bits, base.amax, percentile), [x, bits, base.amax, percentile]);
  const table = useMemo(() => ({ ...base, rows: [...base.rows, pctRow] }), [base, pctRow]);
  const otherBits: IntBits = bits === 'int8' ? 'int4' : 'int8';
  const otherAlpha = useMemo(() => mseClipRatio(x, otherBits), [x, otherBits]);
  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          <Trans
            t={t}
            i18nKey="calibration.intro"
            values={{ n: CALIB_SAMPLE.n, nu: CALIB_SAMPLE.nu }}
            components={{ n: <Num /> }}
          />
        </p>
      </Prose>
      <Controls>
        <Segmented
          label={t('calibration.quantizer')}
          value={bits}
          options={bitsOptions}
          onChange={setBits}
          testId="calib-bits"
        />
        <Slider
          label={t('calibration.percentile')}
          value={percentile}
          min={99}
          max={99.99}
          step={0.01}
          onChange={setPercentile}
          format={(v) => v.toFixed(2)}
          testId="percentile"
        />
      </Controls>
      <Histogram x={x} rows={table.rows} amax={table.amax} />
      <div className="overflow-x-auto">
        <table className="text-sm" data-testid="calib-table">
          <thead>
            <tr className="border-b border-slate-300 text-left whitespace-nowrap dark:border-slate-700">
              <th className="px-2 py-1">{t('calibration.table.method')}</th>
              <th className="px-2 py-1 text-right">{t('calibration.table.threshold')}</th>
              <th className="px-2 py-1 text-right">T / absmax</th>
              <th className="px-2 py-1 text-right">{t('calibration.table.clipped')}</th>
              <th className="px-2 py-1 text-right">MSE</th>
              <th className="px-2 py-1 text-right">SQNR</th>
            </tr>
          </thead>
          <tbody>
            {table.rows.map((r) => (
              <tr
                key={r.id}
                className="border-b border-slate-200 dark:border-slate-800"
                data-testid={`calib-row-${r.id}`}
              >
                <td className="px-2 py-0.5">
                  <span
                    className="mr-2 inline-block h-2 w-4 align-middle"
                    style={{ background: METHOD_COLOURS[r.id] }}
                  />
                  {t(`calibration.method.${r.id}`, { p: percentile })}
                </td>
                <td className="px-2 py-0.5 text-right font-mono" data-testid={`threshold-${r.id}`}>
                  {sig(r.threshold)}
                </td>
                <td className="px-2 py-0.5 text-right font-mono">{sig(r.threshold / table.amax, 3)}</td>
                <td className="px-2 py-0.5 text-right font-mono">{pct(r.clippedShare, 2)}</td>
                <td className="px-2 py-0.5 text-right font-mono" data-testid={`mse-${r.id}`}>
                  {sig(r.metrics.mse)}
                </td>
                <td className="px-2 py-0.5 text-right font-mono">{db(r.metrics.sqnrDb)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Prose>
        <CalibrationSummary table={table} bits={bits} otherAlpha={otherAlpha} />
      </Prose>
      <MseCurve search={table.search} amax={table.amax} rows={table.rows} />
      <FisherClipping />
    </div>
  );
}

function CalibrationSummary({
  table,
  bits,
  otherAlpha,
}: {
  table: CalibrationTable;
  bits: IntBits;
  otherAlpha: number;
}) {
  const byId = Object.fromEntries(table.rows.map((r) => [r.id, r]));
  const mse = byId.mse;
  const kl = byId.kl;
  const klWorse = kl.metrics.mse > mse.metrics.mse;
  const { t } = useTranslation('learn');
  return (
    <p data-testid="calib-summary">
      <Trans
        t={t}
        i18nKey={`calibration.summary.${klWorse ? 'klWorse' : 'klNotWorse'}`}
        values={{
          lowest: sig(table.search.curve[table.search.curve.length - 1].alpha, 2),
          alpha: sig(table.search.alpha, 3),
          amax: sig(table.amax),
          mseClipped: pct(mse.clippedShare, 2),
          levels: table.levels,
          kl: sig(kl.threshold),
          klClipped: pct(kl.clippedShare, 2),
          klMse: sig(kl.metrics.mse),
          mse: sig(mse.metrics.mse),
        }}
        components={{ n: <Num />, alpha: <Num testId="mse-alpha" />, kl: <Num testId="kl-threshold" /> }}
      />{' '}
      <Trans
        t={t}
        i18nKey={`calibration.summary.${bits === 'int8' ? 'otherInt4' : 'otherInt8'}`}
        values={{ levels: INT4_LEVELS, alpha: sig(otherAlpha, 3) }}
        components={{ n: <Num />, alpha: <Num testId="other-alpha" /> }}
      />
    </p>
  );
}

const IMPORTANCE: readonly Importance[] = ['large', 'small', 'random'];

function FisherClipping() {
  const { t } = useTranslation('learn');
  const importanceOptions = IMPORTANCE.map((v) => ({ value: v, label: t(`calibration.fisher.importance.${v}`) }));
  const w = useMemo(() => fisherWeights(), []);
  const [importance, setImportance] = useState<Importance>('large');
  const fisher = useMemo(() => syntheticFisher(w, importance), [w, importance]);
  const r = useMemo(() => fisherClipping(w, fisher), [w, fisher]);
  const { rows, cols } = FISHER_TENSOR;
  const blocksPerRow = Math.ceil(cols / 16);
  const ratioScale = useMemo(() => d3.scaleSequential(SEQUENTIAL.viridis).domain([0.5, 1]), []);
  const ratioColor = useMemo(() => (v: number) => ratioScale(v), [ratioScale]);
  const grid = Array.from(r.curve.grid);
  const argmin = (a: Float64Array) => grid[a.indexOf(Math.min(...a))];
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  return (
    <Section title={t('calibration.fisher.title')}>
      <Prose>
        <p>
          <Trans
            t={t}
            i18nKey="calibration.fisher.intro"
            values={{
              block: NVFP4_BLOCK,
              from: grid[0].toFixed(2),
              to: grid[grid.length - 1].toFixed(2),
              rows,
              cols,
            }}
            components={{ n: <Num /> }}
          />
        </p>
      </Prose>
      <Controls>
        <Select
          label={t('calibration.fisher.importanceLabel')}
          value={importance}
          options={importanceOptions}
          onChange={setImportance}
          testId="importance"
        />
      </Controls>
      <p className="max-w-3xl text-sm" data-testid="fisher-text">
        <Trans
          t={t}
          i18nKey="calibration.fisher.result"
          values={{
            curveMse: argmin(r.curve.mse).toFixed(2),
            curveFisher: argmin(r.curve.fisherMse).toFixed(2),
            meanMse: mean(r.mse.ratios).toFixed(3),
            meanFisher: mean(r.fisher.ratios).toFixed(3),
            none: sig(r.none.weighted),
            mse: sig(r.mse.weighted),
            fisher: sig(r.fisher.weighted),
            fisherMse: sig(r.fisher.mse),
            mseMse: sig(r.mse.mse),
          }}
          components={{
            n: <Num />,
            curveMse: <Num testId="curve-mse-alpha" />,
            curveFisher: <Num testId="curve-fisher-alpha" />,
            meanMse: <Num testId="mean-mse-ratio" />,
            meanFisher: <Num testId="mean-fisher-ratio" />,
            none: <Num testId="weighted-none" />,
            mse: <Num testId="weighted-mse" />,
            fisher: <Num testId="weighted-fisher" />,
          }}
        />
      </p>
      <div className="flex flex-wrap items-start gap-6">
        <ClipCurves grid={grid} mse={r.curve.mse} fisherMse={r.curve.fisherMse} />
        <div className="flex flex-col gap-2">
          <span className="text-sm font-medium">{t('calibration.fisher.chosen')}</span>
          <div className="flex flex-wrap gap-4">
            {(['mse', 'fisher'] as const).map((id) => (
              <figure key={id} className="flex flex-col gap-1 text-xs">
                <Heatmap
                  values={r[id].ratios}
                  rows={rows}
                  cols={blocksPerRow}
                  cell={14}
                  color={ratioColor}
                  label={t(`calibration.fisher.mapAria.${id}`)}
                  testId={`ratios-${id}`}
                />
                <figcaption>{t(`calibration.fisher.mapCaption.${id}`)}</figcaption>
              </figure>
            ))}
          </div>
          <ColorLegend
            scale={ratioScale}
            title={t('calibration.fisher.legend')}
            width={200}
            tickFormat={(v) => v.toFixed(2)}
          />
        </div>
      </div>
      <p className="text-sm">
        <Trans
          t={t}
          i18nKey="calibration.fisher.link"
          components={{
            explorer: (
              <a className="text-sky-800 underline dark:text-sky-300" href={explorerHash(0.3, { view: 'clipping' })} />
            ),
          }}
        />
      </p>
    </Section>
  );
}
