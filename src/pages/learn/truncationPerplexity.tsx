// Lesson 2's perplexity panel: the explorer's model with every linear weight reduced to the chosen mantissa
// bits, computed in the pipeline worker; opened directly, it loads the default model itself.
import { useEffect, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { Num } from '../../views/learn/prose';
import { useExplorer } from '../../store/explorerStore';
import { openDefaultModel } from '../../store/actions';
import {
  requestTruncationPerplexity,
  truncationContext,
  truncationError,
  truncationKey,
  truncationProgress,
  truncationResult,
  truncationRunning,
} from '../../store/truncation';
import type { MantissaMode as Mode } from './truncationModel';

/** No model yet and the settings name the default one (a lesson link opened directly). */
function needsDefaultModel(): boolean {
  const st = useExplorer.getState();
  return !st.model.summary && st.model.status !== 'running' && st.settings.model.kind === 'default';
}

/** Perplexity of the explorer's model with every linear weight reduced to `keep` mantissa bits (worker). */
export function ModelPerplexity({ keep, mode }: { keep: number; mode: Mode }) {
  const { t } = useTranslation('learn');
  const model = useExplorer((s) => s.model);
  const calibration = useExplorer((s) => s.calibration);
  const context = useExplorer(truncationContext);
  const key = context ? truncationKey(context, keep, mode) : null;
  const result = useExplorer(truncationResult(key));
  const running = useExplorer(truncationRunning(key));
  const progress = useExplorer(truncationProgress(key));
  const error = useExplorer(truncationError(key));
  useEffect(() => {
    if (context) requestTruncationPerplexity(keep, mode);
  }, [context, keep, mode]);
  // Opened directly (no model yet, the settings on the default one): load it, as the explorer would.
  const [defaultTried, setDefaultTried] = useState(() => !needsDefaultModel());
  useEffect(() => {
    if (needsDefaultModel()) void openDefaultModel().finally(() => setDefaultTried(true));
  }, []);

  const box = 'rounded border p-2 text-sm';
  const warn = `${box} border-amber-400 bg-amber-50 dark:border-amber-600 dark:bg-amber-950`;
  const link = (
    <a href="#/explorer" className="text-sky-700 underline dark:text-sky-300" data-testid="truncation-explorer-link" />
  );
  const name = model.summary?.name ?? t('truncation.ppl.theModel');
  if (!model.summary && model.status !== 'running' && !defaultTried)
    return (
      <p className={box} aria-live="polite" data-testid="truncation-loading">
        {t('truncation.ppl.loading')}
      </p>
    );
  if (!model.summary && model.status !== 'running')
    return (
      <p className={warn} data-testid="no-model">
        <Trans
          t={t}
          i18nKey="truncation.ppl.noModel"
          values={{
            reason:
              model.status === 'error' && model.error ? t('truncation.ppl.noModelReason', { error: model.error }) : '',
          }}
          components={{ explorer: link }}
        />
      </p>
    );
  if (!context) {
    const which =
      calibration.status === 'error' ? 'calibrationError' : model.status === 'running' ? 'loadingModel' : 'calibrating';
    return (
      <p className={warn} data-testid="truncation-waiting">
        <Trans
          t={t}
          i18nKey={`truncation.ppl.${which}`}
          values={{ name, error: calibration.error ?? '' }}
          components={{ explorer: link }}
        />
      </p>
    );
  }
  if (error)
    return (
      <p
        className="rounded border border-red-500 bg-red-50 p-2 text-sm dark:border-red-500 dark:bg-red-950"
        role="alert"
        data-testid="truncation-error"
      >
        {t('truncation.ppl.workerError', { error })}
      </p>
    );
  if (!result)
    return (
      <p className={box} aria-live="polite" data-testid="truncation-computing">
        {t(`truncation.ppl.computing.${mode}`, {
          name,
          keep,
          progress:
            running && progress && progress.total > 0
              ? t('truncation.ppl.progress', {
                  pct: Math.round((100 * progress.done) / progress.total),
                  label: progress.label.toLowerCase(),
                })
              : '',
        })}
      </p>
    );
  return <PerplexityResult result={result} name={name} mode={mode} />;
}

function PerplexityResult({
  result,
  name,
  mode,
}: {
  result: NonNullable<ReturnType<ReturnType<typeof truncationResult>>>;
  name: string;
  mode: Mode;
}) {
  const { t } = useTranslation('learn');
  const evaluationText = useExplorer((s) => s.texts.evaluation?.name ?? null);
  const strong = 'font-mono font-semibold';
  const nll = result.meanNll - result.float32MeanNll;
  return (
    <div className="flex flex-col gap-2 text-sm" data-testid="truncation-ppl">
      <p>
        <Trans
          t={t}
          i18nKey={`truncation.ppl.result.${mode}`}
          values={{
            name,
            tokens: result.tokens,
            of: evaluationText ? t('truncation.ppl.ofText', { text: evaluationText }) : '',
            keep: result.keep,
            ppl: result.ppl.toFixed(4),
            float32: result.float32Ppl.toFixed(4),
            ratio: (result.ppl / result.float32Ppl).toFixed(4),
            nll: (nll >= 0 ? '+' : '−') + Math.abs(nll).toExponential(2),
            all: result.keep === 23 ? t('truncation.ppl.allKept') : '',
          }}
          components={{
            n: <Num />,
            tokens: <Num testId="ppl-tokens" />,
            ppl: <span className={strong} data-testid="ppl-truncated" data-value={result.ppl} />,
            float32: <span className={strong} data-testid="ppl-float32" data-value={result.float32Ppl} />,
            ratio: <Num testId="ppl-ratio" />,
            nll: <Num testId="nll-delta" />,
          }}
        />
      </p>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {t('truncation.ppl.footer', { engine: result.engine, seconds: result.seconds.toFixed(2) })}
      </p>
    </div>
  );
}
