// The string catalog: every user-visible string of the app, in English and Simplified Chinese.
// One JSON file per namespace and language, ./locales/<language>/<namespace>.json. English is the source
// and the fallback; catalog.test.ts checks that every other language has exactly English's keys and
// placeholders. Views read strings with react-i18next's useTranslation('<namespace>'); code outside React
// (the store's messages) uses i18n.t. Core messages shared with the CLI stay English.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
/** Each language named in itself, for the switcher. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

type Catalog = Record<string, unknown>;
const files = import.meta.glob<{ default: Catalog }>('./locales/*/*.json', { eager: true });
/** catalogs[language][namespace]: the JSON files as loaded. */
export const catalogs: Record<string, Record<string, Catalog>> = {};
for (const [path, module] of Object.entries(files)) {
  const match = /\/locales\/([^/]+)\/([^/]+)\.json$/.exec(path);
  if (match) (catalogs[match[1]] ??= {})[match[2]] = module.default;
}
export const NAMESPACES = Object.keys(catalogs.en ?? {});

/** The language we have for a list of BCP 47 tags in preference order (navigator.languages): any Chinese
 * tag but the traditional ones (zh-TW, zh-HK, zh-Hant) picks Simplified Chinese; otherwise English. */
export function languageFor(tags: readonly string[]): Language {
  for (const tag of tags) {
    const t = tag.toLowerCase();
    if (t === 'en' || t.startsWith('en-')) return 'en';
    if (t === 'zh' || t.startsWith('zh-')) {
      if (/^zh-(tw|hk|mo|hant)/.test(t)) continue;
      return 'zh-CN';
    }
  }
  return 'en';
}

/** A language tag from a URL or storage, or null when it names none we have. */
export function parseLanguage(value: string | null | undefined): Language | null {
  if (!value) return null;
  return (LANGUAGES as readonly string[]).includes(value) ? (value as Language) : null;
}

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources: catalogs,
  lng: 'en',
  fallbackLng: 'en',
  ns: NAMESPACES,
  defaultNS: 'common',
  interpolation: { escapeValue: false }, // React escapes
  initAsync: false, // resources are bundled: ready before the first render
  returnNull: false,
});
