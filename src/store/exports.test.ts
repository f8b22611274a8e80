import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_STATE } from '../core/url/shareState';
import { contextLines, csvPreamble, settingsLine } from './exports';
import { wrapLine } from '../views/exporting';

describe('exports stand alone', () => {
  it('the settings line names every setting that decides a number', () => {
    expect(settingsLine(DEFAULT_SHARE_STATE)).toBe(
      'weights 30% FP8 · activations 30% FP8 · policy fgmp · clipping fisher · FP8 scaling per-tensor · 4096 calibration / 4096 evaluation tokens',
    );
    expect(settingsLine({ ...DEFAULT_SHARE_STATE, weightBudget: 0.1234, fp8Scaling: 'row' })).toMatch(
      /^weights 12\.3% FP8 .* FP8 scaling per-channel/,
    );
  });

  it('CSV preamble: title, model, settings and share URL as "# " lines, one line each', () => {
    const c = { title: 'T', model: 'm.bin', settings: 's', shareUrl: 'https://x/#/explorer?v=1' };
    expect(contextLines(c)).toEqual(['Model: m.bin', 'Settings: s', 'Share URL: https://x/#/explorer?v=1']);
    expect(csvPreamble({ ...c, model: 'two\nlines.bin' })).toBe(
      '# T\n# Model: two lines.bin\n# Settings: s\n# Share URL: https://x/#/explorer?v=1\n',
    );
  });

  it('long figure lines (a share URL) wrap into pieces that keep the figure width', () => {
    expect(wrapLine('abcdefg', 3)).toEqual(['abc', 'def', 'g']);
    // At a space or an '&' in the second half of a piece; never a word cut in two when it can be helped.
    expect(wrapLine('4096 calibration / 4096 evaluation tokens', 20)).toEqual([
      '4096 calibration /',
      '4096 evaluation',
      'tokens',
    ]);
    expect(wrapLine('v=1&model=default&calib=x', 20)).toEqual(['v=1&model=default&', 'calib=x']);
    // No break in the second half: cut at the width.
    expect(wrapLine('v=1&model=default', 14)).toEqual(['v=1&model=defa', 'ult']);
    expect(wrapLine('', 3)).toEqual(['']);
    expect(wrapLine('x'.repeat(1000), 100).every((p) => p.length === 100)).toBe(true);
  });
});
