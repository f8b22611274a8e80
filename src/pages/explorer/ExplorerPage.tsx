// The explorer: model and data on the left, the policy controls, then the views. Every view derives
// from the one store; a budget change recomputes the policy answer, masks, memory and energy on this
// thread in one pass (derive.ts) and repaints in the same frame; perplexity follows from the worker.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import '../../views/explorer.css';
import { useExplorer } from '../../store/explorerStore';
import {
  advance,
  openFromLocation,
  pplKey,
  runSweep,
  cancelRunning,
  select,
  shareUrl,
  updateSettings,
  crashWorkerForTest,
  SWEEP_BUDGETS,
} from '../../store/controller';
import { deriveForBudget, formatPercent, masksCsv, tensorKey } from '../../store/derive';
import { encodeShareQuery, VIEWS, type ViewId } from '../../core/url/shareState';
import { hwParams } from '../../core/hw/index';
import { findTensor } from '../../core/fgmp/index';
import { ModelPanel } from '../../views/ModelPanel';
import { ControlsPanel, DataPanel } from '../../views/Controls';
import { LayerHeatmap, ShareLegend } from '../../views/LayerHeatmap';
import { BlockGrid } from '../../views/BlockGrid';
import { ClippingView } from '../../views/ClippingView';
import { EnergyView } from '../../views/EnergyView';
import { TradeoffView } from '../../views/TradeoffView';
import { ErrorBox, Note, Panel, ProgressBar, saveText } from '../../views/ui';
import { PROJECTIONS } from '../../core/model/types';
import { clearUrlErrors, dismissWorkerMessage, setBlockColour, setHwOverride, toggleTheme } from '../../store/actions';

/** deriveForBudget, timed for the latency measurement (window.__fgmp.deriveMs). */
function timedDerive(...args: Parameters<typeof deriveForBudget>): ReturnType<typeof deriveForBudget> {
  const t0 = performance.now();
  const d = deriveForBudget(...args);
  if (window.__fgmp) window.__fgmp.deriveMs = performance.now() - t0;
  return d;
}

const VIEW_TITLES: Record<ViewId, string> = {
  heatmap: 'Layer heatmaps',
  blocks: 'Block grid',
  clipping: 'Clipping',
  energy: 'Energy and memory',
  tradeoff: 'Trade-off',
};

declare global {
  interface Window {
    /** Test and measurement hooks (read-only use). */
    __fgmp?: {
      lastCommit: number;
      commits: number;
      deriveMs: number;
      crashWorker: () => void;
      store: typeof useExplorer;
    };
  }
}

export function ExplorerPage() {
  const settings = useExplorer((s) => s.settings);
  const summary = useExplorer((s) => s.model.summary);
  const quant = useExplorer((s) => s.quant);
  const activationShares = useExplorer((s) => s.activations.shares);
  const detail = useExplorer((s) => s.detail);
  const ppl = useExplorer((s) => s.ppl);
  const sweep = useExplorer((s) => s.sweep);
  const worker = useExplorer((s) => s.worker);
  const urlErrors = useExplorer((s) => s.urlErrors);
  const hwOverrides = useExplorer((s) => s.hwOverrides);
  const blockColour = useExplorer((s) => s.blockColour);
  const theme = useExplorer((s) => s.theme);
  const calibrated = useExplorer((s) => s.calibration.status === 'done');

  // Open the state a link carries, once.
  const opened = useRef(false);
  useEffect(() => {
    if (!opened.current) {
      opened.current = true;
      openFromLocation(window.location.hash);
      window.__fgmp = { lastCommit: 0, commits: 0, deriveMs: 0, crashWorker: crashWorkerForTest, store: useExplorer };
    }
    const onHash = () => {
      const q = window.location.hash.split('?')[1] ?? '';
      if (window.location.hash.startsWith('#/explorer') && q && q !== encodeShareQuery(useExplorer.getState().settings))
        openFromLocation(window.location.hash);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  // The address bar always carries the current state.
  useEffect(() => {
    if (!window.location.hash.startsWith('#/explorer') && window.location.hash !== '' && window.location.hash !== '#/')
      return;
    const next = `#/explorer?${encodeShareQuery(settings)}`;
    if (window.location.hash !== next) history.replaceState(null, '', next);
  }, [settings]);

  useEffect(() => {
    document.documentElement.classList.toggle('dark', theme === 'dark');
  }, [theme]);

  const params = useMemo(() => hwParams(hwOverrides), [hwOverrides]);
  const tokens = summary?.config.maxSeqLen ?? 256;
  const ranking = quant.status === 'done' ? quant.ranking : null;
  // Mask buffers reused by every slider move (one allocation per ranking).
  const masksBuffer = useMemo(() => ranking?.tensors.map((t) => new Uint8Array(t.grid.blockCount)), [ranking]);
  const derived = useMemo(() => {
    if (!ranking) return null;
    return timedDerive(
      ranking,
      activationShares,
      settings.weightBudget,
      settings.activationBudget,
      tokens,
      params,
      settings.fp8Scaling,
      masksBuffer,
    );
  }, [
    ranking,
    activationShares,
    settings.weightBudget,
    settings.activationBudget,
    tokens,
    params,
    settings.fp8Scaling,
    masksBuffer,
  ]);
  useLayoutEffect(() => {
    if (window.__fgmp) {
      window.__fgmp.lastCommit = performance.now();
      window.__fgmp.commits++;
    }
  }, [derived]);

  const blocksPerTensor = useMemo(
    () => new Map(ranking?.tensors.map((t) => [tensorKey(t.layer, t.proj), t.grid.blockCount]) ?? []),
    [ranking],
  );
  const sel = settings.selection;
  const selIndex = ranking ? findTensor(ranking, sel.layer, sel.projection) : -1;
  const selMask = derived && selIndex >= 0 ? derived.masks[selIndex] : null;
  // Copies so that React sees a change (the buffers are reused between slider moves).
  const selMaskCopy = useMemo(() => (selMask ? selMask.slice() : null), [selMask, derived]); // eslint-disable-line react-hooks/exhaustive-deps
  const selScores = useMemo(() => {
    if (!ranking || selIndex < 0) return null;
    const t = ranking.tensors[selIndex];
    return ranking.scores.subarray(t.offset, t.offset + t.grid.blockCount);
  }, [ranking, selIndex]);
  const detailData =
    detail.data && detail.data.layer === sel.layer && detail.data.proj === sel.projection ? detail.data : null;

  // Perplexity: the current configuration's if known, else the last one shown, marked stale.
  const key = pplKey(settings);
  const current = ppl.cache[key];
  const lastShown = ppl.lastShownKey ? ppl.cache[ppl.lastShownKey] : undefined;
  const shownPpl = current ? current.ppl : (lastShown?.ppl ?? null);
  const stale = !current && shownPpl !== null;
  const fp8Base = ppl.cache[pplKey(settings, 'fp8')];
  const nvfp4Base = ppl.cache[pplKey(settings, 'nvfp4')];

  const [copied, setCopied] = useState<string | null>(null);
  const copyLink = async () => {
    const url = shareUrl();
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Link copied.');
    } catch {
      setCopied(url);
    }
  };

  const exportData = (format: 'csv' | 'json') => {
    if (!ranking || !derived) return;
    const perTensor = ranking.tensors.map((t, i) => {
      const hw = derived.hardware.perLinear[i];
      return {
        layer: t.layer,
        projection: t.proj,
        blocks: t.grid.blockCount,
        fp8Blocks: derived.answer.fp8Counts[i],
        weightFp8Share: derived.answer.perTensor[i].share,
        activationFp8Share: derived.activationShare.get(tensorKey(t.layer, t.proj)),
        weightBits: hw.weightBits,
        energyPj: hw.energy.total,
      };
    });
    if (format === 'csv') {
      const head = 'layer,projection,blocks,fp8_blocks,weight_fp8_share,activation_fp8_share,weight_bits,energy_pj';
      const lines = perTensor.map((r) =>
        [
          r.layer,
          r.projection,
          r.blocks,
          r.fp8Blocks,
          r.weightFp8Share,
          r.activationFp8Share,
          r.weightBits,
          r.energyPj,
        ].join(','),
      );
      saveText('fgmp-tensors.csv', [head, ...lines].join('\n') + '\n', 'text/csv');
      saveText('fgmp-blocks.csv', masksCsv(ranking, derived.masks), 'text/csv');
    } else {
      const json = {
        shareUrl: shareUrl(),
        settings,
        model: summary ? { name: summary.name, config: summary.config } : null,
        summary: {
          fp8Share: derived.answer.fp8Share,
          perplexity: current?.ppl ?? null,
          perplexityAllFp8: fp8Base?.ppl ?? null,
          perplexityAllNvfp4: nvfp4Base?.ppl ?? null,
          bitsPerWeight: derived.hardware.weightBits.bitsPerWeight,
          weightBits: derived.hardware.weightBits,
          energyVsFp8: derived.hardware.vsFp8,
          energyVsNvfp4: derived.hardware.vsNvfp4,
        },
        perTensor,
        masks: ranking.tensors.map((t, i) => ({
          layer: t.layer,
          projection: t.proj,
          rows: t.grid.rows,
          blocksPerRow: t.grid.blocksPerRow,
          fp8: Array.from(derived.masks[i]).join(''),
        })),
        sweep: sweep.points,
      };
      saveText('fgmp-state.json', JSON.stringify(json, null, 1), 'application/json');
    }
  };

  const goView = (v: ViewId) => {
    updateSettings({ view: v });
    document.getElementById(`view-${v}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  };
  const scrolled = useRef(false);
  useEffect(() => {
    if (!scrolled.current && derived && settings.view !== 'heatmap') {
      scrolled.current = true;
      document.getElementById(`view-${settings.view}`)?.scrollIntoView({ block: 'start' });
    }
  }, [derived, settings.view]);

  const hw = derived?.hardware;
  return (
    <div className="mx-auto grid max-w-[1800px] gap-3 lg:grid-cols-[20rem_1fr]">
      <aside className="space-y-3">
        <ModelPanel />
        <DataPanel />
        <ControlsPanel />
        <section
          className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 bg-white p-3 text-xs dark:border-slate-700 dark:bg-slate-900"
          aria-label="Share and export"
        >
          <button type="button" className="btn" onClick={() => void copyLink()}>
            Copy link
          </button>
          <button type="button" className="btn-ghost" disabled={!derived} onClick={() => exportData('csv')}>
            Export CSV
          </button>
          <button type="button" className="btn-ghost" disabled={!derived} onClick={() => exportData('json')}>
            Export JSON
          </button>
          <button type="button" className="btn-ghost ml-auto" aria-pressed={theme === 'dark'} onClick={toggleTheme}>
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
          {copied && (
            <div className="w-full break-all" role="status" data-testid="copy-status">
              {copied}
            </div>
          )}
        </section>
      </aside>

      <div className="min-w-0 space-y-3">
        {worker.message && (
          <ErrorBox onDismiss={dismissWorkerMessage}>
            <span data-testid="worker-error">{worker.message}</span>
          </ErrorBox>
        )}
        {urlErrors.length > 0 && (
          <ErrorBox onDismiss={clearUrlErrors}>
            <div data-testid="url-errors">
              <b>This link has problems; the affected settings keep their defaults:</b>
              <ul className="list-disc pl-4">
                {urlErrors.map((e, i) => (
                  <li key={i}>{e.message}</li>
                ))}
              </ul>
            </div>
          </ErrorBox>
        )}

        <section
          aria-label="Summary"
          className="grid grid-cols-2 gap-2 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4 dark:border-slate-700 dark:bg-slate-900"
        >
          <Figure
            label="Perplexity"
            testId="ppl"
            value={shownPpl}
            text={shownPpl === null ? '—' : shownPpl.toFixed(3)}
            stale={stale}
            sub={
              <>
                {current && fp8Base
                  ? `${formatSigned(current.ppl / fp8Base.ppl - 1)} vs all-FP8 (${fp8Base.ppl.toFixed(3)})`
                  : fp8Base
                    ? `all-FP8 ${fp8Base.ppl.toFixed(3)}`
                    : calibrated
                      ? ''
                      : 'needs the tokenizer and a calibration text'}
                {ppl.status === 'running' && (
                  <span className="block">
                    computing{' '}
                    {ppl.runningKey?.startsWith('fp8|')
                      ? 'the all-FP8 baseline'
                      : ppl.runningKey?.startsWith('nvfp4|')
                        ? 'the all-NVFP4 baseline'
                        : 'this configuration'}
                    …{' '}
                    {ppl.progress ? `${Math.round((100 * ppl.progress.done) / Math.max(1, ppl.progress.total))}%` : ''}
                  </span>
                )}
                {ppl.error && <span className="block text-red-700 dark:text-red-400">{ppl.error}</span>}
              </>
            }
          />
          <Figure
            label="Weight blocks in FP8"
            testId="fp8-share"
            value={derived?.answer.fp8Share ?? null}
            text={derived ? formatPercent(derived.answer.fp8Share) : '—'}
            sub={
              derived
                ? `${derived.answer.k.toLocaleString('en-US')} of ${derived.answer.totalBlocks.toLocaleString('en-US')} blocks`
                : ''
            }
          />
          <Figure
            label="Bits per weight"
            testId="weight-bits"
            value={hw?.weightBits.bitsPerWeight ?? null}
            text={hw ? hw.weightBits.bitsPerWeight.toFixed(3) : '—'}
            sub={hw ? `memory saved vs FP8: ${formatPercent(1 - hw.weightBits.mixed / hw.weightBits.allFp8)}` : ''}
          />
          <Figure
            label="Energy vs all-FP8"
            testId="energy-vs-fp8"
            value={hw?.vsFp8 ?? null}
            text={hw ? formatSigned(hw.vsFp8 - 1) : '—'}
            sub={
              hw ? `energy saved: ${formatPercent(1 - hw.vsFp8)} · vs all-NVFP4 ${formatSigned(hw.vsNvfp4 - 1)}` : ''
            }
          />
        </section>

        <nav aria-label="Views" className="flex flex-wrap gap-1 text-xs">
          {VIEWS.map((v) => (
            <button
              key={v}
              type="button"
              className={`rounded px-2 py-1 ${settings.view === v ? 'bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900' : 'btn-ghost'}`}
              aria-current={settings.view === v ? 'true' : undefined}
              onClick={() => goView(v)}
            >
              {VIEW_TITLES[v]}
            </button>
          ))}
        </nav>

        {!summary && (
          <Note>
            Open a small Llama checkpoint (for example stories260K.bin with tok512.bin) and a text to calibrate on, or
            try a random stories15M-shaped model. Everything runs in this browser tab.
          </Note>
        )}

        <div className="grid gap-3 2xl:grid-cols-2">
          <Panel
            id="heatmap"
            title={VIEW_TITLES.heatmap}
            exportName="fgmp-heatmaps"
            explain={
              <>
                Each cell is one linear projection of one layer, coloured by the share of its 16-value blocks kept in
                FP8. One global threshold on the block score decides, so sensitive layers get more FP8. Activation
                blocks are chosen per token at run time; the right map shows the share on calibration text. Click a cell
                (or use the arrow keys and Enter) to inspect its blocks.
              </>
            }
          >
            {summary && derived ? (
              <div className="flex flex-wrap gap-6">
                <div>
                  <h3 className="text-xs font-medium">Weights</h3>
                  <LayerHeatmap
                    kind="weights"
                    nLayers={summary.config.nLayers}
                    shares={derived.weightShare}
                    blocks={blocksPerTensor}
                    selected={sel}
                    onSelect={(l, p) => select(l, p)}
                  />
                </div>
                <div>
                  <h3 className="text-xs font-medium">
                    Activations {derived.activationCalibrated ? '(calibration text)' : '(no calibration: budget shown)'}
                  </h3>
                  <LayerHeatmap
                    kind="activations"
                    nLayers={summary.config.nLayers}
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

          <Panel
            id="blocks"
            title={`${VIEW_TITLES.blocks}${summary ? ` · layer ${sel.layer} ${sel.projection}` : ''}`}
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
                    value={`${sel.layer}/${sel.projection}`}
                    onChange={(e) => {
                      const [l, p] = e.target.value.split('/');
                      select(Number(l), p as (typeof PROJECTIONS)[number]);
                    }}
                  >
                    {summary &&
                      Array.from({ length: summary.config.nLayers }, (_, l) =>
                        PROJECTIONS.map((p) => (
                          <option key={`${l}/${p}`} value={`${l}/${p}`}>
                            {`L${l} ${p}`}
                          </option>
                        )),
                      )}
                  </select>
                </label>
              </>
            }
          >
            {detailData && selMaskCopy && selScores ? (
              <BlockGrid
                key={`${detailData.layer}/${detailData.proj}`}
                detail={detailData}
                mask={selMaskCopy}
                scores={selScores}
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

          <Panel
            id="clipping"
            title={`${VIEW_TITLES.clipping} · ${sel.block === null ? `whole tensor L${sel.layer} ${sel.projection}` : `block ${sel.block}`}`}
            exportName="fgmp-clipping"
            explain="NVFP4 error when each block's scale uses α · amax instead of amax. Clipping trades a larger error on the few largest values for a finer grid for all others. FGMP picks α per block by the Fisher-weighted error (the loss it predicts); bars show how often each α was chosen."
          >
            {detailData ? (
              <ClippingView detail={detailData} blockCurve={detail.blockCurve} block={sel.block} />
            ) : (
              <Placeholder />
            )}
          </Panel>

          <Panel
            id="energy"
            title={VIEW_TITLES.energy}
            exportName="fgmp-energy"
            explain="A block-granular datapath: each weight block meets every token's activation block at the same inputs, and the pair's precisions set the MAC energy. Memory traffic follows the bits stored. Parameters are editable; sources are listed."
          >
            {hw ? (
              <EnergyView
                hw={hw}
                params={params}
                tokens={tokens}
                overrides={hwOverrides}
                onOverride={setHwOverride}
                measured={
                  current && current.energyVsFp8 !== null
                    ? { energyVsFp8: current.energyVsFp8, actFp8Share: current.actFp8Share, tokens: current.tokens }
                    : null
                }
              />
            ) : (
              <Placeholder />
            )}
          </Panel>

          <Panel
            id="tradeoff"
            title={VIEW_TITLES.tradeoff}
            exportName="fgmp-tradeoff"
            className="2xl:col-span-2"
            explain="Perplexity of the quantized model (weights and activations) for every policy over a range of budgets. FGMP should stay closest to all-FP8 for the same share of FP8 blocks or the same energy."
            actions={
              <button
                type="button"
                className="btn-ghost"
                disabled={sweep.status === 'running' || !ranking || ppl.status === 'error'}
                onClick={() => void runSweep()}
              >
                {sweep.points.length ? 'Run sweep again' : 'Run sweep'}
              </button>
            }
          >
            {sweep.status === 'running' && (
              <ProgressBar progress={sweep.progress} onCancel={cancelRunning} testId="sweep-progress" />
            )}
            {sweep.error && <ErrorBox>{sweep.error}</ErrorBox>}
            {derived ? (
              <TradeoffView
                points={sweep.points}
                current={{
                  policy: settings.policy,
                  share: derived.answer.fp8Share,
                  energyVsFp8: derived.hardware.vsFp8,
                  ppl: shownPpl,
                  stale,
                }}
                baselines={{ fp8: fp8Base?.ppl, nvfp4: nvfp4Base?.ppl }}
              />
            ) : (
              <Placeholder />
            )}
            {!sweep.points.length && derived && (
              <p className="text-xs text-slate-600 dark:text-slate-400">
                Run the sweep to draw every policy ({5 * SWEEP_BUDGETS.length} perplexity evaluations on{' '}
                {settings.evaluationTokens.toLocaleString('en-US')} tokens; budgets 0 and 1 are shared).
              </p>
            )}
          </Panel>
        </div>
        <p className="text-xs text-slate-500">
          Worker restarts: {worker.restarts}. Perplexity engine: {Object.values(ppl.cache)[0]?.engine ?? '—'}.{' '}
          <button type="button" className="underline" onClick={() => advance()}>
            retry pending steps
          </button>
        </p>
      </div>
    </div>
  );
}

function formatSigned(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)}%`;
}

function Figure({
  label,
  testId,
  value,
  text,
  sub,
  stale,
}: {
  label: string;
  testId: string;
  value: number | null;
  text: string;
  sub?: React.ReactNode;
  stale?: boolean;
}) {
  return (
    <div>
      <div className="text-xs text-slate-600 dark:text-slate-400">{label}</div>
      <div
        data-testid={testId}
        data-value={value ?? ''}
        data-stale={stale ? 'true' : 'false'}
        aria-busy={stale}
        className={`text-2xl font-semibold tabular-nums ${stale ? 'stale' : ''}`}
        title={stale ? 'Stale: recomputing for the current settings' : undefined}
      >
        {text}
        {stale && <span className="ml-1 align-middle text-xs font-normal">(stale)</span>}
      </div>
      <div className="text-xs tabular-nums text-slate-600 dark:text-slate-400">{sub}</div>
    </div>
  );
}

function Placeholder() {
  return (
    <div className="flex h-24 items-center justify-center text-xs text-slate-500">
      Waiting for a model{useExplorer.getState().quant.status === 'running' ? ' (quantizing…)' : ''}.
    </div>
  );
}
