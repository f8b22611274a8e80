// Layout pieces of the teaching pages: a row of controls, a section, running text, and computed numbers
// in that text (exposed to tests by their test id). The controls themselves are in src/views/inputs.
import type { ReactNode } from 'react';

export function Controls({ children }: { children: ReactNode }) {
  return <div className="flex flex-wrap items-end gap-4 rounded bg-slate-50 p-3 dark:bg-slate-900">{children}</div>;
}

/** A computed number in running text, exposed to tests by its test id. In a catalog sentence it is a
 * <Trans> component ({ n: <Num testId="…" /> }) whose children come from the translated text. */
export function Num({ children, testId }: { children?: ReactNode; testId?: string }) {
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
