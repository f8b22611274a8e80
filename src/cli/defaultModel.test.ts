import { describe, expect, it } from 'vitest';
import { runCli } from '../../tests/support/cli';
import { defaultModelFiles, modelArgument } from './defaultModel';

describe('the CLI without MODEL uses the embedded default model', () => {
  it('reads MODEL as optional, "default" as the default model, and refuses two', () => {
    expect(modelArgument([], 'u')).toEqual({ modelPath: defaultModelFiles.checkpoint, isDefault: true });
    expect(modelArgument(['default'], 'u').isDefault).toBe(true);
    expect(modelArgument(['x.bin'], 'u')).toEqual({ modelPath: 'x.bin', isDefault: false });
    expect(() => modelArgument(['a', 'b'], 'u')).toThrow(/at most one MODEL/);
  });

  it('fgmp info: the default checkpoint with its own tokenizer', async () => {
    const r = await runCli(['info', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.config).toMatchObject({ dim: 128, hiddenDim: 344, nLayers: 4, nHeads: 8, nKvHeads: 4, vocabSize: 512 });
    expect(j.tokenizer).toEqual({ vocabSize: 512, bosId: 1, eosId: 2 });
  });

  it('fgmp ppl: the default model on its evaluation text equals naming every file explicitly', async () => {
    const implicit = await runCli(['ppl', '--json', '--max-tokens', '600']);
    const explicit = await runCli([
      'ppl',
      defaultModelFiles.checkpoint,
      '--tokenizer',
      defaultModelFiles.tokenizer,
      '--text',
      defaultModelFiles.evaluationText,
      '--json',
      '--max-tokens',
      '600',
    ]);
    expect(implicit.code, implicit.err).toBe(0);
    const a = JSON.parse(implicit.out);
    const b = JSON.parse(explicit.out);
    expect(a.tokens).toBe(600);
    expect(a.meanNll).toBe(b.meanNll);
    expect(a.ppl).toBeGreaterThan(1);
  });
});
