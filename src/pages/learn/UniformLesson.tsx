// Lesson 3: uniform (integer) quantization, absmax symmetric vs zero-point asymmetric, on points the
// user drags. Scales, zero points, codes and dequantized values come from the core's quantizeGrouped.
import { useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import * as d3 from 'd3';
import { errorMetrics, INT4, INT8, quantizeGrouped, UINT4, UINT8 } from '../../core/formats';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Segmented } from '../../views/inputs';
import { Axis, OKABE_ITO } from '../../views/charts';
import { seededNormal } from './synthetic';
import { sig } from './fmt';

export const UNIFORM_DOMAIN: [number, number] = [-2, 4];

/** Ten seeded points, skewed positive (like activations after a GELU): the asymmetric case. */
const BITS_OPTIONS: readonly { value: Bits; label: string }[] = [
  { value: '8', label: 'INT8' },
  { value: '4', label: 'INT4' },
];

export function initialUniformSample(): number[] {
  const normal = seededNormal(3);
  return Array.from({ length: 10 }, () => Math.fround(Math.min(3.8, Math.max(-1.9, 0.9 + 0.8 * normal()))));
}

export type Bits = '8' | '4';

export function quantizeBoth(points: readonly number[], bits: Bits) {
  const x = Float32Array.from(points);
  const sym = quantizeGrouped(x, bits === '8' ? INT8 : INT4, { scaling: 'absmax' });
  const asym = quantizeGrouped(x, bits === '8' ? UINT8 : UINT4, { scaling: 'zeropoint' });
  return { x, sym, asym };
}

export function UniformLesson() {
  const [points, setPoints] = useState<number[]>(initialUniformSample);
  const [bits, setBits] = useState<Bits>('4');
  const { x, sym, asym } = useMemo(() => quantizeBoth(points, bits), [points, bits]);
  const symFmt = bits === '8' ? INT8 : INT4;
  const asymFmt = bits === '8' ? UINT8 : UINT4;
  const symErr = errorMetrics(x, sym.values);
  const asymErr = errorMetrics(x, asym.values);
  const used = (codes: Float64Array) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const c of codes) {
      lo = Math.min(lo, c);
      hi = Math.max(hi, c);
    }
    return hi - lo + 1;
  };
  const symLevels = symFmt.values().length;
  const asymLevels = asymFmt.values().length;
  const first = 0;

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          Uniform quantization maps a real interval onto evenly spaced integer codes: q = round(x / scale) (+ a zero
          point), and back: x̂ = scale · (q − zero point). <b>Absmax</b> (symmetric) sets scale = max|x| / qmax and keeps
          0 at code 0; <b>zero-point</b> (asymmetric) stretches the codes over [min, max] instead. Drag the points (or
          focus one and use the arrow keys; Shift moves faster) and watch the buckets follow. Drag one point far to the
          right: a single outlier stretches every bucket.
        </p>
      </Prose>
      <Controls>
        <Segmented label="Integer width" value={bits} options={BITS_OPTIONS} onChange={setBits} testId="int-bits" />
        <button
          type="button"
          className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
          onClick={() => setPoints(initialUniformSample())}
        >
          Reset points
        </button>
      </Controls>
      <DragPlot points={points} setPoints={setPoints} sym={sym} asym={asym} />
      <Section title="What the two schemes did">
        <div className="grid max-w-4xl gap-4 md:grid-cols-2">
          <div className="text-sm" data-testid="sym-summary">
            <p className="font-semibold">Absmax, {symFmt.name}</p>
            <p>
              scale = <Num testId="sym-scale">{sig(sym.scales[0], 6)}</Num> (max|x| / {symFmt.maxFinite}); the data
              reach <Num testId="sym-used">{used(sym.codes)}</Num> of {symLevels} codes. MSE{' '}
              <Num testId="sym-mse">{sig(symErr.mse)}</Num>, SQNR{' '}
              <Num testId="sym-sqnr">{symErr.sqnrDb.toFixed(1)} dB</Num>.
            </p>
          </div>
          <div className="text-sm" data-testid="asym-summary">
            <p className="font-semibold">Zero point, {asymFmt.name}</p>
            <p>
              scale = <Num testId="asym-scale">{sig(asym.scales[0], 6)}</Num>, zero point ={' '}
              <Num testId="asym-zp">{asym.zeroPoints![0]}</Num>; the data reach{' '}
              <Num testId="asym-used">{used(asym.codes)}</Num> of {asymLevels} codes. MSE{' '}
              <Num testId="asym-mse">{sig(asymErr.mse)}</Num>, SQNR{' '}
              <Num testId="asym-sqnr">{asymErr.sqnrDb.toFixed(1)} dB</Num>.
            </p>
          </div>
        </div>
        <p className="max-w-3xl text-sm" data-testid="bucket-example">
          Dequantization gives back the bucket&apos;s level, not the point: the first point{' '}
          <Num testId="p0-value">{sig(x[first], 6)}</Num> gets code <Num testId="p0-code">{sym.codes[first]}</Num> and
          comes back as <Num testId="p0-sym">{sig(sym.values[first], 6)}</Num> under absmax, and as code{' '}
          <Num>{asym.codes[first]}</Num> → <Num testId="p0-asym">{sig(asym.values[first], 6)}</Num> with the zero point.
          Every point in the same bucket comes back as the same value.
        </p>
      </Section>
    </div>
  );
}

function DragPlot(props: {
  points: number[];
  setPoints: (p: number[]) => void;
  sym: ReturnType<typeof quantizeBoth>['sym'];
  asym: ReturnType<typeof quantizeBoth>['asym'];
}) {
  const { points, setPoints, sym, asym } = props;
  const width = 960;
  const height = 270;
  const svgRef = useRef<SVGSVGElement>(null);
  const [dragging, setDragging] = useState<number | null>(null);
  const scale = d3
    .scaleLinear()
    .domain(UNIFORM_DOMAIN)
    .range([30, width - 20])
    .clamp(true);
  const rows = [
    { y: 130, label: 'absmax (symmetric)', result: sym, levels: symLevels(sym) },
    { y: 210, label: 'zero point (asymmetric)', result: asym, levels: asymLevels(asym) },
  ];
  const toValue = (clientX: number) => {
    const svg = svgRef.current!;
    const rect = svg.getBoundingClientRect();
    const vx = ((clientX - rect.left) / rect.width) * width;
    return Math.fround(Math.round(scale.invert(vx) * 1000) / 1000);
  };
  const move = (i: number, v: number) => {
    const next = [...points];
    next[i] = Math.fround(Math.min(UNIFORM_DOMAIN[1], Math.max(UNIFORM_DOMAIN[0], v)));
    setPoints(next);
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (dragging !== null) move(dragging, toValue(e.clientX));
  };
  const onKey = (i: number) => (e: KeyboardEvent<SVGCircleElement>) => {
    const step = e.shiftKey ? 0.1 : 0.01;
    if (e.key === 'ArrowRight' || e.key === 'ArrowUp') move(i, Math.round((points[i] + step) * 1000) / 1000);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') move(i, Math.round((points[i] - step) * 1000) / 1000);
    else return;
    e.preventDefault();
  };
  return (
    <svg
      ref={svgRef}
      viewBox={`0 0 ${width} ${height}`}
      className="w-full max-w-5xl touch-none select-none"
      onPointerMove={onPointerMove}
      onPointerUp={() => setDragging(null)}
      onPointerLeave={() => setDragging(null)}
      data-testid="drag-plot"
      role="group"
      aria-label="Sample points and their quantized values"
    >
      <text x={30} y={14} fontSize={12} fill="currentColor">
        original points (drag them)
      </text>
      {rows.map((r) => (
        <g key={r.label}>
          <text x={30} y={r.y - 24} fontSize={12} fill="currentColor">
            {r.label}: levels (ticks), bucket edges (faint), dequantized values (squares)
          </text>
          {r.levels.edges.map((v) => (
            <line
              key={`e${v}`}
              x1={scale(v)}
              x2={scale(v)}
              y1={r.y - 12}
              y2={r.y + 12}
              stroke="currentColor"
              strokeOpacity={0.2}
            />
          ))}
          {r.levels.levels.map((v) => (
            <line
              key={`l${v}`}
              x1={scale(v)}
              x2={scale(v)}
              y1={r.y - 8}
              y2={r.y + 8}
              stroke={OKABE_ITO.blue}
              strokeWidth={1.2}
            />
          ))}
          <line
            x1={scale.range()[0]}
            x2={scale.range()[1]}
            y1={r.y}
            y2={r.y}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          {points.map((p, i) => (
            <g key={i}>
              <line
                x1={scale(p)}
                y1={52}
                x2={scale(r.result.values[i])}
                y2={r.y}
                stroke={OKABE_ITO.grey}
                strokeDasharray="2 3"
              />
              <rect
                x={scale(r.result.values[i]) - 4}
                y={r.y - 4}
                width={8}
                height={8}
                fill={OKABE_ITO.vermillion}
                data-testid={`deq-${r.result === sym ? 'sym' : 'asym'}-${i}`}
                data-value={r.result.values[i]}
              />
            </g>
          ))}
        </g>
      ))}
      <line x1={scale.range()[0]} x2={scale.range()[1]} y1={45} y2={45} stroke="currentColor" strokeOpacity={0.4} />
      {points.map((p, i) => (
        <circle
          key={i}
          cx={scale(p)}
          cy={45}
          r={8}
          fill={OKABE_ITO.orange}
          stroke="currentColor"
          strokeWidth={dragging === i ? 2.5 : 1}
          tabIndex={0}
          role="slider"
          aria-label={`Sample point ${i + 1}`}
          aria-valuemin={UNIFORM_DOMAIN[0]}
          aria-valuemax={UNIFORM_DOMAIN[1]}
          aria-valuenow={p}
          aria-orientation="horizontal"
          data-testid={`point-${i}`}
          data-value={p}
          className="cursor-grab focus:outline-none focus-visible:stroke-[3px]"
          onPointerDown={(e) => {
            (e.target as Element).setPointerCapture?.(e.pointerId);
            setDragging(i);
          }}
          onKeyDown={onKey(i)}
        />
      ))}
      <Axis scale={scale} orient="bottom" transform={`translate(0,${height - 28})`} ticks={12} />
    </svg>
  );
}

function symLevels(r: ReturnType<typeof quantizeBoth>['sym']) {
  const s = r.scales[0];
  const fmt = r.format;
  const levels = fmt.values().map((c) => Math.fround(c * s));
  return { levels, edges: levels.slice(1).map((v, i) => (v + levels[i]) / 2) };
}

function asymLevels(r: ReturnType<typeof quantizeBoth>['asym']) {
  const s = r.scales[0];
  const zp = r.zeroPoints![0];
  const levels = r.format.values().map((c) => Math.fround((c - zp) * s));
  return { levels, edges: levels.slice(1).map((v, i) => (v + levels[i]) / 2) };
}
