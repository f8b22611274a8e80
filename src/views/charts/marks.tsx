// Marks drawn in data coordinates through d3 scales, one concept each (Observable Plot's model): a line
// through points, dots, vertical and horizontal bars, rules (reference lines) with an optional label.
import type { ReactNode } from 'react';
import * as d3 from 'd3';

/** A continuous position scale: data value → pixel. */
export type Scale = (v: number) => number;

/** A line through (x, y) points in data coordinates; non-finite points break it. */
export function Line(props: {
  data: readonly (readonly [number, number])[];
  x: Scale;
  y: Scale;
  stroke: string;
  strokeWidth?: number;
  dash?: string;
  opacity?: number;
}) {
  // Non-finite points leave a gap (as in Observable Plot) instead of a broken path.
  const d =
    d3.line().defined(([a, b]) => Number.isFinite(a) && Number.isFinite(b))(
      props.data.map(([a, b]) => [props.x(a), props.y(b)]),
    ) ?? '';
  return (
    <path
      d={d}
      fill="none"
      stroke={props.stroke}
      strokeWidth={props.strokeWidth ?? 2}
      strokeDasharray={props.dash || undefined}
      opacity={props.opacity}
    />
  );
}

/** One symbol per point: circles (default), squares, or any d3 symbol (drawn as a translated path). */
export function Dots(props: {
  data: readonly (readonly [number, number])[];
  x: Scale;
  y: Scale;
  fill: string;
  shape?: 'circle' | 'square' | d3.SymbolType;
  /** Radius for circles, half side for squares, area for d3 symbols. */
  size?: number;
  title?: (i: number) => string;
}) {
  const shape = props.shape ?? 'circle';
  const size = props.size ?? 2.5;
  return (
    <g fill={props.fill}>
      {props.data.map(([a, b], i) => {
        const cx = props.x(a);
        const cy = props.y(b);
        const title = props.title && <title>{props.title(i)}</title>;
        if (shape === 'circle')
          return (
            <circle key={i} cx={cx} cy={cy} r={size}>
              {title}
            </circle>
          );
        if (shape === 'square')
          return (
            <rect key={i} x={cx - size} y={cy - size} width={2 * size} height={2 * size}>
              {title}
            </rect>
          );
        return (
          <path key={i} transform={`translate(${cx},${cy})`} d={d3.symbol(shape, size)() ?? ''}>
            {title}
          </path>
        );
      })}
    </g>
  );
}

export interface BarY {
  /** Left and right edge in data units; or a centre `x` with the mark's pixel `width`. */
  x0?: number;
  x1?: number;
  x?: number;
  y: number;
  fill?: string;
  title?: string;
}

/** Vertical bars from y = 0 up to y (histograms, per-channel maxima). */
export function BarsY(props: {
  data: readonly BarY[];
  x: Scale;
  y: Scale;
  fill: string;
  opacity?: number;
  /** Pixel width of bars given by their centre. */
  width?: number;
  /** Pixels left free between adjacent bars given by edges. */
  inset?: number;
}) {
  const base = props.y(0);
  const inset = props.inset ?? 0;
  return (
    <g fill={props.fill} opacity={props.opacity}>
      {props.data.map((b, i) => {
        const [left, w] =
          b.x !== undefined
            ? [props.x(b.x) - (props.width ?? 8) / 2, props.width ?? 8]
            : [props.x(b.x0!) + inset / 2, Math.max(0, props.x(b.x1!) - props.x(b.x0!) - inset)];
        const top = props.y(b.y);
        return (
          <rect key={i} x={left} y={Math.min(top, base)} width={w} height={Math.abs(base - top)} fill={b.fill}>
            {b.title && <title>{b.title}</title>}
          </rect>
        );
      })}
    </g>
  );
}

export interface BarX {
  /** Top edge and height in pixels (a row of a band scale). */
  y: number;
  height: number;
  x0: number;
  x1: number;
  fill: string;
  title?: string;
}

/** Horizontal bars from x0 to x1 in data units (stacked segments). */
export function BarsX({ data, x }: { data: readonly BarX[]; x: Scale }) {
  return (
    <g>
      {data.map((b, i) => (
        <rect key={i} x={x(b.x0)} y={b.y} width={Math.max(0, x(b.x1) - x(b.x0))} height={b.height} fill={b.fill}>
          {b.title && <title>{b.title}</title>}
        </rect>
      ))}
    </g>
  );
}

interface RuleStyle {
  stroke?: string;
  strokeWidth?: number;
  dash?: string;
  opacity?: number;
  title?: string;
  children?: ReactNode;
}

/** A vertical line at data x from pixel y1 to y2. */
export function RuleX(props: RuleStyle & { x: number; scale: Scale; y1: number; y2: number }) {
  const px = props.scale(props.x);
  return (
    <line
      x1={px}
      x2={px}
      y1={props.y1}
      y2={props.y2}
      stroke={props.stroke ?? 'currentColor'}
      strokeWidth={props.strokeWidth ?? 1}
      strokeDasharray={props.dash}
      opacity={props.opacity}
    >
      {props.title && <title>{props.title}</title>}
    </line>
  );
}

/** A horizontal line at data y from pixel x1 to x2, with an optional label at its right end. */
export function RuleY(
  props: RuleStyle & { y: number; scale: Scale; x1: number; x2: number; label?: string; labelBelow?: boolean },
) {
  const py = props.scale(props.y);
  return (
    <g>
      <line
        x1={props.x1}
        x2={props.x2}
        y1={py}
        y2={py}
        stroke={props.stroke ?? 'currentColor'}
        strokeWidth={props.strokeWidth ?? 1}
        strokeDasharray={props.dash}
        opacity={props.opacity}
      />
      {props.label && (
        <text
          x={props.x2 - 2}
          y={props.labelBelow ? py + 10 : py - 3}
          textAnchor="end"
          fontSize={9}
          fill="currentColor"
        >
          {props.label}
        </text>
      )}
    </g>
  );
}
