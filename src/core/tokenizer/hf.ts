// Hugging Face tokenizer.json through @huggingface/tokenizers, behind our Tokenizer interface.

import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from '../model/types';

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly tok: HfLibTokenizer;

  /** `tokenizerJson` is the parsed tokenizer.json; `tokenizerConfig` the parsed tokenizer_config.json ({} if absent). */
  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown> = {}) {
    const model = tokenizerJson.model as { vocab?: unknown } | undefined;
    if (!model || typeof model !== 'object')
      throw new Error('tokenizer.json has no "model" section: not a Hugging Face tokenizer file');
    try {
      this.tok = new HfLibTokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new Error(`tokenizer.json: ${(e as Error).message}`);
    }
    let size = 0;
    const vocab = model.vocab;
    if (Array.isArray(vocab))
      size = vocab.length; // Unigram: [piece, score][]
    else if (vocab && typeof vocab === 'object')
      size = Math.max(-1, ...Object.values(vocab as Record<string, number>)) + 1;
    for (const t of (tokenizerJson.added_tokens as { id: number }[] | undefined) ?? []) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    this.bosId = this.specialId(tokenizerConfig.bos_token, '<s>', 1);
    this.eosId = this.specialId(tokenizerConfig.eos_token, '</s>', 2);
  }

  private specialId(configured: unknown, fallbackToken: string, fallbackId: number): number {
    const content =
      typeof configured === 'string' ? configured : (configured as { content?: string } | undefined)?.content;
    return this.tok.token_to_id(content ?? fallbackToken) ?? this.tok.token_to_id(fallbackToken) ?? fallbackId;
  }

  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    // Special tokens are added here, not by the tokenizer's post-processor, so bos/eos mean the same for every tokenizer.
    const ids = this.tok.encode(text, { add_special_tokens: false }).ids;
    if (ids.some((id) => !Number.isInteger(id))) {
      throw new Error(
        'tokenizer.json could not map part of the text to a token id (its model has no usable unk token)',
      );
    }
    if (options.bos) ids.unshift(this.bosId);
    if (options.eos) ids.push(this.eosId);
    return ids;
  }

  decode(ids: readonly number[]): string {
    return this.tok.decode([...ids], { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  piece(id: number): string {
    const p = this.tok.id_to_token(id);
    if (p === undefined) throw new Error(`token id ${id} is outside the vocabulary`);
    return p;
  }
}
