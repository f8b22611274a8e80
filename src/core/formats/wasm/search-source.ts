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

interface Helpers {
  v: (name: string) => string;
  set: (name: string, expr: string) => string;
  i32x4: (n: number) => string;
  e2m1Magnitude: (cnt: string) => string;
  loadThresholdRow: (row: string) => string;
  blockAmax: (n: number) => string;
  commonLocals: string;
  commonInit: string;
  layout: { nvfp4Table: number; searchMemo: number };
}

export function searchSource(h: Helpers): string {
  const { v, set } = h;
  const hsum = (acc: string) =>
    `(f32.add (f32x4.extract_lane 0 (f32x4.add ${v(acc)} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v(acc)} ${v(acc)})))
              (f32x4.extract_lane 1 (f32x4.add ${v(acc)} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v(acc)} ${v(acc)}))))`;
  const row = (code: string) => `(i32.add (i32.const ${h.layout.nvfp4Table}) (i32.shl ${code} (i32.const 5)))`;

  /** Evaluates the candidate code in local $cc: eP, eF (plain / Fisher objective), lD, lU (lower bounds). */
  const evaluate = (bounds = true): string => {
    const out = [h.loadThresholdRow(row(v('cc')))];
    if (bounds) out.push(set('SIX', `(f32x4.mul ${v('S')} (v128.const f32x4 6 6 6 6))`));
    for (let j = 0; j < 4; j++) {
      const a = `a${j}`;
      out.push(set('m0', `(f32x4.ge ${v(a)} ${v('T0')})`));
      out.push(set('m6', `(f32x4.ge ${v(a)} ${v('T6')})`));
      let e = v('m0');
      for (let k = 1; k < 6; k++) e = `(i32x4.add ${e} (f32x4.ge ${v(a)} ${v(`T${k}`)}))`;
      out.push(set('cnt', `(i32x4.add ${e} ${v('m6')})`));
      out.push(set('d', `(f32x4.sub ${v(a)} ${h.e2m1Magnitude('cnt')})`));
      out.push(set('dd', `(f32x4.mul ${v('d')} ${v('d')})`));
      out.push(set('tf', `(f32x4.mul ${v(`F${j}`)} ${v('dd')})`));
      if (bounds) out.push(set('t', `(v128.bitselect ${v('tf')} ${v('dd')} ${v('OBJF')})`));
      const acc = (name: string, term: string) => set(name, j === 0 ? term : `(f32x4.add ${v(name)} ${term})`);
      out.push(acc('accP', v('dd')));
      out.push(acc('accF', v('tf')));
      if (bounds) {
        out.push(acc('accD', `(v128.and ${v('t')} (f32x4.ge ${v(a)} ${v('SIX')}))`));
        out.push(acc('accU', `(v128.andnot ${v('t')} ${v('m0')})`));
      }
    }
    out.push(set('eP', hsum('accP')));
    out.push(set('eF', `(select ${hsum('accF')} (f32.const 0) ${v('hasF')})`));
    if (bounds) {
      out.push(set('lD', hsum('accD')));
      out.push(set('lU', hsum('accU')));
    }
    out.push(set('obj', `(select ${v('eF')} ${v('eP')} ${v('objF')})`));
    return out.join('\n');
  };

  const loadBlock = [0, 1, 2, 3]
    .map((j) =>
      [
        set(`x${j}`, `(v128.load offset=${16 * j} ${v('xp')})`),
        set(`a${j}`, `(v128.and ${v(`x${j}`)} ${v('ABS')})`),
        set(
          `F${j}`,
          `(if (result v128) ${v('hasF')} (then (v128.load offset=${16 * j} ${v('fp')})) (else ${h.i32x4(0)}))`,
        ),
      ].join('\n'),
    )
    .join('\n');

  const memo = h.layout.searchMemo;
  const memoAt = `(i32.shl ${v('cc')} (i32.const 5))`;
  /** Evaluates code $cc, or reads its objective and bounds if the grid already evaluated it in this block. */
  const evaluateMemo = () => `(if (i32.eq (i32.load offset=${memo} ${memoAt}) (global.get $stamp))
    (then ${set('obj', `(f32.load offset=${memo + 4} ${memoAt})`)} ${set('lD', `(f32.load offset=${memo + 8} ${memoAt})`)} ${set('lU', `(f32.load offset=${memo + 12} ${memoAt})`)})
    (else ${evaluate()}))`;
  return `
  (func (export "nvfp4_search") (param $x i32) (param $fisher i32) (param $nblocks i32) (param $grid i32) (param $ngrid i32)
        (param $mode i32) (param $bestCodes i32) (param $bestIdx i32) (param $curve i32) (param $ts f64)
    (local $b i32) (local $xp i32) (local $fp i32) (local $g i32) (local $cc i32)
    (local $hasF i32) (local $objF i32) (local $sweep i32) (local $nocurve i32) (local $pBelow i32) (local $pAbove i32) (local $code0 i32) (local $dist i32) (local $down i32) (local $up i32)
    (local $best f32) (local $bestCode i32) (local $bestG i32)
    (local $eP f32) (local $eF f32) (local $lD f32) (local $lU f32) (local $obj f32) (local $cp i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $F0 v128) (local $F1 v128) (local $F2 v128) (local $F3 v128) (local $OBJF v128)
    (local $m0 v128) (local $m6 v128) (local $SIX v128) (local $d v128) (local $dd v128) (local $tf v128) (local $t v128)
    (local $accP v128) (local $accF v128) (local $accD v128) (local $accU v128)
    ${h.commonLocals}
    ${h.commonInit}
    (local.set $hasF (i32.ne (local.get $fisher) (i32.const 0)))
    (local.set $objF (i32.and (local.get $mode) (i32.const 1)))
    (local.set $sweep (i32.and (local.get $mode) (i32.const 2)))
    (local.set $nocurve (i32.and (local.get $mode) (i32.const 4)))
    (local.set $OBJF (i32x4.splat (i32.sub (i32.const 0) (local.get $objF))))
    (if (i32.eqz (local.get $nblocks)) (then (return)))
    (local.set $xp (local.get $x)) (local.set $fp (local.get $fisher))
    (loop $blocks
      ;; a fresh stamp per block (never reused across calls) marks this block's memo entries
      (global.set $stamp (i32.add (global.get $stamp) (i32.const 1)))
      ${h.blockAmax(4)}
      ${loadBlock}
      ;; grid candidates (dedup by code), curve sums, grid selection
      ;; Without a curve the sweep needs no grid, and the grid skips codes a bound already excludes.
      (local.set $g (select (local.get $ngrid) (i32.const 0) (i32.and (local.get $sweep) (i32.ne (local.get $nocurve) (i32.const 0)))))
      (local.set $pBelow (i32.const -1))
      (local.set $pAbove (i32.const 1000))
      (block $gdone (loop $gl
        (br_if $gdone (i32.ge_u (local.get $g) (local.get $ngrid)))
        (local.set $cc (call $code_from_p
          (f64.mul (f64.promote_f32 (f32.load (i32.add (local.get $grid) (i32.shl (local.get $g) (i32.const 2))))) (f64.promote_f32 (local.get $amax)))))
        (if (i32.and (local.get $nocurve) (i32.or (i32.lt_s (local.get $cc) (local.get $pBelow)) (i32.gt_s (local.get $cc) (local.get $pAbove))))
          (then (local.set $g (i32.add (local.get $g) (i32.const 1))) (br $gl)))
        (if (i32.eq (i32.load offset=${memo} ${memoAt}) (global.get $stamp))
          (then
            ;; a code an earlier ratio already gave: same errors, and it cannot win (ties go to the earlier)
            (local.set $eP (f32.load offset=${memo + 16} ${memoAt}))
            (local.set $eF (f32.load offset=${memo + 20} ${memoAt})))
          (else
            (if (i32.or (local.get $sweep) (local.get $nocurve)) (then ${evaluate()}) (else ${evaluate(false)}))
            (i32.store offset=${memo} ${memoAt} (global.get $stamp))
            (f32.store offset=${memo + 4} ${memoAt} ${v('obj')})
            (f32.store offset=${memo + 8} ${memoAt} ${v('lD')})
            (f32.store offset=${memo + 12} ${memoAt} ${v('lU')})
            (f32.store offset=${memo + 16} ${memoAt} ${v('eP')})
            (f32.store offset=${memo + 20} ${memoAt} ${v('eF')})
            (if (i32.or (i32.eqz (local.get $g)) (f32.lt (local.get $obj) (local.get $best)))
              (then (local.set $best (local.get $obj)) (local.set $bestCode (local.get $cc)) (local.set $bestG (local.get $g))))
            (if (local.get $nocurve)
              (then
                (if (f32.ge (local.get $lD) (local.get $best))
                  (then (if (i32.gt_s (local.get $cc) (local.get $pBelow)) (then (local.set $pBelow (local.get $cc))))))
                (if (f32.ge (local.get $lU) (local.get $best))
                  (then (if (i32.lt_s (local.get $cc) (local.get $pAbove)) (then (local.set $pAbove (local.get $cc))))))))))
        (if (i32.eqz (local.get $nocurve))
          (then
            (local.set $cp (i32.add (local.get $curve) (i32.shl (local.get $g) (i32.const 3))))
            (f64.store (local.get $cp) (f64.add (f64.load (local.get $cp)) (f64.promote_f32 (local.get $eP))))
            (local.set $cp (i32.add (local.get $cp) (i32.shl (local.get $ngrid) (i32.const 3))))
            (f64.store (local.get $cp) (f64.add (f64.load (local.get $cp)) (f64.promote_f32 (local.get $eF))))))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $gl)))
      (if (local.get $sweep)
        (then
          (local.set $bestG (i32.const 255))
          (local.set $cc (call $code_from_p (f64.promote_f32 (local.get $amax))))
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
                    (if (f32.lt (local.get $obj) (local.get $best)) (then (local.set $best (local.get $obj)) (local.set $bestCode (local.get $cc))))
                    (if (f32.ge (local.get $lD) (local.get $best)) (then (local.set $down (i32.const 0))))))))
            (if (local.get $up)
              (then
                (local.set $cc (i32.add (local.get $code0) (local.get $dist)))
                (if (i32.gt_s (local.get $cc) (i32.const 126))
                  (then (local.set $up (i32.const 0)))
                  (else
                    ${evaluateMemo()}
                    (if (f32.lt (local.get $obj) (local.get $best)) (then (local.set $best (local.get $obj)) (local.set $bestCode (local.get $cc))))
                    (if (f32.ge (local.get $lU) (local.get $best)) (then (local.set $up (i32.const 0))))))))
            (local.set $dist (i32.add (local.get $dist) (i32.const 1)))
            (br $sl)))))
      (i32.store8 (i32.add (local.get $bestCodes) (local.get $b)) (local.get $bestCode))
      (i32.store8 (i32.add (local.get $bestIdx) (local.get $b)) (local.get $bestG))
      (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
      (local.set $fp (i32.add (local.get $fp) (i32.const 64)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $blocks (i32.lt_u (local.get $b) (local.get $nblocks)))))`;
}
