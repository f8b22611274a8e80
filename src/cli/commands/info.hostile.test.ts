// Every file of the hostile corpus through `fgmp info` (in-process): a broken file gives exactly one
// line, "fgmp info: <the corpus' expected message>", exit code 1, no stack trace and no internal
// message; a file that loads with a warning exits 0 and prints it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostileCorpus } from '../../core/model/loaders/hostile/corpus';
import { runCli } from '../../../tests/support/cli';

const corpus = hostileCorpus();
const root = mkdtempSync(path.join(tmpdir(), 'fgmp-hostile-'));

/** Writes a case: one file is MODEL itself, several make a folder; the tokenizer goes beside. */
function argsFor(c: (typeof corpus)[number]): string[] {
  const dir = path.join(root, c.id);
  mkdirSync(dir);
  for (const f of c.files) writeFileSync(path.join(dir, f.name), f.bytes);
  const args = ['info', c.files.length === 1 ? path.join(dir, c.files[0].name) : dir];
  if (c.tokenizer) {
    const tokDir = path.join(root, `${c.id}-tokenizer`);
    mkdirSync(tokDir);
    writeFileSync(path.join(tokDir, c.tokenizer.name), c.tokenizer.bytes);
    args.push('--tokenizer', path.join(tokDir, c.tokenizer.name));
  }
  return args;
}

describe('fgmp info on the hostile corpus', () => {
  it.each(corpus.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const { code, out, err } = await runCli(argsFor(c));
    expect(err + out).not.toMatch(/Maximum call stack|Cannot read properties|is not a function|undefined|\n\s+at /);
    if (c.error !== undefined) {
      expect(code).toBe(1);
      expect(err).toBe(`fgmp info: ${c.error}\n`);
      expect(out).toBe('');
    } else {
      expect(code).toBe(0);
      expect(out.split('\n')).toContain(`warning: ${c.warning}`);
    }
  });
});
