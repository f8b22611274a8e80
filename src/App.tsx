// App shell: a header with the pages and the theme button, and the page the location hash names.
// Pages live in src/pages and stay thin over the core (and, for the explorer, over the store). An address
// that names no page (or no lesson) says so, with links, instead of showing another page under it.
import { useEffect, useState, type ReactNode } from 'react';
import { FormatsPage } from './pages/FormatsPage';
import { ExplorerPage } from './pages/explorer/ExplorerPage';
import { LearnPage, LESSONS } from './pages/learn/LearnPage';
import { toggleTheme } from './store/actions';
import { useExplorer } from './store/explorerStore';

interface PageEntry {
  id: string;
  title: string;
  render: () => ReactNode;
}

const pages: PageEntry[] = [
  { id: 'explorer', title: 'Explorer', render: () => <ExplorerPage /> },
  { id: 'formats', title: 'Number formats', render: () => <FormatsPage /> },
  { id: 'learn', title: 'Learn', render: () => <LearnPage /> },
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
  const shown = hash.length > 80 ? `${hash.slice(0, 80)}…` : hash;
  return (
    <section className="mx-auto max-w-xl space-y-3 py-8" aria-labelledby="not-found-title" data-testid="not-found">
      <h2 id="not-found-title" className="text-xl font-semibold">
        Page not found
      </h2>
      <p className="break-all">
        This app has no page at <code className="rounded bg-slate-100 px-1 dark:bg-slate-800">{shown}</code>.
      </p>
      <ul className="list-disc space-y-1 pl-6">
        {pages.map((p) => (
          <li key={p.id}>
            <a className="text-sky-800 underline dark:text-sky-300" href={`#/${p.id}`}>
              {p.title}
            </a>
          </li>
        ))}
        {LESSONS.map((l) => (
          <li key={l.id}>
            <a className="text-sky-800 underline dark:text-sky-300" href={`#/learn/${l.id}`}>
              Lesson {l.title}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function App() {
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
      {/* Phones: title and theme button on one line, the pages under them. */}
      <header className="flex flex-wrap items-center gap-x-4 gap-y-1 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <h1 className="text-lg font-semibold">FGMP Explorer</h1>
        <nav aria-label="Pages" className="order-3 flex w-full flex-wrap gap-2 sm:order-2 sm:w-auto">
          {pages.map((p) => (
            <a
              key={p.id}
              href={`#/${p.id}`}
              aria-current={p.id === page?.id ? 'page' : undefined}
              className={`rounded px-2 py-1 text-sm ${p.id === page?.id ? 'bg-slate-200 dark:bg-slate-800' : 'hover:underline'}`}
            >
              {p.title}
            </a>
          ))}
        </nav>
        <button
          type="button"
          className="btn-ghost order-2 ml-auto text-sm sm:order-3"
          aria-pressed={theme === 'dark'}
          onClick={toggleTheme}
        >
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </header>
      <main className="p-4">{page ? page.render() : <NotFound hash={hash} />}</main>
    </div>
  );
}
