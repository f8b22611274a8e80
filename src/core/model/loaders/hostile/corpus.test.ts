// Every file of the hostile corpus through loadCheckpoint (and loadTokenizerFile for a separate
// tokenizer, as the CLI's --tokenizer does): the exact expected error, or a load with the exact
// expected warning. Counts per format and kind are printed and checked.
import { describe, expect, it } from 'vitest';
import { loadCheckpoint, loadTokenizerFile } from '../index';
import { hostileCorpus, type HostileCase } from './corpus';

function load(c: HostileCase) {
  const loaded = loadCheckpoint(c.files);
  if (c.tokenizer)
    loaded.model.tokenizer = loadTokenizerFile(
      c.tokenizer,
      loaded.model.config.vocabSize,
      undefined,
      loaded.report.warnings,
    );
  return loaded;
}

const corpus = hostileCorpus();

describe('hostile corpus', () => {
  it('has unique ids, one expectation each, and covers every format and kind', () => {
    expect(new Set(corpus.map((c) => c.id)).size).toBe(corpus.length);
    for (const c of corpus) expect(Number(c.error !== undefined) + Number(c.warning !== undefined), c.id).toBe(1);
    const counts = new Map<string, number>();
    for (const c of corpus) counts.set(`${c.format} / ${c.kind}`, (counts.get(`${c.format} / ${c.kind}`) ?? 0) + 1);
    const byFormat = new Map<string, number>();
    for (const c of corpus) byFormat.set(c.format, (byFormat.get(c.format) ?? 0) + 1);
    console.log(
      `hostile corpus: ${corpus.length} files\n` +
        [...byFormat].map(([f, n]) => `  ${f}: ${n}`).join('\n') +
        '\n' +
        [...counts]
          .sort()
          .map(([k, n]) => `    ${k}: ${n}`)
          .join('\n'),
    );
    expect([...byFormat.keys()].sort()).toEqual(['gguf', 'llama2c', 'safetensors', 'tokenizer.bin', 'tokenizer.json']);
    const kinds = new Set(corpus.map((c) => c.kind));
    for (const k of [
      'truncation',
      'lying-header',
      'bad-json',
      'overlap',
      'deep-nesting',
      'huge-count',
      'non-finite',
      'wrong-type',
    ])
      expect(kinds.has(k as HostileCase['kind']), k).toBe(true);
  });

  it.each(corpus.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    if (c.error !== undefined) {
      let message: string | undefined;
      try {
        load(c);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toBe(c.error);
    } else {
      const { report } = load(c);
      expect(report.warnings).toContain(c.warning);
    }
  });
});
