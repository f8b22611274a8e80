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
import { useTranslation } from 'react-i18next';

// Preset labels: explorer:energyTable.preset.<preset>.
export function PresetSelect({ preset, onPreset }: { preset: HardwarePreset; onPreset: (p: HardwarePreset) => void }) {
  const { t } = useTranslation('explorer');
  return (
    <div className="mb-1 max-w-sm text-xs">
      <Select
        compact
        id="hw-preset"
        testId="hw-preset"
        label={t('energyTable.presetLabel')}
        value={preset}
        options={HARDWARE_PRESETS.map((p) => ({ value: p, label: t(`energyTable.preset.${p}`) }))}
        onChange={onPreset}
      />
    </div>
  );
}

const SI4 = d3.format('.4~s');
const pj = (x: number) => `${SI4(x * 1e-12)}J`;

/** pJ by component: mixed, all-FP8, all-NVFP4, the share of the mixed total, and the run's own figures. */
export function ComponentTable({ hw, measured }: { hw: HardwareReport; measured: Record<string, number> | null }) {
  const { t } = useTranslation('explorer');
  return (
    <div className="max-w-2xl overflow-x-auto">
      <table className="w-full text-xs tabular-nums" data-testid="energy-components">
        <thead>
          <tr className="text-left text-slate-600 dark:text-slate-400">
            <th className="pr-2 font-normal">{t('energyTable.component')}</th>
            <th className="pr-2 text-right font-normal">{t('energyTable.mixed')}</th>
            <th className="pr-2 text-right font-normal">{t('energyTable.share')}</th>
            <th className="pr-2 text-right font-normal">{t('energyTable.allFp8')}</th>
            <th className="pr-2 text-right font-normal">{t('energyTable.allNvfp4')}</th>
            {measured && (
              <th className="text-right font-normal" title={t('energyTable.measuredTitle')}>
                {t('energyTable.measured')}
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
            <td className="pr-2">{t('energyTable.total')}</td>
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
  const { t } = useTranslation('explorer');
  return (
    <details className="w-full text-xs">
      <summary className="cursor-pointer select-none">{t('energyTable.params')}</summary>
      {/* Sources are long: the table scrolls sideways on a phone rather than widening the page. */}
      <div className="overflow-x-auto">
        <table className="mt-1 w-full">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="font-normal">{t('energyTable.parameter')}</th>
              <th className="font-normal">{t('energyTable.value')}</th>
              <th className="font-normal">{t('energyTable.unit')}</th>
              <th className="font-normal">{t('energyTable.source')}</th>
            </tr>
          </thead>
          <tbody>
            {HW_PARAM_KEYS.map((k) => (
              <tr key={k} className="align-top">
                <td className="pr-2 font-mono">{k}</td>
                <td className="pr-2">
                  <input
                    type="number"
                    aria-label={t('energyTable.paramLabel', { key: k })}
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
                      {t('energyTable.fitted')}
                    </b>
                  )}
                  {params[k].assumption ? t('energyTable.assumption') : ''}
                  {/* The sources are citations from the core's parameter table (shared with the CLI): English. */}
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
