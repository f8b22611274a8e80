// The summary row: perplexity (with the all-FP8 baseline, staleness and what is being computed), the
// realised FP8 share of weight blocks, bits per weight and energy against all-FP8.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { formatPercent } from '../../store/derive';
import type { Derivation, ShownPerplexity } from './hooks';
import { useExplorer } from '../../store/explorerStore';

/** One formatter for the block counts (toLocaleString builds one per call, on every slider move). */
const COUNT = new Intl.NumberFormat('en-US');

export function formatSigned(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)}%`;
}

function PerplexitySub({ ppl, calibrated }: { ppl: ShownPerplexity; calibrated: boolean }) {
  const { t } = useTranslation('explorer');
  const { current, fp8Base, running, progress, error } = ppl;
  // Said as it is: a loaded model and text are being calibrated, not missing.
  const waitingKey = useExplorer((s) =>
    s.calibration.status === 'running' || s.model.status === 'running'
      ? 'afterCalibration'
      : s.model.summary?.tokenizer && s.texts.calibration
        ? null
        : 'needsData',
  );
  const waiting = waitingKey ? t(`summary.${waitingKey}`) : '';
  return (
    <>
      {current && fp8Base
        ? t('summary.vsFp8', { delta: formatSigned(current.ppl / fp8Base.ppl - 1), base: fp8Base.ppl.toFixed(3) })
        : fp8Base
          ? t('summary.fp8Only', { base: fp8Base.ppl.toFixed(3) })
          : calibrated
            ? ''
            : waiting}
      {running && (
        <span className="block">
          {t('summary.computing', { what: t(`summary.running.${running}`) })}{' '}
          {progress ? `${Math.round((100 * progress.done) / Math.max(1, progress.total))}%` : ''}
        </span>
      )}
      {error && <span className="block text-red-700 dark:text-red-400">{error}</span>}
    </>
  );
}

export function SummaryFigures({
  derived,
  ppl,
  calibrated,
}: {
  derived: Derivation['derived'];
  ppl: ShownPerplexity;
  calibrated: boolean;
}) {
  const { t } = useTranslation('explorer');
  const hw = derived?.hardware;
  return (
    <section
      aria-label={t('summary.label')}
      className="grid grid-cols-2 gap-2 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-5 dark:border-slate-700 dark:bg-slate-900"
    >
      <Figure
        label={t('summary.ppl')}
        testId="ppl"
        value={ppl.shownPpl}
        text={ppl.shownPpl === null ? '—' : ppl.shownPpl.toFixed(3)}
        stale={ppl.stale}
        sub={<PerplexitySub ppl={ppl} calibrated={calibrated} />}
      />
      <KlFigure ppl={ppl} />
      <Figure
        label={t('summary.fp8Share')}
        testId="fp8-share"
        value={derived?.answer.fp8Share ?? null}
        text={derived ? formatPercent(derived.answer.fp8Share) : '—'}
        sub={
          derived
            ? t('summary.blocksOf', {
                k: COUNT.format(derived.answer.k),
                total: COUNT.format(derived.answer.totalBlocks),
              })
            : ''
        }
      />
      <Figure
        label={t('summary.bits')}
        testId="weight-bits"
        value={hw?.weightBits.bitsPerWeight ?? null}
        text={hw ? hw.weightBits.bitsPerWeight.toFixed(3) : '—'}
        sub={hw ? t('summary.memorySaved', { pct: formatPercent(1 - hw.weightBits.mixed / hw.weightBits.allFp8) }) : ''}
      />
      <Figure
        label={t('summary.energy')}
        testId="energy-vs-fp8"
        value={hw?.vsFp8 ?? null}
        text={hw ? formatSigned(hw.vsFp8 - 1) : '—'}
        sub={
          hw ? t('summary.energySaved', { pct: formatPercent(1 - hw.vsFp8), delta: formatSigned(hw.vsNvfp4 - 1) }) : ''
        }
      />
    </section>
  );
}

/** Quality beyond perplexity: KL of the next-token distributions against float32 (as llama-perplexity). */
function KlFigure({ ppl }: { ppl: ShownPerplexity }) {
  const { t } = useTranslation('explorer');
  const kl = ppl.current?.kl ?? null;
  const stale = !kl && (ppl.lastShown?.kl ?? null) !== null;
  const shown = kl ?? ppl.lastShown?.kl ?? null;
  return (
    <Figure
      label={t('summary.kl')}
      testId="kl"
      value={shown?.kl ?? null}
      text={shown ? shown.kl.toFixed(5) : '—'}
      stale={stale}
      sub={
        shown ? (
          <span data-testid="kl-stats" data-median={shown.klMedian} data-p99={shown.klP99} data-top1={shown.top1}>
            {t('summary.klStats', {
              median: shown.klMedian.toFixed(5),
              p99: shown.klP99.toFixed(4),
              top1: formatPercent(shown.top1, 2),
              dp: `${shown.dpMean >= 0 ? '+' : '−'}${Math.abs(shown.dpMean).toFixed(4)}`,
              rms: shown.dpRms.toFixed(4),
            })}
          </span>
        ) : (
          ''
        )
      }
    />
  );
}

function Figure({
  label,
  testId,
  value,
  text,
  sub,
  stale,
}: {
  label: string;
  testId: string;
  value: number | null;
  text: string;
  sub?: ReactNode;
  stale?: boolean;
}) {
  const { t } = useTranslation('explorer');
  return (
    <div>
      <div className="text-xs text-slate-600 dark:text-slate-400">{label}</div>
      <div
        data-testid={testId}
        data-value={value ?? ''}
        data-stale={stale ? 'true' : 'false'}
        aria-busy={stale}
        className={`text-2xl font-semibold tabular-nums ${stale ? 'stale' : ''}`}
        title={stale ? t('summary.staleTitle') : undefined}
      >
        {text}
        {stale && <span className="ml-1 align-middle text-xs font-normal">{t('summary.stale')}</span>}
      </div>
      <div className="text-xs tabular-nums text-slate-600 dark:text-slate-400">{sub}</div>
    </div>
  );
}
