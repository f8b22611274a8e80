// Data (calibration / evaluation text), calibration progress, and the policy controls: budgets, policy,
// clipping, FP8 scaling. Every control has a visible label; sliders move by 1% with the arrow keys.
import { memo } from 'react';
import { useExplorer } from '../store/explorerStore';
import { CLIPPINGS, FP8_SCALING_URL, POLICIES, TOKEN_LIMITS } from '../core/url/shareState';
import { FP8_SCALINGS, type ClipMode, type Fp8Scaling, type PolicyKind } from '../core/pipeline/vocabulary';
import { ErrorBox, Note, ProgressBar, formatDuration, LongName } from './ui';
import { Select, Slider } from './inputs';
import { cancelRunning, dismissTextError, openText, recalibrate, updateSettings } from '../store/actions';
import { storageInputs, totalStorageBits } from '../core/fgmp/index';
import { BitsBudgetField, BudgetModeControl, PinControls } from './InstrumentControls';
import { useInstrumentAnswer } from './instrumentHooks';

const POLICY_LABEL: Record<PolicyKind | 'layerwise', string> = {
  layerwise: 'Layerwise (whole tensors)',
  error: 'Quantization error',
  fgmp: 'FGMP (Fisher-weighted)',
  random: 'Random blocks',
  magnitude: 'Largest magnitude',
  unweighted: 'Unweighted error',
  uniform: 'Per-layer uniform',
};
const CLIP_LABEL: Partial<Record<ClipMode, string>> = {
  fisher: 'Fisher-weighted MSE',
  mse: 'Plain MSE',
  none: 'No clipping',
};

export const DataPanel = memo(function DataPanel() {
  const texts = useExplorer((s) => s.texts);
  const cal = useExplorer((s) => s.calibration);
  const filesAsked = useExplorer((s) => s.filesAsked);
  const asked = filesAsked.filter((f) => f.role === 'calibration' || f.role === 'evaluation');
  const hasTokenizer = useExplorer((s) => !!s.model.summary?.tokenizer);
  const calibrationTokens = useExplorer((s) => s.settings.calibrationTokens);
  const evaluationTokens = useExplorer((s) => s.settings.evaluationTokens);
  const tokens = [calibrationTokens, evaluationTokens] as const;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-700 dark:bg-slate-900">
      <h2 id="data-panel-title" className="mb-1 text-sm font-semibold">
        Data and calibration
      </h2>
      {asked.map((f) => (
        <Note key={f.role}>
          The shared link used <LongName name={f.name} className="max-w-full font-bold" /> as {f.role} text: open it
          below.
        </Note>
      ))}
      {(['calibration', 'evaluation'] as const).map((role) => (
        <div key={role} className="mb-2">
          <label className="block text-xs font-medium" htmlFor={`${role}-text`}>
            {role === 'calibration' ? 'Calibration text' : 'Evaluation text'}
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
            {texts[role]
              ? `${texts[role]!.name}: ${texts[role]!.characters.toLocaleString('en-US')} characters${
                  texts[role]!.tokens
                    ? `, ${texts[role]!.tokens.toLocaleString('en-US')} tokens${texts[role]!.tokensCounted < texts[role]!.characters ? ` in the first ${texts[role]!.tokensCounted.toLocaleString('en-US')}` : ''}`
                    : ''
                }; uses ${(role === 'calibration' ? tokens[0] : tokens[1]).toLocaleString('en-US')} tokens`
              : role === 'evaluation'
                ? 'None: the calibration text after its calibration tokens is held out for evaluation.'
                : hasTokenizer
                  ? 'Choose a text to calibrate on.'
                  : 'Needs the model and its tokenizer first.'}
          </div>
        </div>
      ))}
      <div className="mb-2 grid grid-cols-2 gap-2 text-xs">
        <TokensInput
          id="calibration-tokens"
          label="Calibration tokens"
          value={calibrationTokens}
          onCommit={(v) => {
            updateSettings({ calibrationTokens: v });
            recalibrate();
          }}
        />
        <TokensInput
          id="evaluation-tokens"
          label="Evaluation tokens"
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
          Calibrated on {cal.summary.tokens.toLocaleString('en-US')} tokens ({cal.summary.sequences} ×{' '}
          {cal.summary.sequenceLength}) in {formatDuration(cal.summary.seconds)} · mean NLL{' '}
          {cal.summary.meanNll.toFixed(4)} ·{' '}
          <button type="button" className="underline" onClick={recalibrate}>
            recalibrate
          </button>
        </div>
      )}
      {cal.status === 'error' && (
        <ErrorBox>
          {cal.error}{' '}
          <button type="button" className="underline" onClick={recalibrate}>
            Calibrate again
          </button>
        </ErrorBox>
      )}
    </section>
  );
});

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
const budgetText = (v: number) => `${(v * 100).toFixed(1)}% of blocks in FP8`;

export function ControlsPanel() {
  const s = useExplorer((st) => st.settings);
  const quant = useExplorer((st) => st.quant);
  const ranking = quant.status === 'done' ? quant.ranking : null;
  const answer = useInstrumentAnswer(ranking);
  // Bits per weight now (what the bits field starts from), as the run's weight bits count them.
  const bitsNow = () =>
    ranking && answer
      ? totalStorageBits(storageInputs(ranking, answer.answer), { fp8Scale: s.fp8Scaling, metadata: 'always' })
          .bitsPerWeight
      : null;
  return (
    <section className="rounded-lg border border-slate-200 bg-white p-3 text-sm dark:border-slate-700 dark:bg-slate-900">
      <h2 id="controls-title" className="mb-2 text-sm font-semibold">
        Budgets and quantization
      </h2>
      <BudgetModeControl bitsNow={bitsNow} />
      <BitsBudgetField answer={answer} />
      {(s.bpw ?? null) === null && (
        <Slider
          compact
          accent="fp8"
          id="weight-budget"
          testId="weight-budget"
          label="Weight precision budget"
          value={s.weightBudget}
          min={0}
          max={1}
          step={0.01}
          format={budgetFormat}
          valueText={budgetText}
          onChange={(v) => updateSettings({ weightBudget: v })}
          help="Share of all weight blocks kept in FP8; the rest are NVFP4. One global threshold on the block score."
        />
      )}
      <Slider
        compact
        accent="fp8"
        id="activation-budget"
        testId="activation-budget"
        label="Activation precision budget"
        value={s.activationBudget}
        min={0}
        max={1}
        step={0.01}
        format={budgetFormat}
        valueText={budgetText}
        onChange={(v) => updateSettings({ activationBudget: v })}
        help="Share of activation blocks the on-the-fly unit keeps in FP8 (threshold τ placed on calibration activations)."
      />
      <div className="grid grid-cols-1 gap-2">
        <Select
          compact
          id="policy-select"
          label="Policy"
          value={s.layerwise ? 'layerwise' : s.policy}
          options={[...POLICIES, 'layerwise' as const].map((p) => ({ value: p, label: POLICY_LABEL[p] }))}
          onChange={(p: PolicyKind | 'layerwise') =>
            updateSettings(p === 'layerwise' ? { policy: 'fgmp', layerwise: true } : { policy: p, layerwise: false })
          }
        />
        <Select
          compact
          id="clipping-select"
          label="Clipping"
          value={s.clipping}
          options={CLIPPINGS.map((c) => ({ value: c, label: CLIP_LABEL[c] ?? c }))}
          onChange={(clipping: ClipMode) => updateSettings({ clipping })}
        />
        <Select
          compact
          id="fp8-scaling-select"
          label="FP8 scaling"
          value={s.fp8Scaling}
          options={FP8_SCALINGS.map((c) => ({ value: c, label: FP8_SCALING_URL[c] }))}
          onChange={(fp8Scaling: Fp8Scaling) => updateSettings({ fp8Scaling })}
        />
      </div>
      <PinControls answer={answer} ranking={ranking} />
      {quant.status === 'running' && <ProgressBar progress={quant.progress} />}
      {quant.status === 'error' && quant.error && <Note>{quant.error}</Note>}
      {quant.notes.map((n) => (
        <Note key={n}>{n}</Note>
      ))}
    </section>
  );
}
