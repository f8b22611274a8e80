// App shell: a header with the pages and the page the location hash names.
// Pages live in src/pages and stay thin over the core (and, for the explorer, over the store).
import { useEffect, useState, type ReactNode } from 'react';
import { FormatsPage } from './pages/FormatsPage';
import { ExplorerPage } from './pages/explorer/ExplorerPage';
import { LearnPage } from './pages/learn/LearnPage';

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

function currentPageId(): string {
  const id = window.location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return pages.some((p) => p.id === id) ? id : pages[0].id;
}

export function App() {
  const [pageId, setPageId] = useState(currentPageId);
  useEffect(() => {
    const onHash = () => setPageId(currentPageId());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const page = pages.find((p) => p.id === pageId) ?? pages[0];
  return (
    <div className="min-h-screen bg-white text-slate-900 dark:bg-slate-950 dark:text-slate-100">
      <header className="flex flex-wrap items-center gap-4 border-b border-slate-200 px-4 py-2 dark:border-slate-800">
        <h1 className="text-lg font-semibold">FGMP Explorer</h1>
        <nav aria-label="Pages" className="flex gap-2">
          {pages.map((p) => (
            <a
              key={p.id}
              href={`#/${p.id}`}
              aria-current={p.id === page.id ? 'page' : undefined}
              className={`rounded px-2 py-1 text-sm ${p.id === page.id ? 'bg-slate-200 dark:bg-slate-800' : 'hover:underline'}`}
            >
              {p.title}
            </a>
          ))}
        </nav>
      </header>
      <main className="p-4">{page.render()}</main>
    </div>
  );
}
