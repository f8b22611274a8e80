// Share and export: copy the link that reproduces the state, save CSV/JSON of what the budgets decide
// (the theme button is in the app's header, App.tsx).
import { memo, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { shareUrl } from '../../store/actions';
import { useExplorer } from '../../store/explorerStore';
import { csvExports, exportContext, stateJson } from '../../store/exports';
import { saveText } from '../../views/ui';
import type { Derivation, ShownPerplexity } from './hooks';

/** Memoised: the derivation is read from `latest` when an export is asked for, so a slider move skips it. */
export const SharePanel = memo(function SharePanel({
  latest,
  ready,
}: {
  latest: RefObject<{ d: Derivation; ppl: ShownPerplexity }>;
  ready: boolean;
}) {
  const { t } = useTranslation('explorer');
  const [copied, setCopied] = useState<string | null>(null);
  const copyLink = async () => {
    const url = shareUrl();
    try {
      await navigator.clipboard.writeText(url);
      setCopied(t('share.copied'));
    } catch {
      setCopied(url);
    }
  };
  const exportData = (format: 'csv' | 'json') => {
    const { d, ppl } = latest.current;
    const { ranking, derived } = d;
    if (!ranking || !derived) return;
    if (format === 'csv') {
      const csv = csvExports(ranking, derived, exportContext(''));
      saveText('fgmp-tensors.csv', csv.tensors, 'text/csv');
      saveText('fgmp-blocks.csv', csv.blocks, 'text/csv');
      return;
    }
    const st = useExplorer.getState();
    const json = stateJson({
      shareUrl: shareUrl(),
      settings: st.settings,
      summary: st.model.summary,
      ranking,
      derived,
      perplexity: { current: ppl.current, fp8: ppl.fp8Base, nvfp4: ppl.nvfp4Base },
      sweep: st.sweep.points,
    });
    saveText('fgmp-state.json', json, 'application/json');
  };
  return (
    <section
      className="flex flex-wrap items-center gap-2 rounded-lg border border-slate-200 bg-white p-3 text-xs dark:border-slate-700 dark:bg-slate-900"
      aria-label={t('share.label')}
    >
      <button type="button" className="btn" onClick={() => void copyLink()}>
        {t('share.copy')}
      </button>
      <button type="button" className="btn-ghost" disabled={!ready} onClick={() => exportData('csv')}>
        {t('share.csv')}
      </button>
      <button type="button" className="btn-ghost" disabled={!ready} onClick={() => exportData('json')}>
        {t('share.json')}
      </button>
      {copied && (
        <div className="w-full break-all" role="status" data-testid="copy-status">
          {copied}
        </div>
      )}
    </section>
  );
});
