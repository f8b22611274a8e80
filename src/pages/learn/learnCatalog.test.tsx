// The learn and formats catalogs as the pages use them: every lesson and the formats page render in both
// languages without a missing key (i18next would show the key itself), the Chinese text is Chinese, and
// each translated sentence keeps English's inline components (<n>…</n>) so <Trans> fills the same slots.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ComponentType } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { catalogs, i18n } from '../../i18n';
import { LearnPage, LESSONS } from './LearnPage';
import { FormatsLesson } from './FormatsLesson';
import { TruncationLesson } from './TruncationLesson';
import { UniformLesson } from './UniformLesson';
import { GranularityLesson } from './GranularityLesson';
import { OutliersLesson } from './OutliersLesson';
import { CalibrationLesson } from './CalibrationLesson';
import { TourLesson } from './TourLesson';
import { FormatsPage } from '../FormatsPage';

function leaves(node: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, String(node));
  return out;
}
const tags = (s: string) => [...s.matchAll(/<(\/?)(\w+)\s*(\/?)>/g)].map((m) => `${m[1]}${m[2]}${m[3]}`).sort();
const text = (html: string) => html.replace(/<[^>]*>/g, ' ');

const PAGES: [string, ComponentType, string][] = [
  ['formats', FormatsLesson, 'learn'],
  ['truncation', TruncationLesson, 'learn'],
  ['uniform', UniformLesson, 'learn'],
  ['granularity', GranularityLesson, 'learn'],
  ['outliers', OutliersLesson, 'learn'],
  ['calibration', CalibrationLesson, 'learn'],
  ['tour', TourLesson, 'learn'],
  ['the formats page', FormatsPage, 'formats'],
];

afterAll(() => i18n.changeLanguage('en'));

describe('learn catalog in use', () => {
  for (const ns of ['learn', 'formats']) {
    it(`${ns}: zh-CN keeps the inline components of every English sentence`, () => {
      const zh = leaves(catalogs['zh-CN'][ns]);
      for (const [key, en] of leaves(catalogs.en[ns]))
        expect(tags(zh.get(key) ?? ''), `${ns}:${key}`).toEqual(tags(en));
    });
  }

  const keyPattern = (ns: string) => new RegExp(`\\b(${Object.keys(catalogs.en[ns]).join('|')})\\.[A-Za-z]`);
  for (const language of ['en', 'zh-CN']) {
    for (const [name, Page, ns] of PAGES) {
      it(`${name} renders in ${language} with no missing key`, async () => {
        await i18n.changeLanguage(language);
        const shown = text(renderToStaticMarkup(<Page />));
        expect(shown).not.toMatch(keyPattern(ns));
        const han = (shown.match(/[\u4e00-\u9fff]/g) ?? []).length;
        if (language === 'en') expect(han).toBe(0);
        else expect(han).toBeGreaterThan(ns === 'learn' ? 100 : 30);
      });
    }
    it(`the lesson list and chrome render in ${language}`, async () => {
      await i18n.changeLanguage(language);
      vi.stubGlobal('window', { location: { hash: '#/learn/formats' } });
      const html = renderToStaticMarkup(<LearnPage />);
      vi.unstubAllGlobals();
      for (const l of LESSONS) expect(html).toContain(l.title);
      expect(LESSONS[3].title).toBe(language === 'en' ? '4. Granularity' : '4. 粒度');
    });
  }
});
