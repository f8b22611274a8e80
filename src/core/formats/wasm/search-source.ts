// WebAssembly text of the NVFP4 clip search (see source.ts for the arithmetic it must match). One pass
// per block: the 16 magnitudes (and Fisher) stay in registers while every candidate block-scale code
// is tried. Grid mode tries round_E4M3(alpha · amax / 6 / ts) for each ratio alpha of the grid (codes
// repeated by the grid are evaluated once) and adds each block's errors to the tensor curve; sweep mode
// also tries E4M3 codes below and above the amax-derived code0 in the order code0, code0−1, code0+1,
// code0−2, … and stops a direction once a lower bound of every code beyond reaches the best error (a candidate
// there cannot be strictly better, and ties go to the earlier candidate):
//   below: the terms of the elements at or beyond the saturation value 6s (their error only grows as
//          the scale shrinks; elements between 5s and 6s also round to 6s but may get closer),
//   above: the terms of the elements rounded to zero (that set only grows as the scale grows).
// Both bounds are summed in the objective's own lanes and order, so they never exceed it: the result
// is the exact argmin over all codes (ties: the earlier candidate), which the TS oracle finds by brute force.
//
// Speed: the candidate codes of a block (ratio 1 and every grid ratio) come from the code table (one
// lookup per four ratios, see layout.ts) instead of a scalar f64 rounding each; code_from_p remains for
// buckets the table does not cover. Each mode (Fisher present, Fisher objective, bounds needed) is its
// own function nvfp4_search_<hasF><objF><bounds>, so the candidate loop carries no per-mode selects.

interface Helpers {
  v: (name: string) => string;
  set: (name: string, expr: string) => string;
  i32x4: (n: number) => string;
  e2m1Magnitude: (cnt: string, S?: string) => string;
  e2m1Count: (a: string, cnt: string, m0?: string, th?: (k: number) => string) => string;
  rowSplat: (k: number) => string;
  loadThresholdRow: (row: string) => string;
  blockAmax: (n: number) => string;
  commonLocals: string;
  commonInit: string;
  layout: { nvfp4Table: number; searchMemo: number; codeBuf: number; blockBuf: number };
}

interface Mode {
  /** Fisher values are given (else they are zeros and the Fisher error is 0). */
  hasF: boolean;
  /** The objective is the Fisher-weighted error. */
  objF: boolean;
  /** Lower bounds are needed (sweep, or a grid without a curve that skips excluded codes). */
  bounds: boolean;
}

function searchFunction(h: Helpers, mode: Mode): string {
  const { v, set } = h;
  const { hasF, objF, bounds } = mode;
  // With no Fisher the Fisher objective is 0 for every candidate (as the reference has it).
  const objZero = objF && !hasF;
  const hsum = (acc: string) =>
    `(f32.add (f32x4.extract_lane 0 (f32x4.add ${v(acc)} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v(acc)} ${v(acc)})))
              (f32x4.extract_lane 1 (f32x4.add ${v(acc)} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v(acc)} ${v(acc)}))))`;
  const row = (code: string) => `(i32.add (i32.const ${h.layout.nvfp4Table}) (i32.shl ${code} (i32.const 5)))`;

  /**
   * Evaluates the candidate code in local $cc: eP, eF (plain / Fisher error), obj, and lD, lU (bounds).
   * A loop over the block's four vectors, read back from blockBuf, thresholds read at each use (rowSplat):
   * unrolled with thresholds in locals, the compiler hoisted all 28 compares ahead of their sums and
   * spilled them and a sum to the stack. Sums start at −0 (−0 + t = t exactly).
   */
  const evaluate = (): string => {
    const out = [set('trow', row(v('cc')))];
    const withBounds = bounds && !objZero;
    if (withBounds) out.push(set('SIX', `(f32x4.mul ${h.rowSplat(7)} (v128.const f32x4 6 6 6 6))`));
    const accs = ['accP', ...(hasF ? ['accF'] : []), ...(withBounds ? ['accD', 'accU'] : [])];
    for (const a of accs) out.push(set(a, '(v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000)'));
    out.push(set('j', '(i32.const 0)'));
    const body = [
      set('av', `(v128.load offset=${blockBuf} ${v('j')})`),
      h.e2m1Count('av', 'cnt', withBounds ? 'm0' : undefined, h.rowSplat),
      set('d', `(f32x4.sub ${v('av')} ${h.e2m1Magnitude('cnt', h.rowSplat(7))})`),
      set('dd', `(f32x4.mul ${v('d')} ${v('d')})`),
      set('accP', `(f32x4.add ${v('accP')} ${v('dd')})`),
    ];
    if (hasF) {
      body.push(set('tf', `(f32x4.mul (v128.load offset=${blockBuf + 64} ${v('j')}) ${v('dd')})`));
      body.push(set('accF', `(f32x4.add ${v('accF')} ${v('tf')})`));
    }
    if (withBounds) {
      const t = objF ? v('tf') : v('dd');
      body.push(set('accD', `(f32x4.add ${v('accD')} (v128.and ${t} (f32x4.ge ${v('av')} ${v('SIX')})))`));
      body.push(set('accU', `(f32x4.add ${v('accU')} (v128.andnot ${t} ${v('m0')}))`));
    }
    body.push(set('j', `(i32.add ${v('j')} (i32.const 16))`));
    out.push(`(loop $vec
${body.join('\n')}
(br_if $vec (i32.lt_u ${v('j')} (i32.const 64))))`);
    out.push(set('eP', hsum('accP')));
    out.push(set('eF', hasF ? hsum('accF') : '(f32.const 0)'));
    if (bounds) {
      out.push(set('lD', withBounds ? hsum('accD') : '(f32.const 0)'));
      out.push(set('lU', withBounds ? hsum('accU') : '(f32.const 0)'));
    }
    out.push(set('obj', objZero ? '(f32.const 0)' : objF ? v('eF') : v('eP')));
    return out.join('\n');
  };

  const blockBuf = h.layout.blockBuf;
  const loadBlock = [0, 1, 2, 3]
    .map((j) =>
      [
        `(v128.store offset=${blockBuf + 16 * j} (i32.const 0) (v128.and (v128.load offset=${16 * j} ${v('xp')}) ${v('ABS')}))`,
        hasF
          ? `(v128.store offset=${blockBuf + 64 + 16 * j} (i32.const 0) (v128.load offset=${16 * j} ${v('fp')}))`
          : '',
      ].join('\n'),
    )
    .join('\n');

  const memo = h.layout.searchMemo;
  const codeBuf = h.layout.codeBuf;
  const memoAt = `(i32.shl ${v('cc')} (i32.const 5))`;
  const storeMemo = `(i32.store offset=${memo} ${memoAt} (global.get $stamp))
            (f32.store offset=${memo + 4} ${memoAt} ${v('obj')})
            (f32.store offset=${memo + 16} ${memoAt} ${v('eP')})
            (f32.store offset=${memo + 20} ${memoAt} ${v('eF')})
            ${bounds ? `(f32.store offset=${memo + 8} ${memoAt} ${v('lD')}) (f32.store offset=${memo + 12} ${memoAt} ${v('lU')})` : ''}`;
  /** Evaluates code $cc, or reads its objective and bounds if the grid already evaluated it in this block. */
  const evaluateMemo = () => `(if (i32.eq (i32.load offset=${memo} ${memoAt}) (global.get $stamp))
    (then ${set('obj', `(f32.load offset=${memo + 4} ${memoAt})`)} ${set('lD', `(f32.load offset=${memo + 8} ${memoAt})`)} ${set('lU', `(f32.load offset=${memo + 12} ${memoAt})`)})
    (else ${evaluate()} ${storeMemo}))`;

  // Codes of every slot of this block: four per table row vector where the bucket is covered.
  const codes = `
      (local.set $bits (i32.reinterpret_f32 (local.get $amax)))
      (if (i32.lt_u (i32.shr_u (local.get $bits) (i32.const 19)) (local.get $keyHi))
        (then
          (local.set $trow (i32.add (local.get $table) (i32.mul (i32.shr_u (local.get $bits) (i32.const 19)) (local.get $rowBytes))))
          ;; bits & 0x7ffff >= threshold, as (bits & 0x7ffff) + 1 > threshold (one signed compare)
          (local.set $LO (i32x4.splat (i32.add (i32.and (local.get $bits) (i32.const 0x7ffff)) (i32.const 1))))
          (local.set $k (i32.const 0))
          (loop $cv
            (local.set $e (v128.load (i32.add (local.get $trow) (local.get $k))))
            (v128.store offset=${codeBuf} (local.get $k)
              (i32x4.sub (i32x4.shr_u (local.get $e) (i32.const 20)) (i32x4.gt_s (local.get $LO) (v128.and (local.get $e) ${h.i32x4(0xfffff)}))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br_if $cv (i32.lt_u (local.get $k) (local.get $rowBytes)))))
        (else
          (i32.store (i32.const ${codeBuf}) (call $code_from_p (f64.promote_f32 (local.get $amax))))
          (local.set $k (i32.const 0))
          (block $cd (loop $cl
            (br_if $cd (i32.ge_u (local.get $k) (local.get $ngrid)))
            (i32.store offset=${codeBuf + 4} (i32.shl (local.get $k) (i32.const 2)) (call $code_from_p
              (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $grid) (i32.shl (local.get $k) (i32.const 2))))) (f64.promote_f32 (local.get $amax)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $cl)))))`;

  const better = `(if (f32.lt (local.get $obj) (local.get $best)) (then (local.set $best (local.get $obj)) (local.set $bestCode (local.get $cc))))`;
  const sweep = `
      (if (local.get $sweep)
        (then
          (local.set $bestG (i32.const 255))
          (local.set $cc (i32.load (i32.const ${codeBuf})))
          (local.set $code0 (local.get $cc))
          ${evaluateMemo()}
          (local.set $best (local.get $obj)) (local.set $bestCode (local.get $cc))
          (local.set $down (i32.gt_u (local.get $code0) (i32.const 1)))
          (local.set $up (i32.lt_u (local.get $code0) (i32.const 126)))
          (if (f32.ne (local.get $best) (local.get $best)) (then (local.set $down (i32.const 0)) (local.set $up (i32.const 0))))
          (local.set $dist (i32.const 1))
          (block $sd (loop $sl
            (br_if $sd (i32.eqz (i32.or (local.get $down) (local.get $up))))
            (if (local.get $down)
              (then
                (local.set $cc (i32.sub (local.get $code0) (local.get $dist)))
                (if (i32.lt_s (local.get $cc) (i32.const 1))
                  (then (local.set $down (i32.const 0)))
                  (else
                    ${evaluateMemo()}
                    ${better}
                    (if (f32.ge (local.get $lD) (local.get $best)) (then (local.set $down (i32.const 0))))))))
            (if (local.get $up)
              (then
                (local.set $cc (i32.add (local.get $code0) (local.get $dist)))
                (if (i32.gt_s (local.get $cc) (i32.const 126))
                  (then (local.set $up (i32.const 0)))
                  (else
                    ${evaluateMemo()}
                    ${better}
                    (if (f32.ge (local.get $lU) (local.get $best)) (then (local.set $up (i32.const 0))))))))
            (local.set $dist (i32.add (local.get $dist) (i32.const 1)))
            (br $sl)))))`;

  // Grid without a curve (bounds mode only): codes a bound already excludes are skipped.
  const skip = bounds
    ? `(if (i32.and (local.get $nocurve) (i32.or (i32.lt_s (local.get $cc) (local.get $pBelow)) (i32.gt_s (local.get $cc) (local.get $pAbove))))
          (then (local.set $g (i32.add (local.get $g) (i32.const 1))) (br $gl)))`
    : '';
  const prune = bounds
    ? `(if (local.get $nocurve)
              (then
                (if (f32.ge (local.get $lD) (local.get $best))
                  (then (if (i32.gt_s (local.get $cc) (local.get $pBelow)) (then (local.set $pBelow (local.get $cc))))))
                (if (f32.ge (local.get $lU) (local.get $best))
                  (then (if (i32.lt_s (local.get $cc) (local.get $pAbove)) (then (local.set $pAbove (local.get $cc))))))))`
    : '';
  const curve = `(local.set $cp (i32.add (local.get $curve) (i32.shl (local.get $g) (i32.const 3))))
            (f64.store (local.get $cp) (f64.add (f64.load (local.get $cp)) (f64.promote_f32 (local.get $eP))))
            ${
              hasF
                ? `(local.set $cp (i32.add (local.get $cp) (i32.shl (local.get $ngrid) (i32.const 3))))
            (f64.store (local.get $cp) (f64.add (f64.load (local.get $cp)) (f64.promote_f32 (local.get $eF))))`
                : ''
            }`;

  const name = `nvfp4_search_${+hasF}${+objF}${+bounds}`;
  return `
  (func (export "${name}") (param $x i32) (param $fisher i32) (param $nblocks i32) (param $grid i32) (param $ngrid i32)
        (param $mode i32) (param $bestCodes i32) (param $bestIdx i32) (param $curve i32)
        (param $table i32) (param $rowBytes i32) (param $keyHi i32)
    (local $b i32) (local $xp i32) (local $fp i32) (local $g i32) (local $cc i32) (local $k i32) (local $bits i32)
    (local $sweep i32) (local $nocurve i32) (local $pBelow i32) (local $pAbove i32) (local $code0 i32) (local $dist i32) (local $down i32) (local $up i32)
    (local $best f32) (local $bestCode i32) (local $bestG i32)
    (local $eP f32) (local $eF f32) (local $lD f32) (local $lU f32) (local $obj f32) (local $cp i32)
    (local $j i32) (local $av v128)
    (local $m0 v128) (local $SIX v128) (local $d v128) (local $dd v128) (local $tf v128)
    (local $accP v128) (local $accF v128) (local $accD v128) (local $accU v128) (local $e v128) (local $LO v128)
    ${h.commonLocals}
    ${h.commonInit}
    (local.set $sweep (i32.and (local.get $mode) (i32.const 2)))
    (local.set $nocurve (i32.and (local.get $mode) (i32.const 4)))
    (if (i32.eqz (local.get $nblocks)) (then (return)))
    (local.set $xp (local.get $x)) (local.set $fp (local.get $fisher))
    (loop $blocks
      ;; a fresh stamp per block (never reused across calls) marks this block's memo entries
      (global.set $stamp (i32.add (global.get $stamp) (i32.const 1)))
      ${h.blockAmax(4)}
      ${loadBlock}
      ${codes}
      ;; grid candidates (dedup by code), curve sums, grid selection
      ;; Without a curve the sweep needs no grid, and the grid skips codes a bound already excludes.
      (local.set $g (select (local.get $ngrid) (i32.const 0) (i32.and (local.get $sweep) (i32.ne (local.get $nocurve) (i32.const 0)))))
      (local.set $pBelow (i32.const -1))
      (local.set $pAbove (i32.const 1000))
      (block $gdone (loop $gl
        (br_if $gdone (i32.ge_u (local.get $g) (local.get $ngrid)))
        (local.set $cc (i32.load offset=${codeBuf + 4} (i32.shl (local.get $g) (i32.const 2))))
        ${skip}
        (if (i32.eq (i32.load offset=${memo} ${memoAt}) (global.get $stamp))
          (then
            ;; a code an earlier ratio already gave: same errors, and it cannot win (ties go to the earlier)
            (local.set $eP (f32.load offset=${memo + 16} ${memoAt}))
            (local.set $eF (f32.load offset=${memo + 20} ${memoAt})))
          (else
            ${evaluate()}
            ${storeMemo}
            (if (i32.or (i32.eqz (local.get $g)) (f32.lt (local.get $obj) (local.get $best)))
              (then (local.set $best (local.get $obj)) (local.set $bestCode (local.get $cc)) (local.set $bestG (local.get $g))))
            ${prune}))
        ${bounds ? `(if (i32.eqz (local.get $nocurve)) (then ${curve}))` : curve}
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $gl)))
      ${bounds ? sweep : ''}
      (i32.store8 (i32.add (local.get $bestCodes) (local.get $b)) (local.get $bestCode))
      (i32.store8 (i32.add (local.get $bestIdx) (local.get $b)) (local.get $bestG))
      (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
      (local.set $fp (i32.add (local.get $fp) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $nblocks)))))`;
}

/** Every mode's search function (see searchFunction). */
export function searchSource(h: Helpers): string {
  const out: string[] = [];
  for (const hasF of [false, true])
    for (const objF of [false, true])
      for (const bounds of [false, true]) out.push(searchFunction(h, { hasF, objF, bounds }));
  return out.join('\n');
}
