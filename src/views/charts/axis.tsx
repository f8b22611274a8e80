// The axis mark: ticks, labels and an optional grid drawn by React from a d3 scale (no DOM mutation, so
// it renders on the server and in snapshot tests). Text and lines use currentColor (both themes).
import type { ReactNode } from 'react';
import * as d3 from 'd3';

/** A continuous d3 scale (linear, log, symlog, …) or a band/point scale. */
export interface AxisScale<D> {
  (v: D): number | undefined;
  range(): number[];
  domain(): D[];
  ticks?: (count?: number) => D[];
  tickFormat?: (count?: number, specifier?: string) => (v: D) => string;
  bandwidth?: () => number;
}

export interface AxisProps<D extends number | string> {
  scale: AxisScale<D>;
  orient: 'bottom' | 'left' | 'top' | 'right';
  transform?: string;
  /** Tick count hint (continuous scales). */
  ticks?: number;
  tickValues?: readonly D[];
  tickFormat?: (v: D) => string;
  /** Length of the tick lines (d3's default 6). */
  tickSize?: number;
  /** Draw the domain line along the range (d3's default); the explorer's compact axes leave it out. */
  domainLine?: boolean;
  /** Grid lines this long across the plot (toward the inside), faint. */
  grid?: number;
  label?: ReactNode;
  /** Distance of the label from the axis line. */
  labelOffset?: number;
  fontSize?: number;
  /** Font size of the label (default 12). */
  labelSize?: number;
}

export function Axis<D extends number | string>(props: AxisProps<D>) {
  const { scale, orient } = props;
  const size = props.tickSize ?? 6;
  const fontSize = props.fontSize ?? 10;
  const band = scale.bandwidth ? scale.bandwidth() / 2 : 0;
  // Log scales: one tick per decade in 1e±k notation unless told otherwise.
  const isLog = 'base' in scale;
  const values: readonly D[] =
    props.tickValues ??
    (isLog
      ? (decades(scale.domain() as number[]) as D[])
      : scale.ticks
        ? scale.ticks(props.ticks ?? 10)
        : scale.domain());
  const format =
    props.tickFormat ??
    (isLog
      ? (v: D) => d3.format('.0e')(Number(v))
      : scale.tickFormat
        ? scale.tickFormat(props.ticks ?? 10)
        : (v: D) => String(v));
  const vertical = orient === 'left' || orient === 'right';
  const sign = orient === 'bottom' || orient === 'right' ? 1 : -1;
  const [r0, r1] = [Math.min(...scale.range()), Math.max(...scale.range())];
  const mid = (r0 + r1) / 2;
  return (
    <g
      transform={props.transform}
      fontSize={fontSize}
      fill="none"
      textAnchor={vertical ? (sign > 0 ? 'start' : 'end') : 'middle'}
    >
      {props.domainLine !== false && (
        <path
          stroke="currentColor"
          d={vertical ? `M${sign * size},${r0}H0V${r1}H${sign * size}` : `M${r0},${sign * size}V0H${r1}V${sign * size}`}
        />
      )}
      {values.map((v) => {
        const p = (scale(v) ?? NaN) + band;
        if (!Number.isFinite(p)) return null;
        return (
          <g key={String(v)} transform={vertical ? `translate(0,${p})` : `translate(${p},0)`}>
            <line stroke="currentColor" {...(vertical ? { x2: sign * size } : { y2: sign * size })} />
            {props.grid !== undefined && (
              <line
                stroke="currentColor"
                opacity={0.08}
                {...(vertical ? { x2: -sign * props.grid } : { y2: -sign * props.grid })}
              />
            )}
            <text
              fill="currentColor"
              {...(vertical
                ? { x: sign * (size + 3), dy: '0.32em' }
                : { y: sign * (size + 3), dy: sign > 0 ? '0.71em' : '0em' })}
            >
              {format(v)}
            </text>
          </g>
        );
      })}
      {props.label !== undefined && (
        <text
          fill="currentColor"
          textAnchor="middle"
          fontSize={props.labelSize ?? 12}
          {...(vertical
            ? { transform: `rotate(-90)`, x: -mid, y: sign * (props.labelOffset ?? 40) }
            : { x: mid, y: sign * (props.labelOffset ?? 34) })}
        >
          {props.label}
        </text>
      )}
    </g>
  );
}

/** Powers of ten inside [lo, hi] (the ticks of a log scale). */
export function decades([lo, hi]: readonly [number, number] | number[]): number[] {
  const out: number[] = [];
  for (let k = Math.ceil(Math.log10(lo)); k <= Math.floor(Math.log10(hi)); k++) out.push(10 ** k);
  return out;
}
