// The interface language: from the URL (?lang=zh-CN), else the user's earlier choice (localStorage), else
// the browser's languages, else English. The URL parameter sits in the query before the hash, so it holds on
// every route (#/explorer, #/formats, #/learn/…), survives following the app's #-links, and goes along in
// share links (the share URL keeps the page's address), while the share state in the hash is left alone: old
// links without lang open as before, and no number of the state depends on the language.
import { i18n, languageFor, parseLanguage, type Language } from '../i18n';

export const LANGUAGE_STORAGE_KEY = 'fgmp-lang';
export const LANGUAGE_PARAM = 'lang';

/** The language a location's query names (?lang=…), or null when it names none we have. */
export function languageFromSearch(search: string): Language | null {
  return parseLanguage(new URLSearchParams(search).get(LANGUAGE_PARAM));
}

/** Precedence: URL > stored choice > browser languages > English. */
export function resolveLanguage(sources: {
  search: string;
  stored: string | null;
  browser: readonly string[];
}): Language {
  return languageFromSearch(sources.search) ?? parseLanguage(sources.stored) ?? languageFor(sources.browser);
}

/** The query string with lang set to a language (other parameters kept, in order). */
export function searchWithLanguage(search: string, language: Language): string {
  const p = new URLSearchParams(search);
  p.set(LANGUAGE_PARAM, language);
  return `?${p.toString()}`;
}

/** The choice made with the switcher earlier, if any (storage can be refused: private modes, frames). */
export function storedLanguage(): string | null {
  try {
    return typeof localStorage !== 'undefined' ? localStorage.getItem(LANGUAGE_STORAGE_KEY) : null;
  } catch {
    return null;
  }
}

function browserLanguages(): readonly string[] {
  if (typeof navigator === 'undefined') return [];
  return navigator.languages?.length ? navigator.languages : navigator.language ? [navigator.language] : [];
}

/** <html lang> and the title follow the language (screen readers pick their voice from lang). */
function applyLanguage(language: Language): void {
  document.documentElement.lang = language;
  document.title = i18n.t('common:app.title');
}

/** Keeps ?lang= in the address bar (without a reload or a history entry); the hash is untouched. */
function writeUrl(language: Language): void {
  const { search, hash, pathname } = window.location;
  const next = searchWithLanguage(search, language);
  if (next !== search) history.replaceState(history.state, '', `${pathname}${next}${hash}`);
}

/** The switcher: change now, remember the choice, and put it in the URL. */
export function setLanguage(language: Language): void {
  try {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, language);
  } catch {
    // Not remembered; the URL still carries it for this visit and its links.
  }
  writeUrl(language);
  void i18n.changeLanguage(language);
}

/** Once, before the first render (main.tsx): pick the language, apply it, follow later changes. */
export function startLanguage(): void {
  const language = resolveLanguage({
    search: window.location.search,
    stored: storedLanguage(),
    browser: browserLanguages(),
  });
  i18n.on('languageChanged', (l) => applyLanguage(parseLanguage(l) ?? 'en'));
  void i18n.changeLanguage(language);
  applyLanguage(language);
  // A language other than English is written into the URL at once, so a copied address or a share link
  // opens in it; an English page without ?lang stays as its link was.
  if (language !== 'en' || languageFromSearch(window.location.search)) writeUrl(language);
}
