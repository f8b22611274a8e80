// fgmp quantize: fake-quantize numbers from stdin (or a raw float32 file) in any format and print
// decoded values, codes, scales and error metrics, as a table or JSON.
import { readFile } from 'node:fs/promises';
import { parse, table, UsageError, type CliIO, type Command } from '../args.ts';
import { codeHex, findScheme, quantizeScheme, schemeIds } from '../../core/formats/index.ts';
import { parseClipMethod, type ClipMethod } from '../../core/calib/index.ts';

const usage =
  'fgmp quantize --format ID [--block N] [--row N] [--clip none|mse|mse-sweep|kl|percentile:P] [--scale none|absmax|VALUE] [--json] [--f32 FILE] < numbers';

const options = {
  format: { type: 'string' },
  block: { type: 'string' },
  row: { type: 'string' },
  clip: { type: 'string' },
  scale: { type: 'string' },
  json: { type: 'boolean' },
  f32: { type: 'string' },
} as const;

/** Whitespace-separated decimal numbers; nan / inf / -inf accepted in any case. */
export function parseNumbers(text: string): Float32Array {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  const out = new Float32Array(tokens.length);
  tokens.forEach((t, i) => {
    const lower = t.toLowerCase();
    let v: number;
    if (lower === 'nan') v = NaN;
    else if (/^[+-]?(inf|infinity)$/.test(lower)) v = lower.startsWith('-') ? -Infinity : Infinity;
    else if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) v = Number(t);
    else throw new UsageError(`not a number: token ${i + 1} "${t.length > 40 ? t.slice(0, 40) + '…' : t}"`);
    out[i] = v;
  });
  return out;
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

async function readInput(io: CliIO, f32: string | undefined): Promise<Float32Array> {
  if (f32 !== undefined) {
    let buf: Buffer;
    try {
      buf = await readFile(f32);
    } catch (e) {
      throw new UsageError(`cannot read --f32 file "${f32}": ${(e as Error).message}`);
    }
    if (buf.byteLength % 4 !== 0)
      throw new UsageError(`--f32 file "${f32}" has ${buf.byteLength} bytes, not a multiple of 4`);
    const out = new Float32Array(buf.byteLength / 4);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, true);
    if (out.length === 0) throw new UsageError(`--f32 file "${f32}" is empty`);
    return out;
  }
  const text = new TextDecoder().decode(await io.readStdin());
  const x = parseNumbers(text);
  if (x.length === 0)
    throw new UsageError('no numbers on stdin (pipe whitespace-separated numbers, or use --f32 FILE)');
  return x;
}

/** --scale: none (an unscaled cast), absmax (the default), or a positive number. */
function scaleOption(v: string | undefined): 'none' | 'absmax' | number | undefined {
  if (v === undefined || v === 'none' || v === 'absmax') return v;
  const n = Number(v);
  if (v.trim() === '' || !(Number.isFinite(n) && n > 0))
    throw new UsageError(`--scale must be none, absmax or a positive number, got "${v}"`);
  return n;
}

/** JSON has no NaN/Infinity: they become null. */
const j = (v: number) => (Number.isFinite(v) ? v : null);

const command: Command = {
  name: 'quantize',
  summary: 'fake-quantize numbers (stdin or --f32 file) in a format; prints values, codes, scales, errors',
  usage,
  async run(argv, io) {
    const { values: o } = parse(argv, options, usage);
    if (!o.format) throw new UsageError(`--format is required (one of: ${schemeIds().join(', ')})\nusage: ${usage}`);
    if (!findScheme(o.format)) throw new UsageError(`unknown format "${o.format}" (known: ${schemeIds().join(', ')})`);
    const block = positiveInt(o.block, 'block');
    const rowLength = positiveInt(o.row, 'row');
    let clip: ClipMethod | undefined;
    try {
      clip = o.clip === undefined ? undefined : parseClipMethod(o.clip);
    } catch (e) {
      throw new UsageError(`bad --clip: ${(e as Error).message}`);
    }
    const scale = scaleOption(o.scale);
    const x = await readInput(io, o.f32);
    if (rowLength !== undefined && x.length % rowLength !== 0)
      throw new UsageError(`--row ${rowLength} does not divide the ${x.length} input values`);
    let r;
    try {
      r = quantizeScheme(x, o.format, { block, rowLength, clip, scale });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (o.json) {
      const out: Record<string, unknown> = {
        format: r.format,
        block: r.block,
        values: Array.from(r.values, j),
        codes: r.codes,
        scales: r.scales.map(j),
        metrics: { mse: j(r.metrics.mse), maxAbs: j(r.metrics.maxAbs), sqnrDb: j(r.metrics.sqnrDb) },
      };
      if (r.tensorScale !== undefined) out.tensorScale = r.tensorScale;
      if (r.blockScales) out.blockScales = r.blockScales;
      if (r.zeroPoints) out.zeroPoints = r.zeroPoints;
      if (r.clip) out.clip = r.clip;
      io.stdout(JSON.stringify(out) + '\n');
      return 0;
    }
    const fmt = r.elementFormat;
    const rows = Array.from(x, (v, i) => {
      const c = r.codes[i];
      const code = c === null ? '—' : fmt ? codeHex(fmt, c) : `0x${(c & 0xff).toString(16).padStart(2, '0')}`;
      return [i, String(v), code, String(r.values[i]), String(r.values[i] - v)];
    });
    io.stdout(`format ${r.format}, block ${r.block}, ${x.length} values\n`);
    io.stdout(table(['i', 'input', 'code', 'value', 'error'], rows));
    if (r.scales.length) {
      io.stdout(
        '\n' +
          table(
            [
              'block',
              'scale',
              ...(r.blockScales ? ['E4M3 block scale'] : []),
              ...(r.zeroPoints ? ['zero point'] : []),
              ...(r.clip ? ['clip'] : []),
            ],
            r.scales.map((s, b) => [
              b,
              String(s),
              ...(r.blockScales ? [String(r.blockScales[b])] : []),
              ...(r.zeroPoints ? [r.zeroPoints[b]] : []),
              ...(r.clip ? [String(r.clip[b])] : []),
            ]),
          ),
      );
    }
    if (r.tensorScale !== undefined) io.stdout(`tensor scale ${r.tensorScale}\n`);
    io.stdout(`\nmse ${r.metrics.mse}  maxAbs ${r.metrics.maxAbs}  sqnr ${r.metrics.sqnrDb.toFixed(2)} dB\n`);
    return 0;
  },
};

export default command;
