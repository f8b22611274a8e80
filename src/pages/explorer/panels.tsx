// The explorer's five view panels (heatmaps, block grid, clipping, energy and memory, trade-off): each reads
// the store and the page's derivation and hands plain props to a view in src/views.
import { PROJECTIONS, type Projection } from '../../core/model/types';
import { SWEEP_BUDGETS } from '../../store/controller';
import { cancelRunning, runSweep, select, setBlockColour, setHwOverride } from '../../store/actions';
import { useExplorer } from '../../store/explorerStore';
import type { ViewId } from '../../core/url/shareState';
import { BlockGrid } from '../../views/BlockGrid';
import { ClippingView } from '../../views/ClippingView';
import { EnergyView } from '../../views/EnergyView';
import { LayerHeatmap, ShareLegend } from '../../views/LayerHeatmap';
import { TradeoffView } from '../../views/TradeoffView';
import { ErrorBox, Panel, ProgressBar } from '../../views/ui';
import { FromProfile } from '../../views/ProfilePanel';
import { POLICIES } from '../../core/url/shareState';
import type { SweepPoint } from '../../core/pipeline/results';
import type { Derivation, ShownPerplexity } from './hooks';
import { setHwPreset, useInstruments } from '../../store/instruments';
import { PinModeToggle, TradeoffMetricSelect, useCellAction, useMetric, usePinned } from './instrumentPanels';

export const VIEW_TITLES: Record<ViewId, string> = {
  heatmap: 'Layer heatmaps',
  blocks: 'Block grid',
  clipping: 'Clipping',
  energy: 'Energy and memory',
  tradeoff: 'Trade-off',
};

/** What the view waits for, said as it is (no "waiting for a model" while one is shown as loaded). */
function Placeholder({ what }: { what?: string }) {
  const text = useExplorer((s) =>
    s.profile.status === 'loading'
      ? 'Opening the profile…'
      : s.model.status === 'running'
        ? 'Loading the model…'
        : s.calibration.status === 'running'
          ? 'Calibrating; this view fills when it ends.'
          : s.quant.status === 'running'
            ? 'Quantizing…'
            : s.model.summary || s.profile.profile
              ? (what ?? 'Computing…')
              : 'Open a model or an FGMP profile.',
  );
  return <div className="flex h-24 items-center justify-center text-xs text-slate-500">{text}</div>;
}

/** The selected tensor's detail, when it belongs to the selection (from the profile while its answers show). */
function useDetail(d?: Derivation) {
  const sel = useExplorer((s) => s.settings.selection);
  const live = useExplorer((s) => s.detail);
  const fromProfile = useExplorer((s) => s.profile.detail);
  const detail = d?.source && fromProfile ? { ...live, data: fromProfile.data, blockCurve: null } : live;
  const data =
    detail.data && detail.data.layer === sel.layer && detail.data.proj === sel.projection ? detail.data : null;
  return { sel, detail, data, profileScores: d?.source ? (fromProfile?.scores ?? null) : null };
}

export function HeatmapPanel({ d }: { d: Derivation }) {
  const sel = useExplorer((s) => s.settings.selection);
  const { derived } = d;
  const pinned = usePinned(d);
  const onWeightCell = useCellAction();
  return (
    <Panel
      id="heatmap"
      title={VIEW_TITLES.heatmap}
      exportName="fgmp-heatmaps"
      actions={<PinModeToggle />}
      explain={
        <>
          Each cell is one linear projection of one layer, coloured by the share of its 16-value blocks kept in FP8. One
          global threshold on the block score decides, so sensitive layers get more FP8. Activation blocks are chosen
          per token at run time; the right map shows the share on calibration text. Click a cell (or use the arrow keys
          and Enter) to inspect its blocks; with “Click pins” on, a click on a weight cell pins the whole tensor (FP8,
          then NVFP4, then off: P8 / P4 marks). Pinned blocks count toward the budget.
        </>
      }
    >
      <FromProfile
        source={d.source}
        what="weight shares from its block scores; activation shares from its calibration activation scores"
      />
      {derived ? (
        <div className="flex flex-wrap gap-6" data-testid="heatmaps">
          <div>
            <h3 className="text-xs font-medium">Weights</h3>
            <LayerHeatmap
              kind="weights"
              nLayers={d.nLayers}
              shares={derived.weightShare}
              blocks={d.blocksPerTensor}
              selected={sel}
              pinned={pinned}
              onSelect={onWeightCell}
            />
          </div>
          <div>
            <h3 className="text-xs font-medium">
              Activations {derived.activationCalibrated ? '(calibration text)' : '(no calibration: budget shown)'}
            </h3>
            <LayerHeatmap
              kind="activations"
              nLayers={d.nLayers}
              shares={derived.activationShare}
              selected={sel}
              onSelect={(l, p) => select(l, p)}
            />
          </div>
          <ShareLegend label="FP8 share of blocks" />
        </div>
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
}

export function BlocksPanel({ d }: { d: Derivation }) {
  const blockColour = useExplorer((s) => s.blockColour);
  const { sel, detail, data, profileScores } = useDetail(d);
  const tensors = Array.from({ length: d.nLayers }, (_, l) => PROJECTIONS.map((p) => ({ layer: l, proj: p }))).flat();
  const scores = d.selScores ?? profileScores;
  const selected = tensors.findIndex((t) => t.layer === sel.layer && t.proj === sel.projection);
  return (
    <Panel
      id="blocks"
      title={`${VIEW_TITLES.blocks}${d.nLayers ? ` · layer ${sel.layer} ${sel.projection}` : ''}`}
      exportName="fgmp-block-grid"
      explain="Every cell is one block of 16 consecutive input weights of one output row. Orange blocks are kept in FP8, blue ones in NVFP4; switch to the score to see why. Wheel or +/− zoom, drag pans."
      actions={
        <>
          <label className="flex items-center gap-1">
            Colour
            <select
              className="input !w-auto"
              value={blockColour}
              onChange={(e) => setBlockColour(e.target.value as 'precision' | 'score')}
            >
              <option value="precision">precision</option>
              <option value="score">score (log)</option>
            </select>
          </label>
          <label className="flex items-center gap-1">
            Tensor
            <select
              className="input !w-auto"
              aria-label="Tensor"
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
      <FromProfile
        source={d.source}
        what="block scores, clip ratios (read by Range when the tensor is selected); no weights"
      />
      {data && d.selMask && scores ? (
        <BlockGrid
          key={`${data.layer}/${data.proj}`}
          detail={data}
          mask={d.selMask}
          scores={scores}
          colour={blockColour}
          selectedBlock={sel.block}
          onSelectBlock={(b) => select(sel.layer, sel.projection, b)}
        />
      ) : detail.error ? (
        <ErrorBox>{detail.error}</ErrorBox>
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
}

export function ClippingPanel({ d }: { d?: Derivation }) {
  const { sel, detail, data } = useDetail(d);
  return (
    <Panel
      id="clipping"
      title={`${VIEW_TITLES.clipping} · ${sel.block === null ? `whole tensor L${sel.layer} ${sel.projection}` : `block ${sel.block}`}`}
      exportName="fgmp-clipping"
      explain="NVFP4 error when each block's scale uses α · amax instead of amax. Clipping trades a larger error on the few largest values for a finer grid for all others. FGMP picks α per block by the Fisher-weighted error (the loss it predicts); bars show how often each α was chosen."
    >
      {d?.source ? (
        <Placeholder what="The clipping curves need the weights; a profile holds only each block's chosen clip ratio (block grid)." />
      ) : data ? (
        <ClippingView detail={data} blockCurve={detail.blockCurve} block={sel.block} />
      ) : (
        <Placeholder />
      )}
    </Panel>
  );
}

export function EnergyPanel({ d, ppl }: { d: Derivation; ppl: ShownPerplexity }) {
  const preset = useInstruments((s) => s.hwPreset);
  const overrides = useExplorer((s) => s.hwOverrides);
  const hw = d.derived?.hardware;
  const c = ppl.current;
  return (
    <Panel
      id="energy"
      title={VIEW_TITLES.energy}
      exportName="fgmp-energy"
      explain="A block-granular datapath: each weight block meets every token's activation block at the same inputs, and the pair's precisions set the MAC energy. Memory traffic follows the bits stored. Parameters are editable; sources are listed."
    >
      <FromProfile
        source={d.source}
        what="FP8 block counts and calibration activation shares; the hardware model is computed here"
      />
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
                  components: c.energyComponents,
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

export function TradeoffPanel({ d, ppl }: { d: Derivation; ppl: ShownPerplexity }) {
  const sweep = useExplorer((s) => s.sweep);
  const settings = useExplorer((s) => s.settings);
  const meta = useExplorer((s) => (d.source ? s.profile.profile?.meta : null));
  const { derived } = d;
  const metric = useMetric(ppl);
  // The profile's evaluation sweep at this activation budget, until a live sweep has points.
  const profilePoints: SweepPoint[] = (meta?.evaluation?.points ?? [])
    .filter((p) => p.actBudget === settings.activationBudget && (POLICIES as string[]).includes(p.policy))
    .map((p) => ({
      policy: p.policy as SweepPoint['policy'],
      weightBudget: p.budget,
      ppl: p.ppl,
      meanNll: p.meanNll,
      energyVsFp8: (p.energy as { vsFp8: number }).vsFp8,
    }));
  const points = sweep.points.length ? sweep.points : profilePoints;
  return (
    <Panel
      id="tradeoff"
      title={VIEW_TITLES.tradeoff}
      exportName="fgmp-tradeoff"
      className="2xl:col-span-2"
      explain="Perplexity of the quantized model (weights and activations) for every policy over a range of budgets. FGMP should stay closest to all-FP8 for the same share of FP8 blocks or the same energy."
      actions={
        <>
          <TradeoffMetricSelect />
          <button
            type="button"
            className="btn-ghost"
            disabled={sweep.status === 'running' || !d.ranking || ppl.error !== null}
            onClick={() => void runSweep()}
          >
            {sweep.points.length ? 'Run sweep again' : 'Run sweep'}
          </button>
        </>
      }
    >
      {sweep.status === 'running' && (
        <ProgressBar progress={sweep.progress} onCancel={cancelRunning} testId="sweep-progress" />
      )}
      {sweep.error && <ErrorBox>{sweep.error}</ErrorBox>}
      {!sweep.points.length && profilePoints.length > 0 && (
        <FromProfile source={d.source} what={`its evaluation sweep (${profilePoints.length} points)`} />
      )}
      {derived ? (
        <TradeoffView
          points={points}
          current={{
            policy: settings.policy,
            share: derived.answer.fp8Share,
            energyVsFp8: derived.hardware.vsFp8,
            ppl: metric.current,
            stale: ppl.stale,
          }}
          baselines={metric.baselines}
          metric={metric.id}
        />
      ) : (
        <Placeholder />
      )}
      {!points.length && derived && (
        <p className="text-xs text-slate-600 dark:text-slate-400">
          Run the sweep to draw every policy ({5 * SWEEP_BUDGETS.length} perplexity evaluations on{' '}
          {settings.evaluationTokens.toLocaleString('en-US')} tokens; budgets 0 and 1 are shared).
        </p>
      )}
    </Panel>
  );
}
