// Layers × projections, coloured by the FP8 share of blocks (weights or activations). A roving-tabindex
// grid: arrow keys move, Enter/Space selects; hovering shows the numbers.
import { memo, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import * as d3 from 'd3';
import { PROJECTIONS, type Projection } from '../core/model/types';
import { Axis, ColorLegend, HeatCells, PALETTE, shareColour } from './charts';
import { tensorKey } from '../store/derive';
import { catalogTemplate } from './catalogTemplate';

// Every cell's name on every slider move: the catalog's raw strings, filled without an i18next call each.
const th = catalogTemplate('explorer', 'heatmapChart');

export { shareColour };

/** The 0–100% colour ramp shared by both FP8-share heatmaps. */
export function ShareLegend({ label }: { label: string }) {
  return (
    <ColorLegend
      scale={shareColour}
      title={label}
      width={200}
      tickValues={[0, 0.25, 0.5, 0.75, 1]}
      tickFormat={(t) => `${Math.round(t * 100)}%`}
      description={th('legendDescription')}
    />
  );
}

export interface HeatmapProps {
  kind: 'weights' | 'activations';
  nLayers: number;
  shares: Map<string, number>;
  /** Blocks per tensor, for the hover text (weights only). */
  blocks?: Map<string, number>;
  selected: { layer: number; projection: Projection };
  onSelect: (layer: number, projection: Projection) => void;
  /** Pinned tensors by tensorKey, marked on their cells (weights only). */
  pinned?: Map<string, 'fp8' | 'nvfp4'>;
}

/** A pinned cell's mark: P8 (pinned FP8) or P4 (pinned NVFP4), ink on a white halo for either fill. */
function PinMarks({
  pinned,
  x,
  y,
}: {
  pinned: Map<string, 'fp8' | 'nvfp4'>;
  x: d3.ScaleBand<Projection>;
  y: d3.ScaleBand<number>;
}) {
  return (
    <g pointerEvents="none" data-testid="pin-marks">
      {[...pinned].map(([key, p]) => {
        const m = /^L(\d+)\.(\w+)$/.exec(key);
        const layer = Number(m?.[1]);
        const px = x(m?.[2] as Projection);
        const py = y(layer);
        if (px === undefined || py === undefined) return null;
        return (
          <text
            key={key}
            data-pin={`${layer}-${m![2]}`}
            data-precision={p}
            x={px + x.bandwidth() / 2}
            y={py + y.bandwidth() / 2}
            dy="0.35em"
            textAnchor="middle"
            fontSize={9}
            fontWeight={700}
            fill={PALETTE.outlineDark}
            stroke={PALETTE.outlineLight}
            strokeWidth={2.5}
            paintOrder="stroke"
          >
            {p === 'fp8' ? 'P8' : 'P4'}
          </text>
        );
      })}
    </g>
  );
}

/** One formatter for every cell's name (toLocaleString builds one per call: most of a slider move's render). */
const COUNT = new Intl.NumberFormat('en-US');

/** Memoised: a slider move that leaves this map's shares alone (useDerived keeps the Map) skips it. */
export const LayerHeatmap = memo(LayerHeatmapView);

function LayerHeatmapView({ kind, nLayers, shares, blocks, selected, onSelect, pinned }: HeatmapProps) {
  const cell = { w: 34, h: Math.max(14, Math.min(26, Math.floor(260 / Math.max(1, nLayers)))) };
  const margin = { top: 18, left: 44, right: 4, bottom: 4 };
  const x = useMemo(
    () =>
      d3
        .scaleBand<Projection>()
        .domain(PROJECTIONS)
        .range([0, cell.w * PROJECTIONS.length])
        .padding(0.06),
    [cell.w],
  );
  const y = useMemo(
    () =>
      d3
        .scaleBand<number>()
        .domain(d3.range(nLayers))
        .range([0, cell.h * nLayers])
        .padding(0.06),
    [nLayers, cell.h],
  );
  const width = margin.left + cell.w * PROJECTIONS.length + margin.right;
  const height = margin.top + cell.h * nLayers + margin.bottom;
  const [hover, setHover] = useState<{ layer: number; proj: Projection } | null>(null);
  // The keyboard focus follows a selection made elsewhere (the other heatmap, the tensor menu, a link).
  const selKey = `${selected.layer}/${selected.projection}`;
  const [focusState, setFocusState] = useState({ layer: selected.layer, proj: selected.projection, sel: selKey });
  const focus =
    focusState.sel === selKey ? focusState : { layer: selected.layer, proj: selected.projection, sel: selKey };
  const setFocus = (f: { layer: number; proj: Projection }) => setFocusState({ ...f, sel: selKey });
  const svgRef = useRef<SVGSVGElement>(null);

  const describe = (layer: number, proj: Projection) => {
    const s = shares.get(tensorKey(layer, proj));
    if (s === undefined) return th('noData', { layer, proj });
    const n = blocks?.get(tensorKey(layer, proj));
    const count = n !== undefined ? th('count', { k: COUNT.format(Math.round(s * n)), n: COUNT.format(n) }) : '';
    const pin = pinned?.get(tensorKey(layer, proj));
    const pinText = pin ? th('pinned', { format: pin.toUpperCase() }) : '';
    return th('cell', { layer, proj, pct: (s * 100).toFixed(1), count, pin: pinText });
  };

  const onKey = (e: KeyboardEvent) => {
    let { layer, proj } = focus;
    let pi = PROJECTIONS.indexOf(proj);
    if (e.key === 'ArrowRight') pi = Math.min(PROJECTIONS.length - 1, pi + 1);
    else if (e.key === 'ArrowLeft') pi = Math.max(0, pi - 1);
    else if (e.key === 'ArrowDown') layer = Math.min(nLayers - 1, layer + 1);
    else if (e.key === 'ArrowUp') layer = Math.max(0, layer - 1);
    else if (e.key === 'Enter' || e.key === ' ') {
      onSelect(layer, proj);
      e.preventDefault();
      return;
    } else return;
    e.preventDefault();
    proj = PROJECTIONS[pi];
    setFocus({ layer, proj });
    svgRef.current?.querySelector<SVGElement>(`[data-cell="${layer}-${proj}"]`)?.focus();
  };

  const shown = hover ?? focus;
  return (
    <div className="inline-block">
      <svg
        ref={svgRef}
        data-chart
        data-testid={`heatmap-${kind}`}
        width={width}
        height={height}
        role="grid"
        aria-label={th(kind === 'weights' ? 'gridWeights' : 'gridActivations')}
        onKeyDown={onKey}
        className="block"
      >
        <g transform={`translate(${margin.left},${margin.top})`}>
          <Axis scale={x} orient="top" tickSize={0} domainLine={false} tickFormat={(p) => p} />
          <HeatCells
            rows={d3.range(nLayers)}
            cols={PROJECTIONS}
            x={x}
            y={y}
            rowLabel={(layer) => `L${layer}`}
            rowProps={(layer) => ({ role: 'row', 'aria-label': th('row', { layer }) })}
            fill={(layer, proj) => {
              const s = shares.get(tensorKey(layer, proj));
              return s === undefined ? 'transparent' : shareColour(s);
            }}
            cellProps={(layer, proj) => {
              const isSel = selected.layer === layer && selected.projection === proj;
              return {
                role: 'gridcell',
                'data-cell': `${layer}-${proj}`,
                'data-share': shares.get(tensorKey(layer, proj)) ?? '',
                'aria-label': describe(layer, proj),
                'aria-selected': isSel,
                tabIndex: focus.layer === layer && focus.proj === proj ? 0 : -1,
                stroke: isSel ? PALETTE.ink : 'none',
                strokeWidth: isSel ? 2 : 0,
                // A literal class (Tailwind reads it from the source): PALETTE.focus.
                className:
                  'cursor-pointer outline-none focus-visible:[stroke:#e69f00] focus-visible:[stroke-width:3px]',
                onMouseEnter: () => setHover({ layer, proj }),
                onMouseLeave: () => setHover(null),
                onFocus: () => setFocus({ layer, proj }),
                onClick: () => {
                  setFocus({ layer, proj });
                  onSelect(layer, proj);
                },
              };
            }}
          />
          {pinned && pinned.size > 0 && <PinMarks pinned={pinned} x={x} y={y} />}
        </g>
      </svg>
      <div className="mt-1 h-4 text-xs tabular-nums text-slate-700 dark:text-slate-300" aria-live="polite">
        {describe(shown.layer, shown.proj)}
      </div>
    </div>
  );
}
