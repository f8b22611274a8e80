// Writes the app's icons from one drawing: public/favicon.svg, public/favicon.ico (32 px PNG inside),
// public/icons/{icon-192,icon-512,icon-maskable-512,apple-touch-icon}.png. The drawing is FGMP itself:
// a 4×4 grid of weight blocks, most NVFP4 (sky blue) and a few kept in FP8 (orange), the Okabe–Ito
// colours the views use (src/views/charts/palette.ts). Run: npx tsx scripts/make-icons.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';

const BG = '#0f172a';
const NVFP4 = '#56B4E9';
const FP8 = '#E69F00';
const FP8_CELLS = new Set(['0,1', '1,3', '2,0', '2,2', '3,1']); // row,col

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  r: number;
  fill: string;
}

/** The drawing on a 64-unit square; `maskable` fills the square and keeps the grid in the 80 % safe circle. */
function drawing(maskable: boolean): Rect[] {
  const rects: Rect[] = [{ x: 0, y: 0, w: 64, h: 64, r: maskable ? 0 : 12, fill: BG }];
  const scale = maskable ? 0.72 : 1;
  const at = (u: number) => 32 + (u - 32) * scale;
  for (let row = 0; row < 4; row++)
    for (let col = 0; col < 4; col++)
      rects.push({
        x: at(10 + 12 * col),
        y: at(10 + 12 * row),
        w: 8 * scale,
        h: 8 * scale,
        r: 1.5 * scale,
        fill: FP8_CELLS.has(`${row},${col}`) ? FP8 : NVFP4,
      });
  return rects;
}

function svg(rects: Rect[]): string {
  const body = rects
    .map((q) => `<rect x="${q.x}" y="${q.y}" width="${q.w}" height="${q.h}" rx="${q.r}" fill="${q.fill}"/>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">${body}</svg>\n`;
}

const inside = (q: Rect, x: number, y: number): boolean => {
  if (x < q.x || x > q.x + q.w || y < q.y || y > q.y + q.h) return false;
  const dx = Math.max(q.x + q.r - x, x - (q.x + q.w - q.r), 0);
  const dy = Math.max(q.y + q.r - y, y - (q.y + q.h - q.r), 0);
  return dx * dx + dy * dy <= q.r * q.r;
};

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** RGBA pixels, 4×4 samples per pixel, later rectangles over earlier ones. */
function raster(rects: Rect[], size: number): Uint8Array {
  const S = 4;
  const px = new Uint8Array(size * size * 4);
  const colours = rects.map((q) => rgb(q.fill));
  for (let py = 0; py < size; py++)
    for (let pxi = 0; pxi < size; pxi++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const x = ((pxi + (sx + 0.5) / S) * 64) / size;
          const y = ((py + (sy + 0.5) / S) * 64) / size;
          for (let k = rects.length - 1; k >= 0; k--)
            if (inside(rects[k], x, y)) {
              for (let c = 0; c < 3; c++) acc[c] += colours[k][c];
              acc[3] += 255;
              break;
            }
        }
      const o = (py * size + pxi) * 4;
      const n = acc[3] / 255; // covered samples: un-premultiply the colour
      for (let c = 0; c < 3; c++) px[o + c] = n ? Math.round(acc[c] / n) : 0;
      px[o + 3] = Math.round(acc[3] / (S * S));
    }
  return px;
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (b: Uint8Array) => {
  let c = 0xffffffff;
  for (const x of b) c = CRC[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

function png(rgba: Uint8Array, size: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc32(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  const rows = Buffer.alloc(size * (size * 4 + 1)); // filter byte 0 before each row
  for (let y = 0; y < size; y++) rows.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An .ico holding one PNG image (allowed since Windows Vista; every current browser reads it). */
function ico(pngBytes: Buffer, size: number): Buffer {
  const head = Buffer.alloc(22);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2); // type: icon
  head.writeUInt16LE(1, 4); // one image
  head.writeUInt8(size, 6);
  head.writeUInt8(size, 7);
  head.writeUInt16LE(1, 10); // colour planes
  head.writeUInt16LE(32, 12); // bits per pixel
  head.writeUInt32LE(pngBytes.length, 14);
  head.writeUInt32LE(22, 18); // offset of the image
  return Buffer.concat([head, pngBytes]);
}

const out = path.resolve('public');
mkdirSync(path.join(out, 'icons'), { recursive: true });
const plain = drawing(false);
const maskable = drawing(true);
writeFileSync(path.join(out, 'favicon.svg'), svg(plain));
writeFileSync(path.join(out, 'favicon.ico'), ico(png(raster(plain, 32), 32), 32));
for (const [name, rects, size] of [
  ['icon-192', plain, 192],
  ['icon-512', plain, 512],
  ['icon-maskable-512', maskable, 512],
  ['apple-touch-icon', maskable, 180], // iOS rounds the corners itself: full-bleed like the maskable one
] as const)
  writeFileSync(path.join(out, 'icons', `${name}.png`), png(raster(rects, size), size));
console.log(`icons written to ${out}`);
