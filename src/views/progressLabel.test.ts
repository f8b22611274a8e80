// Progress labels and units in both languages: the core's English labels are recognised and translated,
// unknown ones pass through; the unit agrees with the amount shown ("1 point/s").
import { afterEach, describe, expect, it } from 'vitest';
import { i18n } from '../i18n';
import { progressLabel } from './progressLabel';
import { formatDuration, unitWord } from './ui';

afterEach(() => void i18n.changeLanguage('en'));

describe('progress labels', () => {
  it('English labels stay as the core made them', () => {
    for (const label of [
      'Perplexity (this configuration)',
      'Perplexity (all-FP8)',
      'Sampling 4,096 calibration tokens from the model (seed 7)',
      'Downloading stories260K.bin',
    ])
      expect(progressLabel(label)).toBe(label);
  });

  it('Chinese: known labels translated with their values, unknown ones kept', async () => {
    await i18n.changeLanguage('zh-CN');
    expect(progressLabel('Perplexity (all-NVFP4)')).toBe('困惑度（全 NVFP4）');
    expect(progressLabel('Sampling 4,096 calibration tokens from the model (seed 7)')).toBe(
      '正在从模型采样 4,096 个校准 token（种子 7）',
    );
    expect(progressLabel('Downloading a b.bin')).toBe('正在下载 a b.bin');
    expect(progressLabel('Something new')).toBe('Something new');
  });

  it('units agree with the amount; durations in the language', async () => {
    expect(unitWord('points', 1)).toBe('point');
    expect(unitWord('points', 1.2)).toBe('point'); // shown rounded
    expect(unitWord('points', 2)).toBe('points');
    expect(unitWord('tokens', 0)).toBe('tokens');
    expect(formatDuration(75)).toBe('75 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    await i18n.changeLanguage('zh-CN');
    expect(unitWord('points', 1)).toBe('个点');
    expect(formatDuration(125)).toBe('2 分 5 秒');
  });
});
