// Small shared pieces of the explorer's UI: panels with an explanation and export buttons, progress
// bars that say tokens, rate and time left, and error boxes.
import { memo, type MouseEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n';
import type { Progress } from '../core/pipeline/results';
import { contextLines, exportContext } from '../store/exports';
import { downloadBlob, exportPanelPng, exportPanelSvg, type FigureContext } from './exporting';
import { progressLabel } from './progressLabel';

/** A panel's figure context at the moment of export: its title, the model, the settings, the share URL. The
 * settings line is the CSV's (English identifiers); its labels are said in the interface's language. */
function figureContext(title: string): FigureContext {
  const c = exportContext(title);
  const english = contextLines(c);
  const lines =
    i18n.language === 'en'
      ? english
      : [
          i18n.t('common:export.model', { model: c.model }),
          i18n.t('common:export.settings', { settings: c.settings }),
          i18n.t('common:export.shareUrl', { url: c.shareUrl }),
        ];
  return { title: i18n.t('common:export.title', { title, app: i18n.t('common:app.title') }), lines };
}

export function Panel(props: {
  id: string;
  title: string;
  explain: ReactNode;
  children: ReactNode;
  actions?: ReactNode;
  exportName?: string;
  className?: string;
}) {
  return (
    <section
      id={`view-${props.id}`}
      data-view={props.id}
      className={`rounded-lg border border-slate-200 bg-white p-3 shadow-sm dark:border-slate-700 dark:bg-slate-900 ${props.className ?? ''}`}
    >
      <PanelHeader id={props.id} title={props.title} actions={props.actions} exportName={props.exportName} />
      <PanelExplain explain={props.explain} />
      {props.children}
    </section>
  );
}

// Memoised: a slider move that re-renders a panel's figure leaves its title, actions (kept elements) and
// export buttons alone, and their catalog lookups.
const PanelExplain = memo(function PanelExplain({ explain }: { explain: ReactNode }) {
  return <p className="mb-2 text-xs leading-snug text-slate-600 dark:text-slate-400">{explain}</p>;
});

const PanelHeader = memo(function PanelHeader(props: {
  id: string;
  title: string;
  actions?: ReactNode;
  exportName?: string;
}) {
  return (
    <header className="mb-1 flex flex-wrap items-baseline gap-2">
      <h2
        id={`view-${props.id}-title`}
        className="text-sm font-semibold tracking-wide text-slate-800 dark:text-slate-100"
      >
        {props.title}
      </h2>
      <div className="ml-auto flex flex-wrap items-center gap-1 text-xs">
        {props.actions}
        {props.exportName && <ExportButtons title={props.title} exportName={props.exportName} />}
      </div>
    </header>
  );
});

// Its own memo: a panel whose actions change with the state (the block grid's selects) re-renders its header
// on every slider move; the export buttons' four catalog lookups need not follow.
const ExportButtons = memo(function ExportButtons({ title, exportName }: { title: string; exportName: string }) {
  const { t } = useTranslation();
  // The panel these buttons belong to, found when one is pressed.
  const panelOf = (e: MouseEvent<HTMLButtonElement>) => e.currentTarget.closest<HTMLElement>('section[data-view]');
  return (
    <>
      <button
        type="button"
        className="btn-ghost"
        aria-label={t('export.svg', { title })}
        title={t('export.svg', { title })}
        onClick={(e) => {
          const panel = panelOf(e);
          if (panel) exportPanelSvg(panel, exportName, figureContext(title));
        }}
      >
        SVG
      </button>
      <button
        type="button"
        className="btn-ghost"
        aria-label={t('export.png', { title })}
        title={t('export.pngTitle', { title })}
        onClick={(e) => {
          const panel = panelOf(e);
          if (panel) void exportPanelPng(panel, exportName, figureContext(title));
        }}
      >
        PNG
      </button>
    </>
  );
});

function formatAmount(n: number, unit: Progress['unit']): string {
  if (unit === 'bytes') return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
  return Math.round(n).toLocaleString('en-US');
}

/** A progress unit (plural: tokens, points, tensors) agreeing with the amount as shown: "1 point/s", "2 points/s". */
export function unitWord(unit: string, amount: number): string {
  return i18n.t(`common:progress.unit.${unit}`, { count: Math.round(amount), defaultValue: unit });
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '…';
  if (s < 1) return i18n.t('common:duration.underSecond');
  if (s < 90) return i18n.t('common:duration.seconds', { s: Math.round(s) });
  return i18n.t('common:duration.minutes', { m: Math.floor(s / 60), s: Math.round(s % 60) });
}

export function ProgressBar({
  progress,
  onCancel,
  testId,
}: {
  progress: Progress | null;
  onCancel?: () => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  if (!progress) return null;
  const label = progressLabel(progress.label);
  const frac = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  const shown = progress.total > 0 ? progress.total : progress.done;
  const unit = progress.unit === 'bytes' ? '' : ` ${unitWord(progress.unit, shown)}`;
  const rate =
    progress.rate > 0
      ? `${formatAmount(progress.rate, progress.unit)}${progress.unit === 'bytes' ? '' : ` ${unitWord(progress.unit, progress.rate)}`}/s`
      : '';
  return (
    <div className="my-1 text-xs" data-testid={testId}>
      <div className="flex items-center gap-2">
        <div
          role="progressbar"
          aria-label={label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(frac * 100)}
          className="h-2 flex-1 overflow-hidden rounded bg-slate-200 dark:bg-slate-700"
        >
          <div
            className="h-full bg-sky-600 transition-[width] duration-150 dark:bg-sky-400"
            style={{ width: `${frac * 100}%` }}
          />
        </div>
        {onCancel && (
          <button type="button" className="btn-ghost" onClick={onCancel}>
            {t('progress.cancel')}
          </button>
        )}
      </div>
      <div className="mt-0.5 text-slate-600 tabular-nums dark:text-slate-400">
        {label}: {formatAmount(progress.done, progress.unit)}
        {progress.total > 0 ? ` / ${formatAmount(progress.total, progress.unit)}` : ''}
        {unit}
        {rate && ` · ${rate}`}
        {progress.total > 0 &&
          progress.rate > 0 &&
          ` · ${t('progress.left', { time: formatDuration(progress.etaSeconds) })}`}
      </div>
    </div>
  );
}

export function ErrorBox({ children, onDismiss }: { children: ReactNode; onDismiss?: () => void }) {
  const { t } = useTranslation();
  return (
    <div
      role="alert"
      className="my-1 flex items-start gap-2 rounded border border-red-300 bg-red-50 px-2 py-1 text-xs text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
    >
      <div className="min-w-0 flex-1 whitespace-pre-wrap [overflow-wrap:anywhere]">{children}</div>
      {onDismiss && (
        <button type="button" aria-label={t('dismiss')} className="font-bold" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}

export function Note({ children }: { children: ReactNode }) {
  return (
    <p className="my-1 rounded bg-amber-50 px-2 py-1 text-xs [overflow-wrap:anywhere] text-amber-900 dark:bg-amber-950 dark:text-amber-200">
      {children}
    </p>
  );
}

export function saveText(name: string, text: string, type = 'text/plain') {
  downloadBlob(new Blob([text], { type }), name);
}

/** A name that may be very long (a file name from a share link): one line, cut with "…", in full on hover. */
export function LongName({ name, className, testId }: { name: string; className?: string; testId?: string }) {
  return (
    <span
      className={`inline-block max-w-full truncate align-bottom ${className ?? ''}`}
      title={name}
      data-testid={testId}
    >
      {name}
    </span>
  );
}
