// Hugging Face tokenizer.json through @huggingface/tokenizers, behind our Tokenizer interface.
// The parsed JSON is schema-checked first: the library dereferences whatever it is given.

import { Tokenizer as HfLibTokenizer } from '@huggingface/tokenizers';
import type { Tokenizer } from '../model/types';
import { CheckpointError } from '../model/loaders/common';
import { asObject, describeJson, Fields } from '../model/loaders/json';

/** Checks the parts of tokenizer.json this wrapper and the library read; returns the vocabulary size. */
function checkTokenizerJson(json: unknown, file: string): number {
  const f = new Fields(asObject(json, file), file);
  const model = f.object('model');
  if (!model) throw new CheckpointError(`${file} has no "model" section: not a Hugging Face tokenizer file`);
  const m = f.nested('model', model);
  const type = m.string('type', { nullable: true });
  const vocab = m.get('vocab');
  let size = 0;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score][]
    vocab.forEach((e, i) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number' || !Number.isFinite(e[1]))
        throw new CheckpointError(`${file}: model.vocab[${i}] must be [piece, score], found ${describeJson(e)}`);
    });
    size = vocab.length;
  } else if (typeof vocab === 'object' && vocab !== null) {
    for (const [piece, id] of Object.entries(vocab)) {
      if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= 1 << 24)
        throw new CheckpointError(
          `${file}: model.vocab[${JSON.stringify(piece)}] must be a token id in 0..${(1 << 24) - 1}, found ${describeJson(id)}`,
        );
      size = Math.max(size, (id as number) + 1);
    }
  } else {
    throw new CheckpointError(
      `${file}: model.vocab must be an object (BPE, WordPiece) or an array (Unigram)${type ? ` for model type ${type}` : ''}, found ${describeJson(vocab)}`,
    );
  }
  if (type === 'BPE') {
    const merges = m.array('merges', { nullable: true });
    merges?.forEach((x, i) => {
      if (typeof x !== 'string' && !(Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === 'string')))
        throw new CheckpointError(`${file}: model.merges[${i}] must be "a b" or ["a", "b"], found ${describeJson(x)}`);
    });
  }
  const added = f.array('added_tokens', { nullable: true }) ?? [];
  added.forEach((t, i) => {
    const a = new Fields(asObject(t, file, `added_tokens[${i}]`), file, `added_tokens[${i}].`);
    const id = a.requiredInteger('id');
    if (id >= 1 << 24) throw new CheckpointError(`${file}: added_tokens[${i}].id ${id} is out of range`);
    if (a.string('content') === undefined) throw new CheckpointError(`${file}: added_tokens[${i}].content is missing`);
    size = Math.max(size, id + 1);
  });
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) f.object(key, { nullable: true });
  return size;
}

/** bos_token / eos_token of tokenizer_config.json: a string, {content: string}, or null. */
function configuredToken(config: Record<string, unknown>, key: string, file: string): string | undefined {
  const v = config[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  const content = typeof v === 'object' && !Array.isArray(v) ? (v as { content?: unknown }).content : undefined;
  if (typeof content !== 'string')
    throw new CheckpointError(`${file}: ${key} must be a string or {"content": string}, found ${describeJson(v)}`);
  return content;
}

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly tok: HfLibTokenizer;

  /** `tokenizerJson` is the parsed tokenizer.json; `tokenizerConfig` the parsed tokenizer_config.json ({} if absent). */
  constructor(
    tokenizerJson: unknown,
    tokenizerConfig: unknown = {},
    files: { file?: string; configFile?: string } = {},
  ) {
    const file = files.file ?? 'tokenizer.json';
    const configFile = files.configFile ?? 'tokenizer_config.json';
    this.vocabSize = checkTokenizerJson(tokenizerJson, file);
    const config = asObject(tokenizerConfig, configFile);
    const bos = configuredToken(config, 'bos_token', configFile);
    const eos = configuredToken(config, 'eos_token', configFile);
    try {
      this.tok = new HfLibTokenizer(tokenizerJson as Record<string, unknown>, config);
    } catch (e) {
      throw new CheckpointError(`${file}: ${(e as Error).message}`);
    }
    this.bosId = this.specialId(bos, '<s>', 1, file);
    this.eosId = this.specialId(eos, '</s>', 2, file);
  }

  private specialId(configured: string | undefined, fallbackToken: string, fallbackId: number, file: string): number {
    const id = this.tok.token_to_id(configured ?? fallbackToken) ?? this.tok.token_to_id(fallbackToken) ?? fallbackId;
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
      throw new CheckpointError(
        `${file}: special token ${JSON.stringify(configured ?? fallbackToken)} has id ${id}, outside the vocabulary (0..${this.vocabSize - 1})`,
      );
    return id;
  }

  encode(text: string, options: { bos?: boolean; eos?: boolean } = {}): number[] {
    // Special tokens are added here, not by the tokenizer's post-processor, so bos/eos mean the same for every tokenizer.
    const ids = this.tok.encode(text, { add_special_tokens: false }).ids;
    if (ids.some((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabSize)) {
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
