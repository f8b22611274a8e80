// Near the top of the explorer: when the model is calibrated on its own seeded samples (no tokenizer, no
// calibration text, or a link's seeds: store/dataFree.ts), what it was calibrated and evaluated on, and why.
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { cancelRunning } from '../store/actions';
import { dataFreeReason, evaluationSeed } from '../store/dataFree';
import { useExplorer } from '../store/explorerStore';
import { ProgressBar } from './ui';

export const DataFreeNotice = memo(function DataFreeNotice() {
  const { t } = useTranslation('files');
  const reason = useExplorer(dataFreeReason);
  const cal = useExplorer((s) => s.calibration);
  const settings = useExplorer((s) => s.settings);
  const evalSeed = useExplorer(evaluationSeed);
  const evalText = useExplorer((s) => s.texts.evaluation?.name ?? null);
  if (!reason || settings.calibration.kind !== 'samples') return null;
  const n = (x: number) => x.toLocaleString('en-US');
  const done = cal.status === 'done' && cal.summary?.data.kind === 'samples';
  const seed = done ? cal.summary!.data.seed! : settings.calibration.seed;
  const vars = {
    tokens: n(done ? cal.summary!.tokens : settings.calibrationTokens),
    seed,
    reason: t(`dataFree.reason.${reason}`),
  };
  return (
    <section
      aria-label={t('dataFree.label')}
      data-testid="data-free-notice"
      data-state={cal.status}
      className="rounded-lg border border-sky-200 bg-white p-2 text-xs dark:border-sky-900 dark:bg-slate-900"
    >
      <p data-testid="data-free-message">
        {cal.status === 'error'
          ? t('dataFree.failed', { seed, error: cal.error })
          : t(done ? 'dataFree.done' : 'dataFree.running', vars)}{' '}
        {evalSeed !== null
          ? t('dataFree.evalSamples', { tokens: n(settings.evaluationTokens), seed: evalSeed })
          : evalText && t('dataFree.evalText', { name: evalText })}
      </p>
      <p className="text-slate-600 dark:text-slate-400">{t(`dataFree.hint.${reason}`)}</p>
      {cal.status === 'running' && (
        <ProgressBar
          progress={
            cal.progress ?? {
              stage: 'calibrate',
              label: `Sampling ${vars.tokens} calibration tokens from the model (seed ${seed})`,
              done: 0,
              total: settings.calibrationTokens,
              unit: 'tokens',
              rate: 0,
              etaSeconds: NaN,
            }
          }
          onCancel={cancelRunning}
          testId="data-free-progress"
        />
      )}
    </section>
  );
});
