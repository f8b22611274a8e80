// Export of charts (SVG and PNG) and data. Charts are SVG (d3 scales and shapes rendered by React) or
// canvas (the block grid); an SVG export of a canvas embeds its pixels as an image. An exported figure
// stands alone: a title, the model, the settings and the share URL above the charts, and the panel's HTML
// legends (swatch + label) drawn under them.
import { i18n } from '../i18n';

/** What a figure says about itself (src/store/exports.ts exportContext gives it for the explorer). */
export interface FigureContext {
  title: string;
  /** Lines under the title: model, settings, share URL. */
  lines: string[];
}

/** PNG exports are at least twice the CSS pixels (sharp on high-density screens and in print). */
export const PNG_MIN_SCALE = 2;

export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const escapeXml = (s: string) =>
  s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/**
 * Long lines cut into pieces of at most `n` characters so the figure keeps its width: after a space or a
 * URL's '&' where there is one in the piece's second half, else exactly at `n` (an unbroken name).
 */
export function wrapLine(line: string, n: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > n) {
    const piece = rest.slice(0, n);
    const at = Math.max(piece.lastIndexOf(' '), piece.lastIndexOf('&'));
    const cut = at >= n / 2 ? at + 1 : n;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

/** The panel's HTML legends (SwatchLegend: a swatch <svg> then its label), as label and swatch markup. */
function htmlLegends(panel: HTMLElement): { label: string; swatch: string }[] {
  const swatches = [...panel.querySelectorAll<SVGSVGElement>('span > svg[aria-hidden="true"]:first-child')];
  return swatches
    .filter((s) => !s.closest('svg[data-chart]'))
    .map((s) => ({ label: s.parentElement?.textContent?.trim() ?? '', swatch: s.innerHTML }))
    .filter((l) => l.label);
}

/** One standalone SVG for a panel: title and context, its SVG charts stacked, canvases as images, legends. */
export function panelSvg(panel: HTMLElement, context?: FigureContext): { svg: string; width: number; height: number } {
  const parts = [...panel.querySelectorAll<SVGSVGElement | HTMLCanvasElement>('svg[data-chart], canvas[data-chart]')];
  const color = getComputedStyle(panel).color;
  const background = getComputedStyle(panel).backgroundColor;
  let width = 320;
  for (const el of parts) width = Math.max(width, el.getBoundingClientRect().width);
  const body: string[] = [];
  let y = 0;
  if (context) {
    body.push(`<text x="0" y="16" font-size="14" font-weight="600">${escapeXml(context.title)}</text>`);
    y = 22;
    const perLine = Math.max(40, Math.floor(width / 5.2));
    for (const line of context.lines)
      for (const piece of wrapLine(line, perLine)) {
        y += 12;
        body.push(`<text x="0" y="${y}" font-size="9">${escapeXml(piece)}</text>`);
      }
    y += 10;
  }
  for (const el of parts) {
    const r = el.getBoundingClientRect();
    // Each chart's accessible name as its caption (the panel's HTML labels are not in the SVG); legends have theirs.
    const caption = el.getAttribute('aria-label');
    const legend = caption?.startsWith(i18n.t('common:chart.legend.prefix')) ?? false;
    if (context && caption && !legend)
      for (const piece of wrapLine(caption, Math.max(40, Math.floor(width / 5.8)))) {
        y += 12;
        body.push(`<text x="0" y="${y}" font-size="10" font-weight="600">${escapeXml(piece)}</text>`);
      }
    if (context && caption && !legend) y += 4;
    if (el instanceof HTMLCanvasElement) {
      body.push(`<image x="0" y="${y}" width="${r.width}" height="${r.height}" href="${el.toDataURL('image/png')}"/>`);
    } else {
      const clone = el.cloneNode(true) as SVGSVGElement;
      clone.setAttribute('x', '0');
      clone.setAttribute('y', String(y));
      clone.setAttribute('width', String(r.width));
      clone.setAttribute('height', String(r.height));
      body.push(new XMLSerializer().serializeToString(clone));
    }
    y += r.height + 8;
  }
  // HTML legends: one row per entry, wrapped to the figure's width.
  let x = 0;
  for (const l of htmlLegends(panel)) {
    // 11 px text: about 6.6 px a character (a little generous, so labels never run into the next swatch).
    const w = 26 + Math.ceil(l.label.length * 6.6);
    if (x > 0 && x + w > width) {
      x = 0;
      y += 16;
    }
    body.push(
      `<svg x="${x}" y="${y}" width="22" height="12" overflow="visible">${l.swatch}</svg>` +
        `<text x="${x + 26}" y="${y + 10}" font-size="11">${escapeXml(l.label)}</text>`,
    );
    x += w + 14;
  }
  if (x > 0) y += 20;
  const height = Math.max(1, y - 8);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" ` +
    `style="color:${color};font-family:ui-sans-serif,system-ui,sans-serif;font-size:11px" fill="currentColor">` +
    (context ? `<title>${escapeXml(context.title)}</title>` : '') +
    `<rect width="100%" height="100%" fill="${background}"/>${body.join('')}</svg>`;
  return { svg, width, height };
}

export function exportPanelSvg(panel: HTMLElement, name: string, context?: FigureContext): void {
  downloadBlob(new Blob([panelSvg(panel, context).svg], { type: 'image/svg+xml' }), `${name}.svg`);
}

export async function exportPanelPng(panel: HTMLElement, name: string, context?: FigureContext): Promise<void> {
  const { svg, width, height } = panelSvg(panel, context);
  const scale = Math.max(PNG_MIN_SCALE, window.devicePixelRatio || 1);
  const img = new Image();
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('could not render the chart to PNG'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    if (blob) downloadBlob(blob, `${name}.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
