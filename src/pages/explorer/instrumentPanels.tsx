// The instruments' panel parts (issue 14): the heatmap's pin mode and pin marks, and the A/B comparison
// panel (configuration B's controls, both weight heatmaps, the difference heatmap, both figures).
import { memo, useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { EvaluateResult } from '../../core/pipeline/results';
import { select } from '../../store/actions';
import { tensorKey } from '../../store/derive';
import { useExplorer } from '../../store/explorerStore';
import { perplexityKey } from '../../store/keys';
import {
  cyclePinAt,
  setPinMode,
  setTradeoffY,
  startAb,
  stopAb,
  updateAb,
  useInstruments,
  type TradeoffY,
} from '../../store/instruments';
import { AbControls, AbTable, DiffHeatmap, DiffLegend } from '../../views/AbView';
import { useAbDerived } from '../../views/instrumentHooks';
import { LayerHeatmap, ShareLegend } from '../../views/LayerHeatmap';
import { Toggle } from '../../views/inputs';
import { ErrorBox, Panel } from '../../views/ui';
import type { Derivation, ShownPerplexity } from './hooks';

/** Pinned tensors by tensorKey, from the configuration's answer. */
export function usePinned(d: Pick<Derivation, 'ranking' | 'instrument'>): Map<string, 'fp8' | 'nvfp4'> {
  return useMemo(() => {
    const m = new Map<string, 'fp8' | 'nvfp4'>();
    d.instrument?.pins.forEach((p, i) => {
      const t = d.ranking?.tensors[i];
      if (p && t) m.set(tensorKey(t.layer, t.proj), p);
    });
    return m;
  }, [d.ranking, d.instrument]);
}

/** A heatmap click in pin mode cycles the tensor's pin; otherwise it selects the tensor. */
export function useCellAction(): (layer: number, proj: Parameters<typeof select>[1]) => void {
  const pinMode = useInstruments((s) => s.pinMode);
  // Stable while the mode is: the memoised heatmap skips slider moves that leave its shares alone.
  return useCallback((l, p) => (pinMode ? cyclePinAt(l, p) : select(l, p)), [pinMode]);
}

export function PinModeToggle() {
  const { t } = useTranslation('explorer');
  const pinMode = useInstruments((s) => s.pinMode);
  return <Toggle label={t('ab.pinMode')} checked={pinMode} onChange={setPinMode} testId="pin-mode" />;
}

const configResult = (cache: ReturnType<typeof useExplorer.getState>['perplexity']['cache'], key: string) =>
  cache[key]?.kind === 'configuration' ? (cache[key].result as EvaluateResult) : undefined;

/** The A/B panel: while no comparison runs, a memoised intro that slider moves skip. */
export function AbPanel({ d }: { d: Derivation }) {
  const on = useExplorer((s) => Boolean(s.settings.ab));
  return on ? <AbComparison d={d} /> : <AbIntro ready={d.derived !== null} />;
}

const AbIntro = memo(function AbIntro({ ready }: { ready: boolean }) {
  const { t } = useTranslation('explorer');
  return (
    <Panel
      id="ab"
      title={t('ab.title')}
      exportName="fgmp-ab"
      className="2xl:col-span-2"
      explain={t('ab.explain')}
      actions={
        <button type="button" className="btn-ghost" data-testid="ab-start" onClick={startAb} disabled={!ready}>
          {t('ab.start')}
        </button>
      }
    >
      <p className="text-xs text-slate-600 dark:text-slate-400">{t('ab.intro')}</p>
    </Panel>
  );
});

function AbComparison({ d }: { d: Derivation }) {
  const { t } = useTranslation('explorer');
  const settings = useExplorer((s) => s.settings);
  const cache = useExplorer((s) => s.perplexity.cache);
  const sel = settings.selection;
  const { b, bDerived, difference, abRanking } = useAbDerived(d, d.activationShares, d.tokens, d.params);
  const pinnedA = usePinned(d);
  const pinnedB = usePinned({ ranking: abRanking.ranking, instrument: bDerived?.instrument ?? null });
  const ab = settings.ab;
  return (
    <Panel
      id="ab"
      title={t('ab.title')}
      exportName="fgmp-ab"
      className="2xl:col-span-2"
      explain={t('ab.explain')}
      actions={
        ab ? (
          <button type="button" className="btn-ghost" onClick={stopAb}>
            {t('ab.stop')}
          </button>
        ) : (
          <button type="button" className="btn-ghost" data-testid="ab-start" onClick={startAb} disabled={!d.derived}>
            {t('ab.start')}
          </button>
        )
      }
    >
      {!ab ? (
        <p className="text-xs text-slate-600 dark:text-slate-400">{t('ab.intro')}</p>
      ) : (
        <div className="flex flex-col gap-3">
          <AbControls ab={ab} onChange={updateAb} />
          {abRanking.error && <ErrorBox>{abRanking.error}</ErrorBox>}
          {bDerived?.instrument.error && <ErrorBox>{t('ab.bError', { error: bDerived.instrument.error })}</ErrorBox>}
          {d.derived && bDerived && difference ? (
            <>
              <div className="flex flex-wrap gap-6">
                {(
                  [
                    ['A', d.derived, pinnedA],
                    ['B', bDerived, pinnedB],
                  ] as const
                ).map(([name, x, pinned]) => (
                  <div key={name} data-testid={`ab-heatmap-${name}`}>
                    <h3 className="text-xs font-medium">{t('ab.weights', { name })}</h3>
                    <LayerHeatmap
                      kind="weights"
                      nLayers={d.nLayers}
                      shares={x.weightShare}
                      blocks={d.blocksPerTensor}
                      selected={sel}
                      pinned={pinned}
                      onSelect={(l, p) => select(l, p)}
                    />
                  </div>
                ))}
                <div>
                  <h3 className="text-xs font-medium">{t('ab.difference')}</h3>
                  <DiffHeatmap nLayers={d.nLayers} difference={difference} />
                </div>
              </div>
              <div className="flex flex-wrap items-start gap-6">
                <ShareLegend label={t('heatmap.legend')} />
                <DiffLegend />
              </div>
              <AbTable
                a={{ derived: d.derived, ppl: configResult(cache, perplexityKey(settings)) }}
                b={{ derived: bDerived, ppl: b ? configResult(cache, perplexityKey(b)) : undefined }}
                difference={difference}
              />
            </>
          ) : (
            <p className="text-xs text-slate-600 dark:text-slate-400">
              {abRanking.running ? t('ab.ranking') : t('ab.waiting')}
            </p>
          )}
        </div>
      )}
    </Panel>
  );
}

/** The trade-off chart's y axis and the current configuration's and baselines' values on it. */
export function useMetric(ppl: ShownPerplexity) {
  const id = useInstruments((s) => s.tradeoffY);
  const of = (r: EvaluateResult | undefined): number | undefined =>
    !r ? undefined : id === 'ppl' ? r.ppl : id === 'kl' ? r.kl?.kl : r.kl?.top1;
  const current = id === 'ppl' ? ppl.shownPpl : (of(ppl.current ?? ppl.lastShown) ?? null);
  return { id, current, baselines: { fp8: of(ppl.fp8Base), nvfp4: of(ppl.nvfp4Base) } };
}

export function TradeoffMetricSelect() {
  const { t } = useTranslation('explorer');
  const id = useInstruments((s) => s.tradeoffY);
  return (
    <label className="flex items-center gap-1">
      {t('tradeoff.yAxis')}
      <select
        className="input !w-auto"
        data-testid="tradeoff-y"
        value={id}
        onChange={(e) => setTradeoffY(e.target.value as TradeoffY)}
      >
        <option value="ppl">{t('tradeoff.metric.ppl')}</option>
        <option value="kl">{t('tradeoff.metric.kl')}</option>
        <option value="top1">{t('tradeoff.metric.top1')}</option>
      </select>
    </label>
  );
}
