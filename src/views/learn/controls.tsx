// Small accessible controls shared by the teaching pages: every control has a visible label tied to it.
import { useId, type ReactNode } from 'react';

const inputClass =
  'rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100';

export function Slider(props: {
  label: string;
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
  format?: (v: number) => string;
  testId?: string;
}) {
  const id = useId();
  const shown = props.format ? props.format(props.value) : String(props.value);
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {props.label}: <output data-testid={props.testId ? `${props.testId}-value` : undefined}>{shown}</output>
      </label>
      <input
        id={id}
        type="range"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        aria-valuetext={shown}
        data-testid={props.testId}
        onChange={(e) => props.onChange(Number(e.target.value))}
        className="w-56 accent-sky-700 dark:accent-sky-400"
      />
    </div>
  );
}

export function Select<T extends string>(props: {
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onChange: (v: T) => void;
  testId?: string;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-sm font-medium">
        {props.label}
      </label>
      <select
        id={id}
        value={props.value}
        data-testid={props.testId}
        onChange={(e) => props.onChange(e.target.value as T)}
        className={inputClass}
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
        className={`${inputClass} ${props.width ?? 'w-36'} font-mono`}
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

export function Controls({ children }: { children: ReactNode }) {
  return <div className="flex flex-wrap items-end gap-4 rounded bg-slate-50 p-3 dark:bg-slate-900">{children}</div>;
}

/** A computed number in running text, exposed to tests by its test id. */
export function Num({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <span className="font-mono font-semibold" data-testid={testId}>
      {children}
    </span>
  );
}

export function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="flex flex-col gap-3">
      <h3 className="text-base font-semibold">{title}</h3>
      {children}
    </section>
  );
}

export function Prose({ children }: { children: ReactNode }) {
  return <div className="max-w-3xl space-y-2 text-sm leading-relaxed">{children}</div>;
}
