// The colour theme: the user's choice (kept in localStorage) or, until they choose, the system's
// preference (followed live). Applied to <html> before the first render, so every route (a lesson opened
// directly included) starts in the right theme, and kept in step with the store afterwards.
import { useExplorer } from './explorerStore';

export type Theme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'fgmp-theme';

const darkQuery = () =>
  typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

/** The theme the user chose earlier, if any (storage can be refused: private modes, sandboxed frames). */
export function storedTheme(): Theme | null {
  try {
    const t = typeof localStorage !== 'undefined' ? localStorage.getItem(THEME_STORAGE_KEY) : null;
    return t === 'dark' || t === 'light' ? t : null;
  } catch {
    return null;
  }
}

/** The user's choice, else the system's preference. */
export function initialTheme(): Theme {
  return storedTheme() ?? (darkQuery()?.matches ? 'dark' : 'light');
}

function applyTheme(theme: Theme): void {
  document.documentElement.classList.toggle('dark', theme === 'dark');
  document.documentElement.style.colorScheme = theme;
}

/** The theme button: switches and remembers the choice (from then on the system's preference is not followed). */
export function toggleTheme(): void {
  const theme: Theme = useExplorer.getState().theme === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Not remembered; it still applies to this visit.
  }
  useExplorer.setState({ theme });
}

/** Once, before the first render (main.tsx): apply, follow the store, follow the system until the user chooses. */
export function startTheme(): void {
  applyTheme(useExplorer.getState().theme);
  useExplorer.subscribe((s, prev) => {
    if (s.theme !== prev.theme) applyTheme(s.theme);
  });
  darkQuery()?.addEventListener('change', (e) => {
    if (!storedTheme()) useExplorer.setState({ theme: e.matches ? 'dark' : 'light' });
  });
}
