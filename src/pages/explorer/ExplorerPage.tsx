// The explorer: model and data on the left, the policy controls, then the views. Every view derives
// from the one store; a budget change recomputes the policy answer, masks, memory and energy on this
// thread in one pass (hooks.ts useDerived → store/derive.ts) and repaints in the same frame; perplexity
// follows from the worker. URL sync: hooks.ts; summary: Summary.tsx; panels: panels.tsx.
import { memo, useEffect, useLayoutEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import '../../views/explorer.css';
import { VIEWS, type ViewId } from '../../core/url/shareState';
import { advance, clearUrlErrors, updateSettings } from '../../store/actions';
import { useExplorer } from '../../store/explorerStore';
import { ModelPanel } from '../../views/ModelPanel';
import { DataFreeNotice } from '../../views/DataFreeNotice';
import { LinkFetchDialog, WorkerNotice } from '../../views/Notices';
import { ControlsPanel, DataPanel } from '../../views/Controls';
import { ErrorBox, Note } from '../../views/ui';
import { useDerived, useShownPerplexity, useThemeClass, useUrlSync } from './hooks';
import { BlocksPanel, ClippingPanel, EnergyPanel, HeatmapPanel, heatmapInputs, VIEW_TITLES } from './panels';
import { TradeoffPanel } from './TradeoffPanel';
import { SharePanel } from './SharePanel';
import { AbPanel } from './instrumentPanels';
import { SummaryFigures } from './Summary';
import { BackgroundCalibration, ProfilePanel, usePageDrop } from '../../views/ProfilePanel';
import { EngineStatus } from '../../views/EngineStatus';

function Messages() {
  const { t } = useTranslation('explorer');
  const urlErrors = useExplorer((s) => s.urlErrors);
  return (
    <>
      <LinkFetchDialog />
      {urlErrors.length > 0 && (
        <ErrorBox onDismiss={clearUrlErrors}>
          <div data-testid="url-errors">
            <b>{t('page.urlErrors')}</b>
            {/* The messages themselves come from the share-URL decoder, shared with the CLI: English. */}
            <ul className="list-disc pl-4">
              {urlErrors.map((e, i) => (
                <li key={i}>{e.message}</li>
              ))}
            </ul>
          </div>
        </ErrorBox>
      )}
    </>
  );
}

function ViewNav({ onGo }: { onGo: (v: ViewId) => void }) {
  const { t } = useTranslation('explorer');
  const view = useExplorer((s) => s.settings.view);
  return (
    <nav aria-label={t('page.views')} className="flex flex-wrap gap-1 text-xs">
      {VIEWS.map((v) => (
        <button
          key={v}
          type="button"
          className={`rounded px-2 py-1 ${view === v ? 'bg-slate-800 text-white dark:bg-slate-200 dark:text-slate-900' : 'btn-ghost'}`}
          aria-current={view === v ? 'true' : undefined}
          onClick={() => onGo(v)}
        >
          {t(VIEW_TITLES[v])}
        </button>
      ))}
    </nav>
  );
}

// A slider move re-renders this page (useDerived); the panels that read the store themselves, and take no
// props that change with it, are memoised so that the move re-renders only what it changes.
const goView = (v: ViewId) => {
  updateSettings({ view: v });
  document.getElementById(`view-${v}`)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
};
const Steady = {
  WorkerNotice: memo(WorkerNotice),
  ModelPanel: memo(ModelPanel),
  DataPanel: memo(DataPanel),
  ControlsPanel: memo(ControlsPanel),
  ProfilePanel: memo(ProfilePanel),
  Messages: memo(Messages),
  BackgroundCalibration: memo(BackgroundCalibration),
  ViewNav: memo(ViewNav),
  EngineStatus: memo(EngineStatus),
};

export function ExplorerPage() {
  const { t } = useTranslation('explorer');
  useUrlSync();
  useThemeClass();
  usePageDrop();
  const d = useDerived();
  const ppl = useShownPerplexity();
  const summary = useExplorer((s) => s.model.summary);
  const view = useExplorer((s) => s.settings.view);
  const restarts = useExplorer((s) => s.worker.restarts);
  const calibrated = useExplorer((s) => s.calibration.status === 'done');
  // What the share panel exports, read when a button is pressed (the panel itself skips slider moves).
  const latest = useRef({ d, ppl });
  useLayoutEffect(() => {
    latest.current = { d, ppl };
  });

  // A link that names a view opens scrolled to it, once the views have something to show.
  const scrolled = useRef(false);
  useEffect(() => {
    if (!scrolled.current && d.derived && view !== 'heatmap') {
      scrolled.current = true;
      document.getElementById(`view-${view}`)?.scrollIntoView({ block: 'start' });
    }
  }, [d.derived, view]);

  return (
    <div className="mx-auto grid max-w-[1800px] gap-3 lg:grid-cols-[20rem_1fr]">
      {/* Above both columns: on a phone the model panel's "see above" must still hold. */}
      <Steady.WorkerNotice className="lg:col-span-2" />
      {/* Phones: the results first, the panels that change them after (order; wide screens keep two columns). */}
      <aside className="order-2 min-w-0 space-y-3 lg:order-none">
        <Steady.ModelPanel />
        <Steady.DataPanel />
        <Steady.ControlsPanel />
        <Steady.ProfilePanel />
        <SharePanel latest={latest} ready={d.derived !== null} />
      </aside>

      <div className="order-1 min-w-0 space-y-3 lg:order-none">
        <Steady.Messages />
        <DataFreeNotice />
        <Steady.BackgroundCalibration />
        <SummaryFigures derived={d.derived} ppl={ppl} calibrated={calibrated} />
        <Steady.ViewNav onGo={goView} />
        {!summary && <Note>{t('page.empty')}</Note>}
        <div className="grid gap-3 2xl:grid-cols-2">
          <HeatmapPanel {...heatmapInputs(d)} />
          <BlocksPanel source={d.source} nLayers={d.nLayers} selScores={d.selScores} selMask={d.selMask} />
          <ClippingPanel source={d.source} />
          <EnergyPanel d={d} ppl={ppl} />
          <TradeoffPanel d={d} ppl={ppl} />
          <AbPanel d={d} />
        </div>
        <Steady.EngineStatus />
        <p className="text-xs text-slate-600 dark:text-slate-400">
          {t('page.footer', { restarts, engine: ppl.engine })}{' '}
          <button type="button" className="underline" onClick={() => advance()}>
            {t('page.retry')}
          </button>
        </p>
      </div>
    </div>
  );
}
