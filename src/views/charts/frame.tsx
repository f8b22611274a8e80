// The chart frame: one <svg> with the attributes every chart shares (data-chart marks it for the panel's
// SVG/PNG export, role and label for screen readers), fixed-size or responsive through a viewBox.
import type { ReactNode, SVGProps } from 'react';

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
      {...(responsive ? { viewBox: `0 0 ${width} ${height}` } : { width, height })}
      role="img"
      aria-label={label}
      data-testid={testId}
      {...rest}
    >
      {children}
    </svg>
  );
}
