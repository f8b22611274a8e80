// Lesson 7: from the concepts to FGMP. A guided tour over a miniature of the real pipeline (fgmp core on
// two seeded tensors with a synthetic Fisher) that ends in the explorer with a prepared URL.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
import { Trans, useTranslation } from 'react-i18next';
import { storageFromCounts } from '../../core/fgmp';
import { E2M1, E4M3, NVFP4_BLOCK } from '../../core/formats';
import { Controls, Num, Prose, Section } from '../../views/learn/prose';
import { Slider } from '../../views/inputs';
import {
  ColorLegend,
  Heatmap,
  Key,
  Line,
  PALETTE,
  POLICY_STYLE,
  RuleX,
  useLogColour,
  SwatchLegend,
  Plot,
} from '../../views/charts';
import { pct, sig } from './fmt';
import { explorerHash, formatBits, tourAtBudget, tourTensors, type TourPolicy } from './tourModel';

const BUDGETS = Array.from({ length: 21 }, (_, i) => i / 20);

/** A large tensor, where per-tensor scales no longer matter: the asymptotic bits per weight. */
const LARGE = { rows: 4096, cols: 4096 };

export function TourLesson() {
  const { t } = useTranslation('learn');
  const tensors = useMemo(() => tourTensors(), []);
  const [budget, setBudget] = useState(0.3);
  const at = useMemo(() => tourAtBudget(tensors, 'fgmp', budget), [tensors, budget]);
  const curves = useMemo(
    () =>
      (['fgmp', 'magnitude', 'random'] as TourPolicy[]).map((p) => ({
        policy: p,
        points: BUDGETS.map((b) => ({ budget: b, error: tourAtBudget(tensors, p, b).weightedError })),
      })),
    [tensors],
  );
  const large = formatBits(LARGE.rows, LARGE.cols);
  const largeBlocks = LARGE.rows * (LARGE.cols / 16);
  const fp8Blocks = Math.round(budget * largeBlocks);
  const mixedLarge = storageFromCounts(LARGE.rows, LARGE.cols, fp8Blocks, fp8Blocks * 16, { metadata: 'always' });
  const saving = 1 - mixedLarge.bitsPerWeight / large.fp8;
  const scoreMax = d3.max(tensors, (t) => d3.max(t.scores.fgmp)) ?? 1;
  const { scale: scoreScale, colour: scoreColor } = useLogColour(scoreMax, 1e4);
  const maskColor = (v: number) => (v ? PALETTE.fp8 : PALETTE.nvfp4);
  const hash = explorerHash(budget);

  return (
    <div className="flex flex-col gap-6">
      <Prose>
        <p>
          <Trans
            t={t}
            i18nKey="tour.intro"
            values={{ rows: tensors[0].rows, cols: tensors[0].cols }}
            components={{ n: <Num /> }}
          />
        </p>
      </Prose>
      <Section title={t('tour.step1.title')}>
        <Prose>
          <p data-testid="tour-bits">
            <Trans
              t={t}
              i18nKey="tour.step1.text"
              values={{
                block: NVFP4_BLOCK,
                e2m1: E2M1.bits,
                e4m3: E4M3.bits,
                nvfp4: sig(large.nvfp4),
                fp8: sig(large.fp8),
              }}
              components={{ n: <Num />, nvfp4: <Num testId="bits-nvfp4" />, fp8: <Num testId="bits-fp8" /> }}
            />
          </p>
        </Prose>
      </Section>
      <Section title={t('tour.step2.title')}>
        <Prose>
          <p>{t('tour.step2.text')}</p>
        </Prose>
        <div className="flex flex-wrap items-end gap-6">
          {tensors.map((tensor) => (
            <figure key={tensor.proj} className="flex flex-col gap-1 text-xs">
              <Heatmap
                values={tensor.scores.fgmp}
                rows={tensor.rows}
                cols={Math.ceil(tensor.cols / 16)}
                cell={12}
                color={scoreColor}
                label={t('tour.step2.aria', { proj: tensor.proj })}
              />
              <figcaption>{t('tour.step2.caption', { proj: tensor.proj })}</figcaption>
            </figure>
          ))}
          <ColorLegend scale={scoreScale} title={t('tour.step2.legend')} width={220} />
        </div>
      </Section>
      <Section title={t('tour.step3.title')}>
        <Controls>
          <Slider
            label={t('tour.step3.slider')}
            value={budget}
            min={0}
            max={1}
            step={0.05}
            onChange={setBudget}
            format={(v) => pct(v, 0)}
            testId="budget"
          />
        </Controls>
        <Prose>
          <p data-testid="tour-budget">
            <Trans
              t={t}
              i18nKey="tour.step3.text"
              values={{
                budget: pct(budget, 0),
                k: at.answer.k,
                total: at.answer.totalBlocks,
                projA: at.masks[0].proj,
                shareA: pct(at.masks[0].share),
                projB: at.masks[1].proj,
                shareB: pct(at.masks[1].share),
                bpw: sig(at.bitsPerWeight),
                large: sig(mixedLarge.bitsPerWeight),
                saving: pct(saving),
              }}
              components={{
                n: <Num />,
                budget: <Num testId="budget-shown" />,
                k: <Num testId="fp8-blocks" />,
                shareA: <Num testId={`share-${at.masks[0].proj}`} />,
                shareB: <Num testId={`share-${at.masks[1].proj}`} />,
                bpw: <Num testId="tour-bpw" />,
                large: <Num testId="large-bpw" />,
                saving: <Num testId="saving" />,
              }}
            />
          </p>
        </Prose>
        <div className="flex flex-wrap items-start gap-6">
          <div className="flex flex-col gap-2 text-xs">
            <div className="flex flex-wrap gap-4">
              {at.masks.map((m) => (
                <figure key={m.proj} className="flex flex-col gap-1">
                  <Heatmap
                    values={Float32Array.from(m.mask)}
                    rows={tensors[0].rows}
                    cols={m.mask.length / tensors[0].rows}
                    cell={12}
                    color={maskColor}
                    label={t('tour.step3.maskAria', { proj: m.proj })}
                    testId={`mask-${m.proj}`}
                  />
                  <figcaption>{t('tour.step3.maskCaption', { proj: m.proj })}</figcaption>
                </figure>
              ))}
            </div>
            <SwatchLegend
              items={[
                { label: 'FP8', colour: PALETTE.fp8 },
                { label: 'NVFP4', colour: PALETTE.nvfp4 },
              ]}
            />
          </div>
          <PolicyCurves curves={curves} budget={budget} />
        </div>
      </Section>
      <Section title={t('tour.step4.title')}>
        <Prose>
          <p>{t('tour.step4.text')}</p>
        </Prose>
      </Section>
      <Section title={t('tour.step5.title')}>
        <p className="text-sm">
          <a className="text-sky-800 underline dark:text-sky-300" href={hash} data-testid="explorer-link">
            {t('tour.step5.link', { budget: pct(budget, 0) })}
          </a>
          <span className="ml-2 font-mono text-xs break-all text-slate-600 dark:text-slate-400">{hash}</span>
        </p>
      </Section>
    </div>
  );
}

function PolicyCurves({
  curves,
  budget,
}: {
  curves: { policy: TourPolicy; points: { budget: number; error: number }[] }[];
  budget: number;
}) {
  const { t } = useTranslation('learn');
  const width = 480;
  const height = 260;
  const m = { l: 60, r: 14, t: 50, b: 40 };
  const all = curves.flatMap((c) => c.points.map((p) => p.error)).filter((v) => v > 0);
  const xs = d3
    .scaleLinear()
    .domain([0, 1])
    .range([m.l, width - m.r]);
  const ys = d3
    .scaleLog()
    .domain([d3.min(all)!, d3.max(all)!])
    .nice()
    .range([height - m.b, m.t]);
  return (
    <Plot
      margin={{ left: m.l, bottom: m.b }}
      x={{ scale: xs, ticks: 5, tickFormat: (v) => pct(v, 0), label: t('tour.curves.x') }}
      y={{ scale: ys, label: t('tour.curves.y'), labelOffset: 46 }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-lg"
      label={t('tour.curves.aria')}
    >
      {curves.map((c) => {
        const style = POLICY_STYLE[c.policy];
        const pts = c.points.filter((p) => p.error > 0).map((p) => [p.budget, p.error] as const);
        return <Line key={c.policy} data={pts} x={xs} y={ys} stroke={style.colour} dash={style.dash} />;
      })}
      <Key
        x={m.l}
        y={10}
        step={14}
        fontSize={11}
        items={curves.map((c) => ({
          label: t(`tour.curves.policy.${c.policy}`),
          colour: POLICY_STYLE[c.policy].colour,
          kind: 'line' as const,
          dash: POLICY_STYLE[c.policy].dash,
        }))}
      />
      <RuleX x={budget} scale={xs} y1={m.t} y2={height - m.b} dash="3 3" />
    </Plot>
  );
}
