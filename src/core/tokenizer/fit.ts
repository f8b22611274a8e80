// A tokenizer must never hand the model an id its embedding does not have. fitTokenizer checks the
// special ids and cuts (llama2.c / sentencepiece vocabularies) or guards (Hugging Face) a vocabulary
// larger than the embedding, and says exactly what was dropped.

import type { Tokenizer } from '../model/types';
import { Llama2cTokenizer, TokenizerError } from './llama2c';

export function fitTokenizer(
  tok: Tokenizer,
  modelVocab: number,
  what = 'tokenizer',
): { tokenizer: Tokenizer; warning?: string } {
  for (const [name, id] of [
    ['bos', tok.bosId],
    ['eos', tok.eosId],
  ] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= modelVocab)
      throw new TokenizerError(
        `${what}: ${name} id ${id} is outside the model's embedding (${modelVocab} tokens, ids 0..${modelVocab - 1})`,
      );
  }
  const n = tok.vocabSize;
  if (n <= modelVocab) return { tokenizer: tok };
  const range = `ids ${modelVocab}..${n - 1}`;
  if (tok instanceof Llama2cTokenizer) {
    return {
      tokenizer: tok.truncated(modelVocab),
      warning: `${what} has ${n} tokens, the model's embedding ${modelVocab}: the last ${n - modelVocab} (${range}) are dropped; text is encoded with ids 0..${modelVocab - 1} only`,
    };
  }
  return {
    tokenizer: new BoundedTokenizer(tok, modelVocab),
    warning: `${what} has ${n} tokens, the model's embedding ${modelVocab}: ${range} cannot be scored; encoding text that needs them fails`,
  };
}

/** Refuses to return ids at or beyond the embedding (the wrapped tokenizer's own vocabulary is larger). */
class BoundedTokenizer implements Tokenizer {
  readonly bosId: number;
  readonly eosId: number;
  constructor(
    private readonly inner: Tokenizer,
    readonly vocabSize: number,
  ) {
    this.bosId = inner.bosId;
    this.eosId = inner.eosId;
  }
  encode(text: string, options?: { bos?: boolean; eos?: boolean }): number[] {
    const ids = this.inner.encode(text, options);
    const bad = ids.findIndex((id) => id >= this.vocabSize);
    if (bad >= 0)
      throw new TokenizerError(
        `the text encodes to token id ${ids[bad]} (${JSON.stringify(this.inner.piece(ids[bad]))}), beyond the model's embedding of ${this.vocabSize} tokens`,
      );
    return ids;
  }
  decode(ids: readonly number[]): string {
    return this.inner.decode(ids);
  }
  piece(id: number): string {
    if (!(id < this.vocabSize))
      throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return this.inner.piece(id);
  }
}
