import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, readSharedText, sharedPath, SKIP_REASON } from '../../../tests/support/sharedData';
import { runCli } from '../../../tests/support/cli';

describe.skipIf(!hasSharedData)(`fgmp generate / fgmp ppl on stories260K (${SKIP_REASON} when absent)`, () => {
  const model = sharedPath('models/stories260K.bin');
  const tok = sharedPath('models/tok512.bin');

  it('generate: greedy, prompt "Once upon a time", -n 64 prints exactly golden/stories260K-greedy.txt', async () => {
    const r = await runCli(['generate', model, '--tokenizer', tok, '--prompt', 'Once upon a time', '-n', '64']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(readSharedText('golden/stories260K-greedy.txt'));
  });

  it('generate --bos --json: ids start with BOS and match the golden greedy ids', async () => {
    const r = await runCli(['generate', model, '--tokenizer', tok, '--bos', '-n', '20', '--json']);
    const golden = readSharedText('golden/stories260K-greedy-tokens.txt').trim().split(/\s+/).map(Number);
    expect(JSON.parse(r.out).tokens).toEqual(golden.slice(0, 21));
  });

  it('ppl --tokens --json: the four golden samples give the golden mean NLL 1.429821', async () => {
    const r = await runCli(['ppl', model, '--tokens', sharedPath('golden/stories260K-samples-4x256.txt'), '--json']);
    const j = JSON.parse(r.out);
    expect(j.tokens).toBe(4 * 255);
    expect(Math.abs(j.meanNll - 1.429821)).toBeLessThan(1e-4);
    expect(j.ppl).toBeCloseTo(Math.exp(j.meanNll), 10);
  });

  it('clear errors: missing files, ids outside the vocabulary, empty text, both or neither input', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fgmp-ppl-'));
    const bad = path.join(dir, 'bad.txt');
    writeFileSync(bad, '1 2 3\n4 512 5\n');
    const empty = path.join(dir, 'empty.txt');
    writeFileSync(empty, '');
    let r = await runCli(['ppl', model, '--tokens', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/line 2: "512" is not a token id below the vocabulary size 512/);
    r = await runCli(['ppl', model, '--tokenizer', tok, '--text', empty]);
    expect(r.err).toMatch(/is empty/);
    r = await runCli(['ppl', path.join(dir, 'nope.bin'), '--tokens', bad]);
    expect(r.err).toMatch(/model not found/);
    r = await runCli(['ppl', model, '--tokens', path.join(dir, 'nope.txt')]);
    expect(r.err).toMatch(/tokens file not found/);
    r = await runCli(['ppl', model]);
    expect(r.err).toMatch(/exactly one of --text FILE and --tokens FILE/);
    r = await runCli(['generate', model, '--tokenizer', path.join(dir, 'nope.bin'), '--bos']);
    expect(r.err).toMatch(/tokenizer not found/);
    r = await runCli(['ppl', model, '--text', sharedPath('golden/stories260K-greedy.txt')]);
    expect(r.err).toMatch(/no tokenizer/);
  });
});
