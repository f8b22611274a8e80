// The one palette of the explorer and the lessons. Categorical colours are Okabe–Ito (distinguishable under
// the common colour-vision deficiencies) and read on both the light (white) and dark (slate-900) themes;
// text, axes and neutral marks use `currentColor`, so they follow the theme. Sequential data use viridis
// (shares, scores) and cividis (magnitudes, block scores), both perceptually uniform and theme-neutral.
import * as d3 from 'd3';
import type { PolicyKind } from '../../core/fgmp';
import { catalogTemplate } from '../catalogTemplate';

export const OKABE_ITO = {
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  green: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  grey: '#999999',
} as const;

/** What each colour means, wherever it appears. */
export const PALETTE = {
  /** Text, axes, neutral marks: the theme's text colour. */
  ink: 'currentColor',
  /** Secondary references (the all-NVFP4 tick and line): a mid grey readable on both themes. */
  reference: '#888888',
  fp8: OKABE_ITO.orange,
  nvfp4: OKABE_ITO.blue,
  /** Plain MSE and Fisher-weighted MSE curves. */
  mse: OKABE_ITO.blue,
  fisher: OKABE_ITO.vermillion,
  /** Quantization levels drawn over data. */
  level: OKABE_ITO.green,
  /** Keyboard focus and highlights. */
  focus: OKABE_ITO.orange,
  /** Outlines drawn twice (dark then light) so they show on every cell colour. */
  outlineDark: '#000000',
  outlineLight: '#ffffff',
} as const;

/** Block-selection policies: one colour, dash and symbol each, in every chart and legend. */
/** The label is read from the catalog (common:chart.policy.<policy>) in the current language, without an
 * i18next lookup per read (legends and marks read it on every slider move). */
const policyLabel = catalogTemplate('common', 'chart.policy');
const policyStyle = (policy: PolicyKind, colour: string, dash: string, shape: d3.SymbolType) => ({
  colour,
  dash,
  shape,
  get label(): string {
    return policyLabel(policy);
  },
});
export const POLICY_STYLE: Record<PolicyKind, { colour: string; label: string; dash: string; shape: d3.SymbolType }> = {
  fgmp: policyStyle('fgmp', OKABE_ITO.vermillion, '', d3.symbolCircle),
  uniform: policyStyle('uniform', OKABE_ITO.purple, '6 3', d3.symbolSquare),
  unweighted: policyStyle('unweighted', OKABE_ITO.blue, '2 2', d3.symbolTriangle),
  error: policyStyle('error', OKABE_ITO.skyBlue, '4 2', d3.symbolStar),
  magnitude: policyStyle('magnitude', OKABE_ITO.green, '8 2 2 2', d3.symbolDiamond),
  random: policyStyle('random', '#777777', '1 3', d3.symbolCross),
};

/** Energy components of the simulated hardware, stacked in this order. */
export const ENERGY_COLOURS = {
  w8a8: OKABE_ITO.vermillion,
  w8a4: OKABE_ITO.orange,
  w4a8: OKABE_ITO.yellow,
  w4a4: OKABE_ITO.skyBlue,
  unit: OKABE_ITO.purple,
  wmem: OKABE_ITO.green,
  amem: OKABE_ITO.blue,
} as const;

/** Sequential schemes: viridis for shares, ratios and errors; cividis for magnitudes and block scores. */
export const SEQUENTIAL = {
  viridis: d3.interpolateViridis,
  cividis: d3.interpolateCividis,
} as const;

/** 0..1 share → colour (the FP8-share heatmaps and their legend). */
export const shareColour = d3.scaleSequential(SEQUENTIAL.viridis).domain([0, 1]);
