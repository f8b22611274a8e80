// The block grid's pixels: one bitmap pixel per block (precision colours, or the score on a log colour scale),
// drawn scaled onto the visible canvas with grid lines once cells are large, and hover/selection outlines.
import { useLayoutEffect, useMemo } from 'react';
import * as d3 from 'd3';
import { PALETTE, SEQUENTIAL } from './charts';

/** Log colour scale over the positive scores (null when none is positive). */
export function useScoreScale(scores: Float64Array) {
  return useMemo(() => {
    let lo = Infinity;
    let hi = 0;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      if (s > 0 && s < lo) lo = s;
      if (s > hi) hi = s;
    }
    if (!(hi > 0)) return null;
    if (!(lo < hi)) lo = hi / 10;
    return d3.scaleSequentialLog(SEQUENTIAL.cividis).domain([lo, hi]).clamp(true);
  }, [scores]);
}

const rgba = (hex: string) => {
  const c = d3.color(hex)!.rgb();
  return (255 << 24) | (c.b << 16) | (c.g << 8) | c.r;
};

/** One pixel per block; the visible canvas scales it (crisp, no smoothing). */
export function useBlockBitmap(
  mask: Uint8Array,
  scores: Float64Array,
  colour: 'precision' | 'score',
  scoreScale: ReturnType<typeof useScoreScale>,
  bpr: number,
  rows: number,
): HTMLCanvasElement {
  const bitmap = useMemo(() => {
    const c = document.createElement('canvas');
    c.width = bpr;
    c.height = rows;
    return c;
  }, [bpr, rows]);
  useLayoutEffect(() => {
    const ctx = bitmap.getContext('2d')!;
    const img = ctx.createImageData(bpr, rows);
    const px = new Uint32Array(img.data.buffer);
    if (colour === 'precision' || !scoreScale) {
      const on = rgba(PALETTE.fp8);
      const off = rgba(PALETTE.nvfp4);
      for (let b = 0; b < mask.length; b++) px[b] = mask[b] ? on : off;
    } else {
      const lut = d3.range(256).map((i) => rgba(SEQUENTIAL.cividis(i / 255)));
      const [lo, hi] = scoreScale.domain();
      const llo = Math.log(lo);
      const span = Math.log(hi) - llo || 1;
      for (let b = 0; b < scores.length; b++) {
        const s = scores[b];
        const t = s > 0 ? Math.max(0, Math.min(1, (Math.log(s) - llo) / span)) : 0;
        px[b] = lut[Math.round(t * 255)];
      }
    }
    ctx.putImageData(img, 0, 0);
  }, [bitmap, mask, scores, colour, scoreScale, bpr, rows]);
  return bitmap;
}

export interface GridView {
  /** Zoom and pan. */
  k: number;
  tx: number;
  ty: number;
  /** Cell size in canvas units. */
  sx: number;
  sy: number;
  /** Canvas size in CSS pixels. */
  W: number;
  H: number;
}

/** Draws the bitmap at the view, grid lines between large cells, and the hover / selection outlines. */
export function paintGrid(
  canvas: HTMLCanvasElement,
  bitmap: HTMLCanvasElement,
  v: GridView,
  bpr: number,
  rows: number,
  hover: number | null,
  selected: number | null,
): void {
  const { W, H, sx, sy } = v;
  const dpr = window.devicePixelRatio || 1;
  // Resizing reallocates the backing store: only when the pixel ratio changed.
  if (canvas.width !== W * dpr || canvas.height !== H * dpr) {
    canvas.width = W * dpr;
    canvas.height = H * dpr;
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmap, v.tx, v.ty, bpr * sx, rows * sy);
  // Grid lines between blocks once cells are large enough to tell apart.
  if (sx >= 6 && sy >= 6) {
    ctx.strokeStyle = 'rgba(255,255,255,0.35)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let c = 0; c <= bpr; c++) {
      const x = Math.round(v.tx + c * sx) + 0.5;
      ctx.moveTo(x, Math.max(0, v.ty));
      ctx.lineTo(x, Math.min(H, v.ty + rows * sy));
    }
    for (let r = 0; r <= rows; r++) {
      const y = Math.round(v.ty + r * sy) + 0.5;
      ctx.moveTo(Math.max(0, v.tx), y);
      ctx.lineTo(Math.min(W, v.tx + bpr * sx), y);
    }
    ctx.stroke();
  }
  // Outlines in black then white so they show on both cell colours.
  for (const [b, width] of [
    [hover, 1.5],
    [selected, 2.5],
  ] as const) {
    if (b === null || b >= rows * bpr) continue;
    const r = Math.floor(b / bpr);
    const c = b - r * bpr;
    const x = v.tx + c * sx - 2;
    const y = v.ty + r * sy - 2;
    const w = Math.max(4, sx) + 4;
    const h = Math.max(4, sy) + 4;
    ctx.strokeStyle = PALETTE.outlineDark;
    ctx.lineWidth = width + 2;
    ctx.strokeRect(x, y, w, h);
    ctx.strokeStyle = PALETTE.outlineLight;
    ctx.lineWidth = width;
    ctx.strokeRect(x, y, w, h);
  }
}
