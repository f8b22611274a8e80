// Heat cells: a grid of values coloured by a scale, as SVG rects on two band scales (small interactive
// grids such as layers × projections) or on a canvas (one cell per element, for large matrices).
import { useEffect, useRef, type SVGProps } from 'react';
import type * as d3 from 'd3';

/** SVG cells at (row, col) of two band scales; `cellProps` adds attributes (roles, handlers) per cell. */
export function HeatCells<R extends number | string, C extends number | string>(props: {
  rows: readonly R[];
  cols: readonly C[];
  x: d3.ScaleBand<C>;
  y: d3.ScaleBand<R>;
  fill: (row: R, col: C) => string;
  cellProps?: (row: R, col: C) => SVGProps<SVGRectElement>;
  rowProps?: (row: R) => SVGProps<SVGGElement>;
  rowLabel?: (row: R) => string;
}) {
  const { x, y } = props;
  return (
    <>
      {props.rows.map((r) => (
        <g key={String(r)} {...props.rowProps?.(r)}>
          {props.rowLabel && (
            <text
              x={-6}
              y={(y(r) ?? 0) + y.bandwidth() / 2}
              dy="0.35em"
              textAnchor="end"
              fontSize={10}
              fill="currentColor"
            >
              {props.rowLabel(r)}
            </text>
          )}
          {props.cols.map((c) => (
            <rect
              key={String(c)}
              x={x(c)}
              y={y(r)}
              width={x.bandwidth()}
              height={y.bandwidth()}
              fill={props.fill(r, c)}
              {...props.cellProps?.(r, c)}
            />
          ))}
        </g>
      ))}
    </>
  );
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
    const ctx = ref.current?.getContext('2d');
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
  const w = Math.round(cols * cell);
  const h = Math.round(rows * cell);
  return (
    <canvas
      ref={ref}
      width={w}
      height={h}
      // Fixed CSS size (flex parents must not stretch the pixels), shrinking only to fit a phone's width.
      style={{ width: w, maxWidth: '100%', height: 'auto', aspectRatio: `${w} / ${h}` }}
      role="img"
      aria-label={props.label}
      data-testid={props.testId}
      className="shrink-0 self-start border border-slate-300 dark:border-slate-700"
    />
  );
}
