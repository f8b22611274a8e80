// Layers × projections, coloured by the FP8 share of blocks (weights or activations). A roving-tabindex
// grid: arrow keys move, Enter/Space selects; hovering shows the numbers.
import { useMemo, useRef, useState, type KeyboardEvent } from 'react';
import * as d3 from 'd3';
import { PROJECTIONS, type Projection } from '../core/model/types';
import { tensorKey } from '../store/derive';

export const shareColour = d3.scaleSequential(d3.interpolateViridis).domain([0, 1]);

export function ShareLegend({ label }: { label: string }) {
  const stops = d3.range(0, 1.0001, 0.1);
  return (
    <svg
      data-chart
      width={220}
      height={34}
      role="img"
      aria-label={`${label}: colour scale from 0% (dark purple) to 100% (yellow)`}
      className="overflow-visible"
    >
      <defs>
        <linearGradient id={`legend-${label.replace(/\W/g, '')}`}>
          {stops.map((s) => (
            <stop key={s} offset={`${s * 100}%`} stopColor={shareColour(s)} />
          ))}
        </linearGradient>
      </defs>
      <rect x={10} y={4} width={200} height={10} fill={`url(#legend-${label.replace(/\W/g, '')})`} />
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g key={t} transform={`translate(${10 + t * 200},0)`}>
          <line y1={14} y2={18} stroke="currentColor" />
          <text y={28} textAnchor="middle" fontSize={10} fill="currentColor">
            {`${t * 100}%`}
          </text>
        </g>
      ))}
    </svg>
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
}

export function LayerHeatmap({ kind, nLayers, shares, blocks, selected, onSelect }: HeatmapProps) {
  const cell = { w: 34, h: Math.max(14, Math.min(26, Math.floor(260 / Math.max(1, nLayers)))) };
  const margin = { top: 18, left: 44, right: 4, bottom: 4 };
  const x = useMemo(
    () =>
      d3
        .scaleBand<string>()
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
    if (s === undefined) return `layer ${layer} ${proj}: no data`;
    const n = blocks?.get(tensorKey(layer, proj));
    const count =
      n !== undefined ? ` (${Math.round(s * n).toLocaleString('en-US')} of ${n.toLocaleString('en-US')} blocks)` : '';
    return `layer ${layer} ${proj}: ${(s * 100).toFixed(1)}% FP8${count}`;
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
        aria-label={`FP8 share of ${kind === 'weights' ? 'weight' : 'activation'} blocks per layer and projection`}
        onKeyDown={onKey}
        className="block"
      >
        <g transform={`translate(${margin.left},${margin.top})`}>
          {PROJECTIONS.map((p) => (
            <text
              key={p}
              x={(x(p) ?? 0) + x.bandwidth() / 2}
              y={-5}
              textAnchor="middle"
              fontSize={10}
              fill="currentColor"
            >
              {p}
            </text>
          ))}
          {d3.range(nLayers).map((layer) => (
            <g key={layer} role="row" aria-label={`layer ${layer}`}>
              <text
                x={-6}
                y={(y(layer) ?? 0) + y.bandwidth() / 2}
                dy="0.35em"
                textAnchor="end"
                fontSize={10}
                fill="currentColor"
              >
                {`L${layer}`}
              </text>
              {PROJECTIONS.map((proj) => {
                const s = shares.get(tensorKey(layer, proj));
                const isSel = selected.layer === layer && selected.projection === proj;
                const isFocus = focus.layer === layer && focus.proj === proj;
                return (
                  <rect
                    key={proj}
                    role="gridcell"
                    data-cell={`${layer}-${proj}`}
                    data-share={s ?? ''}
                    aria-label={describe(layer, proj)}
                    aria-selected={isSel}
                    tabIndex={isFocus ? 0 : -1}
                    x={x(proj)}
                    y={y(layer)}
                    width={x.bandwidth()}
                    height={y.bandwidth()}
                    fill={s === undefined ? 'transparent' : shareColour(s)}
                    stroke={isSel ? 'currentColor' : 'none'}
                    strokeWidth={isSel ? 2 : 0}
                    className="cursor-pointer outline-none focus-visible:[stroke:#e69f00] focus-visible:[stroke-width:3px]"
                    onMouseEnter={() => setHover({ layer, proj })}
                    onMouseLeave={() => setHover(null)}
                    onFocus={() => setFocus({ layer, proj })}
                    onClick={() => {
                      setFocus({ layer, proj });
                      onSelect(layer, proj);
                    }}
                  />
                );
              })}
            </g>
          ))}
        </g>
      </svg>
      <div className="mt-1 h-4 text-xs tabular-nums text-slate-700 dark:text-slate-300" aria-live="polite">
        {describe(shown.layer, shown.proj)}
      </div>
    </div>
  );
}
