// A matrix figure: the heat cells of a tensor with the colour legend beside them (wrapping under on
// narrow screens).
import type { ComponentProps } from 'react';
import { Heatmap } from './cells';
import { ColorLegend } from './legend';
import type { ColourScale } from './colour';

export function MatrixFigure({
  colour,
  legendTitle,
  tickFormat,
  ...heatmap
}: Omit<ComponentProps<typeof Heatmap>, 'color'> & {
  colour: ColourScale;
  legendTitle: string;
  tickFormat?: (v: number) => string;
}) {
  return (
    <div className="flex flex-wrap items-end gap-4">
      <Heatmap {...heatmap} color={colour.colour} />
      <ColorLegend scale={colour.scale} title={legendTitle} tickFormat={tickFormat} />
    </div>
  );
}
