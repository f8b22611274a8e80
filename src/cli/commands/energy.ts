// fgmp energy (MODEL | --shape NAME) --budget P --act-budget Q [--preset prefill|decode|on-chip] [--json]:
// the simulated hardware's energy by component (src/core/hw), per layer and in total, against all-FP8 and
// all-NVFP4. With --shape the FP8 blocks are drawn independently at the two shares (counted in expectation);
// with a MODEL the masks are the FGMP policy's after calibration (as `fgmp run` makes them).
import { HARDWARE_PRESETS, type HardwarePreset, type HardwareReport } from '../../core/hw/energy.ts';
import { ENERGY_COMPONENTS } from '../../core/hw/energy.ts';
import { sensitivity, simulateShape, type OperatingPoint } from '../../core/hw/operatingPoint.ts';
import { DEFAULT_HW_PARAMS } from '../../core/hw/params.ts';
import { shapeConfig, SHAPE_NAMES } from '../../core/model/shapes.ts';
import { numberOption, parse, table, UsageError, type Command } from '../args.ts';
import { modelArgument } from '../defaultModel.ts';
import { clipOption, commonOptions, commonUsage, evalPolicyOption, pinsOption, prepareFromArgs } from './run.ts';

const usage =
  `fgmp energy (MODEL | --shape NAME) --budget P --act-budget Q [--preset ${HARDWARE_PRESETS.join('|')}] [--tokens N] [--batch N] [--sensitivity] [--json]   (NAME: ${SHAPE_NAMES.join(', ')})\n` +
  `  with MODEL (calibrated and evaluated as fgmp run; masks are the policy's, activation counts realised on the evaluation tokens): [--policy P] [--clip C] ${commonUsage}`;

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** The JSON shape of the issue: total, vsFp8, vsNvfp4, components {name: {energy, share}}, perLayer. */
export function energyJson(r: HardwareReport, extra: Record<string, unknown> = {}) {
  const components = Object.fromEntries(
    ENERGY_COMPONENTS.map((k) => [k, { energy: r.total[k], share: r.total[k] / r.total.total }]),
  );
  const baseline = (e: HardwareReport['total']) => ({
    total: e.total,
    components: Object.fromEntries(ENERGY_COMPONENTS.map((k) => [k, e[k]])),
  });
  return {
    ...extra,
    unit: 'pJ',
    total: r.total.total,
    vsFp8: r.vsFp8,
    vsNvfp4: r.vsNvfp4,
    components,
    allFp8: baseline(r.allFp8),
    allNvfp4: baseline(r.allNvfp4),
    weightBitsPerWeight: r.weightBits.bitsPerWeight,
    weightMemoryVsFp8: r.weightBits.mixed / r.weightBits.allFp8,
    perLayer: r.perLayer.map((l) => ({
      layer: l.layer,
      total: l.energy.total,
      vsFp8: l.energy.total / l.allFp8.total,
      vsNvfp4: l.energy.total / l.allNvfp4.total,
      components: Object.fromEntries(ENERGY_COMPONENTS.map((k) => [k, l.energy[k]])),
    })),
  };
}

export function energyTables(r: HardwareReport): string {
  const rows = ENERGY_COMPONENTS.map((k) => [
    k,
    r.total[k].toExponential(4),
    pct(r.total[k] / r.total.total),
    r.allFp8[k].toExponential(4),
    r.allNvfp4[k].toExponential(4),
  ]);
  rows.push([
    'total',
    r.total.total.toExponential(4),
    '100.00 %',
    r.allFp8.total.toExponential(4),
    r.allNvfp4.total.toExponential(4),
  ]);
  const layers = r.perLayer.map((l) => [
    l.layer,
    l.energy.total.toExponential(4),
    pct(l.energy.total / l.allFp8.total),
    pct(l.energy.total / l.allNvfp4.total),
  ]);
  return (
    table(['component', 'energy (pJ)', 'share', 'all-FP8 (pJ)', 'all-NVFP4 (pJ)'], rows) +
    `\nvs all-FP8 ${pct(r.vsFp8)} (${pct(r.vsFp8 - 1)}), vs all-NVFP4 ${pct(r.vsNvfp4)}; weight memory ${r.weightBits.bitsPerWeight.toFixed(3)} bits/weight, ${pct(r.weightBits.mixed / r.weightBits.allFp8)} of all-FP8\n\n` +
    table(['layer', 'energy (pJ)', 'vs all-FP8', 'vs all-NVFP4'], layers)
  );
}

function sensitivityTable(rows: ReturnType<typeof sensitivity>): string {
  return table(
    ['parameter', 'value', 'unit', '×0.5 → vs all-FP8', '×2 → vs all-FP8', 'source'],
    rows.map((s) => {
      const p = DEFAULT_HW_PARAMS[s.key];
      return [
        s.key,
        p.value.toPrecision(4),
        p.unit,
        pct(s.half),
        pct(s.double),
        p.fitted ? 'fitted to the FGMP headline' : p.assumption ? 'derived (see source)' : 'published',
      ];
    }),
  );
}

function preset(value: string | undefined): HardwarePreset {
  const p = (value ?? 'prefill') as HardwarePreset;
  if (!HARDWARE_PRESETS.includes(p))
    throw new UsageError(`--preset must be one of ${HARDWARE_PRESETS.join(', ')}, got "${value}"`);
  return p;
}

function share(value: string | undefined, name: string): number {
  const x = numberOption(value, name);
  if (!(x >= 0 && x <= 1)) throw new UsageError(`--${name} is out of range (0–1), got ${value}`);
  return x;
}

const command: Command = {
  name: 'energy',
  summary:
    'simulated energy by component (multiply, accumulate, block scales, operands, memory) vs all-FP8 and all-NVFP4',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(
      argv,
      {
        shape: { type: 'string' },
        budget: { type: 'string' },
        preset: { type: 'string' },
        tokens: { type: 'string' },
        batch: { type: 'string' },
        sensitivity: { type: 'boolean' },
        ...commonOptions,
        policy: { type: 'string' },
        clip: { type: 'string' },
      },
      usage,
    );
    const budget = share(values.budget, 'budget');
    const actBudget = share(values['act-budget'], 'act-budget');
    const options = {
      preset: preset(values.preset),
      batchTokens: values.batch === undefined ? undefined : numberOption(values.batch, 'batch'),
    };
    if (values.shape !== undefined && positionals.length > 0)
      throw new UsageError(`give MODEL or --shape, not both\nusage: ${usage}`);
    let report: HardwareReport;
    let about: Record<string, unknown>;
    if (values.shape !== undefined) {
      let config;
      try {
        config = shapeConfig(values.shape);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const tokens = numberOption(values.tokens, 'tokens', 4096);
      if (!(Number.isInteger(tokens) && tokens >= 1))
        throw new UsageError(`--tokens must be a positive integer, got ${values.tokens}`);
      const point: OperatingPoint = { weightFp8Share: budget, activationFp8Share: actBudget, tokens };
      report = simulateShape(config, point, DEFAULT_HW_PARAMS, options);
      about = {
        shape: values.shape,
        masks: 'independent, in expectation',
        budget,
        actBudget,
        tokens,
        preset: options.preset,
      };
      if (values.sensitivity) about.sensitivity = sensitivity(config, point, DEFAULT_HW_PARAMS, options);
    } else {
      if (values.sensitivity)
        throw new UsageError('--sensitivity needs --shape (it varies the parameters on a model shape)');
      if (values.tokens !== undefined)
        throw new UsageError('--tokens applies to --shape; with a MODEL use --eval-tokens');
      const policy = evalPolicyOption(values.policy ?? 'fgmp');
      const clip = clipOption(values.clip ?? 'fisher');
      const pins = pinsOption(values.pin);
      const p = await prepareFromArgs(modelArgument(positionals, usage), values, io);
      try {
        const config = { policy, budget, actBudget, clip, fp8Scaling: p.fp8Scaling, actTau: p.actTau, pins };
        report = await p.session.hardwareReport(config, options);
        about = {
          model: p.modelName,
          policy,
          clip,
          tokens: p.session.evalTokens,
          masks: 'policy weight masks, realised activation counts',
        };
      } finally {
        await p.session.dispose();
      }
    }
    if (values.json) {
      io.stdout(JSON.stringify(energyJson(report, about), null, 2) + '\n');
      return 0;
    }
    io.stdout(
      `${Object.entries(about)
        .filter(([k]) => k !== 'sensitivity')
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n\n`,
    );
    io.stdout(energyTables(report));
    if (about.sensitivity)
      io.stdout(
        '\nsensitivity (each parameter halved / doubled, the rest unchanged):\n' +
          sensitivityTable(about.sensitivity as ReturnType<typeof sensitivity>),
      );
    return 0;
  },
};

export default command;
