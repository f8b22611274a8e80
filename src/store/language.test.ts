// @vitest-environment happy-dom
// The interface language: URL > stored choice > browser > English; the switcher keeps ?lang in the URL and
// leaves the hash (the route and the share state) exactly as it was.
import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../i18n';
import { decodeShareHash } from '../core/url/shareState';
import {
  LANGUAGE_STORAGE_KEY,
  languageFromSearch,
  resolveLanguage,
  searchWithLanguage,
  setLanguage,
  startLanguage,
} from './language';

afterEach(() => {
  localStorage.clear();
  history.replaceState(null, '', '/');
  void i18n.changeLanguage('en');
});

describe('language from the URL', () => {
  it('reads lang from the query, refusing languages we lack', () => {
    expect(languageFromSearch('?lang=zh-CN')).toBe('zh-CN');
    expect(languageFromSearch('?x=1&lang=en')).toBe('en');
    expect(languageFromSearch('?lang=fr')).toBeNull();
    expect(languageFromSearch('?lang=zh-cn')).toBeNull(); // the exact tag only, as the app writes it
    expect(languageFromSearch('')).toBeNull();
  });

  it('sets lang, keeping the other parameters', () => {
    expect(searchWithLanguage('', 'zh-CN')).toBe('?lang=zh-CN');
    expect(searchWithLanguage('?a=1&lang=en', 'zh-CN')).toBe('?a=1&lang=zh-CN');
  });
});

describe('precedence', () => {
  const browserZh = ['zh-CN', 'en'];
  it('URL over stored choice over browser over English', () => {
    expect(resolveLanguage({ search: '?lang=en', stored: 'zh-CN', browser: browserZh })).toBe('en');
    expect(resolveLanguage({ search: '?lang=zh-CN', stored: 'en', browser: ['en'] })).toBe('zh-CN');
    expect(resolveLanguage({ search: '', stored: 'en', browser: browserZh })).toBe('en');
    expect(resolveLanguage({ search: '', stored: 'zh-CN', browser: ['en-US'] })).toBe('zh-CN');
    expect(resolveLanguage({ search: '', stored: null, browser: browserZh })).toBe('zh-CN');
    expect(resolveLanguage({ search: '', stored: null, browser: ['de-DE'] })).toBe('en');
    expect(resolveLanguage({ search: '', stored: null, browser: [] })).toBe('en');
  });

  it('an unusable URL or stored value falls through to the next source', () => {
    expect(resolveLanguage({ search: '?lang=klingon', stored: 'zh-CN', browser: ['en'] })).toBe('zh-CN');
    expect(resolveLanguage({ search: '?lang=', stored: 'garbage', browser: browserZh })).toBe('zh-CN');
  });
});

describe('starting and switching', () => {
  const shareHash = '#/explorer?v=1&model=default&budget=0.3&abudget=0.7&policy=fgmp';

  it('a link with lang opens in it; <html lang> and the title follow', () => {
    history.replaceState(null, '', `/?lang=zh-CN${shareHash}`);
    startLanguage();
    expect(i18n.language).toBe('zh-CN');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(document.title).toBe('FGMP 探索器');
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBeNull(); // a link does not change the user's choice
  });

  it('the switcher remembers, writes ?lang and leaves the share state in the hash alone', () => {
    history.replaceState(null, '', `/app/${shareHash}`);
    const before = decodeShareHash(window.location.hash);
    setLanguage('zh-CN');
    expect(window.location.pathname).toBe('/app/');
    expect(window.location.search).toBe('?lang=zh-CN');
    expect(window.location.hash).toBe(shareHash);
    expect(decodeShareHash(window.location.hash)).toEqual(before);
    expect(localStorage.getItem(LANGUAGE_STORAGE_KEY)).toBe('zh-CN');
    expect(document.documentElement.lang).toBe('zh-CN');
    setLanguage('en');
    expect(window.location.search).toBe('?lang=en');
    expect(document.documentElement.lang).toBe('en');
  });

  it('a stored choice applies to a link without lang and is written into the URL', () => {
    localStorage.setItem(LANGUAGE_STORAGE_KEY, 'zh-CN');
    history.replaceState(null, '', '/#/learn/formats');
    startLanguage();
    expect(i18n.language).toBe('zh-CN');
    expect(window.location.search).toBe('?lang=zh-CN');
    expect(window.location.hash).toBe('#/learn/formats');
  });
});
