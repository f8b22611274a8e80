// Data (calibration / evaluation text), calibration progress, and the policy controls: budgets, policy,
// clipping, FP8 scaling. Every control has a visible label; sliders move by 1% with the arrow keys.
import { memo, useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { i18n } from '../i18n';
import { useExplorer } from '../store/explorerStore';
import { CLIPPINGS, FP8_SCALING_URL, POLICIES, TOKEN_LIMITS } from '../core/url/shareState';
import { FP8_SCALINGS, type ClipMode, type Fp8Scaling, type PolicyKind } from '../core/pipeline/vocabulary';
import { ErrorBox, Note, ProgressBar, formatDuration, LongName } from './ui';
import { Select, Slider } from './inputs';
import { cancelRunning, dismissTextError, openText, recalibrate, updateSettings } from '../store/actions';
import { storageInputs, totalStorageBits } from '../core/fgmp/index';
import { BitsBudgetField, BudgetModeControl, PinControls } from './InstrumentControls';
import { useInstrumentAnswer } from './instrumentHooks';

// Option labels: explorer:controls.policies.<policy>, explorer:controls.clippings.<mode>.

export const DataPanel = memo(function DataPanel() {
  const { t } = useTranslation('explorer');
  const texts = useExplorer((s) => s.texts);
  const cal = useExplorer((s) => s.calibration);
  const filesAsked = useExplorer((s) => s.filesAsked);
  const asked = filesAsked.filter((f) => f.role === 'calibration' || f.role === 'evaluation');
  const hasTokenizer = useExplorer((s) => !!s.model.summary?.tokenizer);
  const calibrationTokens = useExplorer((s) => s.settings.calibrationTokens);
  const evaluationTokens = useExplorer((s) => s.settings.evaluationTokens);
  const tokens = [calibrationTokens, evaluationTokens] as const;
  // Data-free (store/dataFree.ts): a role given a seed uses the model's own samples.
  const seeds = [useExplorer((s) => s.settings.calibration), useExplorer((s) => s.settings.evaluation)].map((x) =>
    x.kind === 'samples' ? x.seed : null,
  );
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-700 dark:bg-slate-900">
      <h2 id="data-panel-title" className="mb-1 text-sm font-semibold">
        {t('data.title')}
      </h2>
      {asked.map((f) => (
        <Note key={f.role}>
          {t('data.askedBefore')}
          <LongName name={f.name} className="max-w-full font-bold" />
          {t(f.role === 'calibration' ? 'data.askedAfterCalibration' : 'data.askedAfterEvaluation')}
        </Note>
      ))}
      {(['calibration', 'evaluation'] as const).map((role) => (
        <div key={role} className="mb-2">
          <label className="block text-xs font-medium" htmlFor={`${role}-text`}>
            {role === 'calibration' ? t('data.calibrationText') : t('data.evaluationText')}
          </label>
          <input
            id={`${role}-text`}
            type="file"
            accept=".txt,text/plain"
            className="mt-1 block w-full text-xs file:mr-2 file:rounded file:border-0 file:bg-slate-200 file:px-2 file:py-1 dark:file:bg-slate-700"
            onChange={(e) => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) void openText(role, f);
            }}
          />
          <div className="text-xs text-slate-600 dark:text-slate-400" data-testid={`${role}-text-info`}>
            {seeds[role === 'calibration' ? 0 : 1] !== null
              ? t('dataFree.sampledRole', {
                  ns: 'files',
                  seed: seeds[role === 'calibration' ? 0 : 1],
                  tokens: (role === 'calibration' ? tokens[0] : tokens[1]).toLocaleString('en-US'),
                })
              : texts[role]
                ? textInfo(texts[role]!, role === 'calibration' ? tokens[0] : tokens[1])
                : role === 'evaluation'
                  ? t('data.noEvaluation')
                  : hasTokenizer
                    ? t('data.chooseText')
                    : t('data.needsTokenizer')}
          </div>
        </div>
      ))}
      <div className="mb-2 grid grid-cols-2 gap-2 text-xs">
        <TokensInput
          id="calibration-tokens"
          label={t('data.calibrationTokens')}
          value={calibrationTokens}
          onCommit={(v) => {
            updateSettings({ calibrationTokens: v });
            recalibrate();
          }}
        />
        <TokensInput
          id="evaluation-tokens"
          label={t('data.evaluationTokens')}
          value={evaluationTokens}
          onCommit={(v) => updateSettings({ evaluationTokens: v })}
        />
      </div>
      {texts.error && <ErrorBox onDismiss={dismissTextError}>{texts.error}</ErrorBox>}
      {cal.status === 'running' && (
        <ProgressBar progress={cal.progress} onCancel={cancelRunning} testId="calibration-progress" />
      )}
      {cal.status === 'done' && cal.summary && (
        <div className="text-xs" data-testid="calibration-done">
          {t('data.calibrated', {
            tokens: cal.summary.tokens.toLocaleString('en-US'),
            sequences: cal.summary.sequences,
            length: cal.summary.sequenceLength,
            time: formatDuration(cal.summary.seconds),
            nll: cal.summary.meanNll.toFixed(4),
          })}{' '}
          ·{' '}
          <button type="button" className="underline" onClick={recalibrate}>
            {t('data.recalibrate')}
          </button>
          {cal.summary.fisherStoredBytes > 0 && (
            <div className="text-slate-600 dark:text-slate-400">
              {t('data.fisherStored', { size: mib(cal.summary.fisherStoredBytes) })}
            </div>
          )}
        </div>
      )}
      {cal.status === 'error' && (
        <ErrorBox>
          {cal.error}{' '}
          <button type="button" className="underline" onClick={recalibrate}>
            {t('data.calibrateAgain')}
          </button>
        </ErrorBox>
      )}
    </section>
  );
});

/** MiB with one decimal below 10 (a small Fisher does not read as a round 1 MiB), whole above. */
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0);

/** What a chosen text holds and what the run uses of it. */
function textInfo(
  text: { name: string; characters: number; tokens: number; tokensCounted: number },
  uses: number,
): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const tokens = !text.tokens
    ? ''
    : text.tokensCounted < text.characters
      ? i18n.t('explorer:data.tokensInFirst', { tokens: n(text.tokens), first: n(text.tokensCounted) })
      : i18n.t('explorer:data.tokens', { tokens: n(text.tokens) });
  return i18n.t('explorer:data.textInfo', { name: text.name, characters: n(text.characters), tokens, uses: n(uses) });
}

/** A token count, applied on Enter or when the field loses focus (each change reruns calibration or evaluation). */
function TokensInput({
  id,
  label,
  value,
  onCommit,
}: {
  id: string;
  label: string;
  value: number;
  onCommit: (v: number) => void;
}) {
  const commit = (el: HTMLInputElement) => {
    const v = Number(el.value);
    if (Number.isInteger(v) && v >= TOKEN_LIMITS.min && v <= TOKEN_LIMITS.max && v !== value) onCommit(v);
    else el.value = String(value);
  };
  return (
    <div>
      <label htmlFor={id} className="block font-medium">
        {label}
      </label>
      <input
        id={id}
        key={value}
        type="number"
        min={TOKEN_LIMITS.min}
        max={TOKEN_LIMITS.max}
        step={TOKEN_LIMITS.step}
        defaultValue={value}
        className="input"
        onBlur={(e) => commit(e.currentTarget)}
        onKeyDown={(e) => e.key === 'Enter' && commit(e.currentTarget)}
      />
    </div>
  );
}

const budgetFormat = (v: number) => `${(v * 100).toFixed(1)}% FP8`;
const budgetText = (v: number) => i18n.t('explorer:controls.budgetText', { pct: (v * 100).toFixed(1) });

// Memoised controls with stable props (module-level callbacks, options kept per language): a budget move
// re-renders its own slider only, not the other one, the menus or the bits field (React 19 rewrites an
// input's name and type attributes on every render of it, each a style invalidation).
const SteadySlider = memo(Slider);
const SteadySelect = memo(Select) as typeof Select;
const SteadyPins = memo(PinControls);
const SteadyBits = memo(BitsBudgetField);
const SteadyMode = memo(BudgetModeControl);
const setWeightBudget = (v: number) => updateSettings({ weightBudget: v });
const setActivationBudget = (v: number) => updateSettings({ activationBudget: v });
const setPolicy = (p: PolicyKind | 'layerwise') =>
  updateSettings(p === 'layerwise' ? { policy: 'fgmp', layerwise: true } : { policy: p, layerwise: false });
const setClipping = (clipping: ClipMode) => updateSettings({ clipping });
const setFp8Scaling = (fp8Scaling: Fp8Scaling) => updateSettings({ fp8Scaling });
const FP8_SCALING_OPTIONS = FP8_SCALINGS.map((c) => ({ value: c, label: FP8_SCALING_URL[c] }));

export function ControlsPanel() {
  const { t } = useTranslation('explorer');
  const s = useExplorer((st) => st.settings);
  const quant = useExplorer((st) => st.quant);
  const ranking = quant.status === 'done' ? quant.ranking : null;
  const answer = useInstrumentAnswer(ranking);
  const fp8Scaling = s.fp8Scaling;
  // Bits per weight now (what the bits field starts from), as the run's weight bits count them.
  const bitsNow = useCallback(
    () =>
      ranking && answer
        ? totalStorageBits(storageInputs(ranking, answer.answer), { fp8Scale: fp8Scaling, metadata: 'always' })
            .bitsPerWeight
        : null,
    [ranking, answer, fp8Scaling],
  );
  const policyOptions = useMemo(
    () => [...POLICIES, 'layerwise' as const].map((p) => ({ value: p, label: t(`controls.policies.${p}`) })),
    [t],
  );
  const clippingOptions = useMemo(() => CLIPPINGS.map((c) => ({ value: c, label: t(`controls.clippings.${c}`) })), [t]);
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-700 dark:bg-slate-900">
      <h2 id="controls-title" className="mb-2 text-sm font-semibold">
        {t('controls.title')}
      </h2>
      <SteadyMode bitsNow={bitsNow} />
      <SteadyBits answer={answer} />
      {(s.bpw ?? null) === null && (
        <SteadySlider
          compact
          accent="fp8"
          id="weight-budget"
          testId="weight-budget"
          label={t('controls.weightBudget')}
          value={s.weightBudget}
          min={0}
          max={1}
          step={0.01}
          format={budgetFormat}
          valueText={budgetText}
          onChange={setWeightBudget}
          help={t('controls.weightHelp')}
        />
      )}
      <SteadySlider
        compact
        accent="fp8"
        id="activation-budget"
        testId="activation-budget"
        label={t('controls.activationBudget')}
        value={s.activationBudget}
        min={0}
        max={1}
        step={0.01}
        format={budgetFormat}
        valueText={budgetText}
        onChange={setActivationBudget}
        help={t('controls.activationHelp')}
      />
      <div className="grid grid-cols-1 gap-2">
        <SteadySelect
          compact
          id="policy-select"
          label={t('controls.policy')}
          value={s.layerwise ? 'layerwise' : s.policy}
          options={policyOptions}
          onChange={setPolicy}
        />
        <SteadySelect
          compact
          id="clipping-select"
          label={t('controls.clipping')}
          value={s.clipping}
          options={clippingOptions}
          onChange={setClipping}
        />
        <SteadySelect
          compact
          id="fp8-scaling-select"
          label={t('controls.fp8Scaling')}
          value={s.fp8Scaling}
          options={FP8_SCALING_OPTIONS}
          onChange={setFp8Scaling}
        />
      </div>
      <SteadyPins answer={answer} ranking={ranking} />
      {quant.status === 'running' && <ProgressBar progress={quant.progress} />}
      {quant.status === 'error' && quant.error && <Note>{quant.error}</Note>}
      {quant.notes.map((n) => (
        <Note key={n}>{n}</Note>
      ))}
    </section>
  );
}
