// @vitest-environment happy-dom
// SVG snapshots of every chart, explorer views and lessons, rendered by react-dom/server from seeded
// fixtures. A changed chart writes snapshots/<name>.new.svg for review and fails (see svgSnapshot.ts).
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactElement } from 'react';
import * as d3 from 'd3';
import { Axis, ColorLegend, shareColour } from './index';
import { chartSvgs, checkSvgSnapshot, normaliseSvg, roundNumbers } from './svgSnapshot';
import {
  blockCurveFixture,
  FIXTURE_SHAPE,
  hardwareFixture,
  sharesFixture,
  sweepFixture,
  tensorDetailFixture,
} from './fixtures';
import { ClippingView } from '../ClippingView';
import { EnergyView } from '../EnergyView';
import { LayerHeatmap, ShareLegend } from '../LayerHeatmap';
import { TradeoffView } from '../TradeoffView';
import { BlockGrid } from '../BlockGrid';
import { DEFAULT_HW_PARAMS } from '../../core/hw';
import { FormatsLesson } from '../../pages/learn/FormatsLesson';
import { UniformLesson } from '../../pages/learn/UniformLesson';
import { GranularityLesson } from '../../pages/learn/GranularityLesson';
import { OutliersLesson } from '../../pages/learn/OutliersLesson';
import { CalibrationLesson } from '../../pages/learn/CalibrationLesson';
import { TourLesson } from '../../pages/learn/TourLesson';

/** Renders the element and checks each of its chart <svg>s against snapshots/<name>[-i].svg. */
function expectCharts(name: string, element: ReactElement, count: number) {
  const svgs = chartSvgs(renderToStaticMarkup(element));
  expect(svgs.length, `${name}: number of charts`).toBe(count);
  const problems = svgs
    .map((svg, i) => checkSvgSnapshot(count === 1 ? name : `${name}-${i + 1}`, svg))
    .filter((p): p is string => p !== null);
  // Soft: every chart of the test gets its .new.svg, not only the first that changed.
  expect.soft(problems).toEqual([]);
}

describe('snapshot helpers', () => {
  it('round numbers to two places and split elements one per line', () => {
    expect(roundNumbers('M0.123456,-0.001L10.005,3e-7 x="1.5"')).toBe('M0.12,0L10.01,3e-7 x="1.5"');
    expect(normaliseSvg('<svg width="2"><g><path d="M1.999,2"/></g></svg>')).toBe(
      '<svg xmlns="http://www.w3.org/2000/svg" width="2">\n<g>\n<path d="M2,2"/>\n</g>\n</svg>\n',
    );
  });
  it('pick top-level chart svgs, nested ones included in their parent, aria-hidden swatches left out', () => {
    const html = '<div><svg a="1"><svg b="2"></svg></svg><svg aria-hidden="true"></svg><p><svg c="3"></svg></p></div>';
    expect(chartSvgs(html)).toEqual(['<svg a="1"><svg b="2"></svg></svg>', '<svg c="3"></svg>']);
  });
});

describe('chart kit', () => {
  it('axis: ticks from the scale, label, grid', () => {
    const x = d3.scaleLinear().domain([0, 1]).range([20, 220]);
    const y = d3.scaleLog().domain([1e-3, 10]).range([120, 10]);
    const markup = renderToStaticMarkup(
      <svg data-chart width={240} height={160}>
        <Axis scale={x} orient="bottom" transform="translate(0,130)" ticks={5} label="share" grid={120} />
        <Axis scale={y} orient="left" transform="translate(20,0)" tickValues={[1e-3, 1e-2, 0.1, 1, 10]} label="error" />
      </svg>,
    );
    // Bottom axis: six ticks 0, 0.2, …, 1 at x = 20 + 200·t, labelled by the scale's own format.
    const bottom = renderToStaticMarkup(<Axis scale={x} orient="bottom" ticks={5} />);
    expect(bottom.match(/translate\([\d.]+,0\)/g)).toEqual(
      [20, 60, 100, 140, 180, 220].map((v) => `translate(${v},0)`),
    );
    expect(bottom.match(/>([\d.]+)<\/text>/g)).toEqual(
      ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0'].map((t) => `>${t}</text>`),
    );
    // Left axis with given tick values: one tick per decade at the log scale's positions.
    const left = renderToStaticMarkup(<Axis scale={y} orient="left" tickValues={[1e-3, 1, 10]} tickFormat={String} />);
    expect(left.match(/translate\(0,[\d.]+\)/g)).toEqual([y(1e-3), y(1), y(10)].map((v) => `translate(0,${v})`));
    expect(checkSvgSnapshot('kit-axis', markup)).toBeNull();
  });
  it('colour legends: linear share ramp and log ramp', () => {
    expectCharts('kit-share-legend', <ShareLegend label="FP8 share of blocks" />, 1);
    expectCharts(
      'kit-log-legend',
      <ColorLegend scale={d3.scaleSequentialLog(d3.interpolateCividis).domain([1e-4, 1])} title="score" />,
      1,
    );
    expect(shareColour(0)).toBe(d3.interpolateViridis(0));
  });
});

describe('explorer views', () => {
  const detail = tensorDetailFixture();
  it('clipping curves and histogram, whole tensor and one block', () => {
    expectCharts('clipping-tensor', <ClippingView detail={detail} blockCurve={null} block={null} />, 2);
    const grid = detail.curve!.grid;
    expectCharts(
      'clipping-block',
      <ClippingView detail={detail} blockCurve={blockCurveFixture(5, grid)} block={5} />,
      2,
    );
  });
  it('layer heatmap', () => {
    expectCharts(
      'layer-heatmap',
      <LayerHeatmap
        kind="weights"
        nLayers={FIXTURE_SHAPE.layers}
        shares={sharesFixture()}
        selected={{ layer: 1, projection: 'up' }}
        onSelect={() => {}}
      />,
      1,
    );
  });
  it('energy bars', () => {
    expectCharts(
      'energy',
      <EnergyView
        hw={hardwareFixture()}
        params={DEFAULT_HW_PARAMS}
        tokens={512}
        overrides={{}}
        onOverride={() => {}}
        measured={null}
      />,
      1,
    );
  });
  it('trade-off curves', () => {
    expectCharts(
      'tradeoff',
      <TradeoffView
        points={sweepFixture()}
        current={{ policy: 'fgmp', share: 0.3, energyVsFp8: 0.685, ppl: 9.6, stale: false }}
        baselines={{ fp8: 9, nvfp4: 11 }}
      />,
      2,
    );
  });
  it('block grid legend (score colouring)', () => {
    const mask = Uint8Array.from(detail.clipRatio, (_, i) => (i % 3 === 0 ? 1 : 0));
    const scores = Float64Array.from(detail.clipRatio, (_, i) => 10 ** -(i % 5));
    expectCharts(
      'block-grid-score',
      <BlockGrid
        detail={detail}
        mask={mask}
        scores={scores}
        colour="score"
        selectedBlock={2}
        onSelectBlock={() => {}}
      />,
      1,
    );
  });
});

describe('lessons', () => {
  it.each([
    ['lesson-formats', FormatsLesson, 3],
    ['lesson-uniform', UniformLesson, 1],
    ['lesson-granularity', GranularityLesson, 2],
    ['lesson-outliers', OutliersLesson, 4],
    ['lesson-calibration', CalibrationLesson, 4],
    ['lesson-tour', TourLesson, 2],
  ] as const)('%s', (name, Lesson, count) => {
    expectCharts(name, <Lesson />, count);
  });
});
