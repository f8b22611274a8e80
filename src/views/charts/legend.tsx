// Legends: a colour ramp with an axis (sequential scales), swatches in HTML beside a chart, and a key
// drawn inside an SVG chart.
import { useId } from 'react';
import * as d3 from 'd3';
import { Axis, decades } from './axis';
import { i18n } from '../../i18n';

/** A horizontal colour ramp with an axis: the legend of a heatmap (linear or log colour scale). */
export function ColorLegend(props: {
  scale: { (v: number): string; domain(): number[] };
  title: string;
  width?: number;
  tickFormat?: (v: number) => string;
  tickValues?: number[];
  /** Shown in the accessible name instead of the numeric domain (e.g. "0% (dark purple) to 100% (yellow)"). */
  description?: string;
  testId?: string;
}) {
  const gradientId = `ramp${useId().replace(/[^a-zA-Z0-9]/g, '')}`;
  const width = props.width ?? 260;
  const domain = props.scale.domain() as [number, number];
  const isLog = 'base' in props.scale;
  const axisScale = (isLog ? d3.scaleLog() : d3.scaleLinear()).domain(domain).range([0, width]);
  const stops = d3.range(0, 1.0001, 0.1).map((t) => {
    const v = isLog ? domain[0] * Math.pow(domain[1] / domain[0], t) : domain[0] + t * (domain[1] - domain[0]);
    return { offset: `${Math.round(t * 100)}%`, color: props.scale(v) };
  });
  return (
    <svg
      data-chart
      width={width + 30}
      height={46}
      role="img"
      aria-label={i18n.t('common:chart.legend.label', {
        prefix: i18n.t('common:chart.legend.prefix'),
        title: props.title,
        description:
          props.description ??
          i18n.t('common:chart.legend.range', { min: domain[0].toPrecision(3), max: domain[1].toPrecision(3) }),
      })}
      data-testid={props.testId}
      className="overflow-visible"
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
        scale={axisScale}
        orient="bottom"
        transform="translate(10,25)"
        ticks={4}
        tickSize={4}
        tickValues={props.tickValues ?? (isLog ? decades(domain) : undefined)}
        tickFormat={props.tickFormat ?? ((v) => d3.format('.0e')(v))}
      />
    </svg>
  );
}

export interface SwatchItem {
  label: string;
  colour: string;
  /** A filled square (default), a line (optionally dashed) or a thin tick. */
  kind?: 'box' | 'line' | 'tick';
  dash?: string;
}

/** Swatches and labels in a wrapping row of HTML, beside or under a chart. */
export function SwatchLegend({ items, className }: { items: readonly SwatchItem[]; className?: string }) {
  return (
    <div className={`flex flex-wrap gap-x-3 gap-y-1 text-xs ${className ?? ''}`}>
      {items.map((s) => (
        <span key={s.label} className="flex items-center gap-1">
          <svg width={s.kind === 'line' ? 22 : 12} height={12} aria-hidden="true">
            {s.kind === 'line' || s.kind === 'tick' ? (
              <line
                {...(s.kind === 'line' ? { x1: 0, x2: 22, y1: 6, y2: 6 } : { x1: 6, x2: 6, y1: 0, y2: 12 })}
                stroke={s.colour}
                strokeWidth={2}
                strokeDasharray={s.dash || undefined}
              />
            ) : (
              <rect width={12} height={12} rx={2} fill={s.colour} />
            )}
          </svg>
          {s.label}
        </span>
      ))}
    </div>
  );
}

/** A key drawn inside an SVG chart: one swatch and label per item, in a row or a column. */
export function Key(props: {
  items: readonly SwatchItem[];
  x: number;
  y: number;
  direction?: 'row' | 'column';
  /** Distance between items (pixels). */
  step?: number;
  fontSize?: number;
}) {
  const row = props.direction === 'row';
  const step = props.step ?? (row ? 170 : 13);
  return (
    <g transform={`translate(${props.x},${props.y})`} fontSize={props.fontSize ?? 10}>
      {props.items.map((s, k) => (
        <g key={s.label} transform={row ? `translate(${k * step},0)` : `translate(0,${k * step})`}>
          {s.kind === 'line' ? (
            <line x2={16} stroke={s.colour} strokeWidth={2} strokeDasharray={s.dash || undefined} />
          ) : (
            <rect y={-6} width={12} height={12} fill={s.colour} />
          )}
          <text x={s.kind === 'line' ? 20 : 16} dy="0.35em" fill="currentColor">
            {s.label}
          </text>
        </g>
      ))}
    </g>
  );
}
