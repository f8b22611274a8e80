// The one kit of form controls for the explorer and the lessons: every control has a visible label tied
// to it (htmlFor / fieldset legend), values shown in an <output>, errors announced. `compact` is the
// explorer's side-panel size; the lessons use the default.
import { useId, type ReactNode } from 'react';

const fieldClass =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100';

/** A range input with its label, the shown value, and optional help text under it. */
export function Slider(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
  format?: (v: number) => string;
  /** Spoken value (aria-valuetext); the shown text by default. */
  valueText?: (v: number) => string;
  help?: ReactNode;
  /** A fixed element id (deep links and tests); generated otherwise. */
  id?: string;
  /** data-testid of the input; the output gets `${testId}-value`. */
  testId?: string;
  /** Explorer size: label and value on one row above a full-width track. */
  compact?: boolean;
  /** The FP8 accent (budget sliders) instead of the default one. */
  accent?: 'default' | 'fp8';
}) {
  const generated = useId();
  const id = props.id ?? generated;
  const helpId = `${id}-help`;
  const shown = props.format ? props.format(props.value) : String(props.value);
  const output = (
    <output htmlFor={id} className="tabular-nums" data-testid={props.testId ? `${props.testId}-value` : undefined}>
      {shown}
    </output>
  );
  const input = (
    <input
      id={id}
      type="range"
      min={props.min}
      max={props.max}
      step={props.step}
      value={props.value}
      aria-valuetext={props.valueText ? props.valueText(props.value) : shown}
      aria-describedby={props.help ? helpId : undefined}
      data-testid={props.testId}
      onChange={(e) => props.onChange(Number(e.target.value))}
      className={`${props.compact ? 'w-full' : 'w-56'} ${
        props.accent === 'fp8' ? 'accent-amber-600' : 'accent-sky-700 dark:accent-sky-400'
      }`}
    />
  );
  const help = props.help && (
    <p id={helpId} className="text-xs text-slate-600 dark:text-slate-400">
      {props.help}
    </p>
  );
  if (props.compact)
    return (
      <div className="mb-2">
        <div className="flex items-baseline justify-between text-xs">
          <label htmlFor={id} className="font-medium">
            {props.label}
          </label>
          {output}
        </div>
        {input}
        {help}
      </div>
    );
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {props.label}: {output}
      </label>
      {input}
      {help}
    </div>
  );
}

/** A labelled <select> of typed options. */
export function Select<T extends string>(props: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
  id?: string;
  testId?: string;
  compact?: boolean;
}) {
  const generated = useId();
  const id = props.id ?? generated;
  return (
    <div className={props.compact ? 'text-xs font-medium' : 'flex flex-col gap-1'}>
      <label htmlFor={id} className={props.compact ? undefined : 'text-sm font-medium'}>
        {props.label}
      </label>
      <select
        id={id}
        value={props.value}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.value as T)}
        className={props.compact ? 'input mt-0.5' : fieldClass}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A text field for a number: keeps the typed text, reports a parsed finite number or an error. */
export function NumberField(props: {
  label: string;
  text: string;
  onText: (text: string) => void;
  error?: string | null;
  testId?: string;
  width?: string;
}) {
  const id = useId();
  const errId = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {props.label}
      </label>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        value={props.text}
        data-testid={props.testId}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? errId : undefined}
        onChange={(e) => props.onText(e.target.value)}
        className={`${fieldClass} ${props.width ?? 'w-36'} font-mono`}
      />
      {props.error && (
        <span id={errId} role="alert" className="text-xs text-red-700 dark:text-red-400">
          {props.error}
        </span>
      )}
    </div>
  );
}

export function Toggle(props: { label: string; checked: boolean; onChange: (v: boolean) => void; testId?: string }) {
  const id = useId();
  return (
    <div className="flex items-center gap-2">
      <input
        id={id}
        type="checkbox"
        checked={props.checked}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.checked)}
        className="h-4 w-4 accent-sky-700 dark:accent-sky-400"
      />
      <label htmlFor={id} className="text-sm font-medium">
        {props.label}
      </label>
    </div>
  );
}

/** A radio group rendered as segmented buttons (arrow keys move within the group natively). */
export function Segmented<T extends string>(props: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
  testId?: string;
}) {
  const name = useId();
  return (
    <fieldset className="flex flex-col gap-1" data-testid={props.testId}>
      <legend className="text-sm font-medium">{props.label}</legend>
      <div className="flex overflow-hidden rounded border border-slate-300 dark:border-slate-600">
        {props.options.map((o) => (
          <label
            key={o.value}
            className={`cursor-pointer px-2 py-1 text-sm has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-sky-600 ${
              o.value === props.value
                ? 'bg-sky-800 text-white dark:bg-sky-300 dark:text-slate-950'
                : 'bg-white dark:bg-slate-900'
            }`}
          >
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={o.value === props.value}
              onChange={() => props.onChange(o.value)}
              className="sr-only"
            />
            {o.label}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
