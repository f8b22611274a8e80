// Hugging Face config.json (LlamaForCausalLM) to LlamaConfig: every field type-checked (the file
// and field named on failure), rope_scaling (linear, dynamic, llama3) parsed, the result validated.

import type { LlamaConfig, RopeScaling } from '../types';
import { validateConfig } from '../types';
import { CheckpointError } from './common';
import { asObject, Fields } from './json';

/** transformers' rope_scaling (rope_type, or the older key type) as LlamaConfig.ropeScaling. */
function ropeScalingFromHf(f: Fields, maxPositions: number): RopeScaling | undefined {
  const o = f.object('rope_scaling', { nullable: true });
  if (o === undefined) return undefined;
  const r = f.nested('rope_scaling', o);
  const type = r.string('rope_type') ?? r.string('type');
  if (type === undefined) throw new CheckpointError(`${f.file}: rope_scaling has no rope_type (or type)`);
  if (type === 'default') return undefined;
  switch (type) {
    case 'linear':
      return { type, factor: r.requiredNumber('factor') };
    case 'dynamic':
      // transformers uses original_max_position_embeddings when given, else max_position_embeddings.
      return {
        type,
        factor: r.requiredNumber('factor'),
        originalMaxPositions: r.integer('original_max_position_embeddings') ?? maxPositions,
      };
    case 'llama3':
      return {
        type,
        factor: r.requiredNumber('factor'),
        lowFreqFactor: r.requiredNumber('low_freq_factor'),
        highFreqFactor: r.requiredNumber('high_freq_factor'),
        originalMaxPositions: r.requiredInteger('original_max_position_embeddings'),
      };
    default:
      throw new CheckpointError(
        `${f.file}: rope_scaling type ${JSON.stringify(type)} is not supported (linear, dynamic and llama3 are)`,
      );
  }
}

/** LlamaConfig from a Hugging Face config.json (LlamaForCausalLM); every field type-checked first. */
export function configFromHf(json: unknown, file = 'config.json'): { config: LlamaConfig; warnings: string[] } {
  const warnings: string[] = [];
  const f = new Fields(asObject(json, file), file);
  const archs = f.stringArray('architectures', { nullable: true }) ?? [];
  const modelType = f.string('model_type', { nullable: true });
  if (modelType !== 'llama' && !archs.includes('LlamaForCausalLM')) {
    throw new CheckpointError(
      `${file} describes model_type ${JSON.stringify(modelType ?? null)} (architectures ${JSON.stringify(archs)}); only Llama (LlamaForCausalLM) is supported`,
    );
  }
  if (f.boolean('attention_bias', { nullable: true }) === true || f.boolean('mlp_bias', { nullable: true }) === true)
    throw new CheckpointError(`${file}: attention/MLP biases are not supported`);
  const act = f.string('hidden_act', { nullable: true });
  if (act !== undefined && act !== 'silu')
    throw new CheckpointError(`${file}: hidden_act ${JSON.stringify(act)} is not supported (silu only)`);
  const dim = f.requiredInteger('hidden_size');
  const nHeads = f.requiredInteger('num_attention_heads');
  const maxSeqLen = f.requiredInteger('max_position_embeddings');
  const c: LlamaConfig = {
    dim,
    hiddenDim: f.requiredInteger('intermediate_size'),
    nLayers: f.requiredInteger('num_hidden_layers'),
    nHeads,
    nKvHeads: f.integer('num_key_value_heads', { nullable: true }) ?? nHeads,
    vocabSize: f.requiredInteger('vocab_size'),
    maxSeqLen,
    ropeTheta: f.number('rope_theta', { nullable: true }) ?? 10000,
    // transformers' LlamaConfig defaults: rms_norm_eps 1e-6, tie_word_embeddings false.
    normEps: f.number('rms_norm_eps', { nullable: true }) ?? 1e-6,
    sharedClassifier: f.boolean('tie_word_embeddings', { nullable: true }) ?? false,
  };
  const ropeScaling = ropeScalingFromHf(f, maxSeqLen);
  if (ropeScaling) c.ropeScaling = ropeScaling;
  const headDim = f.integer('head_dim', { nullable: true });
  if (headDim !== undefined && nHeads > 0 && headDim !== dim / nHeads) {
    throw new CheckpointError(
      `${file}: head_dim ${headDim} differs from hidden_size / num_attention_heads = ${dim / nHeads} (not supported)`,
    );
  }
  try {
    validateConfig(c);
  } catch (e) {
    throw new CheckpointError(`${file}: ${(e as Error).message}`);
  }
  return { config: c, warnings };
}
