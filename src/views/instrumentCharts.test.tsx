// @vitest-environment happy-dom
// SVG snapshots of the instruments' charts (issue 14), in the kit's pattern (charts.test.tsx): the weight
// heatmap with pin marks, the A/B difference heatmap and its legend, and the trade-off chart on the KL and
// top-1 axes. A changed chart writes snapshots/<name>.new.svg for review and fails.
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactElement } from 'react';
import { chartSvgs, checkSvgSnapshot } from './charts/svgSnapshot';
import { FIXTURE_SHAPE, hardwareFixture, sharesFixture, sweepFixture } from './charts/fixtures';
import { LayerHeatmap } from './LayerHeatmap';
import { DiffHeatmap, DiffLegend, diffColour } from './AbView';
import { ComponentTable } from './EnergyComponents';
import { TradeoffView } from './TradeoffView';
import { PROJECTIONS } from '../core/model/types';
import { ENERGY_COMPONENTS } from '../core/hw';
import type { AbDifference } from '../store/instrumentsDerive';

function expectCharts(name: string, element: ReactElement, count: number) {
  const svgs = chartSvgs(renderToStaticMarkup(element));
  expect(svgs.length, `${name}: number of charts`).toBe(count);
  const problems = svgs
    .map((svg, i) => checkSvgSnapshot(count === 1 ? name : `${name}-${i + 1}`, svg))
    .filter((p): p is string => p !== null);
  expect.soft(problems).toEqual([]);
}

/** A seeded difference: tensor (l, p) has (l + index(p)) % 5 blocks FP8 in A only and l % 3 in B only, of 8. */
function differenceFixture(): AbDifference {
  const perTensor = new Map<string, { aOnly: number; bOnly: number; blocks: number }>();
  let aOnly = 0;
  let bOnly = 0;
  for (let l = 0; l < FIXTURE_SHAPE.layers; l++)
    PROJECTIONS.forEach((p, j) => {
      const a = (l + j) % 5;
      const b = l % 3;
      perTensor.set(`L${l}.${p}`, { aOnly: a, bOnly: b, blocks: 8 });
      aOnly += a;
      bOnly += b;
    });
  return { perTensor, aOnly, bOnly, both: 0, totalBlocks: 8 * 7 * FIXTURE_SHAPE.layers };
}

describe('instrument charts', () => {
  it('weight heatmap with pins marked P8 / P4', () => {
    const markup = renderToStaticMarkup(
      <LayerHeatmap
        kind="weights"
        nLayers={FIXTURE_SHAPE.layers}
        shares={sharesFixture()}
        selected={{ layer: 0, projection: 'q' }}
        pinned={
          new Map([
            ['L0.q', 'fp8'],
            ['L2.down', 'nvfp4'],
          ])
        }
        onSelect={() => {}}
      />,
    );
    expect(markup).toContain('data-pin="0-q" data-precision="fp8"');
    expect(markup).toContain('data-pin="2-down" data-precision="nvfp4"');
    expect(markup).toContain('pinned FP8');
    expect(checkSvgSnapshot('heatmap-pinned', chartSvgs(markup)[0])).toBeNull();
  });

  it('difference heatmap: each cell coloured by (A only − B only) / blocks, counts in its data', () => {
    const d = differenceFixture();
    const markup = renderToStaticMarkup(<DiffHeatmap nLayers={FIXTURE_SHAPE.layers} difference={d} />);
    // L1.k: A only (1 + 1) % 5 = 2, B only 1 of 8: colour at +1/8.
    expect(markup).toMatch(/data-cell="1-k" data-a-only="2" data-b-only="1"/);
    expect(markup).toContain(`fill="${diffColour(1 / 8)}"`);
    expect(diffColour(0)).toBe('rgb(244, 244, 244)');
    expectCharts('ab-difference', <DiffHeatmap nLayers={FIXTURE_SHAPE.layers} difference={d} />, 1);
    expectCharts('ab-difference-legend', <DiffLegend />, 1);
  });

  it('trade-off on the KL and top-1 axes', () => {
    // KL grows as the FP8 share falls (a fixture law, not a measurement): KL = (1 − share) / 10, top-1 = 1 − KL.
    const points = sweepFixture().map((p) => {
      const kl = (1 - p.weightBudget) / 10;
      return { ...p, kl: { kl, klMedian: kl / 2, klP99: kl * 4, top1: 1 - kl, dpMean: 0, dpRms: 0, positions: 100 } };
    });
    const current = { policy: 'fgmp' as const, share: 0.3, energyVsFp8: 0.7, stale: false };
    expectCharts(
      'tradeoff-kl',
      <TradeoffView
        points={points}
        current={{ ...current, ppl: 0.07 }}
        baselines={{ fp8: 0, nvfp4: 0.1 }}
        metric="kl"
      />,
      2,
    );
    expectCharts(
      'tradeoff-top1',
      <TradeoffView points={points} current={{ ...current, ppl: 0.93 }} baselines={{ fp8: 1 }} metric="top1" />,
      2,
    );
  });

  it('energy by component: every component, its share and the references', () => {
    const hw = hardwareFixture();
    const markup = renderToStaticMarkup(<ComponentTable hw={hw} measured={null} />);
    for (const k of ENERGY_COMPONENTS)
      expect(markup).toContain(`data-testid="energy-component-${k}" data-pj="${hw.total[k]}"`);
    // The components add up to the total.
    expect(ENERGY_COMPONENTS.reduce((s, k) => s + hw.total[k], 0)).toBeCloseTo(hw.total.total, 6);
  });
});
