// Number formats: the table of every scalar format (DESIGN.md §2) and a probe that shows, for a
// typed value, its code, bits, decoded value and rounding error in each format. All numbers come
// from src/core/formats; this component only lays them out.
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import {
  MX_BLOCK,
  MX_FORMATS,
  NVFP4_BLOCK,
  SCALAR_FORMATS,
  SCHEMES,
  formatNumber,
  parseValueInput,
  probeAll,
  type SchemeInfo,
} from '../core/formats/index.ts';

const cell = 'border-b border-slate-200 px-2 py-1 dark:border-slate-800';
const head = `${cell} whitespace-nowrap text-left font-medium`;

/** A wide table scrolls inside its own box (keyboard-focusable), never the page (issue 15: 390 px, 200 % zoom). */
function ScrollX({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} className="max-w-full overflow-x-auto">
      {children}
    </div>
  );
}

const TABLE_COLUMNS = [
  'id',
  'format',
  'bits',
  'exp',
  'man',
  'bias',
  'maxFinite',
  'minNormal',
  'minSubnormal',
  'inf',
  'nan',
];
const PROBE_COLUMNS = ['format', 'code', 'bits', 'decoded', 'absError', 'relError'];

/** A block format's layout in the current language (the core's description is the English of it). */
function blockDescription(t: TFunction, b: SchemeInfo): string {
  if (b.kind === 'nvfp4') return t('blocks.nvfp4', { n: NVFP4_BLOCK });
  return t('blocks.mx', { n: MX_BLOCK, element: (MX_FORMATS[b.id] ?? b.id).toUpperCase() });
}

function FormatsTable() {
  const { t } = useTranslation('formats');
  const yes = (v: boolean) => t(v ? 'table.yes' : 'table.no');
  return (
    <ScrollX label={t('table.aria')}>
      <table data-testid="formats-table" className="text-sm">
        <thead>
          <tr>
            {TABLE_COLUMNS.map((h) => (
              <th key={h} className={head}>
                {t(`table.column.${h}`)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {SCALAR_FORMATS.map((f) => (
            <tr key={f.id} data-testid={`fmt-row-${f.id}`}>
              <td className={`${cell} font-mono`}>{f.id}</td>
              <td className={cell}>{f.name}</td>
              <td className={cell} data-testid={`fmt-bits-${f.id}`}>
                {f.bits}
              </td>
              <td className={cell}>{f.expBits}</td>
              <td className={cell}>{f.manBits}</td>
              <td className={cell}>{f.bias}</td>
              <td className={`${cell} font-mono`} data-testid={`fmt-max-${f.id}`}>
                {formatNumber(f.maxFinite)}
              </td>
              <td className={`${cell} font-mono`} data-testid={`fmt-minnormal-${f.id}`}>
                {formatNumber(f.minNormal)}
              </td>
              <td className={`${cell} font-mono`} data-testid={`fmt-minsub-${f.id}`}>
                {f.hasSubnormals ? formatNumber(f.minSubnormal) : '—'}
              </td>
              <td className={cell}>{yes(f.hasInf)}</td>
              <td className={cell}>{yes(f.hasNaN)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollX>
  );
}

function ValueProbe() {
  const { t } = useTranslation('formats');
  const [text, setText] = useState('0.3');
  const parsed = useMemo(() => parseValueInput(text), [text]);
  const rows = useMemo(() => ('value' in parsed ? probeAll(parsed.value) : []), [parsed]);
  const typed = text.trim();
  // The core's refusal, worded by the catalog: nothing typed, or not a number (long input shortened as there).
  const refusal =
    typed === ''
      ? t('probe.empty')
      : t('probe.notANumber', { text: typed.length > 40 ? typed.slice(0, 40) + '…' : typed });
  return (
    <section className="space-y-2">
      <h2 className="text-base font-semibold">{t('probe.title')}</h2>
      <label className="flex items-center gap-2 text-sm">
        {t('probe.value')}
        <input
          data-testid="probe-input"
          className="w-64 rounded border border-slate-300 px-2 py-1 font-mono dark:border-slate-700 dark:bg-slate-900"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
        />
      </label>
      {'error' in parsed ? (
        <p role="alert" data-testid="probe-message" className="text-sm text-red-700 dark:text-red-400">
          {refusal}
        </p>
      ) : (
        <ScrollX label={t('probe.aria')}>
          <table data-testid="probe-table" className="text-sm">
            <thead>
              <tr>
                {PROBE_COLUMNS.map((h) => (
                  <th key={h} className={head}>
                    {t(`probe.column.${h}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid={`probe-row-${r.id}`}>
                  <td className={`${cell} font-mono`}>{r.id}</td>
                  <td className={`${cell} font-mono`} data-testid={`probe-hex-${r.id}`}>
                    {r.hex}
                  </td>
                  <td className={`${cell} font-mono`} data-testid={`probe-bits-${r.id}`}>
                    {r.bits}
                  </td>
                  <td className={`${cell} font-mono`} data-testid={`probe-value-${r.id}`}>
                    {r.value}
                  </td>
                  <td className={`${cell} font-mono`} data-testid={`probe-abs-${r.id}`}>
                    {r.absError}
                  </td>
                  <td className={`${cell} font-mono`} data-testid={`probe-rel-${r.id}`}>
                    {r.relError}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollX>
      )}
      <p className="text-xs text-slate-600 dark:text-slate-400">{t('probe.note')}</p>
    </section>
  );
}

export function FormatsPage() {
  const { t } = useTranslation('formats');
  const blocks = SCHEMES.filter((s) => s.kind === 'nvfp4' || s.kind === 'mx');
  return (
    <div className="space-y-6">
      <section className="space-y-2">
        <h2 className="text-base font-semibold">{t('title')}</h2>
        <FormatsTable />
        <ul className="list-disc pl-6 text-sm" data-testid="block-formats">
          {blocks.map((b) => (
            <li key={b.id}>
              <span className="font-mono">{b.id}</span>: {blockDescription(t, b)}
            </li>
          ))}
        </ul>
      </section>
      <ValueProbe />
    </div>
  );
}
