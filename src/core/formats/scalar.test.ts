// Exhaustive code tables and rounding checks for every scalar format. Expected values are
// computed here independently from the bit fields (sign, exponent, mantissa), never by the code
// under test.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random';
import {
  BF16,
  E2M1,
  E2M3,
  E3M2,
  E4M3,
  E5M2,
  E8M0_FORMAT,
  FP16,
  FP32,
  INT4,
  INT8,
  NF4,
  NF4_LEVELS,
  TF32,
  UINT4,
  getScalarFormat,
  scalarFormatIds,
  type Minifloat,
  type ScalarFormat,
} from './scalar.ts';
import {
  encodeE2M1Fast,
  encodeE4M3Fast,
  float32Bits,
  makeFastEncoder,
  makeSpanQuantizer,
  quantizeE2M1Span,
  roundE2M1,
  roundE4M3,
} from './fast.ts';

/** Independent decoder: (-1)^s · (e == 0 ? m/2^M · 2^(1-bias) : (1 + m/2^M) · 2^(e-bias)). */
function fieldDecode(
  code: number,
  E: number,
  M: number,
  bias: number,
  special: (e: number, m: number) => number | undefined,
): number {
  const s = Math.floor(code / 2 ** (E + M));
  const e = Math.floor(code / 2 ** M) % 2 ** E;
  const m = code % 2 ** M;
  const sp = special(e, m);
  const mag = sp !== undefined ? sp : e === 0 ? (m / 2 ** M) * 2 ** (1 - bias) : (1 + m / 2 ** M) * 2 ** (e - bias);
  return s ? -mag : mag;
}

const noSpecial = () => undefined;
const e4m3Ref = (c: number) => fieldDecode(c, 4, 3, 7, (e, m) => (e === 15 && m === 7 ? NaN : undefined));
const ieeeSpecial = (E: number) => (e: number, m: number) =>
  e === 2 ** E - 1 ? (m === 0 ? Infinity : NaN) : undefined;
const e5m2Ref = (c: number) => fieldDecode(c, 5, 2, 15, ieeeSpecial(5));

const sameValue = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

// The helpers collect mismatches and assert once (one expect per code is slow for 65536 codes).

/** Checks decode against an independent reference for every code, and encode(decode(c)) = c. */
function checkAllCodes(fmt: ScalarFormat, n: number, ref: (c: number) => number) {
  const bad: string[] = [];
  for (let c = 0; c < n; c++) {
    const v = ref(c);
    if (!sameValue(fmt.decode(c), v)) bad.push(`decode(0x${c.toString(16)}) = ${fmt.decode(c)}, expected ${v}`);
    // ±0 keep their sign bit
    if (!Number.isNaN(v) && fmt.encode(v) !== c) bad.push(`encode(${v}) = ${fmt.encode(v)}, expected ${c}`);
  }
  expect(bad.slice(0, 5), fmt.id).toEqual([]);
}

/** Round-to-nearest-even at every midpoint between neighbouring representable values, and
 *  nearest just above and below each midpoint. */
function checkMidpoints(fmt: ScalarFormat) {
  const vals = fmt.values();
  const bad: string[] = [];
  const odd = (c: number) => Math.abs(c % 2);
  for (let i = 0; i + 1 < vals.length; i++) {
    const [a, b] = [vals[i], vals[i + 1]];
    const mid = (a + b) / 2;
    const ca = fmt.encode(a);
    const cb = fmt.encode(b === 0 ? -0 : b); // on the negative side the zero neighbour is -0
    // Codes of neighbours differ in the last bit, so exactly one is even.
    if (odd(ca) + odd(cb) !== 1) bad.push(`neighbours ${a}, ${b} have codes ${ca}, ${cb}`);
    const even = odd(ca) === 0 ? ca : cb;
    if (fmt.encode(mid) !== even) bad.push(`midpoint ${mid} of ${a}, ${b} -> ${fmt.encode(mid)}, expected ${even}`);
    const eps = (b - a) * 2 ** -20;
    if (fmt.encode(mid - eps) !== ca) bad.push(`just below ${mid} -> ${fmt.encode(mid - eps)}, expected ${ca}`);
    if (fmt.encode(mid + eps) !== cb) bad.push(`just above ${mid} -> ${fmt.encode(mid + eps)}, expected ${cb}`);
  }
  expect(vals.length).toBeGreaterThan(1);
  expect(bad.slice(0, 5), fmt.id).toEqual([]);
}

describe('FP8 E4M3 (OCP FN)', () => {
  it('decodes all 256 codes from the bit fields and re-encodes every non-NaN code', () => {
    checkAllCodes(E4M3, 256, e4m3Ref);
  });
  it('has the OCP metadata: bias 7, max 448, min normal 2^-6, min subnormal 2^-9, NaN only S.1111.111', () => {
    expect([E4M3.bias, E4M3.maxFinite, E4M3.minNormal, E4M3.minSubnormal, E4M3.hasInf, E4M3.hasNaN]).toEqual([
      7,
      448,
      2 ** -6,
      2 ** -9,
      false,
      true,
    ]);
    expect(E4M3.decode(0x7e)).toBe(448);
    expect(E4M3.decode(0x78)).toBe(256); // exponent 15 is a normal binade in the FN variant
    expect(Number.isNaN(E4M3.decode(0x7f)) && Number.isNaN(E4M3.decode(0xff))).toBe(true);
    // 126 positive, 126 negative, one zero
    expect(E4M3.values().length).toBe(253);
  });
  it('rounds to nearest even at every midpoint', () => checkMidpoints(E4M3));
  it('saturates to ±448 and keeps NaN', () => {
    expect(E4M3.encode(464)).toBe(0x7e); // midpoint 448|480 would go to 480, which does not exist
    expect(E4M3.encode(1e30)).toBe(0x7e);
    expect(E4M3.encode(Infinity)).toBe(0x7e);
    expect(E4M3.encode(-Infinity)).toBe(0xfe);
    expect(E4M3.encode(NaN)).toBe(0x7f);
    expect(Number.isNaN(E4M3.round(NaN))).toBe(true);
    expect(E4M3.round(-1e6)).toBe(-448);
    // below half the smallest subnormal: signed zero
    expect(Object.is(E4M3.round(-(2 ** -11)), -0)).toBe(true);
    expect(E4M3.round(2 ** -10)).toBe(0); // exactly half of 2^-9: tie to even code 0
    expect(E4M3.round(2 ** -10 * 1.0001)).toBe(2 ** -9);
  });
});

describe('FP8 E5M2', () => {
  it('decodes all 256 codes from the bit fields and re-encodes every non-NaN code', () => {
    checkAllCodes(E5M2, 256, e5m2Ref);
  });
  it('has bias 15, max 57344, infinities and NaNs', () => {
    expect([E5M2.bias, E5M2.maxFinite, E5M2.minNormal, E5M2.minSubnormal, E5M2.hasInf, E5M2.hasNaN]).toEqual([
      15,
      57344,
      2 ** -14,
      2 ** -16,
      true,
      true,
    ]);
    expect(E5M2.decode(0x7c)).toBe(Infinity);
    expect(E5M2.decode(0xfc)).toBe(-Infinity);
    for (const c of [0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff]) expect(Number.isNaN(E5M2.decode(c))).toBe(true);
  });
  it('rounds to nearest even at every midpoint', () => checkMidpoints(E5M2));
  it('saturates finite values to ±57344, keeps ±Inf and NaN', () => {
    expect(E5M2.encode(61440)).toBe(0x7b); // midpoint to the (infinite) next binade
    expect(E5M2.encode(1e300)).toBe(0x7b);
    expect(E5M2.encode(-1e300)).toBe(0xfb);
    expect(E5M2.encode(Infinity)).toBe(0x7c);
    expect(Number.isNaN(E5M2.decode(E5M2.encode(NaN)))).toBe(true);
  });
});

describe('FP6 and FP4', () => {
  it('E2M3: all 64 codes, max 7.5', () => {
    checkAllCodes(E2M3, 64, (c) => fieldDecode(c, 2, 3, 1, noSpecial));
    expect([E2M3.maxFinite, E2M3.minNormal, E2M3.minSubnormal]).toEqual([7.5, 1, 0.125]);
    checkMidpoints(E2M3);
  });
  it('E3M2: all 64 codes, max 28', () => {
    checkAllCodes(E3M2, 64, (c) => fieldDecode(c, 3, 2, 3, noSpecial));
    expect([E3M2.maxFinite, E3M2.minNormal, E3M2.minSubnormal]).toEqual([28, 0.25, 0.0625]);
    checkMidpoints(E3M2);
  });
  it('E2M1: all 16 codes are 0, 0.5, 1, 1.5, 2, 3, 4, 6 and negatives', () => {
    const mags = [0, 0.5, 1, 1.5, 2, 3, 4, 6];
    checkAllCodes(E2M1, 16, (c) => (c < 8 ? mags[c] : -mags[c - 8]));
    expect(E2M1.values()).toEqual([-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    checkMidpoints(E2M1);
  });
  it('have no NaN encoding: encode(NaN) is NaN ("no code"), round(NaN) is NaN, overflow saturates', () => {
    for (const f of [E2M3, E3M2, E2M1]) {
      expect(Number.isNaN(f.encode(NaN))).toBe(true);
      expect(Number.isNaN(f.round(NaN))).toBe(true);
      expect(f.round(1e9)).toBe(f.maxFinite);
      expect(f.round(-Infinity)).toBe(-f.maxFinite);
    }
    expect(E2M1.round(5)).toBe(4); // midpoint 4|6: code 6 (4) is even
    expect(E2M1.round(5.0001)).toBe(6);
    expect(E2M1.round(7)).toBe(6);
  });
});

describe('E8M0', () => {
  it('decodes code c to 2^(c-127) for c < 255 and 255 to NaN; re-encodes every code', () => {
    for (let c = 0; c < 255; c++) {
      expect(E8M0_FORMAT.decode(c)).toBe(2 ** (c - 127));
      expect(E8M0_FORMAT.encode(2 ** (c - 127))).toBe(c);
    }
    expect(Number.isNaN(E8M0_FORMAT.decode(255))).toBe(true);
    expect([E8M0_FORMAT.minNormal, E8M0_FORMAT.maxFinite]).toEqual([2 ** -127, 2 ** 127]);
  });
  it('rounds to the nearest power of two (ties at 1.5·2^k go up), clamps to the range, NaN for negatives', () => {
    expect(E8M0_FORMAT.encode(1.5)).toBe(128);
    expect(E8M0_FORMAT.encode(1.49)).toBe(127);
    expect(E8M0_FORMAT.encode(2 ** -140)).toBe(0);
    expect(E8M0_FORMAT.encode(0)).toBe(0);
    expect(E8M0_FORMAT.encode(2 ** 200)).toBe(254);
    expect(E8M0_FORMAT.encode(-1)).toBe(255);
    expect(E8M0_FORMAT.encode(NaN)).toBe(255);
  });
});

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
function normPpf(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const q = Math.min(p, 1 - p);
  if (q > 0.02425) {
    const u = p - 0.5;
    const r = u * u;
    return (
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    );
  }
  const r = Math.sqrt(-2 * Math.log(q));
  const x =
    (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) /
    ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1);
  return p < 0.5 ? x : -x;
}

describe('NF4', () => {
  it('levels are float32 constants and match the QLoRA construction from normal quantiles', () => {
    // bitsandbytes create_normal_map(offset = 0.9677083): 8 positive quantiles on
    // linspace(offset, 0.5, 9)[:-1], 7 negative on linspace(offset, 0.5, 8)[:-1], zero, / max.
    const offset = 0.9677083;
    const lin = (n: number) => Array.from({ length: n }, (_, i) => offset + ((0.5 - offset) * i) / (n - 1));
    const pos = lin(9).slice(0, -1).map(normPpf);
    const neg = lin(8)
      .slice(0, -1)
      .map((p) => -normPpf(p));
    const all = [...pos, 0, ...neg].sort((x, y) => x - y);
    const max = Math.max(...all);
    const expected = all.map((v) => v / max);
    expect(NF4_LEVELS.length).toBe(16);
    NF4_LEVELS.forEach((v, i) => {
      expect(Math.fround(v)).toBe(v);
      expect(Math.abs(v - expected[i])).toBeLessThan(1e-6);
      expect(NF4.decode(i)).toBe(v);
      expect(NF4.encode(v)).toBe(i);
    });
    expect(NF4.encode(-0)).toBe(7);
  });
  it('rounds to the nearest level, ties to the even code, and saturates to ±1', () => checkMidpoints(NF4));
  it('clamps and keeps NaN', () => {
    expect(NF4.round(3)).toBe(1);
    expect(NF4.round(-3)).toBe(-1);
    expect(Number.isNaN(NF4.round(NaN))).toBe(true);
    expect(Number.isNaN(NF4.encode(NaN))).toBe(true);
  });
});

describe('INT formats', () => {
  it('symmetric INT8/INT4 round to nearest even integer and clamp to ±127 / ±7', () => {
    expect(INT8.values().length).toBe(255);
    expect([
      INT8.encode(2.5),
      INT8.encode(3.5),
      INT8.encode(-2.5),
      INT8.encode(-2.51),
      INT8.encode(200),
      INT8.encode(-200),
    ]).toEqual([2, 4, -2, -3, 127, -127]);
    expect([INT4.encode(6.5), INT4.encode(7.4), INT4.encode(-9)]).toEqual([6, 7, -7]);
    checkMidpoints(INT4);
    expect(Number.isNaN(INT8.round(NaN))).toBe(true);
  });
  it('unsigned UINT4 for zero-point quantization covers 0..15', () => {
    expect(UINT4.values()).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect([UINT4.encode(-1), UINT4.encode(15.6), UINT4.encode(0.5)]).toEqual([0, 15, 0]);
  });
});

// --- wide formats against float32 bit manipulation ---------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsOf = (x: number) => ((f32[0] = x), u32[0]);
const fromBits = (b: number) => ((u32[0] = b >>> 0), f32[0]);

/** Deterministic pseudo-random float32 bit patterns (mulberry32), finite only. */
function randomFloat32s(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  const out: number[] = [];
  while (out.length < n) {
    const v = fromBits(next());
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

describe('BF16, TF32, FP32 against float32 bit manipulation', () => {
  const xs = randomFloat32s(20000, 1);
  it('BF16 = the top 16 bits of float32 after adding 0x7FFF + lsb (RNE), saturating instead of overflowing', () => {
    for (const x of xs) {
      const b = bitsOf(x);
      let r = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
      if ((r & 0x7f80) === 0x7f80) r = (r & 0x8000) | 0x7f7f; // overflowed to Inf: saturate
      expect(BF16.encode(x)).toBe(r);
      expect(BF16.decode(r)).toBe(fromBits(r << 16));
    }
    expect(BF16.maxFinite).toBe(fromBits(0x7f7f0000));
    expect(BF16.decode(0x7f80)).toBe(Infinity);
    expect(BF16.encode(NaN)).toBe(0x7fc0);
  });
  it('TF32 = float32 rounded (RNE) to 10 mantissa bits, 19-bit code', () => {
    for (const x of xs) {
      const b = bitsOf(x);
      let r = (b + 0xfff + ((b >>> 13) & 1)) >>> 13;
      if (((r >>> 10) & 0xff) === 0xff) r = (r & 0x40000) | 0x3fbff;
      expect(TF32.encode(x)).toBe(r >>> 0);
      expect(TF32.decode(r)).toBe(fromBits((r << 13) >>> 0));
    }
  });
  it('FP32 encode is the float32 bit pattern of Math.fround; decode reads it back', () => {
    for (const x of xs) {
      expect(FP32.encode(x)).toBe(bitsOf(x));
      expect(FP32.decode(bitsOf(x))).toBe(x);
    }
    const third = 1 / 3;
    expect(FP32.encode(third)).toBe(bitsOf(Math.fround(third)));
    expect(FP32.round(1e39)).toBe(fromBits(0x7f7fffff)); // saturates
    expect(FP32.decode(FP32.encode(2 ** -149))).toBe(2 ** -149);
    expect(FP32.encode(2 ** -150)).toBe(0); // tie with 0: even
  });
  it('FP16: every code against the field formula, and random float32 values to the nearest code (ties even)', () => {
    checkAllCodes(FP16, 65536, (c) => fieldDecode(c, 5, 10, 15, ieeeSpecial(5)));
    // Independent nearest search over the sorted positive values.
    const pos = FP16.values().filter((v) => v >= 0);
    for (const x of xs.slice(0, 5000)) {
      const a = Math.abs(x);
      let lo = 0;
      let hi = pos.length - 1;
      if (a >= pos[hi]) {
        expect(FP16.round(x)).toBe(x < 0 ? -pos[hi] : pos[hi]);
        continue;
      }
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (pos[mid] <= a) lo = mid;
        else hi = mid;
      }
      const dl = a - pos[lo];
      const dh = pos[hi] - a;
      const pick = dl < dh ? lo : dh < dl ? hi : FP16.encode(pos[lo]) % 2 === 0 ? lo : hi;
      expect(Math.abs(FP16.round(x))).toBe(pos[pick]);
    }
  });
});

describe('fast paths agree with the reference encoders', () => {
  const xs = randomFloat32s(20000, 7).map((v) => v * 1e-30); // pulls many values into FP8 range
  const probes = (fmt: Minifloat) => {
    const vals = fmt.values();
    const out: number[] = [...vals, NaN, Infinity, -Infinity, 0, -0];
    for (let i = 0; i + 1 < vals.length; i++) {
      const mid = (vals[i] + vals[i + 1]) / 2;
      out.push(mid, mid * (1 + 2 ** -30), mid * (1 - 2 ** -30));
    }
    return out;
  };
  for (const fmt of [E4M3, E5M2, E2M3, E3M2, E2M1, FP16, BF16]) {
    it(`${fmt.id}: makeFastEncoder matches encode at every value, midpoint and random inputs`, () => {
      const fast = makeFastEncoder(fmt);
      const bad: string[] = [];
      for (const x of [...probes(fmt), ...xs, ...xs.map((v) => v * 1e25)]) {
        const want = fmt.encode(x);
        const got = fast(x);
        // Formats without a NaN code: encode gives NaN ("no code"), the fast path its NaN code.
        if (Number.isNaN(want) ? !Number.isNaN(x) : got !== want) bad.push(`x=${x}: ${got}, expected ${want}`);
      }
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }
  for (const fmt of [E4M3, E5M2, E2M3, E3M2, E2M1]) {
    it(`${fmt.id}: makeSpanQuantizer codes and values equal encode/decode of x / scale (float32 inputs)`, () => {
      const scale = 0.75;
      const x = Float32Array.from([...probes(fmt), ...xs].map((v) => v * scale));
      const codes = new Uint8Array(x.length);
      const values = new Float32Array(x.length);
      makeSpanQuantizer(fmt, fmt.hasNaN ? undefined : 0xff)(x, float32Bits(x), 0, x.length, scale, codes, values);
      const bad: string[] = [];
      x.forEach((v, i) => {
        const want = fmt.encode(v / scale);
        const wantCode = Number.isNaN(want) ? 0xff : want;
        const wantValue = Number.isNaN(v) ? NaN : Math.fround(fmt.decode(want) * scale);
        if (codes[i] !== wantCode || !sameValue(values[i], wantValue))
          bad.push(`x=${v}: ${codes[i]} ${values[i]}, expected ${wantCode} ${wantValue}`);
      });
      expect(bad.slice(0, 5)).toEqual([]);
    });
  }
  it('encodeE4M3Fast / roundE4M3 and encodeE2M1Fast / roundE2M1 match the references', () => {
    for (const x of [...probes(E4M3), ...xs.map((v) => v * 1e28)]) {
      expect(encodeE4M3Fast(x)).toBe(E4M3.encode(x));
      expect(sameValue(roundE4M3(x), E4M3.round(x))).toBe(true);
    }
    for (const x of [...probes(E2M1), ...xs.map((v) => v * 1e30)]) {
      if (Number.isNaN(x)) expect(encodeE2M1Fast(x)).toBe(0xff);
      else expect(encodeE2M1Fast(x)).toBe(E2M1.encode(x));
      expect(sameValue(roundE2M1(x), E2M1.round(x))).toBe(true);
    }
  });
});

describe('quantizeE2M1Span (the NVFP4/MXFP4 inner loop)', () => {
  it('matches E2M1.encode of x / scale for every float32 around each grid point, signed zeros, NaN and ±Inf', () => {
    const scale = 0.375;
    const xs: number[] = [0, -0, NaN, Infinity, -Infinity, 1e30, -1e-30];
    for (const v of E2M1.values()) {
      for (const m of [0, 0.25, 0.5, 0.75]) {
        const y = (v + m) * scale;
        xs.push(y, -y, Math.fround(y * (1 + 2 ** -23)), Math.fround(y * (1 - 2 ** -23)));
      }
    }
    const x = Float32Array.from(xs);
    const codes = new Uint8Array(x.length);
    const values = new Float32Array(x.length);
    quantizeE2M1Span(x, float32Bits(x), 0, x.length, scale, codes, values);
    const bad: string[] = [];
    x.forEach((v, i) => {
      const want = Number.isNaN(v) ? 0xff : E2M1.encode(v / scale);
      if (codes[i] !== want || codes[i] !== encodeE2M1Fast(v / scale))
        bad.push(`x=${v}: ${codes[i]}, expected ${want}`);
      const wantValue = Number.isNaN(v) ? NaN : Math.fround(E2M1.decode(want) * scale);
      if (!sameValue(values[i], wantValue)) bad.push(`x=${v}: value ${values[i]}, expected ${wantValue}`);
    });
    expect(bad.slice(0, 5)).toEqual([]);
  });
});

describe('registry', () => {
  it('finds every format by id and rejects unknown ids', () => {
    for (const id of [
      'e4m3',
      'e5m2',
      'e2m3',
      'e3m2',
      'e2m1',
      'e8m0',
      'nf4',
      'bf16',
      'fp16',
      'tf32',
      'fp32',
      'int8',
      'int4',
      'uint8',
      'uint4',
    ])
      expect(getScalarFormat(id).id).toBe(id);
    expect(scalarFormatIds().length).toBe(15);
    expect(() => getScalarFormat('fp7')).toThrow(/unknown scalar format "fp7"/);
  });
});
