// Lesson 4: where the scales live. One tensor with outlier input channels, quantized per tensor, per
// channel, per group and per block (MXFP4, NVFP4, NF4 with double quantization); error maps side by side.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Select, Slider, Toggle } from '../../views/inputs';
import { ColorLegend, Heatmap, MatrixFigure, useLogColour, useMagnitudeColour } from '../../views/charts';
import { db, pct, sig } from './fmt';
import { E2M1, INT4, INT8, mxElementEmax, NVFP4_BLOCK } from '../../core/formats';

const MX_E2M1_EMAX = mxElementEmax('e2m1');
import { absError, GRANULARITY_TENSOR, granularityTensor, runSchemes } from './granularityModel';

const GROUP_OPTIONS = [16, 32, 64, 128].map((g) => ({ value: String(g), label: String(g) }));

export function GranularityLesson() {
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

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          A scale shared by many values is only as good as the largest of them. This <Num>{rows}</Num>×<Num>{cols}</Num>{' '}
          weight matrix (rows are output channels) has outlier input channels <Num>{outlierCols.join(' and ')}</Num>,{' '}
          <Num testId="gain-shown">{gain}</Num>× larger than the rest. Each scheme below stores <Num>{INT4.bits}</Num>
          -bit elements; what differs is how many values share a scale, and in which format the scale is stored.
        </p>
      </Prose>
      <Controls>
        <Slider label="Outlier channel gain" value={gain} min={1} max={50} step={1} onChange={setGain} testId="gain" />
        <Select
          label="INT4 group size"
          value={groupSize}
          options={GROUP_OPTIONS}
          onChange={setGroupSize}
          testId="group-size"
        />
        <Toggle
          label="Double-quantize the NF4 scales"
          checked={doubleQuant}
          onChange={setDoubleQuant}
          testId="double-quant"
        />
      </Controls>
      <Section title="The tensor">
        <MatrixFigure
          values={x}
          rows={rows}
          cols={cols}
          colour={magnitude}
          label="Magnitude of each weight"
          testId="tensor-map"
          legendTitle="|weight| (cividis)"
          tickFormat={(v) => sig(v, 2)}
        />
      </Section>
      <Section title="Error maps, one colour scale for all">
        <ColorLegend scale={errScale} title="|error| (viridis, log scale)" testId="error-legend" />
        <div className="grid grid-cols-[repeat(auto-fill,minmax(min(340px,100%),1fr))] gap-4">
          {schemes.map((s, i) => (
            <figure key={s.id} className="flex flex-col gap-1" data-testid={`scheme-${s.id}`}>
              <Heatmap
                values={errors[i]}
                rows={rows}
                cols={cols}
                cell={2.6}
                color={errColor}
                label={`Absolute error of ${s.title}`}
              />
              <figcaption className="text-xs">
                <span className="font-semibold">{s.title}</span>
                <br />
                {s.detail}: <Num testId={`bits-${s.id}`}>{s.bitsPerElement.toFixed(3)}</Num> bits/element, SQNR{' '}
                <Num testId={`sqnr-${s.id}`}>{db(s.metrics.sqnrDb)}</Num>, zeroed{' '}
                <Num testId={`zeroed-${s.id}`}>{pct(s.zeroedShare)}</Num>
              </figcaption>
            </figure>
          ))}
        </div>
      </Section>
      <Section title="Why block scales help">
        <Prose>
          <p data-testid="why-blocks">
            With one scale for the whole tensor, the outliers set the step size, and{' '}
            <Num>{pct(byId.tensor.zeroedShare)}</Num> of the weights round to zero (SQNR{' '}
            <Num>{db(byId.tensor.metrics.sqnrDb)}</Num>). A scale per output row gains only{' '}
            <Num>{(byId.row.metrics.sqnrDb - byId.tensor.metrics.sqnrDb).toFixed(1)} dB</Num>, because every row crosses
            the outlier columns. Small blocks confine each outlier to its own block: NVFP4&apos;s{' '}
            <Num>{NVFP4_BLOCK}</Num>-element blocks reach <Num>{db(byId.nvfp4.metrics.sqnrDb)}</Num> for{' '}
            <Num>{byId.nvfp4.bitsPerElement.toFixed(3)}</Num> bits per element, against MXFP4&apos;s{' '}
            <Num>{db(byId.mxfp4.metrics.sqnrDb)}</Num>, whose power-of-two E8M0 scales cannot follow each block&apos;s
            maximum: it lands anywhere from <Num>{2 ** MX_E2M1_EMAX}</Num> to <Num>{2 ** (MX_E2M1_EMAX + 1)}</Num> times
            the scale, so E2M1&apos;s largest value, <Num>{E2M1.maxFinite}</Num>, either leaves levels unused or clips
            it. Scaling per input column would isolate the outliers completely (
            <Num>{db(byId.column.metrics.sqnrDb)}</Num>), but that scale runs along the dot product, so a matrix
            multiply cannot factor it out: that is the problem lesson 5 solves for activations.
          </p>
          <p data-testid="double-quant-note">
            Double quantization (QLoRA) stores the per-group NF4 scales themselves in <Num>{INT8.bits}</Num> bits, with
            one FP32 scale per super-group
            {byId.nf4.superGroup ? (
              <>
                {' '}
                of <Num>{byId.nf4.superGroup}</Num> scales
              </>
            ) : (
              ''
            )}
            : NF4 costs <Num testId="nf4-bits">{byId.nf4.bitsPerElement.toFixed(3)}</Num> bits per element
            {doubleQuant ? ' with' : ' without'} it, at SQNR <Num testId="nf4-sqnr">{db(byId.nf4.metrics.sqnrDb)}</Num>.
            Toggle it to compare.
          </p>
        </Prose>
      </Section>
    </div>
  );
}
