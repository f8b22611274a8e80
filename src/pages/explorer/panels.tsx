// The explorer's view panels (heatmaps, block grid, clipping, energy and memory; trade-off: TradeoffPanel.tsx): each reads
// the store and the page's derivation and hands plain props to a view in src/views.
import { memo, useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { PROJECTIONS, type Projection } from '../../core/model/types';
import { select, setBlockColour, setHwOverride } from '../../store/actions';
import { useExplorer } from '../../store/explorerStore';
import type { ViewId } from '../../core/url/shareState';
import { BlockGrid } from '../../views/BlockGrid';
import { ClippingView } from '../../views/ClippingView';
import { EnergyView } from '../../views/EnergyView';
import { LayerHeatmap, ShareLegend } from '../../views/LayerHeatmap';
import { ErrorBox, Panel } from '../../views/ui';
import { FromProfile as FromProfileNote } from '../../views/ProfilePanel';

// Memoised: its source and text stay while a slider moves.
export const FromProfile = memo(FromProfileNote);
import type { Derivation, ShownPerplexity } from './hooks';
import { setHwPreset, useInstruments } from '../../store/instruments';
import { PinModeToggle, useCellAction, usePinned } from './instrumentPanels';

/** Each view's title, as a catalog key (explorer namespace). */
export const VIEW_TITLES: Record<ViewId, string> = {
  heatmap: 'views.heatmap',
  blocks: 'views.blocks',
  clipping: 'views.clipping',
  energy: 'views.energy',
  tradeoff: 'views.tradeoff',
};

/** What the view waits for, said as it is (no "waiting for a model" while one is shown as loaded). */
export function Placeholder({ what }: { what?: string }) {
  const { t } = useTranslation('explorer');
  const key = useExplorer((s) =>
    s.profile.status === 'loading'
      ? 'openingProfile'
      : s.model.status === 'running'
        ? 'loadingModel'
        : s.calibration.status === 'running'
          ? 'calibrating'
          : s.calibration.status === 'error'
            ? 'calibrationFailed'
            : s.quant.status === 'running'
              ? 'quantizing'
              : s.quant.status === 'error'
                ? 'quantizationFailed'
                : s.model.summary || s.profile.profile
                  ? null
                  : 'openModel',
  );
  const text = key ? t(`placeholder.${key}`) : (what ?? t('placeholder.computing'));
  return <div className="flex h-24 items-center justify-center text-xs text-slate-500">{text}</div>;
}

/** The selected tensor's detail, when it belongs to the selection (from the profile while its answers show). */
function useDetail(source: Derivation['source']) {
  const sel = useExplorer((s) => s.settings.selection);
  const live = useExplorer((s) => s.detail);
  const fromProfile = useExplorer((s) => s.profile.detail);
  const detail = source && fromProfile ? { ...live, data: fromProfile.data, blockCurve: null } : live;
  const data =
    detail.data && detail.data.layer === sel.layer && detail.data.proj === sel.projection ? detail.data : null;
  return { sel, detail, data, profileScores: source ? (fromProfile?.scores ?? null) : null };
}

// The panels are memoised on the parts of the derivation they draw (useDerived keeps those while their
// content is): a slider move re-renders only the panels it changes (an activation move leaves the block
// grid, A/B and clipping panels alone), and the parts that never change with a budget (actions, legends)
// are kept elements, so React skips them.

/** What the heatmap panel draws: both shares (kept while equal), the pins, and whether there is an answer. */
type HeatmapInputs = Pick<
  Derivation,
  'source' | 'nLayers' | 'weightShare' | 'activationShare' | 'blocksPerTensor' | 'ranking' | 'instrument'
> & { calibrated: boolean | null };

export const HeatmapPanel = memo(function HeatmapPanel(d: HeatmapInputs) {
  const { t } = useTranslation('explorer');
  const sel = useExplorer((s) => s.settings.selection);
  // Live activation shares measured on the model's own samples (data-free calibration) say so.
  const samplesSeed = useExplorer((s) =>
    d.source === null && s.calibration.summary?.data.kind === 'samples'
      ? (s.calibration.summary.data.seed ?? null)
      : null,
  );
  const pinned = usePinned(d);
  const onWeightCell = useCellAction();
  const actions = useMemo(() => <PinModeToggle />, []);
  const legend = useMemo(() => <ShareLegend label={t('heatmap.legend')} />, [t]);
  return (
    <Panel
      id="heatmap"
      title={t(VIEW_TITLES.heatmap)}
      exportName="fgmp-heatmaps"
      actions={actions}
      explain={t('heatmap.explain')}
    >
      <FromProfile source={d.source} what={t('heatmap.fromProfile')} />
      {d.calibrated !== null && d.weightShare && d.activationShare ? (
        <div className="flex flex-wrap gap-6" data-testid="heatmaps">
          <div>
            <h3 className="text-xs font-medium">{t('heatmap.weights')}</h3>
            <LayerHeatmap
              kind="weights"
              nLayers={d.nLayers}
              shares={d.weightShare}
              blocks={d.blocksPerTensor}
              selected={sel}
              pinned={pinned}
              onSelect={onWeightCell}
            />
          </div>
          <div>
            <h3 className="text-xs font-medium">
              {!d.calibrated
                ? t('heatmap.activationsBudget')
                : samplesSeed !== null
                  ? t('heatmap.activationsSamples', { seed: samplesSeed })
                  : t('heatmap.activationsCalibrated')}
            </h3>
            <LayerHeatmap
              kind="activations"
              nLayers={d.nLayers}
              shares={d.activationShare}
              selected={sel}
              onSelect={select}
            />
          </div>
          {legend}
        </div>
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
});

/** The heatmap panel's inputs from the derivation (spread into <HeatmapPanel>). */
export const heatmapInputs = (d: Derivation): HeatmapInputs => ({
  source: d.source,
  nLayers: d.nLayers,
  weightShare: d.weightShare,
  activationShare: d.activationShare,
  blocksPerTensor: d.blocksPerTensor,
  ranking: d.ranking,
  instrument: d.instrument,
  calibrated: d.derived ? d.derived.activationCalibrated : null,
});

export const BlocksPanel = memo(function BlocksPanel(
  d: Pick<Derivation, 'source' | 'nLayers' | 'selScores' | 'selMask'>,
) {
  const { t } = useTranslation('explorer');
  const blockColour = useExplorer((s) => s.blockColour);
  const { sel, detail, data, profileScores } = useDetail(d.source);
  const tensors = Array.from({ length: d.nLayers }, (_, l) => PROJECTIONS.map((p) => ({ layer: l, proj: p }))).flat();
  const scores = d.selScores ?? profileScores;
  const selected = tensors.findIndex((t) => t.layer === sel.layer && t.proj === sel.projection);
  const onSelectBlock = useCallback(
    (b: number | null) => select(sel.layer, sel.projection, b),
    [sel.layer, sel.projection],
  );
  return (
    <Panel
      id="blocks"
      title={`${t(VIEW_TITLES.blocks)}${d.nLayers ? t('blocks.titleLayer', { layer: sel.layer, proj: sel.projection }) : ''}`}
      exportName="fgmp-block-grid"
      explain={t('blocks.explain')}
      actions={
        <>
          <label className="flex items-center gap-1">
            {t('blocks.colour')}
            <select
              className="input !w-auto"
              value={blockColour}
              onChange={(e) => setBlockColour(e.target.value as 'precision' | 'score')}
            >
              <option value="precision">{t('blocks.precision')}</option>
              <option value="score">{t('blocks.score')}</option>
            </select>
          </label>
          <label className="flex items-center gap-1">
            {t('blocks.tensor')}
            <select
              className="input !w-auto"
              aria-label={t('blocks.tensor')}
              value={selected < 0 ? '' : String(selected)}
              onChange={(e) => {
                const t: { layer: number; proj: Projection } = tensors[Number(e.target.value)];
                select(t.layer, t.proj);
              }}
            >
              {tensors.map((t, i) => (
                <option key={i} value={String(i)}>
                  {`L${t.layer} ${t.proj}`}
                </option>
              ))}
            </select>
          </label>
        </>
      }
    >
      <FromProfile source={d.source} what={t('blocks.fromProfile')} />
      {data && d.selMask && scores ? (
        <BlockGrid
          key={`${data.layer}/${data.proj}`}
          detail={data}
          mask={d.selMask}
          scores={scores}
          colour={blockColour}
          selectedBlock={sel.block}
          onSelectBlock={onSelectBlock}
        />
      ) : detail.error ? (
        <ErrorBox>{detail.error}</ErrorBox>
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
});

export const ClippingPanel = memo(function ClippingPanel({ source }: { source: Derivation['source'] }) {
  const { t } = useTranslation('explorer');
  const { sel, detail, data } = useDetail(source);
  return (
    <Panel
      id="clipping"
      title={`${t(VIEW_TITLES.clipping)} · ${sel.block === null ? t('clipping.wholeTensor', { layer: sel.layer, proj: sel.projection }) : t('clipping.block', { block: sel.block })}`}
      exportName="fgmp-clipping"
      explain={t('clipping.explain')}
    >
      {source ? (
        <Placeholder what={t('clipping.needsWeights')} />
      ) : data ? (
        <ClippingView detail={data} blockCurve={detail.blockCurve} block={sel.block} />
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
});

export function EnergyPanel({ d, ppl }: { d: Derivation; ppl: ShownPerplexity }) {
  const preset = useInstruments((s) => s.hwPreset);
  const overrides = useExplorer((s) => s.hwOverrides);
  const { t } = useTranslation('explorer');
  const hw = d.derived?.hardware;
  // The last evaluation's figures stay, marked stale, while this configuration's run is pending (as perplexity).
  const c = ppl.current ?? ppl.lastShown;
  return (
    <Panel id="energy" title={t(VIEW_TITLES.energy)} exportName="fgmp-energy" explain={t('energy.explain')}>
      <FromProfile source={d.source} what={t('energy.fromProfile')} />
      {hw ? (
        <EnergyView
          preset={preset}
          onPreset={setHwPreset}
          hw={hw}
          params={d.params}
          tokens={d.tokens}
          overrides={overrides}
          onOverride={setHwOverride}
          measured={
            c && c.energyVsFp8 !== null
              ? {
                  energyVsFp8: c.energyVsFp8,
                  actFp8Share: c.actFp8Share,
                  tokens: c.tokens,
                  components: ppl.current ? c.energyComponents : null,
                  stale: !ppl.current,
                }
              : null
          }
        />
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
}
