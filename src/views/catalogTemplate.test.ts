// The fast catalog path gives what i18next gives, in both languages, and follows a language change.
import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../i18n';
import { catalogTemplate } from './catalogTemplate';

describe('catalogTemplate', () => {
  afterEach(() => i18n.changeLanguage('en'));

  it('equals i18n.t for the heatmap cell names and energy titles, in English and Chinese', async () => {
    const th = catalogTemplate('explorer', 'heatmapChart');
    const te = catalogTemplate('explorer', 'energyChart');
    const cell = { layer: 3, proj: 'down', pct: '12.5', count: ' (1 of 8 blocks)', pin: '' };
    for (const lng of ['en', 'zh-CN']) {
      await i18n.changeLanguage(lng);
      expect(th('cell', cell)).toBe(i18n.t('explorer:heatmapChart.cell', cell));
      expect(th('count', { k: '1,024', n: '2,048' })).toBe(
        i18n.t('explorer:heatmapChart.count', { k: '1,024', n: '2,048' }),
      );
      expect(te('fp8Title', { value: '3.2nJ' })).toBe(i18n.t('explorer:energyChart.fp8Title', { value: '3.2nJ' }));
    }
    // The same function follows a change of language (its cache is per language).
    await i18n.changeLanguage('en');
    const en = th('cell', cell);
    await i18n.changeLanguage('zh-CN');
    expect(th('cell', cell)).not.toBe(en);
    expect(th('row', { layer: 1 })).toBe(i18n.t('explorer:heatmapChart.row', { layer: 1 }));
  });
});
