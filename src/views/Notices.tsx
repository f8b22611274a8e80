// The explorer's notices about things outside the user's control: the pipeline worker's state (stopped and
// being started again, or given up on with the cause and a Try again), and the question a shared link asks
// before it fetches anything from another host (src/store/linkFetch.ts; policy: src/core/url/fetchPolicy.ts).
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { hostsOf } from '../core/url/fetchPolicy';
import {
  acceptLinkFetch,
  cancelLinkFetch,
  checkLinkFetchSizes,
  dismissWorkerMessage,
  retryWorker,
} from '../store/actions';
import { useExplorer } from '../store/explorerStore';
import { ErrorBox, Note } from './ui';

/** The worker's state: a note while it is started again, a final alert with Try again once given up. */
export function WorkerNotice({ className = '' }: { className?: string }) {
  const { t } = useTranslation('explorer');
  const worker = useExplorer((s) => s.worker);
  if (!worker.message) return null;
  if (worker.state === 'failed')
    return (
      <div
        role="alert"
        data-testid="worker-failed"
        data-cause={worker.cause ?? ''}
        className={`${className} rounded border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200`}
      >
        <p className="font-semibold">{t('worker.failed')}</p>
        <p className="mt-1 text-xs" data-testid="worker-error">
          {worker.message}
        </p>
        <button type="button" className="btn mt-2" onClick={retryWorker}>
          {t('worker.retry')}
        </button>
      </div>
    );
  return (
    <div className={className}>
      {worker.state === 'waiting' ? (
        <Note>
          <span data-testid="worker-error" data-cause={worker.cause ?? ''}>
            {worker.message}
          </span>
        </Note>
      ) : (
        <ErrorBox onDismiss={dismissWorkerMessage}>
          <span data-testid="worker-error">{worker.message}</span>
        </ErrorBox>
      )}
    </div>
  );
}

/** A shared link's URLs, shown before anything is fetched: which host, which address, and (if asked) the size. */
export function LinkFetchDialog() {
  const { t } = useTranslation('explorer');
  const ask = useExplorer((s) => s.linkFetch);
  const fetchButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!ask) return;
    fetchButton.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && cancelLinkFetch();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ask]);
  if (!ask) return null;
  const hosts = hostsOf(ask.items);
  const hostList = hosts.join(', ');
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-slate-900/50 p-3 dark:bg-black/70">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="link-fetch-title"
        data-testid="link-fetch"
        className="w-full max-w-lg rounded-lg border border-slate-200 bg-white p-4 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      >
        <h2 id="link-fetch-title" className="text-base font-semibold">
          {t('linkFetch.title', { count: hosts.length })}
        </h2>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          {t('linkFetch.before')}
          <b className="text-slate-900 dark:text-slate-100" data-testid="link-fetch-hosts">
            {hostList}
          </b>
          {t('linkFetch.after', { count: hosts.length })}
        </p>
        <ul className="mt-2 space-y-1" data-testid="link-fetch-items">
          {ask.items.map((item) => (
            <li key={item.role} className="rounded bg-slate-50 px-2 py-1 text-xs dark:bg-slate-800">
              <div>
                <span className="font-medium">{t(`linkFetch.role.${item.role}`)}</span>
                {t('linkFetch.from')}
                <b>{item.host}</b>
                {' · '}
                <span data-testid="link-fetch-size">
                  {t('linkFetch.size', {
                    size: ask.sizes[item.url] ?? (ask.checking ? t('linkFetch.asking') : t('linkFetch.unknownSize')),
                  })}
                </span>
              </div>
              <div className="font-mono break-all text-slate-600 dark:text-slate-400">{item.url}</div>
            </li>
          ))}
        </ul>
        <div className="mt-3 flex flex-wrap gap-2">
          <button ref={fetchButton} type="button" className="btn" onClick={() => void acceptLinkFetch()}>
            {hosts.length === 1
              ? t('linkFetch.fetchOne', { host: hostList })
              : t('linkFetch.fetchMany', { count: hosts.length })}
          </button>
          <button
            type="button"
            className="btn-ghost"
            disabled={ask.checking || Object.keys(ask.sizes).length > 0}
            onClick={() => void checkLinkFetchSizes()}
          >
            {t('linkFetch.askSize')}
          </button>
          <button type="button" className="btn-ghost" onClick={cancelLinkFetch}>
            {t('common:progress.cancel')}
          </button>
        </div>
        <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">{t('linkFetch.cancelNote')}</p>
      </div>
    </div>
  );
}
