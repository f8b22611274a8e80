// The explorer's trade-off panel: the sweep (live, or the profile's evaluation sweep) and the current point.
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { SWEEP_BUDGETS } from '../../store/controller';
import { cancelRunning, runSweep } from '../../store/actions';
import { useExplorer } from '../../store/explorerStore';
import { POLICIES } from '../../core/url/shareState';
import type { SweepPoint } from '../../core/pipeline/results';
import { TradeoffView } from '../../views/TradeoffView';
import { ErrorBox, Panel, ProgressBar } from '../../views/ui';
import type { Derivation, ShownPerplexity } from './hooks';
import { TradeoffMetricSelect, useMetric } from './instrumentPanels';
import { FromProfile, Placeholder, VIEW_TITLES } from './panels';

export function TradeoffPanel({ d, ppl }: { d: Derivation; ppl: ShownPerplexity }) {
  const sweep = useExplorer((s) => s.sweep);
  const settings = useExplorer((s) => s.settings);
  const meta = useExplorer((s) => (d.source ? s.profile.profile?.meta : null));
  const { derived } = d;
  const metric = useMetric(ppl);
  // The profile's evaluation sweep at this activation budget, until a live sweep has points (kept while the
  // activation budget is: the chart's memoised sweep marks then skip a weight move).
  const profilePoints: SweepPoint[] = useMemo(
    () =>
      (meta?.evaluation?.points ?? [])
        .filter((p) => p.actBudget === settings.activationBudget && (POLICIES as string[]).includes(p.policy))
        .map((p) => ({
          policy: p.policy as SweepPoint['policy'],
          weightBudget: p.budget,
          ppl: p.ppl,
          meanNll: p.meanNll,
          energyVsFp8: (p.energy as { vsFp8: number }).vsFp8,
        })),
    [meta, settings.activationBudget],
  );
  const points = sweep.points.length ? sweep.points : profilePoints;
  const { t } = useTranslation('explorer');
  const hasSweep = sweep.points.length > 0;
  const disabled = sweep.status === 'running' || !d.ranking || ppl.error !== null;
  // Kept while they are: a slider move skips the y-axis menu and the sweep button.
  const actions = useMemo(
    () => (
      <>
        <TradeoffMetricSelect />
        <button type="button" className="btn-ghost" disabled={disabled} onClick={() => void runSweep()}>
          {hasSweep ? t('tradeoff.runAgain') : t('tradeoff.run')}
        </button>
      </>
    ),
    [disabled, hasSweep, t],
  );
  return (
    <Panel
      id="tradeoff"
      title={t(VIEW_TITLES.tradeoff)}
      exportName="fgmp-tradeoff"
      className="2xl:col-span-2"
      explain={t('tradeoff.explain')}
      actions={actions}
    >
      {sweep.status === 'running' && (
        <ProgressBar progress={sweep.progress} onCancel={cancelRunning} testId="sweep-progress" />
      )}
      {sweep.error && <ErrorBox>{sweep.error}</ErrorBox>}
      {!sweep.points.length && profilePoints.length > 0 && (
        <FromProfile source={d.source} what={t('tradeoff.fromProfile', { count: profilePoints.length })} />
      )}
      {derived ? (
        <TradeoffView
          points={points}
          current={{
            policy: settings.policy,
            share: derived.answer.fp8Share,
            energyVsFp8: derived.hardware.vsFp8,
            ppl: metric.current,
            stale: ppl.stale,
          }}
          baselines={metric.baselines}
          metric={metric.id}
          energyFloor={derived.hardware.allNvfp4.total / derived.hardware.allFp8.total}
        />
      ) : (
        <Placeholder />
      )}
      {!points.length && derived && (
        <p className="text-xs text-slate-600 dark:text-slate-400">
          {t('tradeoff.hint', {
            runs: 5 * SWEEP_BUDGETS.length,
            tokens: settings.evaluationTokens.toLocaleString('en-US'),
          })}
        </p>
      )}
    </Panel>
  );
}
