// App shell: a header with the pages, the language menu and the theme button, and the page the location
// hash names.
// Pages live in src/pages and stay thin over the core (and, for the explorer, over the store). An address
// that names no page (or no lesson) says so, with links, instead of showing another page under it.
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGE_NAMES, LANGUAGES, parseLanguage, type Language } from './i18n';
import { FormatsPage } from './pages/FormatsPage';
import { ExplorerPage } from './pages/explorer/ExplorerPage';
import { LearnPage, LESSONS } from './pages/learn/LearnPage';
import { toggleTheme } from './store/actions';
import { useExplorer } from './store/explorerStore';
import { usePageDrop } from './views/ProfilePanel';
import { setLanguage } from './store/language';

interface PageEntry {
  id: 'explorer' | 'formats' | 'learn';
  render: () => ReactNode;
}

// Titles: common:pages.<id>.
const pages: PageEntry[] = [
  { id: 'explorer', render: () => <ExplorerPage /> },
  { id: 'formats', render: () => <FormatsPage /> },
  { id: 'learn', render: () => <LearnPage /> },
];

/** The page a hash names: '' and '#/' open the explorer; null when it names no page or no lesson. */
export function routeFromHash(hash: string): string | null {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/');
  const id = parts[0] || pages[0].id;
  if (!pages.some((p) => p.id === id)) return null;
  if (id === 'learn' && parts[1] && !LESSONS.some((l) => l.id === parts[1])) return null;
  if (id !== 'learn' && parts.length > 1 && parts[1] !== '') return null;
  return id;
}

function NotFound({ hash }: { hash: string }) {
  const { t } = useTranslation();
  const shown = hash.length > 80 ? `${hash.slice(0, 80)}…` : hash;
  return (
    <section className="mx-auto max-w-xl space-y-3 py-8" aria-labelledby="not-found-title" data-testid="not-found">
      <h2 id="not-found-title" className="text-xl font-semibold">
        {t('notFound.title')}
      </h2>
      <p className="break-all">
        {t('notFound.before')}
        <code className="rounded bg-slate-100 px-1 dark:bg-slate-800">{shown}</code>
        {t('notFound.after')}
      </p>
      <ul className="list-disc space-y-1 pl-6">
        {pages.map((p) => (
          <li key={p.id}>
            <a className="text-sky-800 underline dark:text-sky-300" href={`#/${p.id}`}>
              {t(`pages.${p.id}`)}
            </a>
          </li>
        ))}
        {LESSONS.map((l) => (
          <li key={l.id}>
            <a className="text-sky-800 underline dark:text-sky-300" href={`#/learn/${l.id}`}>
              {t('notFound.lesson', { title: l.title })}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The language menu: each language named in itself (and marked with its lang, for screen readers). */
function LanguageMenu() {
  const { t, i18n } = useTranslation();
  const current: Language = parseLanguage(i18n.language) ?? 'en';
  return (
    <select
      aria-label={t('language.label')}
      title={t('language.label')}
      className="order-2 ml-auto rounded border border-slate-300 bg-white px-1 py-1 text-sm dark:border-slate-700 dark:bg-slate-900 sm:order-3"
      value={current}
      onChange={(e) => setLanguage(parseLanguage(e.target.value) ?? 'en')}
      data-testid="language-menu"
    >
      {LANGUAGES.map((l) => (
        <option key={l} value={l} lang={l}>
          {LANGUAGE_NAMES[l]}
        </option>
      ))}
    </select>
  );
}

/** Files dropped on a page other than the explorer (which takes its own) open there. */
function DropAnywhere() {
  usePageDrop(true);
  return null;
}

export function App() {
  const { t } = useTranslation();
  const [hash, setHash] = useState(() => window.location.hash);
  const theme = useExplorer((s) => s.theme);
  useEffect(() => {
    const onHash = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const pageId = routeFromHash(hash);
  const page = pages.find((p) => p.id === pageId) ?? null;
  return (
    <div className="min-h-screen bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100">
      {/* Phones: title, language menu and theme button on one line, the pages under them. */}
      <header className="flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <h1 className="text-lg font-semibold">{t('app.title')}</h1>
        <nav aria-label={t('nav.label')} className="order-3 flex w-full flex-wrap gap-2 sm:order-2 sm:w-auto">
          {pages.map((p) => (
            <a
              key={p.id}
              href={`#/${p.id}`}
              aria-current={p.id === page?.id ? 'page' : undefined}
              className={`rounded px-2 py-1 text-sm ${p.id === page?.id ? 'bg-slate-200 dark:bg-slate-800' : 'hover:underline'}`}
            >
              {t(`pages.${p.id}`)}
            </a>
          ))}
        </nav>
        <LanguageMenu />
        <button
          type="button"
          className="btn-ghost order-2 text-sm sm:order-3"
          aria-pressed={theme === 'dark'}
          onClick={toggleTheme}
        >
          {theme === 'dark' ? t('theme.light') : t('theme.dark')}
        </button>
      </header>
      <main className="p-4">{page ? page.render() : <NotFound hash={hash} />}</main>
      {page?.id !== 'explorer' && <DropAnywhere />}
    </div>
  );
}
