// SVG and canvas building blocks for the teaching pages: d3 makes the scales and axes, React draws the rest.
import { useEffect, useId, useRef } from 'react';
import * as d3 from 'd3';

type AnyScale = d3.AxisScale<number>;

/** A d3 axis drawn into a <g>; text and lines use currentColor so it follows light and dark themes. */
export function Axis(props: {
  scale: AnyScale;
  orient: 'bottom' | 'left' | 'top' | 'right';
  transform?: string;
  ticks?: number;
  tickFormat?: (v: number) => string;
  tickValues?: number[];
  label?: string;
  labelOffset?: number;
}) {
  const ref = useRef<SVGGElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const make =
      props.orient === 'bottom'
        ? d3.axisBottom
        : props.orient === 'left'
          ? d3.axisLeft
          : props.orient === 'top'
            ? d3.axisTop
            : d3.axisRight;
    const axis = make(props.scale);
    if (props.ticks !== undefined) axis.ticks(props.ticks);
    if (props.tickValues) axis.tickValues(props.tickValues);
    if (props.tickFormat) axis.tickFormat((v) => props.tickFormat!(Number(v)));
    d3.select(ref.current).call(axis);
  }, [props.scale, props.orient, props.ticks, props.tickFormat, props.tickValues]);
  return (
    <g transform={props.transform}>
      <g ref={ref} />
      {props.label && props.orient === 'bottom' && (
        <text
          x={(props.scale.range()[0] + props.scale.range()[1]) / 2}
          y={props.labelOffset ?? 34}
          textAnchor="middle"
          fontSize={12}
          fill="currentColor"
        >
          {props.label}
        </text>
      )}
      {props.label && props.orient === 'left' && (
        <text
          transform={`rotate(-90)`}
          x={-(props.scale.range()[0] + props.scale.range()[1]) / 2}
          y={-(props.labelOffset ?? 40)}
          textAnchor="middle"
          fontSize={12}
          fill="currentColor"
        >
          {props.label}
        </text>
      )}
    </g>
  );
}

/** Okabe–Ito palette: distinguishable under the common colour-vision deficiencies. */
export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#999999',
} as const;

/** A horizontal colour ramp with an axis: the legend for a heatmap. */
export function ColorLegend(props: {
  scale: d3.ScaleSequential<string>;
  title: string;
  width?: number;
  tickFormat?: (v: number) => string;
  testId?: string;
}) {
  const gradientId = useId().replace(/:/g, '');
  const width = props.width ?? 260;
  const domain = props.scale.domain() as [number, number];
  const isLog = 'base' in props.scale;
  const axisScale = isLog
    ? d3.scaleLog().domain(domain).range([0, width])
    : d3.scaleLinear().domain(domain).range([0, width]);
  const stops = d3.range(0, 1.0001, 0.1).map((t) => {
    const v = isLog ? domain[0] * Math.pow(domain[1] / domain[0], t) : domain[0] + t * (domain[1] - domain[0]);
    return { offset: `${t * 100}%`, color: props.scale(v) };
  });
  return (
    <svg
      width={width + 30}
      height={46}
      role="img"
      aria-label={`Colour legend: ${props.title}, from ${domain[0].toPrecision(3)} to ${domain[1].toPrecision(3)}`}
      data-testid={props.testId}
    >
      <defs>
        <linearGradient id={gradientId}>
          {stops.map((s) => (
            <stop key={s.offset} offset={s.offset} stopColor={s.color} />
          ))}
        </linearGradient>
      </defs>
      <text x={10} y={11} fontSize={11} fill="currentColor">
        {props.title}
      </text>
      <rect x={10} y={15} width={width} height={10} fill={`url(#${gradientId})`} />
      <Axis
        scale={axisScale as AnyScale}
        orient="bottom"
        transform="translate(10,25)"
        ticks={4}
        tickValues={isLog ? decades(domain) : undefined}
        tickFormat={props.tickFormat ?? ((v) => d3.format('.0e')(v))}
      />
    </svg>
  );
}

/** Powers of ten inside [lo, hi] (ticks of a log scale). */
export function decades([lo, hi]: [number, number]): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(Math.log10(lo)); k <= Math.floor(Math.log10(hi)); k++) out.push(10 ** k);
  return out;
}

/** A grid of values drawn on a canvas (one cell per element), coloured by the given scale. */
export function Heatmap(props: {
  values: Float32Array | Float64Array;
  rows: number;
  cols: number;
  color: (v: number) => string;
  cell?: number;
  label: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  const cell = props.cell ?? 3;
  const { values, rows, cols, color } = props;
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    // One rectangle per cell at integer pixel edges, so fractional cell sizes stay even.
    const edge = (k: number) => Math.round(k * cell);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        ctx.fillStyle = color(values[r * cols + c]);
        ctx.fillRect(edge(c), edge(r), edge(c + 1) - edge(c), edge(r + 1) - edge(r));
      }
    }
  }, [values, rows, cols, color, cell]);
  return (
    <canvas
      ref={ref}
      width={Math.round(props.cols * cell)}
      height={Math.round(props.rows * cell)}
      // Fixed CSS size: flex parents must not stretch the pixels.
      style={{ width: Math.round(props.cols * cell), height: Math.round(props.rows * cell) }}
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      className="shrink-0 self-start border border-slate-300 dark:border-slate-700"
    />
  );
}
