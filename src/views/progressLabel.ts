// Progress labels in the interface's language. The labels are made in the core and the worker, which the
// CLI shares, so they are English there; the known ones are matched here and said through the catalog
// (common:progress.labels), anything else is shown as it came.
import { i18n } from '../i18n';

const PATTERNS: readonly [RegExp, string, readonly string[]][] = [
  [/^Perplexity$/, 'perplexity', []],
  [/^Perplexity \(this configuration\)$/, 'perplexityConfig', []],
  [/^Perplexity \(all-(\w+)\)$/, 'perplexityAll', ['format']],
  [/^Perplexity \(float32\)$/, 'perplexityFloat', []],
  [/^Perplexity \((\d+) mantissa bits, truncated\)$/, 'perplexityTruncated', ['bits']],
  [/^Perplexity \((\d+) mantissa bits, rounded\)$/, 'perplexityRounded', ['bits']],
  [/^Calibrating Fisher information$/, 'fisher', []],
  [/^Sampling (\S+) calibration tokens from the model \(seed (\d+)\)$/, 'sampleCalibration', ['count', 'seed']],
  [/^Sampling (\S+) evaluation tokens from the model \(seed (\d+)\)$/, 'sampleEvaluation', ['count', 'seed']],
  [/^Quantizing weights \(NVFP4 with clip search, FP8\)$/, 'quantize', []],
  [/^Sweep: perplexity of each block-selection rule$/, 'sweep', []],
  [/^Parsing checkpoint$/, 'parse', []],
  [/^Downloading (.+)$/s, 'download', ['name']],
];

/** The label in the current language (the English label when it is not one we know). */
export function progressLabel(label: string): string {
  for (const [re, key, names] of PATTERNS) {
    const m = re.exec(label);
    if (m) {
      const values = Object.fromEntries(names.map((n, i) => [n, m[i + 1]]));
      return i18n.t(`common:progress.labels.${key}`, values);
    }
  }
  return label;
}
