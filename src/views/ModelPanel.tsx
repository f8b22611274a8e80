// The model panel (issue 3 item 7): open a checkpoint and its tokenizer from the file picker, a drop or a
// URL; loading runs in the worker with a progress bar; the config and tensor table of what is loaded;
// errors stay in the panel and the previous model stays usable.
import { memo, useState, type DragEvent, type FormEvent } from 'react';
import { useExplorer } from '../store/explorerStore';
import { ErrorBox, LongName, Note, ProgressBar } from './ui';
import type { ModelSummary } from '../core/pipeline/results';
import { cancelRunning, dismissModelError, openFiles, openRandom, openUrl } from '../store/actions';

/** Memoised: it reads the store itself, so the page's re-renders (a slider move) need not touch it. */
export const ModelPanel = memo(function ModelPanel() {
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
        Model
      </h2>
      {asked.length > 0 && (
        <Note>
          The shared link was made with local files. Open{' '}
          {asked.map((f) => (
            <span key={f.name}>
              <LongName name={f.name} className="max-w-full font-bold" />{' '}
            </span>
          ))}
          to reproduce its numbers.
        </Note>
      )}
      <label className="block text-xs font-medium" htmlFor="model-files">
        Open checkpoint and tokenizer files
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
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
        llama2.c .bin (+ tokenizer .bin), GGUF, or model.safetensors + config.json (+ tokenizer.json). Or drop the files
        anywhere on this panel.
      </p>
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
          Checkpoint URL
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
          Tokenizer URL (optional)
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
            Fetch
          </button>
          <button type="button" className="btn-ghost text-xs" onClick={() => void openRandom(1)}>
            Random stories15M-shaped model
          </button>
        </div>
      </form>
      {model.status === 'running' && (
        <ProgressBar
          progress={
            model.progress ?? {
              stage: 'load',
              label: 'Loading',
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
          {model.summary && workerRunning && <span className="block">Still using {model.summary.name}.</span>}
        </ErrorBox>
      )}
      {model.summary ? (
        <ModelInfo summary={model.summary} />
      ) : (
        model.status !== 'running' &&
        workerRunning && (
          <p className="mt-2 text-xs">
            {linkAsks ? 'The link names a model on another site: waiting for your answer.' : 'No model loaded yet.'}
          </p>
        )
      )}
    </section>
  );
});

function ModelInfo({ summary }: { summary: ModelSummary }) {
  const c = summary.config;
  const rows: [string, string | number][] = [
    ['dim', c.dim],
    ['hidden', c.hiddenDim],
    ['layers', c.nLayers],
    ['heads / kv heads', `${c.nHeads} / ${c.nKvHeads}`],
    ['vocab', c.vocabSize],
    ['context', c.maxSeqLen],
    ['parameters', summary.parameters.toLocaleString('en-US')],
    [
      'tokenizer',
      summary.tokenizer ? `${summary.tokenizer} (${summary.tokenizerVocab})` : 'none — open one to calibrate',
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
            <dt className="text-slate-600 dark:text-slate-400">{k}</dt>
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
        <summary className="cursor-pointer select-none">Tensors ({summary.tensors.length})</summary>
        <div className="max-h-56 overflow-auto">
          <table className="w-full tabular-nums" data-testid="tensor-table">
            <thead className="sticky top-0 bg-white text-left dark:bg-slate-900">
              <tr>
                <th className="font-medium">name</th>
                <th className="font-medium">shape</th>
                <th className="font-medium">type</th>
                <th className="font-medium">NaN</th>
                <th className="font-medium">Inf</th>
              </tr>
            </thead>
            <tbody>
              {summary.tensors.map((t) => (
                <tr key={t.name} title={t.storedName}>
                  <td className="pr-2 font-mono">{t.name}</td>
                  <td className="pr-2">{t.shape.join('×')}</td>
                  <td className="pr-2">{t.dtype}</td>
                  <td className={t.nonFinite.nan ? 'font-bold text-red-700 dark:text-red-400' : ''}>
                    {t.nonFinite.nan}
                  </td>
                  <td className={t.nonFinite.inf ? 'font-bold text-red-700 dark:text-red-400' : ''}>
                    {t.nonFinite.inf}
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
  const { nan, inf } = summary.nonFinite;
  if (nan === 0 && inf === 0) return null;
  const named = (pick: (t: ModelSummary['tensors'][number]) => number) => {
    const hit = summary.tensors.filter((t) => pick(t) > 0);
    const shown = hit.slice(0, 4).map((t) => `${t.name} (${pick(t).toLocaleString('en-US')})`);
    return shown.join(', ') + (hit.length > 4 ? ` and ${hit.length - 4} more tensors` : '');
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
      <b>
        This model has {count(nan)} NaN and {count(inf)} infinite (±Inf) weights.
      </b>{' '}
      Quantized and float perplexities computed from them are not meaningful.
      {nan > 0 && <span className="block">NaN in {named((t) => t.nonFinite.nan)}.</span>}
      {inf > 0 && <span className="block">±Inf in {named((t) => t.nonFinite.inf)}.</span>}
    </div>
  );
}
