// The Chinese catalog covers English key for key, with the same {{placeholders}}; nothing is empty.
import { describe, expect, it } from 'vitest';
import { catalogs, i18n, languageFor, LANGUAGES, NAMESPACES, parseLanguage } from './index';

/** Every leaf of a nested catalog as 'a.b.c' → string. */
function leaves(node: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
    for (const [k, v] of Object.entries(node)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, node);
  return out;
}
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*([\w.]+)[^}]*\}\}/g)].map((m) => m[1]).sort();

describe('string catalog', () => {
  it('has a namespace set shared by every language', () => {
    expect(NAMESPACES.length).toBeGreaterThan(0);
    for (const language of LANGUAGES)
      expect(Object.keys(catalogs[language] ?? {}).sort()).toEqual([...NAMESPACES].sort());
  });

  for (const ns of NAMESPACES) {
    it(`zh-CN covers every key of "${ns}" with the same placeholders`, () => {
      const en = leaves(catalogs.en[ns]);
      const zh = leaves(catalogs['zh-CN'][ns]);
      expect([...zh.keys()].sort()).toEqual([...en.keys()].sort());
      for (const [key, value] of en) {
        expect(typeof value, `en ${ns}:${key}`).toBe('string');
        expect(typeof zh.get(key), `zh-CN ${ns}:${key}`).toBe('string');
        expect((zh.get(key) as string).trim(), `zh-CN ${ns}:${key} is empty`).not.toBe('');
        expect(placeholders(zh.get(key) as string), `zh-CN ${ns}:${key}`).toEqual(placeholders(value as string));
      }
    });
  }

  it('translates through i18next in both languages', () => {
    expect(i18n.getFixedT('en', 'common')('app.title')).toBe('FGMP Explorer');
    expect(i18n.getFixedT('zh-CN', 'common')('app.title')).toBe('FGMP 探索器');
  });

  it('picks the language from the browser tags', () => {
    expect(languageFor(['zh-CN', 'en'])).toBe('zh-CN');
    expect(languageFor(['zh'])).toBe('zh-CN');
    expect(languageFor(['zh-Hans-CN'])).toBe('zh-CN');
    expect(languageFor(['zh-TW', 'en-US'])).toBe('en'); // traditional script: not ours, next preference
    expect(languageFor(['fr', 'de'])).toBe('en');
    expect(languageFor(['en-GB', 'zh-CN'])).toBe('en');
    expect(parseLanguage('zh-CN')).toBe('zh-CN');
    expect(parseLanguage('xx')).toBeNull();
  });
});
