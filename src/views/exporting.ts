// Export of charts (SVG and PNG) and data. Charts are SVG (d3 scales and shapes rendered by React) or
// canvas (the block grid); an SVG export of a canvas embeds its pixels as an image.

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

/** One standalone SVG for a panel: its SVG charts stacked, canvases embedded as images. */
export function panelSvg(panel: HTMLElement): { svg: string; width: number; height: number } {
  const parts = [...panel.querySelectorAll<SVGSVGElement | HTMLCanvasElement>('svg[data-chart], canvas[data-chart]')];
  const color = getComputedStyle(panel).color;
  const background = getComputedStyle(panel).backgroundColor;
  let y = 0;
  let width = 0;
  const body: string[] = [];
  for (const el of parts) {
    const r = el.getBoundingClientRect();
    width = Math.max(width, r.width);
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
  const height = Math.max(1, y - 8);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" ` +
    `style="color:${color};font-family:ui-sans-serif,system-ui,sans-serif;font-size:11px"><rect width="100%" height="100%" fill="${background}"/>${body.join('')}</svg>`;
  return { svg, width, height };
}

export function exportPanelSvg(panel: HTMLElement, name: string): void {
  downloadBlob(new Blob([panelSvg(panel).svg], { type: 'image/svg+xml' }), `${name}.svg`);
}

export async function exportPanelPng(panel: HTMLElement, name: string): Promise<void> {
  const { svg, width, height } = panelSvg(panel);
  const scale = window.devicePixelRatio || 1;
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
    ctx.drawImage(img, 0, 0);
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'));
    if (blob) downloadBlob(blob, `${name}.png`);
  } finally {
    URL.revokeObjectURL(url);
  }
}
