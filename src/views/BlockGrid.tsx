// Every 16-value block of the selected tensor as one cell: FP8 vs NVFP4, or the policy's score on a log
// scale. Canvas (one pixel per block, scaled), wheel/keys zoom, drag pans, hover/click/arrows inspect.
import {
  memo,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type PointerEvent,
  type WheelEvent,
} from 'react';
import { useTranslation } from 'react-i18next';
import type * as d3 from 'd3';
import type { TensorDetail } from '../core/pipeline/results';
import { ColorLegend, PALETTE, SwatchLegend } from './charts';
import { paintGrid, useBlockBitmap, useScoreScale } from './blockGridPaint';
import { BLOCK_SIZE, blockGrid, blockSpan } from './blockSpan';

export const FP8_COLOUR = PALETTE.fp8;
export const NVFP4_COLOUR = PALETTE.nvfp4;

interface View {
  k: number;
  tx: number;
  ty: number;
}

export interface BlockGridProps {
  detail: TensorDetail;
  mask: Uint8Array;
  scores: Float64Array;
  colour: 'precision' | 'score';
  selectedBlock: number | null;
  onSelectBlock: (b: number | null) => void;
}

const W = 560;
const H = 300;

/** Memoised: an activation-budget move (or a weight move that leaves this tensor's mask as it was) skips it. */
export const BlockGrid = memo(BlockGridView);

function BlockGridView({ detail, mask, scores, colour, selectedBlock, onSelectBlock }: BlockGridProps) {
  const { t } = useTranslation('explorer');
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const bpr = blockGrid(detail.rows, detail.cols).blocksPerRow;
  const rows = detail.rows;
  const [view, setView] = useState<View>({ k: 1, tx: 0, ty: 0 });
  const [hover, setHover] = useState<number | null>(null);
  const drag = useRef<{ x: number; y: number; tx: number; ty: number; moved: boolean } | null>(null);
  // (The parent keys this component by tensor, so a new tensor starts unzoomed.)

  const scoreScale = useScoreScale(scores);
  const bitmap = useBlockBitmap(mask, scores, colour, scoreScale, bpr, rows);
  const sx = (W / bpr) * view.k;
  const sy = (H / rows) * view.k;
  useLayoutEffect(
    () => paintGrid(canvasRef.current!, bitmap, { ...view, sx, sy, W, H }, bpr, rows, hover, selectedBlock),
    [bitmap, view, sx, sy, bpr, rows, hover, selectedBlock, mask, scores, colour],
  );

  // Pointer position in the canvas's own W × H units (CSS may shrink it on a narrow screen).
  const local = (clientX: number, clientY: number) => {
    const rect = canvasRef.current!.getBoundingClientRect();
    return { x: ((clientX - rect.left) * W) / (rect.width || W), y: ((clientY - rect.top) * H) / (rect.height || H) };
  };
  const cssScale = () => W / (canvasRef.current!.getBoundingClientRect().width || W);
  const blockAt = (clientX: number, clientY: number): number | null => {
    const p = local(clientX, clientY);
    const c = Math.floor((p.x - view.tx) / sx);
    const r = Math.floor((p.y - view.ty) / sy);
    return c >= 0 && c < bpr && r >= 0 && r < rows ? r * bpr + c : null;
  };

  const zoomAt = (factor: number, px: number, py: number) =>
    setView((v) => {
      const k = Math.max(1, Math.min(400, v.k * factor));
      const f = k / v.k;
      return clampView({ k, tx: px - (px - v.tx) * f, ty: py - (py - v.ty) * f });
    });
  const clampView = (v: View): View => {
    const wCells = W * v.k;
    const hCells = H * v.k;
    return { k: v.k, tx: Math.min(0, Math.max(W - wCells, v.tx)), ty: Math.min(0, Math.max(H - hCells, v.ty)) };
  };

  const onWheel = (e: WheelEvent) => {
    const p = local(e.clientX, e.clientY);
    zoomAt(e.deltaY < 0 ? 1.25 : 0.8, p.x, p.y);
  };
  const onPointerDown = (e: PointerEvent) => {
    (e.target as Element).setPointerCapture?.(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, tx: view.tx, ty: view.ty, moved: false };
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (d && (Math.abs(e.clientX - d.x) > 3 || Math.abs(e.clientY - d.y) > 3 || d.moved)) {
      d.moved = true;
      const k = cssScale();
      setView((v) => clampView({ k: v.k, tx: d.tx + (e.clientX - d.x) * k, ty: d.ty + (e.clientY - d.y) * k }));
      return;
    }
    setHover(blockAt(e.clientX, e.clientY));
  };
  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current;
    drag.current = null;
    if (d && !d.moved) onSelectBlock(blockAt(e.clientX, e.clientY));
  };
  const onKey = (e: KeyboardEvent) => {
    const cur = selectedBlock ?? 0;
    const r = Math.floor(cur / bpr);
    const c = cur - r * bpr;
    const move = (nr: number, nc: number) =>
      onSelectBlock(Math.max(0, Math.min(rows - 1, nr)) * bpr + Math.max(0, Math.min(bpr - 1, nc)));
    if (e.key === 'ArrowRight') move(r, c + 1);
    else if (e.key === 'ArrowLeft') move(r, c - 1);
    else if (e.key === 'ArrowDown') move(r + 1, c);
    else if (e.key === 'ArrowUp') move(r - 1, c);
    else if (e.key === '+' || e.key === '=') zoomAt(1.5, W / 2, H / 2);
    else if (e.key === '-') zoomAt(1 / 1.5, W / 2, H / 2);
    else if (e.key === '0') setView({ k: 1, tx: 0, ty: 0 });
    else if (e.key === 'Escape') onSelectBlock(null);
    else return;
    e.preventDefault();
  };

  const info = hover ?? selectedBlock;
  const fp8Count = useMemo(() => mask.reduce((s, m) => s + m, 0), [mask]);
  return (
    <div>
      <div className="flex flex-wrap items-start gap-3">
        <div className="min-w-0 max-w-full">
          <canvas
            ref={canvasRef}
            data-chart
            data-testid="block-grid"
            data-fp8-blocks={fp8Count}
            tabIndex={0}
            role="img"
            aria-label={t('blockGrid.label', { layer: detail.layer, proj: detail.proj, rows, bpr, fp8: fp8Count })}
            style={{ width: W, maxWidth: '100%', height: 'auto', aspectRatio: `${W} / ${H}`, touchAction: 'none' }}
            className="cursor-crosshair rounded border border-slate-300 outline-none focus-visible:ring-2 focus-visible:ring-amber-500 dark:border-slate-600"
            onWheel={onWheel}
            onPointerDown={onPointerDown}
            onPointerMove={onPointerMove}
            onPointerUp={onPointerUp}
            onPointerLeave={() => setHover(null)}
            onKeyDown={onKey}
          />
          <div className="mt-1 flex items-center gap-3 text-xs text-slate-600 dark:text-slate-400">
            <span>
              {t('blockGrid.axes', { lastRow: rows - 1, lastCol: bpr - 1, size: BLOCK_SIZE, zoom: view.k.toFixed(1) })}
            </span>
            {view.k > 1 && (
              <button type="button" className="btn-ghost" onClick={() => setView({ k: 1, tx: 0, ty: 0 })}>
                {t('blockGrid.resetZoom')}
              </button>
            )}
          </div>
          <BlockLegend colour={colour} scoreScale={scoreScale} />
        </div>
        <BlockInfo detail={detail} block={info} mask={mask} scores={scores} />
      </div>
    </div>
  );
}

// Memoised: a weight move redraws the grid, not its legend.
const BlockLegend = memo(function BlockLegend({
  colour,
  scoreScale,
}: {
  colour: 'precision' | 'score';
  scoreScale: d3.ScaleSequential<string> | null;
}) {
  const { t } = useTranslation('explorer');
  if (colour === 'precision' || !scoreScale)
    return (
      <SwatchLegend
        className="mt-1"
        items={[
          { label: t('blockGrid.fp8'), colour: FP8_COLOUR },
          { label: t('blockGrid.nvfp4'), colour: NVFP4_COLOUR },
        ]}
      />
    );
  return (
    <ColorLegend scale={scoreScale} title={t('blockGrid.score')} width={200} tickFormat={(v) => v.toExponential(0)} />
  );
});

function BlockInfo({
  detail,
  block,
  mask,
  scores,
}: {
  detail: TensorDetail;
  block: number | null;
  mask: Uint8Array;
  scores: Float64Array;
}) {
  const { t } = useTranslation('explorer');
  if (block === null || block >= mask.length)
    return <p className="w-64 text-xs text-slate-600 dark:text-slate-400">{t('blockGrid.hint')}</p>;
  const { row: r, col: c, start, end } = blockSpan(blockGrid(detail.rows, detail.cols), block);
  const fmt = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 0.01 ? x.toFixed(4) : x.toExponential(2));
  const rowsOut = [];
  for (let i = start; i < end; i++) rowsOut.push(i);
  return (
    <div className="w-72 text-xs" data-testid="block-info">
      <div className="font-semibold">
        {t('blockGrid.block', { block, row: r, first: c * BLOCK_SIZE, last: c * BLOCK_SIZE + (end - start) - 1 })}
      </div>
      <div>
        {t('blockGrid.precision')}
        <b style={{ color: mask[block] ? FP8_COLOUR : NVFP4_COLOUR }}>{mask[block] ? 'FP8' : 'NVFP4'}</b>
        {t('blockGrid.scoreClip', { score: scores[block].toExponential(3), clip: detail.clipRatio[block].toFixed(2) })}
      </div>
      {detail.weight.length === 0 ? (
        <p className="mt-1 text-slate-600 dark:text-slate-400">{t('blockGrid.noWeights')}</p>
      ) : (
        <table className="mt-1 w-full tabular-nums">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="font-normal">{t('blockGrid.value')}</th>
              <th className="font-normal">NVFP4</th>
              <th className="font-normal">FP8</th>
              {detail.fisher && <th className="font-normal">Fisher</th>}
            </tr>
          </thead>
          <tbody>
            {rowsOut.map((i) => (
              <tr key={i}>
                <td>{fmt(detail.weight[i])}</td>
                <td>{fmt(detail.qLo[i])}</td>
                <td>{fmt(detail.qHi[i])}</td>
                {detail.fisher && <td>{detail.fisher[i].toExponential(1)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
