// Lesson 7: from the concepts to FGMP. A guided tour over a miniature of the real pipeline (fgmp core on
// two seeded tensors with a synthetic Fisher) that ends in the explorer with a prepared URL.
import { useMemo, useState } from 'react';
import * as d3 from 'd3';
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
          FGMP (fine-grained mixed precision, Hooper et al. 2025) puts the pieces of the earlier lessons together: small
          blocks with their own scales (lesson 4), two formats of different cost, a sensitivity measure that decides
          which blocks get the better one, and Fisher-weighted clipping (lesson 6). Here it runs in miniature on two
          seeded <Num>{tensors[0].rows}</Num>×<Num>{tensors[0].cols}</Num> tensors with a synthetic Fisher; the explorer
          runs it on a real model.
        </p>
      </Prose>
      <Section title="Step 1: two formats on one block grid">
        <Prose>
          <p data-testid="tour-bits">
            Every <Num>{NVFP4_BLOCK}</Num>-element block is either NVFP4 (<Num>{E2M1.bits}</Num>-bit E2M1 elements and
            an <Num>{E4M3.bits}</Num>-bit E4M3 block scale: <Num testId="bits-nvfp4">{sig(large.nvfp4)}</Num> bits per
            weight on a large tensor) or FP8 E4M3 (<Num testId="bits-fp8">{sig(large.fp8)}</Num> bits). Because both use
            the same grid, any block can switch precision at the cost of one flag bit.
          </p>
        </Prose>
      </Section>
      <Section title="Step 2: score each block by how much NVFP4 would hurt">
        <Prose>
          <p>
            The score of block b is S(b) = Σ F_i · (Q_NVFP4(w_i) − Q_FP8(w_i))²: the Fisher-weighted change if the block
            drops from FP8 to NVFP4, a second-order estimate of the loss increase. Brighter blocks below matter more;
            the second tensor&apos;s Fisher is larger, as if its layer were more sensitive.
          </p>
        </Prose>
        <div className="flex flex-wrap items-end gap-6">
          {tensors.map((t) => (
            <figure key={t.proj} className="flex flex-col gap-1 text-xs">
              <Heatmap
                values={t.scores.fgmp}
                rows={t.rows}
                cols={Math.ceil(t.cols / 16)}
                cell={12}
                color={scoreColor}
                label={`Block scores of the ${t.proj} tensor`}
              />
              <figcaption>{t.proj} tensor scores</figcaption>
            </figure>
          ))}
          <ColorLegend scale={scoreScale} title="block score S (viridis, log)" width={220} />
        </div>
      </Section>
      <Section title="Step 3: one global budget">
        <Controls>
          <Slider
            label="Share of blocks in FP8"
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
            All blocks of all tensors are ranked together and the top <Num testId="budget-shown">{pct(budget, 0)}</Num>{' '}
            (<Num testId="fp8-blocks">{at.answer.k}</Num> of <Num>{at.answer.totalBlocks}</Num> blocks) stay in FP8. One
            threshold for the whole model means unequal shares per tensor: here{' '}
            {at.masks.map((m, i) => (
              <span key={m.proj}>
                {i > 0 && ' and '}
                <Num testId={`share-${m.proj}`}>{pct(m.share)}</Num> of {m.proj}
              </span>
            ))}
            . These tensors then cost <Num testId="tour-bpw">{sig(at.bitsPerWeight)}</Num> bits per weight. On a large
            tensor with a flag bit per block, this budget costs{' '}
            <Num testId="large-bpw">{sig(mixedLarge.bitsPerWeight)}</Num> bits per weight,{' '}
            <Num testId="saving">{pct(saving)}</Num> less than all-FP8.
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
                    label={`Precision of each block of the ${m.proj} tensor`}
                    testId={`mask-${m.proj}`}
                  />
                  <figcaption>{m.proj} blocks</figcaption>
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
      <Section title="Step 4: activations on the fly">
        <Prose>
          <p>
            Activations change with every token, so their blocks cannot be chosen offline. FGMP scores each activation
            block at run time with the per-channel Fisher and compares it with a threshold calibrated offline so that
            the chosen share of activation blocks lands in FP8; a small hardware unit does this per block.
          </p>
        </Prose>
      </Section>
      <Section title="Step 5: the real thing">
        <p className="text-sm">
          <a className="text-sky-800 underline dark:text-sky-300" href={hash} data-testid="explorer-link">
            Open the explorer with FGMP at {pct(budget, 0)} FP8 weight and activation blocks and Fisher clipping
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
      x={{ scale: xs, ticks: 5, tickFormat: (v) => pct(v, 0), label: 'share of blocks in FP8' }}
      y={{ scale: ys, label: 'Fisher-weighted MSE (log)', labelOffset: 46 }}
      responsive
      width={width}
      height={height}
      className="w-full max-w-lg"
      label="Fisher-weighted error against the FP8 budget for three policies"
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
          label: POLICY_STYLE[c.policy].label,
          colour: POLICY_STYLE[c.policy].colour,
          kind: 'line' as const,
          dash: POLICY_STYLE[c.policy].dash,
        }))}
      />
      <RuleX x={budget} scale={xs} y1={m.t} y2={height - m.b} dash="3 3" />
    </Plot>
  );
}
