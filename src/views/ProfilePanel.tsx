// FGMP profiles in the explorer (docs/profile-format.md): open one from a file, a drop anywhere on the page or a
// URL (read by HTTP Range); each view says which of its numbers come from the profile; while the default
// model's shipped profile is shown, the live calibration that will replace it runs with a progress bar.
import { memo, useEffect, useState, type FormEvent } from 'react';
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
  if (!source) return null;
  return (
    <p
      className="mb-1 rounded bg-sky-50 px-2 py-0.5 text-xs text-sky-900 dark:bg-sky-950 dark:text-sky-200"
      data-testid="from-profile"
    >
      From the profile <b className="break-all">{source.name}</b>
      {source.origin === 'default' ? ' (shipped with the default model; live calibration replaces it)' : ''}
      {what ? `: ${what}.` : '.'}
    </p>
  );
}

/** The calibration running behind the shipped profile: tokens, rate, time left, Cancel, from its first moment. */
export const BackgroundCalibration = memo(function BackgroundCalibration() {
  const shown = useExplorer(profileApplies);
  const origin = useExplorer((s) => s.profile.origin);
  const cal = useExplorer((s) => s.calibration);
  const model = useExplorer((s) => s.model.status);
  const tokens = useExplorer((s) => s.settings.calibrationTokens);
  if (!shown || origin !== 'default') return null;
  // Before the worker's first report the bar says what it waits for, at 0 of the tokens asked.
  const starting: Progress = {
    stage: 'calibrate',
    label: model === 'running' ? 'Loading the model for live calibration' : 'Live calibration starting',
    done: 0,
    total: tokens,
    unit: 'tokens',
    rate: 0,
    etaSeconds: NaN,
  } as Progress;
  const running = cal.status === 'running' || model === 'running' || cal.status === 'idle';
  return (
    <section
      aria-label="Background calibration"
      data-testid="background-calibration"
      data-running={running ? 'true' : 'false'}
      className="rounded-lg border border-sky-200 bg-white p-2 text-xs dark:border-sky-900 dark:bg-slate-900"
    >
      <p>
        Every view shows the default model&apos;s shipped profile. Live calibration on {tokens.toLocaleString('en-US')}{' '}
        tokens runs in the background and replaces it with the same numbers when it ends.
      </p>
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

/** Drops anywhere on the page: profiles (recognised by content) open as profiles, other files as a model. */
export function usePageDrop(): void {
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
  }, []);
}

/** Open a profile: file or URL; what is open and where its numbers come from. */
export const ProfilePanel = memo(function ProfilePanel() {
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
      <h2 className="mb-1 text-sm font-semibold">FGMP profile</h2>
      <p className="mb-1 text-xs text-slate-600 dark:text-slate-400">
        A profile (<code>fgmp profile</code>) holds a model&apos;s block scores, clip ratios and calibration activations
        without its weights: every view answers from it at once.
      </p>
      <label className="block text-xs font-medium" htmlFor="profile-file">
        Open a profile file
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
          aria-label="Profile URL"
          className="input text-xs"
          placeholder="https://huggingface.co/…/resolve/main/x.profile.safetensors"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <button type="submit" className="btn-ghost text-xs">
          Open
        </button>
      </form>
      <div className="mt-1 text-xs" data-testid="profile-status" data-status={p.status}>
        {p.status === 'loading' && <span>Opening {p.name}…</span>}
        {p.status === 'done' && meta && (
          <span>
            <b className="break-all">{p.name}</b>: {meta.model.name}, {meta.model.config.nLayers} layers,{' '}
            {p.profile!.totalBlocks.toLocaleString('en-US')} blocks, calibrated on{' '}
            {meta.calibration.tokens.toLocaleString('en-US')} tokens ({meta.calibration.engine})
            {p.answerer ? '; budgets answered from histograms (within the bound the format states)' : ''}
            {p.origin === 'url' ? ` · ${p.requests} HTTP requests` : ''}
            {p.openMs !== null ? ` · opened in ${Math.round(p.openMs)} ms` : ''}.{' '}
            {shown ? 'The views show it.' : 'Live calibration replaced it.'}{' '}
            {p.origin !== 'default' && (
              <button type="button" className="underline" onClick={closeProfile}>
                Close
              </button>
            )}
          </span>
        )}
      </div>
      {p.error && <ErrorBox>{p.error}</ErrorBox>}
    </section>
  );
});
