// The model panel (issue 3 item 7): open a checkpoint and its tokenizer from the file picker, a drop or a
// URL; loading runs in the worker with a progress bar; the config and tensor table of what is loaded;
// errors stay in the panel and the previous model stays usable.
import { memo, useState, type DragEvent, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useExplorer } from '../store/explorerStore';
import { ErrorBox, LongName, Note, ProgressBar } from './ui';
import type { ModelSummary } from '../core/pipeline/results';
import { cancelRunning, dismissModelError, openFiles, openRandom, openUrl } from '../store/actions';

/** Memoised: it reads the store itself, so the page's re-renders (a slider move) need not touch it. */
export const ModelPanel = memo(function ModelPanel() {
  const { t } = useTranslation('explorer');
  const model = useExplorer((s) => s.model);
  const filesAsked = useExplorer((s) => s.filesAsked);
  const fileReport = useExplorer((s) => s.fileReport);
  const workerRunning = useExplorer((s) => s.worker.state === 'running');
  const linkAsks = useExplorer((s) => !!s.linkFetch?.items.some((i) => i.role === 'model'));
  const asked = filesAsked.filter((f) => f.role === 'model' || f.role === 'tokenizer');
  const [dragging, setDragging] = useState(false);
  const [url, setUrl] = useState('');
  const [tokUrl, setTokUrl] = useState('');

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files];
    if (files.length) void openFiles(files);
  };
  const onUrl = (e: FormEvent) => {
    e.preventDefault();
    if (url.trim()) void openUrl(url, tokUrl);
  };

  return (
    <section
      data-testid="model-panel"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      className={`rounded-lg border p-3 text-sm ${dragging ? 'border-sky-500 bg-sky-50 dark:bg-sky-950' : 'border-slate-200 bg-white dark:border-slate-700 dark:bg-slate-900'}`}
    >
      <h2 id="model-panel-title" className="mb-1 text-sm font-semibold">
        {t('model.title')}
      </h2>
      {asked.length > 0 && (
        <Note>
          {t('model.askedBefore')}{' '}
          {asked.map((f) => (
            <span key={f.name}>
              <LongName name={f.name} className="max-w-full font-bold" />{' '}
            </span>
          ))}
          {t('model.askedAfter')}
        </Note>
      )}
      <label className="block text-xs font-medium" htmlFor="model-files">
        {t('model.openFiles')}
      </label>
      <input
        id="model-files"
        type="file"
        multiple
        className="mt-1 block w-full text-xs file:mr-2 file:rounded file:border-0 file:bg-slate-200 file:px-2 file:py-1 dark:file:bg-slate-700"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = '';
          if (files.length) void openFiles(files);
        }}
      />
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">{t('formats', { ns: 'files' })}</p>
      {fileReport.length > 0 && (
        <ul role="status" data-testid="file-report" className="mt-1 space-y-0.5 text-xs">
          {fileReport.map((r, i) => (
            <li key={i} data-ok={r.ok} className="flex min-w-0 gap-1">
              <LongName name={r.name} className="max-w-[40%] shrink-0 font-medium" />
              <span className={`min-w-0 [overflow-wrap:anywhere] ${r.ok ? '' : 'text-amber-800 dark:text-amber-300'}`}>
                → {r.became}
              </span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={onUrl} className="mt-2 space-y-1">
        <label className="block text-xs font-medium" htmlFor="model-url">
          {t('model.url')}
        </label>
        <input
          id="model-url"
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          placeholder="https://huggingface.co/…/resolve/main/model.bin"
          className="input"
        />
        <label className="block text-xs font-medium" htmlFor="tokenizer-url">
          {t('model.tokenizerUrl')}
        </label>
        <input
          id="tokenizer-url"
          type="url"
          value={tokUrl}
          onChange={(e) => setTokUrl(e.target.value)}
          className="input"
        />
        <div className="flex gap-2">
          <button type="submit" className="btn">
            {t('model.fetch')}
          </button>
          <button type="button" className="btn-ghost text-xs" onClick={() => void openRandom(1)}>
            {t('model.random')}
          </button>
        </div>
      </form>
      {model.status === 'running' && (
        <ProgressBar
          progress={
            model.progress ?? {
              stage: 'load',
              label: t('model.loading'),
              done: 0,
              total: 0,
              unit: 'bytes',
              rate: 0,
              etaSeconds: NaN,
            }
          }
          onCancel={cancelRunning}
          testId="model-progress"
        />
      )}
      {model.error && (
        <ErrorBox onDismiss={dismissModelError}>
          <span data-testid="model-error">{model.error}</span>
          {model.summary && workerRunning && (
            <span className="block">{t('model.stillUsing', { name: model.summary.name })}</span>
          )}
        </ErrorBox>
      )}
      {model.summary ? (
        <ModelInfo summary={model.summary} />
      ) : (
        model.status !== 'running' &&
        workerRunning && <p className="mt-2 text-xs">{linkAsks ? t('model.linkAsks') : t('model.none')}</p>
      )}
    </section>
  );
});

function ModelInfo({ summary }: { summary: ModelSummary }) {
  const { t } = useTranslation('explorer');
  const c = summary.config;
  // Keys: explorer:model.config.<key>.
  const rows: [string, string | number][] = [
    ['dim', c.dim],
    ['hidden', c.hiddenDim],
    ['layers', c.nLayers],
    ['heads', `${c.nHeads} / ${c.nKvHeads}`],
    ['vocab', c.vocabSize],
    ['context', c.maxSeqLen],
    ['parameters', summary.parameters.toLocaleString('en-US')],
    [
      'tokenizer',
      summary.tokenizer ? `${summary.tokenizer} (${summary.tokenizerVocab})` : t('noTokenizer', { ns: 'files' }),
    ],
  ];
  return (
    <div className="mt-2" data-testid="model-info">
      <div className="text-xs">
        <LongName name={summary.name} className="max-w-full font-bold" testId="model-name" /> · {summary.variant} ·{' '}
        {(summary.bytes / 2 ** 20).toFixed(2)} MiB
      </div>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-3 text-xs tabular-nums" data-testid="model-config">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-600 dark:text-slate-400">{t(`model.config.${k}`)}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <NonFiniteNote summary={summary} />
      {summary.warnings
        .filter((w) => !/^\d+ (NaN|infinite \(±Inf\)) weight values in /.test(w))
        .map((w) => (
          <Note key={w}>{w}</Note>
        ))}
      <details className="mt-1 text-xs">
        <summary className="cursor-pointer select-none">
          {t('model.tensors', { count: summary.tensors.length })}
        </summary>
        <div className="max-h-56 overflow-auto">
          <table className="w-full tabular-nums" data-testid="tensor-table">
            <thead className="sticky top-0 bg-white text-left dark:bg-slate-900">
              <tr>
                <th className="font-medium">{t('model.column.name')}</th>
                <th className="font-medium">{t('model.column.shape')}</th>
                <th className="font-medium">{t('model.column.type')}</th>
                <th className="font-medium">NaN</th>
                <th className="font-medium">Inf</th>
              </tr>
            </thead>
            <tbody>
              {summary.tensors.map((x) => (
                <tr key={x.name} title={x.storedName}>
                  <td className="pr-2 font-mono">{x.name}</td>
                  <td className="pr-2">{x.shape.join('×')}</td>
                  <td className="pr-2">{x.dtype}</td>
                  <td className={x.nonFinite.nan ? 'font-bold text-red-700 dark:text-red-400' : ''}>
                    {x.nonFinite.nan}
                  </td>
                  <td className={x.nonFinite.inf ? 'font-bold text-red-700 dark:text-red-400' : ''}>
                    {x.nonFinite.inf}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}

/** NaN and ±Inf weights, counted apart, with the tensors that hold them (the loaders load them so they can be seen). */
function NonFiniteNote({ summary }: { summary: ModelSummary }) {
  const { t } = useTranslation('explorer');
  const { nan, inf } = summary.nonFinite;
  if (nan === 0 && inf === 0) return null;
  const named = (pick: (t: ModelSummary['tensors'][number]) => number) => {
    const hit = summary.tensors.filter((x) => pick(x) > 0);
    const shown = hit.slice(0, 4).map((x) => `${x.name} (${pick(x).toLocaleString('en-US')})`);
    return shown.join(', ') + (hit.length > 4 ? t('model.moreTensors', { count: hit.length - 4 }) : '');
  };
  const count = (n: number) => n.toLocaleString('en-US');
  return (
    <div
      role="alert"
      data-testid="non-finite"
      data-nan={nan}
      data-inf={inf}
      className="my-1 rounded border border-red-300 bg-red-50 px-2 py-1 text-xs text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
    >
      <b>{t('model.nonFinite', { nan: count(nan), inf: count(inf) })}</b> {t('model.nonFiniteMeaning')}
      {nan > 0 && <span className="block">{t('model.nanIn', { tensors: named((x) => x.nonFinite.nan) })}</span>}
      {inf > 0 && <span className="block">{t('model.infIn', { tensors: named((x) => x.nonFinite.inf) })}</span>}
    </div>
  );
}
