// WebAssembly text (128-bit SIMD) of the weight-quantizer kernels: the source that
// scripts/build-kernels.ts assembles with wabt into binary.generated.ts. Written as a TS template so
// the per-vector steps are spelled once and unrolled. Pure numerics; the TS quantizers stay the oracle
// (kernels.test.ts compares them bit for bit).
//
// Exactness, per format (x float32, s float32 scale, everything as the TS oracle rounds it):
//  - E2M1 (NVFP4, MXFP4): code = RNE_E2M1(x / s) exactly. Instead of dividing, each midpoint m_k of the
//    E2M1 grid (0.25 0.75 1.25 1.75 2.5 3.5 5) becomes a float32 threshold T_k = smallest float32
//    > m_k·s (k even: the tie goes down to the even code) or >= m_k·s (k odd: tie goes up), computed
//    exactly in f64; the magnitude code is the number of T_k that |x| reaches (7 compares, no rounding).
//    NVFP4 keeps T_k for all 127 block-scale codes of one tensor scale in a table (nvfp4_prepare).
//  - E4M3 per tensor (FP8): q = fl32(|x| / s) rounded to E4M3 in float32; it can differ from the exact
//    rounding only when q lands exactly on an E4M3 midpoint, and such vectors are redone in scalar f64.
//  - Block scale codes: (alpha · amax) / 6 / ts in f64, as the TS does, then RNE to E4M3 on the bits.
//  - Clip search objective (float32, fixed order): d = |x| − q, t = d·d (Fisher: F·(d·d)); lane l of a
//    16-element block sums t[l], t[l+4], t[l+8], t[l+12] in that order; E = (lane0 + lane2) + (lane1 + lane3).

import { LAYOUT } from './layout.ts';
import { searchSource } from './search-source.ts';

export { LAYOUT };

/** E2M1 midpoints m_k (k = 0..6). */
const MIDS = [0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5];

const v = (name: string) => `(local.get $${name})`;
const set = (name: string, expr: string) => `(local.set $${name} ${expr})`;
const i32x4 = (n: number) => `(v128.const i32x4 ${n} ${n} ${n} ${n})`;
const f32x4 = (n: number) => `(v128.const f32x4 ${n} ${n} ${n} ${n})`;

/**
 * Magnitude code of vector a (non-negative) against T0..T6, into local `cnt` as m − 7 (minus the number
 * of thresholds above a). Compared as integers: for non-negative floats the bit patterns order as the
 * values, and integer compares issue on more execution ports than float compares. A NaN threshold (a
 * zero scale) is above every finite a. Summed as a tree (a short dependency chain). `m0` keeps the
 * float a >= T0 (false for NaN a), which the bounds use.
 */
function e2m1Count(a: string, cnt: string, m0?: string, th: (k: number) => string = (k) => v(`T${k}`)): string {
  const lt = (k: number) => `(i32x4.gt_s ${th(k)} ${v(a)})`;
  const sum = `(i32x4.add (i32x4.add (i32x4.add ${lt(0)} ${lt(1)}) (i32x4.add ${lt(2)} ${lt(3)})) (i32x4.add (i32x4.add ${lt(4)} ${lt(5)}) ${lt(6)}))`;
  return (m0 ? set(m0, `(f32x4.ge ${v(a)} ${th(0)})`) + '\n' : '') + set(cnt, sum);
}

/** Threshold k (7: the scale s) of the table row at local $trow, splat: read at each use, so the
 *  thresholds take no registers (held in locals, they spilled, and so did the sums that need them). */
const rowSplat = (k: number) => `(v128.load32_splat offset=${4 * k} ${v('trow')})`;

/**
 * Block-scale code of the block amax (local $amax) from the code table (slot 0, ratio 1): one load and
 * one compare; code_from_p for a bucket the table does not cover (keyHi = 0: no table).
 */
const tableCode = `(local.set $bits (i32.reinterpret_f32 (local.get $amax)))
      (if (result i32) (i32.lt_u (i32.shr_u (local.get $bits) (i32.const 19)) (local.get $keyHi))
        (then
          (local.set $te (i32.load (i32.add (local.get $table) (i32.mul (i32.shr_u (local.get $bits) (i32.const 19)) (local.get $rowBytes)))))
          (i32.add (i32.shr_u (local.get $te) (i32.const 20)) (i32.ge_u (i32.and (local.get $bits) (i32.const 0x7ffff)) (i32.and (local.get $te) (i32.const 0xfffff)))))
        (else (call $code_from_p (f64.promote_f32 (local.get $amax)))))`;

/** |value| of the E2M1 element from its count m − 7: swizzle of the value bytes, times S. */
function e2m1Magnitude(cnt: string, S = v('S')): string {
  const idx = `(i32x4.add (i32x4.mul ${v(cnt)} ${v('IDXM')}) ${v('IDXA')})`;
  return `(f32x4.mul (i8x16.swizzle ${v('VTAB')} ${idx}) ${S})`;
}

/** Loads the 7 thresholds and the scale of table row `row` (byte address expression). */
function loadThresholdRow(row: string): string {
  const lines = [set('trow', row)];
  for (let k = 0; k < 7; k++) lines.push(set(`T${k}`, `(v128.load32_splat offset=${4 * k} ${v('trow')})`));
  lines.push(set('S', `(v128.load32_splat offset=28 ${v('trow')})`));
  return lines.join('\n');
}

/** Encodes vectors x0..x(n-1) at xp through the thresholds T0..T6 (nan: with the NaN selects). */
function e2m1ThresholdBody(n: number, nan: boolean): string {
  const out: string[] = [];
  for (let j = 0; j < n; j++) {
    out.push(set('xv', `(v128.load offset=${16 * j} ${v('xp')})`));
    out.push(set('a', `(v128.and ${v('xv')} ${v('ABS')})`));
    out.push(e2m1Count('a', 'cnt'));
    const val = `(v128.or ${e2m1Magnitude('cnt')} (v128.and ${v('xv')} ${v('SIGN')}))`;
    let code = `(v128.or (i32x4.add ${v('cnt')} ${i32x4(7)}) (v128.and (i32x4.shr_u ${v('xv')} (i32.const 28)) ${i32x4(8)}))`;
    if (nan) {
      out.push(set('nan', `(f32x4.ne ${v('xv')} ${v('xv')})`));
      out.push(`(v128.store offset=${16 * j} ${v('op')} (v128.bitselect ${v('QNAN')} ${val} ${v('nan')}))`);
      code = `(v128.or ${code} ${v('nan')})`;
    } else out.push(`(v128.store offset=${16 * j} ${v('op')} ${val})`);
    out.push(set(`c${j % 4}`, code));
    if (j % 4 === 3) out.push(storeCodes(j));
  }
  return out.join('\n');
}

/** Stores the element codes of vectors j-3..j (locals c0..c3) as bytes at cp. */
const storeCodes = (j: number) =>
  `(v128.store offset=${4 * (j - 3)} ${v('cp')} (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s ${v('c0')} ${v('c1')}) (i16x8.narrow_i32x4_s ${v('c2')} ${v('c3')})))`;

/** Whether any of the n vectors at xp holds a NaN: |x| bits above those of +Inf (signed compare). */
function anyNaN(n: number): string {
  let any = `(i32x4.gt_s (v128.and (v128.load ${v('xp')}) ${v('ABS')}) ${i32x4(0x7f800000)})`;
  for (let j = 1; j < n; j++)
    any = `(v128.or ${any} (i32x4.gt_s (v128.and (v128.load offset=${16 * j} ${v('xp')}) ${v('ABS')}) ${i32x4(0x7f800000)}))`;
  return `(v128.any_true ${any})`;
}

/**
 * E2M1-encodes vectors x0..x(n-1) at xp into values at op and codes (bytes) at cp, through the
 * thresholds (which must be loaded). Blocks without NaN (nearly all) take a path without the NaN
 * selects: fewer live registers, so nothing spills.
 */
function e2m1EncodeVectors(n: number): string {
  return `(if ${anyNaN(n)}
(then
${e2m1ThresholdBody(n, true)})
(else
${e2m1ThresholdBody(n, false)}))`;
}

/**
 * The same encoding by rounding instead of comparing (the scale S splat, positive and finite; x free of
 * NaN): y = min(|x| / S, 8) in float32, then y + t − t with t = 2^(max(e(y), 0) + 22) rounds y to the
 * E2M1 step of its binade (0.5 below 2, 1 in [2, 4), 2 above) with the float32 add's own ties-to-even,
 * which are E2M1's (the step parity is the code parity); min(·, 6) saturates. fl32(|x| / S) lies on the
 * same side of every E2M1 midpoint as the exact quotient (rounding is monotone and the midpoints are
 * float32), so the result is exact unless y lands exactly on a midpoint (|y − r| = t · 2^-24): with
 * `tieExact` such a tie is the exact one (S a power of two: the quotient is exact), else the lanes are
 * flagged in local $tie and the caller redoes the block through the thresholds. Element codes from the
 * bits of r: max((bits >> 22) − 252, 0), plus one for 0.5 (bits 0x3f000000).
 */
function e2m1RoundVectors(n: number, tieExact: boolean, codes = true): string {
  const out: string[] = tieExact ? [] : [set('tie', i32x4(0))];
  for (let j = 0; j < n; j++) {
    out.push(set('xv', `(v128.load offset=${16 * j} ${v('xp')})`));
    // pmin(y, 8) is minps: y is never NaN here (x has none, S is positive and finite).
    out.push(set('a', `(f32x4.pmin (f32x4.div (v128.and ${v('xv')} ${v('ABS')}) ${v('S')}) ${v('K8')})`));
    out.push(set('cnt', `(i32x4.add (i32x4.max_s (v128.and ${v('a')} ${v('KEXP')}) ${v('KONE')}) ${v('K22')})`));
    out.push(set('m', `(f32x4.sub (f32x4.add ${v('a')} ${v('cnt')}) ${v('cnt')})`));
    if (!tieExact)
      out.push(
        set(
          'tie',
          `(v128.or ${v('tie')} (i32x4.eq (v128.and (f32x4.sub ${v('a')} ${v('m')}) ${v('ABS')}) (i32x4.sub ${v('cnt')} ${i32x4(24 << 23)})))`,
        ),
      );
    out.push(set('m', `(f32x4.pmin ${v('m')} ${v('K6')})`));
    out.push(
      `(v128.store offset=${16 * j} ${v('op')} (v128.or (f32x4.mul ${v('m')} ${v('S')}) (v128.and ${v('xv')} ${v('SIGN')})))`,
    );
    if (!codes) continue;
    const code = `(i32x4.sub (i32x4.max_s (i32x4.sub (i32x4.shr_u ${v('m')} (i32.const 22)) ${i32x4(252)}) ${i32x4(0)}) (i32x4.eq ${v('m')} ${i32x4(0x3f000000)}))`;
    out.push(set(`c${j % 4}`, `(v128.or ${code} (v128.and (i32x4.shr_u ${v('xv')} (i32.const 28)) ${i32x4(8)}))`));
    if (j % 4 === 3) out.push(storeCodes(j));
  }
  return out.join('\n');
}

/** Largest finite |x| of n vectors at xp (integer max of the magnitude bits), as f32 into local amax. */
function blockAmax(n: number): string {
  const out: string[] = [set('m', i32x4(0))];
  for (let j = 0; j < n; j++) {
    const a = `(v128.and (v128.load offset=${16 * j} ${v('xp')}) ${v('ABS')})`;
    out.push(set('a', a));
    // Signed compares and max: |x| bits are non-negative (the unsigned forms take three instructions).
    out.push(set('m', `(i32x4.max_s ${v('m')} (v128.and ${v('a')} (i32x4.lt_s ${v('a')} ${i32x4(0x7f800000)})))`));
  }
  out.push(
    set('m', `(i32x4.max_s ${v('m')} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v('m')} ${v('m')}))`),
  );
  out.push(
    set('m', `(i32x4.max_s ${v('m')} (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 ${v('m')} ${v('m')}))`),
  );
  out.push(set('amax', `(f32.reinterpret_i32 (i32x4.extract_lane 0 ${v('m')}))`));
  return out.join('\n');
}

const commonLocals = `
    (local $xv v128) (local $a v128) (local $cnt v128) (local $nan v128) (local $m v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $T0 v128) (local $T1 v128) (local $T2 v128) (local $T3 v128) (local $T4 v128) (local $T5 v128) (local $T6 v128)
    (local $S v128) (local $tie v128) (local $trow i32) (local $amax f32)
    (local $ABS v128) (local $SIGN v128) (local $QNAN v128) (local $VTAB v128) (local $IDXM v128) (local $IDXA v128)
    (local $K8 v128) (local $K6 v128) (local $KEXP v128) (local $KONE v128) (local $K22 v128)`;

const commonInit = `
    ${set('ABS', i32x4(0x7fffffff))}
    ${set('SIGN', i32x4(-0x80000000))}
    ${set('QNAN', i32x4(0x7fc00000))}
    ${set('VTAB', `(v128.load (i32.const ${LAYOUT.e2m1Bytes}))`)}
    ${set('IDXM', i32x4(0x02020000))}
    ${set('IDXA', i32x4(0x0f0e8080))}
    ${set('K8', f32x4(8))}
    ${set('K6', f32x4(6))}
    ${set('KEXP', i32x4(0x7f800000))}
    ${set('KONE', i32x4(127 << 23))}
    ${set('K22', i32x4(22 << 23))}`;

/** Directed rounding of a positive f64 t to float32: smallest float32 > t (strict) or >= t. */
const dirRound = `
  (func $dir_round (param $t f64) (param $strict i32) (result f32)
    (local $f f32)
    (local.set $f (f32.demote_f64 (local.get $t)))
    (if (i32.and
          (i32.or (f64.lt (f64.promote_f32 (local.get $f)) (local.get $t))
                  (i32.and (local.get $strict) (f64.eq (f64.promote_f32 (local.get $f)) (local.get $t))))
          (f32.lt (local.get $f) (f32.const inf)))
      (then (local.set $f (f32.reinterpret_i32 (i32.add (i32.reinterpret_f32 (local.get $f)) (i32.const 1))))))
    (local.get $f))`;

/** E4M3 code (0..126; 127 for NaN) of a magnitude a >= 0, RNE, saturating at 448. */
const e4m3Code = `
  (func $e4m3_code (export "e4m3_code") (param $a f64) (result i32)
    (local $r i64) (local $c i32)
    (if (f64.ne (local.get $a) (local.get $a)) (then (return (i32.const 127))))
    (if (f64.ge (local.get $a) (f64.const 448)) (then (return (i32.const 126))))
    (if (f64.lt (local.get $a) (f64.const 0x1p-6))
      (then (return (i32.trunc_f64_u (f64.sub (f64.add (f64.mul (local.get $a) (f64.const 512)) (f64.const 0x1p52)) (f64.const 0x1p52))))))
    (local.set $r (i64.reinterpret_f64 (local.get $a)))
    (local.set $r (i64.add (local.get $r) (i64.add (i64.const 0xffffffffffff) (i64.and (i64.shr_u (local.get $r) (i64.const 49)) (i64.const 1)))))
    (local.set $c (i32.or
      (i32.shl (i32.sub (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 52))) (i32.const 1016)) (i32.const 3))
      (i32.and (i32.wrap_i64 (i64.shr_u (local.get $r) (i64.const 49))) (i32.const 7))))
    (if (result i32) (i32.gt_u (local.get $c) (i32.const 126)) (then (i32.const 126)) (else (local.get $c))))`;

/** Fills the NVFP4 threshold table for tensor scale ts: row c holds T_0..T_6 and s = fl32(E4M3[c]·ts). */
const nvfp4Prepare = `
  (func (export "nvfp4_prepare") (param $ts f64)
    (local $c i32) (local $row i32) (local $s f32) (local $s64 f64) (local $lo i64) (local $hi i64) (local $mid i64)
    (loop $codes
      (local.set $row (i32.add (i32.const ${LAYOUT.nvfp4Table}) (i32.shl (local.get $c) (i32.const 5))))
      (local.set $s (f32.demote_f64 (f64.mul (f64.load (i32.shl (local.get $c) (i32.const 3))) (local.get $ts))))
      (if (i32.or (i32.eq (local.get $c) (i32.const 127)) (f32.eq (local.get $s) (f32.const 0)))
        (then (local.set $s (f32.const 0))
${MIDS.map((_, k) => `          (f32.store offset=${4 * k} (local.get $row) (f32.const nan))`).join('\n')})
        (else
          (local.set $s64 (f64.promote_f32 (local.get $s)))
${MIDS.map((m, k) => `          (f32.store offset=${4 * k} (local.get $row) (call $dir_round (f64.mul (local.get $s64) (f64.const ${m})) (i32.const ${k % 2 === 0 ? 1 : 0})))`).join('\n')}))
      (f32.store offset=28 (local.get $row) (local.get $s))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $codes (i32.lt_u (local.get $c) (i32.const 128))))
    ;; A[c] by bisection on the f64 bit pattern (the code is monotone in P).
    (global.set $inv6ts (f64.div (f64.const 1) (f64.mul (f64.const 6) (local.get $ts))))
    (f64.store (i32.const ${LAYOUT.amaxTable}) (f64.const 0))
    (f64.store offset=${8 * 127} (i32.const ${LAYOUT.amaxTable}) (f64.const inf))
    (local.set $c (i32.const 1))
    (loop $bis
      (local.set $lo (i64.const 0))
      (local.set $hi (i64.const 0x7ff0000000000000))
      (loop $half
        (local.set $mid (i64.shr_u (i64.add (local.get $lo) (local.get $hi)) (i64.const 1)))
        (if (i32.ge_u (call $e4m3_code (f64.div (f64.div (f64.reinterpret_i64 (local.get $mid)) (f64.const 6)) (local.get $ts))) (local.get $c))
          (then (local.set $hi (local.get $mid)))
          (else (local.set $lo (local.get $mid))))
        (br_if $half (i64.gt_u (i64.sub (local.get $hi) (local.get $lo)) (i64.const 1))))
      (f64.store (i32.add (i32.const ${LAYOUT.amaxTable}) (i32.shl (local.get $c) (i32.const 3))) (f64.reinterpret_i64 (local.get $hi)))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $bis (i32.lt_u (local.get $c) (i32.const 127)))))

  ;; Block-scale code of P = alpha·amax: round_E4M3((P / 6) / ts) without dividing (a multiply, then
  ;; one step against the exact boundaries A[c] fixes the few-ulp error of the product).
  (func $code_from_p (param $p f64) (result i32)
    (local $c i32)
    (local.set $c (call $e4m3_code (f64.mul (local.get $p) (global.get $inv6ts))))
    (if (i32.and (i32.gt_u (local.get $c) (i32.const 0))
                 (f64.lt (local.get $p) (f64.load (i32.add (i32.const ${LAYOUT.amaxTable}) (i32.shl (local.get $c) (i32.const 3))))))
      (then (return (i32.sub (local.get $c) (i32.const 1)))))
    (if (f64.ge (local.get $p) (f64.load offset=8 (i32.add (i32.const ${LAYOUT.amaxTable}) (i32.shl (local.get $c) (i32.const 3)))))
      (then (return (i32.add (local.get $c) (i32.const 1)))))
    (local.get $c))`;

/**
 * Clears the per-block v128 temporaries at the end of a loop iteration: a wasm local is a loop phi in
 * V8's TurboFan, so a temporary's last value otherwise stays live around the loop (and spills).
 */
const deadTemps = [
  'xv',
  'a',
  'cnt',
  'm',
  'nan',
  'c0',
  'c1',
  'c2',
  'c3',
  'tie',
  'T0',
  'T1',
  'T2',
  'T3',
  'T4',
  'T5',
  'T6',
  'S',
]
  .map((t) => set(t, i32x4(0)))
  .join(' ');

/**
 * NVFP4 over nblocks full 16-element blocks at x (rows padded to 16 by the caller), one pass per block.
 * given = 0: scale codes from the block amax (times clip[b] when clip != 0) and ts, written to scodes
 * (through the code table when there is no clip); given = 1: codes read from scodes. Writes values,
 * element codes and effective scales; noCodes = 1 lets blocks on the rounding path skip the element
 * codes (the caller keeps only values; codes may then be partly written). nvfp4_prepare(ts) must have run.
 */
const nvfp4Quant = `
  (func (export "nvfp4_quant") (param $x i32) (param $out i32) (param $codes i32) (param $scodes i32) (param $scales i32)
        (param $nblocks i32) (param $clip i32) (param $given i32) (param $table i32) (param $rowBytes i32) (param $keyHi i32)
        (param $noCodes i32)
    (local $b i32) (local $xp i32) (local $op i32) (local $cp i32) (local $sc i32) (local $bits i32) (local $te i32) (local $s f32)
    ${commonLocals}
    ${commonInit}
    (if (i32.eqz (local.get $nblocks)) (then (return)))
    (local.set $xp (local.get $x)) (local.set $op (local.get $out)) (local.set $cp (local.get $codes))
    (loop $blocks
      (if (local.get $given)
        (then (local.set $sc (i32.load8_u (i32.add (local.get $scodes) (local.get $b)))))
        (else
          ${blockAmax(4)}
          (if (local.get $clip)
            (then (local.set $sc (call $code_from_p (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $clip) (i32.shl (local.get $b) (i32.const 2))))) (f64.promote_f32 (local.get $amax))))))
            (else (local.set $sc ${tableCode})))
          (i32.store8 (i32.add (local.get $scodes) (local.get $b)) (local.get $sc))))
      (local.set $trow (i32.add (i32.const ${LAYOUT.nvfp4Table}) (i32.shl (local.get $sc) (i32.const 5))))
      (local.set $s (f32.load offset=28 (local.get $trow)))
      (f32.store (i32.add (local.get $scales) (i32.shl (local.get $b) (i32.const 2))) (local.get $s))
      ;; The rounding path (e2m1RoundVectors) for positive finite scales and NaN-free blocks; the
      ;; thresholds for the rest and for blocks where a quotient lands on a midpoint.
      (if (i32.or ${anyNaN(4)} (i32.eqz (i32.and (f32.gt (local.get $s) (f32.const 0)) (f32.lt (local.get $s) (f32.const inf)))))
        (then
          ${loadThresholdRow(v('trow'))}
          ${e2m1EncodeVectors(4)})
        (else
          (local.set $S (f32x4.splat (local.get $s)))
          (if (local.get $noCodes) (then ${e2m1RoundVectors(4, false, false)}) (else ${e2m1RoundVectors(4, false)}))
          (if (v128.any_true (local.get $tie))
            (then
              ${loadThresholdRow(v('trow'))}
              ${e2m1ThresholdBody(4, false)}))))
      (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
      (local.set $op (i32.add (local.get $op) (i32.const 64)))
      (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
      ${deadTemps}
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $nblocks)))))`;

/**
 * Block-scale codes only (the first half of nvfp4_quant with given = 0), into scodes: a pass of short,
 * independent per-block chains that the core overlaps across blocks. nvfp4_quant with given = 1 then
 * encodes the elements; fused in one loop, each block waited on its own amax → code → scale → element
 * chain (28.6 ms against 16 + a few for the two passes over 16 Mi elements).
 */
const nvfp4Codes = `
  (func (export "nvfp4_codes") (param $x i32) (param $scodes i32) (param $nblocks i32) (param $clip i32)
        (param $table i32) (param $rowBytes i32) (param $keyHi i32)
    (local $b i32) (local $xp i32) (local $bits i32) (local $te i32) (local $sc i32)
    (local $a v128) (local $m v128) (local $amax f32) (local $ABS v128)
    ${set('ABS', i32x4(0x7fffffff))}
    (if (i32.eqz (local.get $nblocks)) (then (return)))
    (local.set $xp (local.get $x))
    (loop $blocks
      ${blockAmax(4)}
      (if (local.get $clip)
        (then (local.set $sc (call $code_from_p (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $clip) (i32.shl (local.get $b) (i32.const 2))))) (f64.promote_f32 (local.get $amax))))))
        (else (local.set $sc ${tableCode})))
      (i32.store8 (i32.add (local.get $scodes) (local.get $b)) (local.get $sc))
      (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $nblocks)))))`;

/** X = 2^clamp(floor(log2(alpha·amax)) − 2) of block $b from local $amax: its E8M0 code to scodes, X to scales and $sf. */
const mxScale = `
      (local.set $y (f64.promote_f32 (local.get $amax)))
      (if (local.get $clip)
        (then (local.set $y (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $clip) (i32.shl (local.get $b) (i32.const 2))))) (local.get $y)))))
      (if (f64.gt (local.get $y) (f64.const 0))
        (then (local.set $e (i32.sub (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $y)) (i64.const 52))) (i32.const 1025))))
        (else (local.set $e (i32.const -127))))
      (if (i32.lt_s (local.get $e) (i32.const -127)) (then (local.set $e (i32.const -127))))
      (if (i32.gt_s (local.get $e) (i32.const 127)) (then (local.set $e (i32.const 127))))
      (i32.store8 (i32.add (local.get $scodes) (local.get $b)) (i32.add (local.get $e) (i32.const 127)))
      (local.set $sf (f32.demote_f64 (f64.reinterpret_i64 (i64.shl (i64.extend_i32_s (i32.add (local.get $e) (i32.const 1023))) (i64.const 52)))))
      (f32.store (i32.add (local.get $scales) (i32.shl (local.get $b) (i32.const 2))) (local.get $sf))`;

/**
 * MXFP4 block scales only (X and its E8M0 code, into scales and scodes); mxfp4_quant with given = 1
 * then encodes the elements with them (two passes, as nvfp4_codes: the blocks' scale chains overlap).
 */
const mxfp4Codes = `
  (func (export "mxfp4_codes") (param $x i32) (param $scodes i32) (param $scales i32) (param $nblocks i32) (param $clip i32)
    (local $b i32) (local $xp i32) (local $e i32) (local $y f64) (local $sf f32)
    (local $a v128) (local $m v128) (local $amax f32) (local $ABS v128)
    ${set('ABS', i32x4(0x7fffffff))}
    (if (i32.eqz (local.get $nblocks)) (then (return)))
    (local.set $xp (local.get $x))
    (loop $blocks
      ${blockAmax(8)}
      ${mxScale}
      (local.set $xp (i32.add (local.get $xp) (i32.const 128)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $nblocks)))))`;

/** MXFP4 over nblocks full 32-element blocks: X = 2^clamp(floor(log2(alpha·amax)) − 2), E2M1 elements. */
const mxfp4Quant = `
  (func (export "mxfp4_quant") (param $x i32) (param $out i32) (param $codes i32) (param $scodes i32) (param $scales i32)
        (param $nblocks i32) (param $clip i32) (param $given i32)
    (local $b i32) (local $xp i32) (local $op i32) (local $cp i32) (local $e i32) (local $y f64) (local $sf f32)
    ${commonLocals}
    ${commonInit}
    (if (i32.eqz (local.get $nblocks)) (then (return)))
    (local.set $xp (local.get $x)) (local.set $op (local.get $out)) (local.set $cp (local.get $codes))
    (loop $blocks
      (if (local.get $given)
        (then (local.set $sf (f32.load (i32.add (local.get $scales) (i32.shl (local.get $b) (i32.const 2))))))
        (else
          ${blockAmax(8)}
          ${mxScale}))
      (local.set $S (f32x4.splat (local.get $sf)))
      ;; NaN-free blocks round (the scale is a power of two, so a midpoint quotient is an exact tie);
      ;; blocks with a NaN go through the thresholds.
      (if ${anyNaN(8)}
        (then
${MIDS.map((m, k) => {
  const t = `(f32.mul (local.get $sf) (f32.const ${m}))`;
  const th =
    k % 2 === 0
      ? `(select (f32.reinterpret_i32 (i32.add (i32.reinterpret_f32 ${t}) (i32.const 1))) ${t} (f32.lt ${t} (f32.const inf)))`
      : t;
  return `      (local.set $T${k} (f32x4.splat ${th}))`;
}).join('\n')}
      ${e2m1EncodeVectors(8)})
        (else
          ${e2m1RoundVectors(8, true)}))
      (local.set $xp (i32.add (local.get $xp) (i32.const 128)))
      (local.set $op (i32.add (local.get $op) (i32.const 128)))
      (local.set $cp (i32.add (local.get $cp) (i32.const 32)))
      ${deadTemps}
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $nblocks)))))`;

/** Scalar exact E4M3 of 16 elements at xp with scale s (the TS oracle's arithmetic): the tie fallback. */
const fp8Scalar = `
  (func $fp8_scalar (param $xp i32) (param $op i32) (param $cp i32) (param $s f64)
    (local $i i32) (local $x f32) (local $c i32) (local $sign i32)
    (loop $el
      (local.set $x (f32.load (i32.add (local.get $xp) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $sign (i32.and (i32.shr_u (i32.reinterpret_f32 (local.get $x)) (i32.const 24)) (i32.const 0x80)))
      (local.set $c (call $e4m3_code (f64.abs (f64.div (f64.promote_f32 (local.get $x)) (local.get $s)))))
      (if (i32.eq (local.get $c) (i32.const 127))
        (then (f32.store (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2))) (f32.reinterpret_i32 (i32.const 0x7fc00000))))
        (else
          (f32.store (i32.add (local.get $op) (i32.shl (local.get $i) (i32.const 2)))
            (f32.reinterpret_i32 (i32.or (i32.reinterpret_f32 (f32.demote_f64 (f64.mul (f64.load (i32.shl (local.get $c) (i32.const 3))) (local.get $s))))
                                         (i32.shl (local.get $sign) (i32.const 24)))))
          (local.set $c (i32.or (local.get $c) (local.get $sign)))))
      (i32.store8 (i32.add (local.get $cp) (local.get $i)) (local.get $c))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $el (i32.lt_u (local.get $i) (i32.const 16)))))`;

/**
 * One E4M3 vector step of fp8_quant (vector j of the 16-element group). q = |x| / s, or |x| · r with
 * r = fl32(1 / s) (mul): within 2 ulps of the quotient, so the rounding can differ from the exact one only
 * when q lies within 2 ulps of an E4M3 midpoint (or on it); such groups are redone in scalar f64.
 * Subnormal quotients (q < 2^-6) are shifted up by 2^-6 first: E4M3's subnormal step 2^-9 is then 3
 * mantissa bits of the float32 binade [2^-6, 2^-5), as in a normal binade, so one rounding and one
 * near-midpoint test serve both ranges (the shift's own rounding moves q' by at most half an ulp and
 * never across a midpoint, which is representable there; the test's margin covers it).
 */
function fp8Vector(j: number, mul: boolean, codes = true): string {
  const q = mul
    ? `(f32x4.mul (v128.and ${v('xv')} ${v('ABS')}) ${v('R')})`
    : `(f32x4.div (v128.and ${v('xv')} ${v('ABS')}) ${v('S')})`;
  const rn = `(v128.and (i32x4.add ${v('q')} (i32x4.add ${i32x4(0x7ffff)} (v128.and (i32x4.shr_u ${v('q')} (i32.const 20)) ${i32x4(1)}))) ${i32x4(-0x100000)})`;
  // The code from r' (the rounded, shifted quotient): its float32 exponent and 3 mantissa bits less 960,
  // less 8 more in the subnormal range (r' = 2^-6 + m · 2^-9 is code m; r' = 2^-5 is code 8, the least normal).
  const code = `(i32x4.sub (i32x4.sub (i32x4.shr_u ${v('r')} (i32.const 20)) ${i32x4(960)}) (v128.and ${v('sub')} ${i32x4(8)}))`;
  // The low 20 bits of q' within `near` of the midpoint pattern 0x80000 (|bits − 0x80000| <= near: abs and a
  // signed compare). The multiplying kernel's q is within 2 ulps of the quotient, q' within 2.5 (the shift
  // rounds too; in the subnormal range ulp(q) <= ulp(q') / 2): a margin of 3 covers both.
  const near = mul ? 3 : 0;
  const tie = mul
    ? `(i32x4.gt_s ${i32x4(near + 1)} (i32x4.abs (i32x4.sub (v128.and ${v('q')} ${i32x4(0xfffff)}) ${i32x4(0x80000)})))`
    : `(i32x4.eq (v128.and ${v('q')} ${i32x4(0xfffff)}) ${i32x4(0x80000)})`;
  return [
    set('xv', `(v128.load offset=${16 * j} ${v('xp')})`),
    set('q', q),
    set('sub', `(f32x4.lt ${v('q')} ${f32x4(2 ** -6)})`),
    set('off', `(v128.and ${v('sub')} ${f32x4(2 ** -6)})`),
    set('q', `(f32x4.add ${v('q')} ${v('off')})`),
    set('r', `(f32x4.pmin ${rn} ${f32x4(448)})`),
    set('nan', `(f32x4.ne ${v('xv')} ${v('xv')})`),
    set('sgn', `(v128.and ${v('xv')} ${v('SIGN')})`),
    `(v128.store offset=${16 * j} ${v('op')} (v128.bitselect ${v('QNAN')} (v128.or (f32x4.mul (f32x4.sub ${v('r')} ${v('off')}) ${v('S')}) ${v('sgn')}) ${v('nan')}))`,
    codes
      ? set(
          `c${j}`,
          `(v128.bitselect ${i32x4(0x7f)} (v128.or ${code} (i32x4.shr_u ${v('sgn')} (i32.const 24))) ${v('nan')})`,
        )
      : '',
    // Ambiguous lanes: q' on (or, with mul, near) an E4M3 midpoint, below saturation.
    set('tie', `(v128.or ${v('tie')} (v128.and ${tie} (f32x4.lt ${v('q')} ${f32x4(448)})))`),
  ].join('\n');
}

/**
 * Largest finite |x| over n16 groups of 16 elements (integer max of the magnitude bits; signed compares
 * and max: |x| bits are non-negative, and the unsigned forms take three instructions each).
 */
const absmax = `
  (func (export "absmax") (param $x i32) (param $n16 i32) (result f32)
    (local $g i32) (local $a v128) (local $m v128) (local $ABS v128)
    ${set('ABS', i32x4(0x7fffffff))}
    (if (i32.eqz (local.get $n16)) (then (return (f32.const 0))))
    (loop $groups
${[0, 1, 2, 3]
  .map(
    (j) => `      ${set('a', `(v128.and (v128.load offset=${16 * j} (local.get $x)) ${v('ABS')})`)}
      ${set('m', `(i32x4.max_s ${v('m')} (v128.and ${v('a')} (i32x4.lt_s ${v('a')} ${i32x4(0x7f800000)})))`)}`,
  )
  .join('\n')}
      (local.set $x (i32.add (local.get $x) (i32.const 64)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br_if $groups (i32.lt_u (local.get $g) (local.get $n16))))
    ${set('m', `(i32x4.max_s ${v('m')} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v('m')} ${v('m')}))`)}
    ${set('m', `(i32x4.max_s ${v('m')} (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 ${v('m')} ${v('m')}))`)}
    (f32.reinterpret_i32 (i32x4.extract_lane 0 ${v('m')})))`;

/**
 * FP8 E4M3 with one scale s over n16 groups of 16 elements (caller pads): fp8_quant_mul multiplies by
 * r = fl32(1/s) (the caller passes it when finite and s is normal), fp8_quant divides; the _nc forms
 * leave the element codes out (codes then only takes the tie groups' scalar codes: still scratch).
 */
function fp8Quant(mul: boolean, codes = true): string {
  return `
  (func (export "fp8_quant${mul ? '_mul' : ''}${codes ? '' : '_nc'}") (param $x i32) (param $out i32) (param $codes i32) (param $n16 i32) (param $s f32) (param $rcp f32)
    (local $g i32) (local $xp i32) (local $op i32) (local $cp i32)
    (local $xv v128) (local $q v128) (local $r v128) (local $sub v128) (local $off v128) (local $nan v128) (local $sgn v128) (local $tie v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128) (local $S v128) (local $R v128)
    (local $ABS v128) (local $SIGN v128) (local $QNAN v128)
    ${set('ABS', i32x4(0x7fffffff))}
    ${set('SIGN', i32x4(-0x80000000))}
    ${set('QNAN', i32x4(0x7fc00000))}
    (local.set $S (f32x4.splat (local.get $s)))
    (local.set $R (f32x4.splat (local.get $rcp)))
    (if (i32.eqz (local.get $n16)) (then (return)))
    (local.set $xp (local.get $x)) (local.set $op (local.get $out)) (local.set $cp (local.get $codes))
    (loop $groups
      (local.set $tie ${i32x4(0)})
      ${[0, 1, 2, 3].map((j) => fp8Vector(j, mul, codes)).join('\n')}
      ${codes ? `(v128.store (local.get $cp) (i8x16.narrow_i16x8_u (i16x8.narrow_i32x4_u ${v('c0')} ${v('c1')}) (i16x8.narrow_i32x4_u ${v('c2')} ${v('c3')})))` : ''}
      (if (v128.any_true (local.get $tie))
        (then (call $fp8_scalar (local.get $xp) (local.get $op) (local.get $cp) (f64.promote_f32 (local.get $s)))))
      (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
      (local.set $op (i32.add (local.get $op) (i32.const 64)))
      (local.set $cp (i32.add (local.get $cp) (i32.const 16)))
      ${['xv', 'q', 'r', 'sub', 'off', 'nan', 'sgn', 'c0', 'c1', 'c2', 'c3'].map((t) => set(t, i32x4(0))).join(' ')}
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br_if $groups (i32.lt_u (local.get $g) (local.get $n16)))))`;
}

/** The whole module. */
export function kernelsWat(): string {
  return `(module
  (memory (export "memory") 32)
  (global $inv6ts (mut f64) (f64.const 1))
  (global $stamp (mut i32) (i32.const 0))
  ${dirRound}
  ${e4m3Code}
  ${nvfp4Prepare}
  ${nvfp4Quant}
  ${nvfp4Codes}
  ${mxfp4Quant}
  ${mxfp4Codes}
  ${fp8Scalar}
  ${fp8Quant(false)}
  ${fp8Quant(true)}
  ${fp8Quant(false, false)}
  ${fp8Quant(true, false)}
  ${absmax}
  ${searchSource({ v, set, i32x4, e2m1Magnitude, e2m1Count, rowSplat, loadThresholdRow, blockAmax, commonLocals, commonInit, layout: LAYOUT })}
)`;
}
