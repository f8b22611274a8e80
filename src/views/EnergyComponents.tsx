// Energy by component (src/core/hw ENERGY_COMPONENTS, docs/energy.md) for the configuration and the all-FP8 /
// all-NVFP4 references, the same breakdown `fgmp energy` and `fgmp run --json` (energy.components) print,
// and the preset that says where weights come from (prefill, decode, on-chip).
import * as d3 from 'd3';
import {
  ENERGY_COMPONENTS,
  HARDWARE_PRESETS,
  HW_PARAM_KEYS,
  type HardwarePreset,
  type HardwareReport,
  type HwParamKey,
  type HwParams,
} from '../core/hw/index';
import { Select } from './inputs';

const PRESET_LABEL: Record<HardwarePreset, string> = {
  prefill: 'prefill (weights from DRAM once per batch)',
  decode: 'decode (weights from DRAM every token)',
  'on-chip': 'on-chip (weights resident, no DRAM)',
};

export function PresetSelect({ preset, onPreset }: { preset: HardwarePreset; onPreset: (p: HardwarePreset) => void }) {
  return (
    <div className="mb-1 max-w-sm text-xs">
      <Select
        compact
        id="hw-preset"
        testId="hw-preset"
        label="Energy preset"
        value={preset}
        options={HARDWARE_PRESETS.map((p) => ({ value: p, label: PRESET_LABEL[p] }))}
        onChange={onPreset}
      />
    </div>
  );
}

const pj = (x: number) => `${d3.format('.4~s')(x * 1e-12)}J`;

/** pJ by component: mixed, all-FP8, all-NVFP4, the share of the mixed total, and the run's own figures. */
export function ComponentTable({ hw, measured }: { hw: HardwareReport; measured: Record<string, number> | null }) {
  return (
    <div className="max-w-2xl overflow-x-auto">
      <table className="w-full text-xs tabular-nums" data-testid="energy-components">
        <thead>
          <tr className="text-left text-slate-600 dark:text-slate-400">
            <th className="pr-2 font-normal">component</th>
            <th className="pr-2 text-right font-normal">mixed</th>
            <th className="pr-2 text-right font-normal">share</th>
            <th className="pr-2 text-right font-normal">all-FP8</th>
            <th className="pr-2 text-right font-normal">all-NVFP4</th>
            {measured && (
              <th
                className="text-right font-normal"
                title="fgmp run's energy.components: the evaluation tokens, realised activation masks, default parameters"
              >
                fgmp run (evaluation tokens)
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {ENERGY_COMPONENTS.map((k) => (
            <tr key={k} data-testid={`energy-component-${k}`} data-pj={hw.total[k]}>
              <td className="pr-2 font-mono">{k}</td>
              <td className="pr-2 text-right">{pj(hw.total[k])}</td>
              <td className="pr-2 text-right">{((100 * hw.total[k]) / hw.total.total).toFixed(1)}%</td>
              <td className="pr-2 text-right">{pj(hw.allFp8[k])}</td>
              <td className="pr-2 text-right">{pj(hw.allNvfp4[k])}</td>
              {measured && <td className="text-right">{measured[k] === undefined ? '—' : pj(measured[k])}</td>}
            </tr>
          ))}
          <tr className="font-semibold">
            <td className="pr-2">total</td>
            <td className="pr-2 text-right">{pj(hw.total.total)}</td>
            <td className="pr-2 text-right">100%</td>
            <td className="pr-2 text-right">{pj(hw.allFp8.total)}</td>
            <td className="pr-2 text-right">{pj(hw.allNvfp4.total)}</td>
            {measured && (
              <td className="text-right">{pj(ENERGY_COMPONENTS.reduce((s, k) => s + (measured[k] ?? 0), 0))}</td>
            )}
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** The editable parameter table with units and sources; the one number fitted to the FGMP headline is marked. */
export function HwParamTable({
  params,
  overrides,
  onOverride,
}: {
  params: HwParams;
  overrides: Partial<Record<HwParamKey, number>>;
  onOverride: (k: HwParamKey, v: number | undefined) => void;
}) {
  return (
    <details className="w-full text-xs">
      <summary className="cursor-pointer select-none">Hardware parameters (editable, with sources)</summary>
      {/* Sources are long: the table scrolls sideways on a phone rather than widening the page. */}
      <div className="overflow-x-auto">
        <table className="mt-1 w-full">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="font-normal">parameter</th>
              <th className="font-normal">value</th>
              <th className="font-normal">unit</th>
              <th className="font-normal">source</th>
            </tr>
          </thead>
          <tbody>
            {HW_PARAM_KEYS.map((k) => (
              <tr key={k} className="align-top">
                <td className="pr-2 font-mono">{k}</td>
                <td className="pr-2">
                  <input
                    type="number"
                    aria-label={`Hardware parameter ${k}`}
                    className="w-24 rounded border border-slate-300 bg-transparent px-1 dark:border-slate-600"
                    step="any"
                    min={0}
                    value={overrides[k] ?? params[k].value}
                    onChange={(e) => {
                      const v = Number(e.target.value);
                      onOverride(k, e.target.value === '' || !(v >= 0) ? undefined : v);
                    }}
                  />
                </td>
                <td className="pr-2">{params[k].unit}</td>
                <td className="text-slate-600 dark:text-slate-400">
                  {params[k].fitted && (
                    <b className="mr-1" data-testid={`fitted-${k}`}>
                      fitted to the FGMP headline
                    </b>
                  )}
                  {params[k].assumption ? '(assumption) ' : ''}
                  {params[k].source}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
