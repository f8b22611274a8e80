import { runCli } from '../../../tests/support/cli';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { E4M3, findScalarFormat, NF4_LEVELS } from '../../core/formats/index.ts';

describe('fgmp quantize', () => {
  it('NVFP4 JSON: values, codes, scales and metrics of a hand-worked block', async () => {
    // amax 10.5 -> tensor scale 2^-8; block scale E4M3(10.5/6·256 = 448) = 448 -> scale 1.75;
    // 10.5/1.75 = 6 (code 7), -3.5/1.75 = -2 (code 12), 0.875/1.75 = 0.5 (code 1), 0.4/1.75 = 0.23 -> 0
    const r = await runCli(['quantize', '--format', 'nvfp4', '--json'], '10.5 -3.5\n0.875  0.4');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j).slice(0, 6)).toEqual(['format', 'block', 'values', 'codes', 'scales', 'metrics']);
    expect(j.format).toBe('nvfp4');
    expect(j.block).toBe(16);
    expect(j.values).toEqual([10.5, -3.5, 0.875, 0]);
    expect(j.codes).toEqual([7, 12, 1, 0]);
    expect(j.scales).toEqual([1.75]);
    expect(j.tensorScale).toBe(2 ** -8);
    const err = Math.fround(0.4);
    expect(j.metrics.mse).toBeCloseTo((err * err) / 4, 12);
    expect(j.metrics.maxAbs).toBe(err);
  });

  it('scalar formats: one per-tensor scale (E4M3 amax/448) or none (BF16)', async () => {
    const a = JSON.parse((await runCli(['quantize', '--format', 'e4m3', '--json'], '896 300 -1')).out);
    // scale 2; 300/2 = 150 -> 144 -> 288
    expect(a.scales).toEqual([2]);
    expect(a.values).toEqual([896, 288, -1]);
    expect(a.codes).toEqual([E4M3.encode(448), E4M3.encode(144), E4M3.encode(-0.5)]);
    const b = JSON.parse((await runCli(['quantize', '--format', 'bf16', '--json'], '1 0.1')).out);
    expect(b.scales).toEqual([]);
    expect(b.codes).toEqual([0x3f80, 0x3dcd]); // 0.1 = 0x3DCCCCCD in float32 -> RNE to 0x3DCD
  });

  it('every format id runs, NaN gives a null code where the format has none', async () => {
    const ids = JSON.parse((await runCli(['formats', '--json'])).out);
    const all = [...ids.formats.map((f: { id: string }) => f.id), ...ids.blockFormats.map((f: { id: string }) => f.id)];
    expect(all.length).toBe(22);
    for (const id of all) {
      const r = await runCli(['quantize', '--format', id, '--json'], '0.5 -2 nan 3');
      expect(r.code, `${id}: ${r.err}`).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.values.length).toBe(4);
      expect(j.values[2]).toBe(null); // NaN in, NaN out (null in JSON)
    }
    const n = JSON.parse((await runCli(['quantize', '--format', 'nf4', '--json'], '2 -1 nan')).out);
    expect(n.codes).toEqual([15, 2, null]);
    expect(n.values[1]).toBe(Math.fround(NF4_LEVELS[2] * 2));
  });

  it('--block, --clip mse never worse than none, kl and percentile', async () => {
    const xs = Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7) * (i === 5 ? 20 : 1)).join(' ');
    const none = JSON.parse((await runCli(['quantize', '--format', 'int4', '--block', '16', '--json'], xs)).out);
    expect(none.block).toBe(16);
    expect(none.scales.length).toBe(4);
    const mse = JSON.parse(
      (await runCli(['quantize', '--format', 'int4', '--block', '16', '--clip', 'mse', '--json'], xs)).out,
    );
    expect(mse.metrics.mse).toBeLessThanOrEqual(none.metrics.mse);
    expect(mse.clip.length).toBe(4);
    for (const c of ['kl', 'percentile:99', 'none'])
      expect((await runCli(['quantize', '--format', 'mxfp4', '--clip', c], xs)).code).toBe(0);
  });

  it('reads raw little-endian float32 with --f32', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-'));
    const file = path.join(dir, 'x.f32');
    writeFileSync(file, Buffer.from(Float32Array.of(1, -0.75, 3).buffer));
    const j = JSON.parse((await runCli(['quantize', '--format', 'e2m1', '--f32', file, '--json'])).out);
    // scale 3/6 = 0.5: 2 -> code 4, -1.5 -> code 11, 6 -> code 7
    expect(j.codes).toEqual([4, 11, 7]);
    writeFileSync(file, Buffer.from([1, 2, 3]));
    expect((await runCli(['quantize', '--format', 'e2m1', '--f32', file])).err).toMatch(/not a multiple of 4/);
  });

  it('prints a table by default', async () => {
    const r = await runCli(['quantize', '--format', 'mxfp4'], '1 2 3');
    expect(r.out).toMatch(/format mxfp4, block 32, 3 values/);
    expect(r.out).toMatch(/sqnr/);
  });

  it('clear errors for bad input', async () => {
    const cases: [string[], string, RegExp][] = [
      [['quantize', '--format', 'fp7'], '1', /unknown format "fp7"/],
      [['quantize', '--format', 'nvfp4'], '  \n', /no numbers on stdin/],
      [['quantize', '--format', 'nvfp4'], '1 2 abc 4', /not a number: token 3 "abc"/],
      [['quantize', '--format', 'nvfp4', '--block', '0'], '1', /--block must be a positive integer, got "0"/],
      [['quantize', '--format', 'nvfp4', '--block', '2.5'], '1', /--block must be a positive integer/],
      [['quantize', '--format', 'nvfp4', '--clip', 'max'], '1', /bad --clip: unknown clip method "max"/],
      [['quantize', '--format', 'nvfp4', '--clip', 'percentile:200'], '1', /bad --clip: percentile/],
      [['quantize', '--format', 'bf16', '--block', '4'], '1', /no scale/],
      [['quantize'], '1', /--format is required/],
    ];
    for (const [argv, stdin, msg] of cases) {
      const r = await runCli(argv, stdin);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });
});

describe('fgmp formats', () => {
  it('prints the table and JSON metadata', async () => {
    const t = await runCli(['formats']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^e4m3\s+8\s+4\s+3\s+7\s+448\s/m);
    const j = JSON.parse((await runCli(['formats', '--json'])).out);
    const e5 = j.formats.find((f: { id: string }) => f.id === 'e5m2');
    expect(e5).toMatchObject({
      bits: 8,
      bias: 15,
      maxFinite: 57344,
      minNormal: 2 ** -14,
      minSubnormal: 2 ** -16,
      hasInf: true,
      hasNaN: true,
    });
  });
});

describe('fgmp quantize --scale', () => {
  const scalar = ['e4m3', 'e5m2', 'e2m3', 'e3m2', 'e2m1'].map((id) => findScalarFormat(id)!);

  it('none is the unscaled cast: every code of the exhaustive table decodes to itself, and between codes rounds as encode/decode', async () => {
    for (const f of scalar) {
      const codes = Array.from({ length: 2 ** f.bits }, (_, c) => c).filter((c) => Number.isFinite(f.decode(c)));
      const values = codes.map((c) => f.decode(c));
      // Midpoints and beyond-range values too: the scalar rule (RNE, saturating) is the reference.
      const probes = [...values, ...values.slice(1).map((v, i) => (v + values[i]) / 2), 1e6, -1e6];
      const text = probes.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(' ');
      const r = await runCli(['quantize', '--format', f.id, '--scale', 'none', '--json'], text);
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.scales).toEqual([1]);
      // JSON writes −0 as 0.
      expect(j.values).toEqual(probes.map((v) => f.decode(f.encode(Math.fround(v))) || 0));
      expect(j.codes.slice(0, codes.length)).toEqual(codes.map((c) => f.encode(f.decode(c))));
    }
  });

  it('a given scale divides, casts and multiplies back; absmax stays the default; block formats refuse it', async () => {
    const r = JSON.parse((await runCli(['quantize', '--format', 'e4m3', '--scale', '2', '--json'], '1 300 -1000')).out);
    // 1/2 = 0.5 -> 0.5 -> 1; 300/2 = 150 -> 144 -> 288; -1000/2 = -500 saturates to -448 -> -896.
    expect(r.values).toEqual([1, 288, -896]);
    expect(r.scales).toEqual([2]);
    const a = JSON.parse(
      (await runCli(['quantize', '--format', 'e4m3', '--scale', 'absmax', '--json'], '896 300 -1')).out,
    );
    expect(a.scales).toEqual([2]);
    const bad = await runCli(['quantize', '--format', 'nvfp4', '--scale', 'none'], '1 2');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/block format with its own scales/);
    const junk = await runCli(['quantize', '--format', 'e4m3', '--scale=-1'], '1 2');
    expect(junk.err).toMatch(/--scale must be none, absmax or a positive number/);
  });
});
