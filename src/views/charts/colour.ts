// Colour functions for heat cells: a log scale over the top `span` of a range (values below, zeros
// included, take the lowest colour) and |v| on a linear scale. Hooks, so a slider move keeps them.
import { useMemo } from 'react';
import * as d3 from 'd3';
import { SEQUENTIAL } from './palette';

export interface ColourScale {
  /** The d3 scale, for a ColorLegend. */
  scale: d3.ScaleSequential<string>;
  /** Value → colour for the cells. */
  colour: (v: number) => string;
}

/** Log colours over [top / span, top]; values below top / span (and 0) take the lowest colour. */
export function useLogColour(
  top: number,
  span: number,
  scheme: (t: number) => string = SEQUENTIAL.viridis,
): ColourScale {
  return useMemo(() => {
    const lo = top / span;
    const scale = d3.scaleSequentialLog(scheme).domain([lo, top]).clamp(true);
    return { scale, colour: (v: number) => scale(Math.max(v, lo)) };
  }, [top, span, scheme]);
}

/** |v| on a linear scale from 0 to amax. */
export function useMagnitudeColour(amax: number, scheme: (t: number) => string = SEQUENTIAL.cividis): ColourScale {
  return useMemo(() => {
    const scale = d3.scaleSequential(scheme).domain([0, amax]);
    return { scale, colour: (v: number) => scale(Math.abs(v)) };
  }, [amax, scheme]);
}
