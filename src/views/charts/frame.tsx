// The chart frame: one <svg> with the attributes every chart shares (data-chart marks it for the panel's
// SVG/PNG export, role and label for screen readers): fixed-size (shrinking to fit a narrow container) or
// responsive (the width from CSS).
import { memo, type ReactNode, type SVGProps } from 'react';
import { Axis, type AxisProps } from './axis';

// Memoised: a chart whose scale a slider move leaves alone (kept by the caller's useMemo) skips its axes.
const SteadyAxis = memo(Axis) as typeof Axis;

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export function Chart({
  width,
  height,
  label,
  responsive,
  testId,
  children,
  style,
  ...rest
}: {
  width: number;
  height: number;
  label: string;
  /** Scale with the container (viewBox, width from CSS) instead of fixed pixels. */
  responsive?: boolean;
  testId?: string;
  children: ReactNode;
} & Omit<SVGProps<SVGSVGElement>, 'width' | 'height' | 'children'>) {
  return (
    <svg
      data-chart
      viewBox={`0 0 ${width} ${height}`}
      // Fixed size, but never wider than its container (phones): the viewBox scales it down.
      {...(responsive
        ? { style }
        : { width, height, style: { maxWidth: '100%', minWidth: 0, height: 'auto', ...style } })}
      role="img"
      aria-label={label}
      data-testid={testId}
      {...rest}
    >
      {children}
    </svg>
  );
}

type AxisOptions = Omit<AxisProps<number>, 'orient' | 'transform'>;

/**
 * A chart with an x axis along the bottom margin and a y axis along the left one (either optional), the
 * marks drawn over them. `compact` is the explorer's axis style: short ticks, no domain line, 10 px labels.
 */
export function Plot({
  margin,
  x,
  y,
  compact,
  children,
  ...chart
}: Omit<Parameters<typeof Chart>[0], 'children' | 'x' | 'y'> & {
  margin: { left: number; bottom: number };
  x?: AxisOptions;
  y?: AxisOptions;
  compact?: boolean;
  children?: ReactNode;
}) {
  const style = compact ? { tickSize: 4, domainLine: false, labelSize: 10 } : {};
  return (
    <Chart {...chart}>
      {x && <SteadyAxis orient="bottom" transform={`translate(0,${chart.height - margin.bottom})`} {...style} {...x} />}
      {y && <SteadyAxis orient="left" transform={`translate(${margin.left},0)`} {...style} {...y} />}
      {children}
    </Chart>
  );
}
