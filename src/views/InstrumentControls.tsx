// The instruments' controls beside the budgets (issue 14): the weight budget as an FP8 share or in bits per
// weight (answered on this thread from the ranking; an infeasible value says the feasible range), and pins
// typed as the CLI's --pin SPEC or set by clicking heatmap cells, with what they hold and any refusal.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BlockRanking } from '../core/fgmp/index';
import type { InstrumentAnswer } from '../store/instrumentsDerive';
import { useExplorer } from '../store/explorerStore';
import { clearPins, setBitsPerWeight, setBudgetMode, setPinSpec } from '../store/instruments';
import { NumberField, Segmented } from './inputs';
import { ErrorBox, Note } from './ui';

/** Share or bits: which form the weight budget takes. In bits mode the share follows the answer. */
export function BudgetModeControl({ bitsNow }: { bitsNow: () => number | null }) {
  const { t } = useTranslation('explorer');
  const bpw = useExplorer((s) => s.settings.bpw ?? null);
  return (
    <Segmented
      label={t('instruments.budgetAs')}
      testId="budget-mode"
      value={bpw === null ? 'share' : 'bpw'}
      options={[
        { value: 'share', label: t('instruments.fp8Share') },
        { value: 'bpw', label: t('instruments.bpw') },
      ]}
      onChange={(m) => setBudgetMode(m, bitsNow() ?? undefined)}
    />
  );
}

/** The bits-per-weight field: the count it picks and the feasible range, or why it cannot be met. */
export function BitsBudgetField({ answer }: { answer: InstrumentAnswer | null }) {
  const { t } = useTranslation('explorer');
  const bpw = useExplorer((s) => s.settings.bpw ?? null);
  const [text, setText] = useState<{ for: number | null; text: string }>({ for: bpw, text: String(bpw ?? '') });
  const shown = text.for === bpw ? text.text : String(bpw ?? '');
  const typedBad = shown.trim() !== '' && !(Number(shown) > 0);
  if (bpw === null) return null;
  const bits = answer?.bits;
  return (
    <div className="mb-2 text-xs" data-testid="bpw-budget">
      <NumberField
        label={t('summary.bits')}
        testId="bpw-input"
        width="w-28"
        text={shown}
        error={typedBad ? t('instruments.bpwError') : null}
        onText={(typed) => {
          setText({ for: bpw, text: typed });
          const v = Number(typed);
          if (typed.trim() !== '' && v > 0 && v <= 64) {
            setText({ for: v, text: typed });
            setBitsPerWeight(v);
          }
        }}
      />
      {bits ? (
        <div className="mt-1 tabular-nums text-slate-600 dark:text-slate-400" data-testid="bpw-answer" data-k={bits.k}>
          {t('instruments.bpwAnswer', {
            k: bits.k.toLocaleString('en-US'),
            pct: (answer!.share * 100).toFixed(2),
            bpw: bits.bitsPerWeight.toFixed(4),
            min: bits.min.toFixed(4),
            max: bits.max.toFixed(4),
          })}
        </div>
      ) : null}
    </div>
  );
}

/** Pins: the spec as the CLI spells it, what the pins hold, and refusals (never silently raised). */
export function PinControls({ answer, ranking }: { answer: InstrumentAnswer | null; ranking: BlockRanking | null }) {
  const { t } = useTranslation('explorer');
  const pins = useExplorer((s) => s.settings.pins ?? '');
  const [draft, setDraft] = useState<{ for: string; text: string; error: string | null }>({
    for: pins,
    text: pins,
    error: null,
  });
  const d = draft.for === pins ? draft : { for: pins, text: pins, error: null };
  let fp8 = 0;
  let nvfp4 = 0;
  answer?.pins.forEach((p, i) => {
    const n = ranking?.tensors[i]?.grid.blockCount ?? 0;
    if (p === 'fp8') fp8 += n;
    if (p === 'nvfp4') nvfp4 += n;
  });
  const apply = () => {
    const error = setPinSpec(d.text);
    setDraft({ ...d, error });
  };
  return (
    <div className="mt-2 text-xs" data-testid="pin-controls">
      <label htmlFor="pin-spec" className="block font-medium">
        {t('instruments.pins')} <code>fgmp run --pin</code>
        {t('instruments.pinsAfter')}
      </label>
      <div className="flex gap-1">
        <input
          id="pin-spec"
          data-testid="pin-spec"
          className="input font-mono"
          placeholder={t('instruments.pinsPlaceholder', { example: '0.q=fp8,*.down=nvfp4' })}
          value={d.text}
          onChange={(e) => setDraft({ for: pins, text: e.target.value, error: null })}
          onBlur={apply}
          onKeyDown={(e) => e.key === 'Enter' && apply()}
        />
        {pins && (
          <button type="button" className="btn-ghost" onClick={clearPins}>
            {t('instruments.clear')}
          </button>
        )}
      </div>
      {d.error && <ErrorBox>{d.error}</ErrorBox>}
      {pins && ranking && (
        <div className="tabular-nums text-slate-600 dark:text-slate-400" data-testid="pin-summary">
          {t('instruments.pinned', { fp8: fp8.toLocaleString('en-US'), nvfp4: nvfp4.toLocaleString('en-US') })}
        </div>
      )}
      {answer?.error && (
        <div role="alert" data-testid="budget-refused" className="text-red-700 dark:text-red-400">
          {answer.error}
        </div>
      )}
      {answer?.notes.map((n) => (
        <Note key={n}>{n}</Note>
      ))}
    </div>
  );
}
