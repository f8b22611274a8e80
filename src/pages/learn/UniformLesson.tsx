// Lesson 3: uniform (integer) quantization, absmax symmetric vs zero-point asymmetric, on points the
// user drags. Scales, zero points, codes and dequantized values come from the core's quantizeGrouped.
import { useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
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
  const { t } = useTranslation('learn');
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
          <Trans t={t} i18nKey="uniform.intro" components={{ b: <b /> }} />
        </p>
      </Prose>
      <Controls>
        <Segmented
          label={t('uniform.width')}
          value={bits}
          options={BITS_OPTIONS}
          onChange={setBits}
          testId="int-bits"
        />
        <button
          type="button"
          className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
          onClick={() => setPoints(initialUniformSample())}
        >
          {t('uniform.reset')}
        </button>
      </Controls>
      <DragPlot points={points} setPoints={setPoints} sym={sym} asym={asym} />
      <Section title={t('uniform.schemesTitle')}>
        <div className="grid max-w-4xl gap-4 md:grid-cols-2">
          <div className="text-sm" data-testid="sym-summary">
            <p className="font-semibold">{t('uniform.sym.title', { format: symFmt.name })}</p>
            <p>
              <Trans
                t={t}
                i18nKey="uniform.sym.text"
                values={{
                  scale: sig(sym.scales[0], 6),
                  qmax: symFmt.maxFinite,
                  used: used(sym.codes),
                  levels: symLevels,
                  mse: sig(symErr.mse),
                  sqnr: symErr.sqnrDb.toFixed(1),
                }}
                components={{
                  scale: <Num testId="sym-scale" />,
                  used: <Num testId="sym-used" />,
                  mse: <Num testId="sym-mse" />,
                  sqnr: <Num testId="sym-sqnr" />,
                }}
              />
            </p>
          </div>
          <div className="text-sm" data-testid="asym-summary">
            <p className="font-semibold">{t('uniform.asym.title', { format: asymFmt.name })}</p>
            <p>
              <Trans
                t={t}
                i18nKey="uniform.asym.text"
                values={{
                  scale: sig(asym.scales[0], 6),
                  zp: asym.zeroPoints![0],
                  used: used(asym.codes),
                  levels: asymLevels,
                  mse: sig(asymErr.mse),
                  sqnr: asymErr.sqnrDb.toFixed(1),
                }}
                components={{
                  scale: <Num testId="asym-scale" />,
                  zp: <Num testId="asym-zp" />,
                  used: <Num testId="asym-used" />,
                  mse: <Num testId="asym-mse" />,
                  sqnr: <Num testId="asym-sqnr" />,
                }}
              />
            </p>
          </div>
        </div>
        <p className="max-w-3xl text-sm" data-testid="bucket-example">
          <Trans
            t={t}
            i18nKey="uniform.bucket"
            values={{
              value: sig(x[first], 6),
              code: sym.codes[first],
              sym: sig(sym.values[first], 6),
              asymCode: asym.codes[first],
              asym: sig(asym.values[first], 6),
            }}
            components={{
              n: <Num />,
              value: <Num testId="p0-value" />,
              code: <Num testId="p0-code" />,
              sym: <Num testId="p0-sym" />,
              asym: <Num testId="p0-asym" />,
            }}
          />
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
  const { t } = useTranslation('learn');
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
    { y: 130, label: t('uniform.plot.sym'), result: sym, levels: symLevels(sym) },
    { y: 210, label: t('uniform.plot.asym'), result: asym, levels: asymLevels(asym) },
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
      aria-label={t('uniform.plot.aria')}
    >
      <text x={30} y={14} fontSize={12} fill="currentColor">
        {t('uniform.plot.original')}
      </text>
      {rows.map((r) => (
        <g key={r.label}>
          <text x={30} y={r.y - 24} fontSize={12} fill="currentColor">
            {t('uniform.plot.row', { label: r.label })}
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
          aria-label={t('uniform.plot.point', { i: i + 1 })}
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
