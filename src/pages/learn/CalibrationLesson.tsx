// Lesson 6: choosing the clipping threshold. absmax vs MSE-optimal vs KL ("saturate") vs percentile on a
// heavy-tailed histogram, then FGMP's Fisher-weighted clipping of NVFP4 blocks.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
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

const BITS_OPTIONS: readonly { value: IntBits; label: string }[] = [
  { value: 'int8', label: 'INT8 per tensor' },
  { value: 'int4', label: 'INT4 per tensor' },
];

export function CalibrationLesson() {
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
          A quantizer&apos;s scale comes from a threshold T: values beyond ±T are clipped, values inside are rounded on
          a grid of step T / qmax. A larger T wastes levels on rare outliers; a smaller one clips them. Here{' '}
          <Num>{CALIB_SAMPLE.n}</Num> values from a Student-t distribution with <Num>{CALIB_SAMPLE.nu}</Num> degrees of
          freedom (heavy tails, like activations) are calibrated four ways.
        </p>
      </Prose>
      <Controls>
        <Segmented label="Quantizer" value={bits} options={BITS_OPTIONS} onChange={setBits} testId="calib-bits" />
        <Slider
          label="Percentile"
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
            <tr className="border-b border-slate-300 text-left dark:border-slate-700">
              <th className="px-2 py-1">Method</th>
              <th className="px-2 py-1 text-right">Threshold T</th>
              <th className="px-2 py-1 text-right">T / absmax</th>
              <th className="px-2 py-1 text-right">Clipped</th>
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
                  {r.label}
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
  return (
    <p data-testid="calib-summary">
      The MSE search tries clip ratios from 1 down to{' '}
      <Num>{sig(table.search.curve[table.search.curve.length - 1].alpha, 2)}</Num> and keeps{' '}
      <Num testId="mse-alpha">{sig(table.search.alpha, 3)}</Num> of the largest value <Num>{sig(table.amax)}</Num>,
      clipping <Num>{pct(mse.clippedShare, 2)}</Num> of the sample. KL compares the histogram of |x| with its{' '}
      <Num>{table.levels}</Num>-level quantized version for every candidate threshold and keeps the most similar one,{' '}
      <Num testId="kl-threshold">{sig(kl.threshold)}</Num>, which clips <Num>{pct(kl.clippedShare, 2)}</Num>. Its MSE is{' '}
      <Num>{sig(kl.metrics.mse)}</Num>, {klWorse ? 'higher' : 'not higher'} than the MSE-optimal{' '}
      <Num>{sig(mse.metrics.mse)}</Num>
      {klWorse
        ? ': KL matches the shape of the bulk of the distribution, while the squared error of the few clipped extreme values dominates the MSE.'
        : ': here matching the shape of the distribution also keeps the squared error low.'}{' '}
      {bits === 'int8' ? (
        <>
          With INT4&apos;s <Num>{INT4_LEVELS}</Num> positive levels the MSE-optimal ratio is{' '}
          <Num testId="other-alpha">{sig(otherAlpha, 3)}</Num> instead: fewer levels make resolution dearer than the
          tails.
        </>
      ) : (
        <>
          With INT8 the MSE-optimal ratio is <Num testId="other-alpha">{sig(otherAlpha, 3)}</Num>.
        </>
      )}
    </p>
  );
}

const IMPORTANCE_OPTIONS: { value: Importance; label: string }[] = [
  { value: 'large', label: 'large weights matter most' },
  { value: 'small', label: 'small weights matter most' },
  { value: 'random', label: 'independent of magnitude' },
];

function FisherClipping() {
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
    <Section title="Fisher-weighted clipping (what FGMP does)">
      <Prose>
        <p>
          Plain MSE treats every weight alike. FGMP weighs each weight&apos;s squared error by its Fisher information F
          (how much the loss reacts to it) and, for every <Num>{NVFP4_BLOCK}</Num>-element NVFP4 block, picks the clip
          ratio α from <Num>{grid[0].toFixed(2)}</Num> down to <Num>{grid[grid.length - 1].toFixed(2)}</Num> that
          minimises Σ F·(w − Q(w; α))². No model is loaded here, so F is a synthetic importance vector over a seeded{' '}
          <Num>{rows}</Num>×<Num>{cols}</Num> weight tensor; the explorer does this with a real model&apos;s Fisher.
        </p>
      </Prose>
      <Controls>
        <Select
          label="Synthetic importance"
          value={importance}
          options={IMPORTANCE_OPTIONS}
          onChange={setImportance}
          testId="importance"
        />
      </Controls>
      <p className="max-w-3xl text-sm" data-testid="fisher-text">
        With every block at the same ratio, plain MSE is lowest at α ={' '}
        <Num testId="curve-mse-alpha">{argmin(r.curve.mse).toFixed(2)}</Num> and the Fisher-weighted MSE at α ={' '}
        <Num testId="curve-fisher-alpha">{argmin(r.curve.fisherMse).toFixed(2)}</Num>. Searched per block, MSE clipping
        picks a mean ratio of <Num testId="mean-mse-ratio">{mean(r.mse.ratios).toFixed(3)}</Num> and Fisher clipping{' '}
        <Num testId="mean-fisher-ratio">{mean(r.fisher.ratios).toFixed(3)}</Num>. The weighted error is{' '}
        <Num testId="weighted-none">{sig(r.none.weighted)}</Num> without clipping,{' '}
        <Num testId="weighted-mse">{sig(r.mse.weighted)}</Num> with MSE clipping and{' '}
        <Num testId="weighted-fisher">{sig(r.fisher.weighted)}</Num> with Fisher clipping, whose plain MSE is{' '}
        <Num>{sig(r.fisher.mse)}</Num> (MSE clipping: <Num>{sig(r.mse.mse)}</Num>).
      </p>
      <div className="flex flex-wrap items-start gap-6">
        <ClipCurves grid={grid} mse={r.curve.mse} fisherMse={r.curve.fisherMse} />
        <div className="flex flex-col gap-2">
          <span className="text-sm font-medium">Chosen α per block (rows × blocks)</span>
          <div className="flex flex-wrap gap-4">
            {(
              [
                ['mse', 'MSE', 'MSE'],
                ['fisher', 'Fisher-weighted MSE', 'Fisher-weighted'],
              ] as const
            ).map(([id, by, caption]) => (
              <figure key={id} className="flex flex-col gap-1 text-xs">
                <Heatmap
                  values={r[id].ratios}
                  rows={rows}
                  cols={blocksPerRow}
                  cell={14}
                  color={ratioColor}
                  label={`Clip ratio chosen per block by ${by}`}
                  testId={`ratios-${id}`}
                />
                <figcaption>{caption}</figcaption>
              </figure>
            ))}
          </div>
          <ColorLegend scale={ratioScale} title="clip ratio α (viridis)" width={200} tickFormat={(v) => v.toFixed(2)} />
        </div>
      </div>
      <p className="text-sm">
        <a className="text-sky-800 underline dark:text-sky-300" href={explorerHash(0.3, { view: 'clipping' })}>
          Open the explorer with Fisher clipping
        </a>{' '}
        to see the clipping curves of a real model&apos;s tensors.
      </p>
    </Section>
  );
}
