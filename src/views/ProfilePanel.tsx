// FGMP profiles in the explorer (docs/profile-format.md): open one from a file, a drop anywhere on the page or a
// URL (read by HTTP Range); each view says which of its numbers come from the profile; while the default
// model's shipped profile is shown, the live calibration that will replace it runs with a progress bar.
import { memo, useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { cancelRunning, openFiles } from '../store/actions';
import { useExplorer } from '../store/explorerStore';
import { closeProfile, isProfileFile, openProfileFile, openProfileUrl, profileApplies } from '../store/profile';
import type { Progress } from '../core/pipeline/results';
import { ErrorBox, ProgressBar } from './ui';

export interface ProfileSourceInfo {
  kind: 'profile';
  name: string;
  origin: 'default' | 'file' | 'url' | null;
}

/** One line above a view: which of its numbers come from the profile. */
export function FromProfile({ source, what }: { source: ProfileSourceInfo | null; what?: string }) {
  const { t } = useTranslation('explorer');
  if (!source) return null;
  return (
    <p
      className="mb-1 rounded bg-sky-50 px-2 py-0.5 text-xs text-sky-900 dark:bg-sky-950 dark:text-sky-200"
      data-testid="from-profile"
    >
      {t('profile.from')}
      <b className="break-all">{source.name}</b>
      {source.origin === 'default' ? t('profile.shipped') : ''}
      {what ? t('profile.what', { what }) : t('profile.end')}
    </p>
  );
}

/** The calibration running behind the shipped profile: tokens, rate, time left, Cancel, from its first moment. */
export const BackgroundCalibration = memo(function BackgroundCalibration() {
  const { t } = useTranslation('explorer');
  const shown = useExplorer(profileApplies);
  const origin = useExplorer((s) => s.profile.origin);
  const cal = useExplorer((s) => s.calibration);
  const model = useExplorer((s) => s.model.status);
  const tokens = useExplorer((s) => s.settings.calibrationTokens);
  if (!shown || origin !== 'default') return null;
  // Before the worker's first report the bar says what it waits for, at 0 of the tokens asked.
  const starting: Progress = {
    stage: 'calibrate',
    label: model === 'running' ? t('profile.loadingForCalibration') : t('profile.calibrationStarting'),
    done: 0,
    total: tokens,
    unit: 'tokens',
    rate: 0,
    etaSeconds: NaN,
  } as Progress;
  const running = cal.status === 'running' || model === 'running' || cal.status === 'idle';
  return (
    <section
      aria-label={t('profile.background')}
      data-testid="background-calibration"
      data-running={running ? 'true' : 'false'}
      className="rounded-lg border border-sky-200 bg-white p-2 text-xs dark:border-sky-900 dark:bg-slate-900"
    >
      <p>{t('profile.backgroundText', { tokens: tokens.toLocaleString('en-US') })}</p>
      {running && (
        <ProgressBar
          progress={cal.status === 'running' && cal.progress ? cal.progress : starting}
          onCancel={cancelRunning}
          testId="background-calibration-progress"
        />
      )}
      {cal.status === 'error' && <p className="text-red-700 dark:text-red-400">{cal.error}</p>}
    </section>
  );
});

/**
 * Drops anywhere on the page: profiles (recognised by content) open as profiles, other files as a model.
 * Off the explorer (`showExplorer`), the explorer is then opened to show what the files became; without
 * this the browser would navigate the tab to the dropped file and the user's state would be gone.
 */
export function usePageDrop(showExplorer = false): void {
  useEffect(() => {
    const over = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const drop = (e: DragEvent) => {
      const files = [...(e.dataTransfer?.files ?? [])];
      if (!files.length) return;
      const inPanel = (e.target as Element | null)?.closest?.('[data-testid="model-panel"]');
      // The model panel takes its own drops unless a safetensors file might be a profile.
      if (inPanel && !files.some((f) => /\.safetensors$/i.test(f.name))) return;
      e.preventDefault();
      e.stopPropagation();
      void (async () => {
        const kinds = await Promise.all(files.map(isProfileFile));
        const profile = files.find((_, i) => kinds[i]);
        const rest = files.filter((_, i) => !kinds[i]);
        if (showExplorer) window.location.hash = '#/explorer';
        if (rest.length) await openFiles(rest);
        if (profile) await openProfileFile(profile);
      })();
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop, true);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop, true);
    };
  }, [showExplorer]);
}

/** Open a profile: file or URL; what is open and where its numbers come from. */
export const ProfilePanel = memo(function ProfilePanel() {
  const { t } = useTranslation('explorer');
  const p = useExplorer((s) => s.profile);
  const shown = useExplorer(profileApplies);
  const [url, setUrl] = useState('');
  const onUrl = (e: FormEvent) => {
    e.preventDefault();
    if (url.trim()) void openProfileUrl(url.trim());
  };
  const meta = p.profile?.meta;
  return (
    <section
      data-testid="profile-panel"
      className="rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-700 dark:bg-slate-900"
    >
      <h2 className="mb-1 text-sm font-semibold">{t('profile.title')}</h2>
      <p className="mb-1 text-xs text-slate-600 dark:text-slate-400">
        {t('profile.introBefore')}
        <code>fgmp profile</code>
        {t('profile.introAfter')}
      </p>
      <label className="block text-xs font-medium" htmlFor="profile-file">
        {t('profile.openFile')}
      </label>
      <input
        id="profile-file"
        type="file"
        accept=".safetensors"
        className="input mb-1 text-xs"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void openProfileFile(f);
          e.target.value = '';
        }}
      />
      <form onSubmit={onUrl} className="flex gap-1">
        <input
          aria-label={t('profile.url')}
          className="input text-xs"
          placeholder="https://huggingface.co/…/resolve/main/x.profile.safetensors"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <button type="submit" className="btn-ghost text-xs">
          {t('profile.open')}
        </button>
      </form>
      <div className="mt-1 text-xs" data-testid="profile-status" data-status={p.status}>
        {p.status === 'loading' && <span>{t('profile.opening', { name: p.name })}</span>}
        {p.status === 'done' && meta && (
          <span>
            <b className="break-all">{p.name}</b>
            {t('profile.status', {
              model: meta.model.name,
              layers: meta.model.config.nLayers,
              blocks: p.profile!.totalBlocks.toLocaleString('en-US'),
              tokens: meta.calibration.tokens.toLocaleString('en-US'),
              engine: meta.calibration.engine,
            })}
            {p.answerer ? t('profile.histograms') : ''}
            {p.origin === 'url' ? t('profile.requests', { count: p.requests }) : ''}
            {p.openMs !== null ? t('profile.openedIn', { ms: Math.round(p.openMs) }) : ''}
            {t('profile.end')} {shown ? t('profile.shown') : t('profile.replaced')}{' '}
            {p.origin !== 'default' && (
              <button type="button" className="underline" onClick={closeProfile}>
                {t('profile.close')}
              </button>
            )}
          </span>
        )}
      </div>
      {p.error && <ErrorBox>{p.error}</ErrorBox>}
    </section>
  );
});
