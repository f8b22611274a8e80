// Hugging Face folders that must fail or warn exactly: safetensors offsets (overlaps, holes, trailing
// bytes), headers, config.json and index schema, rope_scaling, non-finite weights, and tokenizer.json
// / tokenizer_config.json beside a good checkpoint.

import { randomModel, type LlamaModel } from '../../types';
import { hfConfig, hfTensors, type FloatDtype, type RawTensor } from '../fixtures';
import { bpeTokenizerJson, json, jsonParseError, smallVocab, writeRawSafetensors } from './build';
import {
  bytesOf,
  HOSTILE_CONFIG,
  utf8,
  withWeights,
  type Expect,
  type HostileCase,
  type HostileFile,
  type HostileFormat,
  type HostileKind,
} from './cases';

/** The HF tensors of a model laid out by the corpus (so offsets can be bent), with their data. */
function stLayout(tensors: RawTensor[]): {
  header: Record<string, unknown>;
  spans: [number, number][];
  data: Uint8Array;
} {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const spans: [number, number][] = [];
  let o = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [o, o + t.data.length] };
    spans.push([o, o + t.data.length]);
    o += t.data.length;
  }
  const data = new Uint8Array(o);
  tensors.forEach((t, i) => data.set(t.data, spans[i][0]));
  return { header, spans, data };
}

const HF_TOKENIZER_PIECES = smallVocab(8);

export function safetensorsCases(): HostileCase[] {
  const m = randomModel({ ...HOSTILE_CONFIG, sharedClassifier: false }, 11);
  const config = hfConfig(m);
  const tensors = hfTensors(m, 'F32');
  const names = tensors.map((t) => t.name);
  const { header, spans, data } = stLayout(tensors);
  const st = (h: unknown, d = data, text?: string) => ({
    name: 'model.safetensors',
    bytes: writeRawSafetensors(h, d, text),
  });
  const cfg = (c: unknown, text?: string) => ({
    name: 'config.json',
    bytes: text !== undefined ? utf8.encode(text) : json(c),
  });
  const one = (
    id: string,
    format: HostileFormat,
    kind: HostileKind,
    files: HostileFile[],
    expect: Expect,
  ): HostileCase => ({ id: `${format === 'safetensors' ? 'st' : 'tokjson'}-${id}`, format, kind, files, ...expect });
  const stCase = (id: string, kind: HostileKind, files: HostileFile[], expect: Expect) =>
    one(id, 'safetensors', kind, files, expect);
  const good = [cfg(config), st(header)];
  const entry = (name: string, patch: Record<string, unknown>) => ({
    ...header,
    [name]: { ...(header[name] as object), ...patch },
  });
  const iIn = names.indexOf('model.layers.0.input_layernorm.weight');
  const iPost = names.indexOf('model.layers.0.post_attention_layernorm.weight');
  const iQ = names.indexOf('model.layers.0.self_attn.q_proj.weight');
  const last = names.length - 1;
  // A hole of 16 bytes after the q projection: later tensors move up by 16.
  const holed: Record<string, unknown> = { ...header };
  names.forEach((n, i) => {
    if (i > iQ) holed[n] = { ...(header[n] as object), data_offsets: [spans[i][0] + 16, spans[i][1] + 16] };
  });
  const holeData = new Uint8Array(data.length + 16);
  holeData.set(data.subarray(0, spans[iQ][1]));
  holeData.set(data.subarray(spans[iQ][1]), spans[iQ][1] + 16);
  const shifted: Record<string, unknown> = { ...header };
  names.forEach(
    (n, i) => (shifted[n] = { ...(header[n] as object), data_offsets: [spans[i][0] + 8, spans[i][1] + 8] }),
  );
  const full = st(header).bytes;
  const withLength = (n: bigint) => {
    const b = full.slice();
    new DataView(b.buffer).setBigUint64(0, n, true);
    return b;
  };
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const cfgText = JSON.stringify(config);
  const infModel = withWeights(m, (x) => {
    x.weights.finalNorm[0] = Infinity;
    x.weights.layers[0].down[5] = -Infinity;
  });
  const nanModel = withWeights(m, (x) => (x.weights.layers[0].v[1] = NaN));
  const stOf = (model: LlamaModel, dtype: FloatDtype) =>
    st(stLayout(hfTensors(model, dtype)).header, stLayout(hfTensors(model, dtype)).data);
  // Two shards and an index.
  const half = Math.ceil(tensors.length / 2);
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const shards = [tensors.slice(0, half), tensors.slice(half)].map((part, i) => {
    const l = stLayout(part);
    return { name: shardNames[i], bytes: writeRawSafetensors(l.header, l.data) };
  });
  const weightMap = Object.fromEntries(tensors.map((t, i) => [t.name, shardNames[i < half ? 0 : 1]]));
  const sharded = (index: unknown, text?: string) => [
    cfg(config),
    ...shards,
    { name: 'model.safetensors.index.json', bytes: text !== undefined ? utf8.encode(text) : json(index) },
  ];
  const span = (i: number) => `[${spans[i][0]}, ${spans[i][1]}]`;
  const ropeCfg = (rope: unknown) => [cfg({ ...config, rope_scaling: rope }), st(header)];
  const llama3 = {
    rope_type: 'llama3',
    factor: 8,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 8,
  };

  const cases: HostileCase[] = [
    stCase('same-offsets', 'overlap', [cfg(config), st(entry(names[iPost], { data_offsets: spans[iIn] }))], {
      error: `model.safetensors: tensors ${names[iIn]} and ${names[iPost]} overlap (data_offsets ${span(iIn)} and ${span(iIn)})`,
    }),
    stCase(
      'overlap-by-4',
      'overlap',
      [cfg(config), st(entry(names[iQ], { data_offsets: [spans[iQ][0] - 4, spans[iQ][1] - 4] }))],
      {
        error: `model.safetensors: tensors ${names[iQ - 1]} and ${names[iQ]} overlap (data_offsets ${span(iQ - 1)} and [${spans[iQ][0] - 4}, ${spans[iQ][1] - 4}])`,
      },
    ),
    stCase('hole-16', 'lying-header', [cfg(config), st(holed, holeData)], {
      error: `model.safetensors: 16 bytes before tensor ${names[iQ + 1]} (data_offsets [${spans[iQ + 1][0] + 16}, ${spans[iQ + 1][1] + 16}]) belong to no tensor (the previous, ${names[iQ]}, ends at ${spans[iQ][1]}); safetensors data must be contiguous`,
    }),
    stCase(
      'leading-8',
      'lying-header',
      [cfg(config), st(shifted, Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, ...data]))],
      {
        error: `model.safetensors: 8 bytes before tensor ${names[0]} (data_offsets [8, ${spans[0][1] + 8}]) belong to no tensor; safetensors data must be contiguous`,
      },
    ),
    stCase(
      'trailing-8',
      'lying-header',
      [cfg(config), st(header, Uint8Array.from([...data, 1, 2, 3, 4, 5, 6, 7, 8]))],
      {
        error: `model.safetensors: 8 bytes after the last tensor (${names[last]} ends at data offset ${spans[last][1]}) belong to no tensor; safetensors data must end with the last tensor`,
      },
    ),
    stCase(
      'cut-by-one',
      'truncation',
      [cfg(config), { name: 'model.safetensors', bytes: full.subarray(0, full.length - 1) }],
      {
        error: `truncated file: model.safetensors tensor ${names[last]} needs bytes up to ${bytesOf(full.length)}, the file has ${bytesOf(full.length - 1)}`,
      },
    ),
    stCase(
      'header-longer-than-file',
      'lying-header',
      [cfg(config), { name: 'model.safetensors', bytes: withLength(BigInt(full.length)) }],
      {
        error: `truncated file: model.safetensors declares a ${full.length}-byte header, but only ${bytesOf(full.length - 8)} follow`,
      },
    ),
    stCase('header-2^60', 'huge-count', [cfg(config), { name: 'model.safetensors', bytes: withLength(2n ** 60n) }], {
      error:
        'model.safetensors: declared safetensors header of 1152921504606846976 bytes is implausibly large: not a safetensors file?',
    }),
    stCase('header-null', 'wrong-type', [cfg(config), st(null, new Uint8Array(0))], {
      error: 'model.safetensors: the safetensors header must be a JSON object, found null',
    }),
    stCase('header-bad-json', 'bad-json', [cfg(config), st(null, data, '{"a": ')], {
      error: `model.safetensors: safetensors header is not valid JSON (${jsonParseError('{"a":   ')})`,
    }),
    stCase('entry-null', 'wrong-type', [cfg(config), st({ ...header, 'model.norm.weight': null })], {
      error: 'model.safetensors: tensor model.norm.weight must be a JSON object, found null',
    }),
    stCase('dtype-number', 'wrong-type', [cfg(config), st(entry('model.norm.weight', { dtype: 7 }))], {
      error: 'model.safetensors: tensor model.norm.weight dtype must be a string, found the number 7',
    }),
    stCase(
      'offsets-reversed',
      'lying-header',
      [cfg(config), st(entry(names[last], { data_offsets: [spans[last][1], spans[last][0]] }))],
      {
        error: `model.safetensors: tensor ${names[last]} has invalid data_offsets [${spans[last][1]},${spans[last][0]}]`,
      },
    ),
    stCase('shape-9', 'lying-header', [cfg(config), st(entry('model.norm.weight', { shape: [9] }))], {
      error:
        'model.safetensors: tensor model.norm.weight is F32 [9] = 9 elements (36 bytes) but its data_offsets span 32 bytes',
    }),
    stCase('shape-2^60', 'huge-count', [cfg(config), st(entry('model.norm.weight', { shape: [2 ** 40, 2 ** 20] }))], {
      error: `model.safetensors: tensor model.norm.weight is F32 [1099511627776, 1048576] = 1152921504606846976 elements (4,611,686,018,427,387,904 bytes) but its data_offsets span 32 bytes`,
    }),
    stCase('metadata-number', 'wrong-type', [cfg(config), st({ ...header, __metadata__: { format: 5 } })], {
      error: 'model.safetensors: __metadata__.format must be a string, found the number 5',
    }),
    stCase('config-null', 'wrong-type', [cfg(null), st(header)], {
      error: 'config.json: the top level must be a JSON object, found null',
    }),
    stCase('config-array', 'wrong-type', [cfg([config]), st(header)], {
      error: 'config.json: the top level must be a JSON object, found an array',
    }),
    stCase('config-bad-json', 'bad-json', [cfg(null, cfgText.slice(0, 40)), st(header)], {
      error: `config.json is not valid JSON: ${jsonParseError(cfgText.slice(0, 40))}`,
    }),
    stCase('config-deep', 'deep-nesting', [cfg(null, cfgText.replace('{', `{"evil": ${deep}, `)), st(header)], {
      error: 'config.json nests JSON more than 64 levels deep: corrupt or hostile file',
    }),
    stCase('hidden-size-string', 'wrong-type', [cfg({ ...config, hidden_size: '8' }), st(header)], {
      error: 'config.json: hidden_size must be a non-negative integer, found the string "8"',
    }),
    stCase(
      'hidden-size-1e400',
      'non-finite',
      [cfg(null, cfgText.replace('"hidden_size":8', '"hidden_size":1e400')), st(header)],
      {
        error: 'config.json: hidden_size is out of range (not a finite number)',
      },
    ),
    stCase(
      'eps-1e400',
      'non-finite',
      [cfg(null, cfgText.replace('"rms_norm_eps":0.00001', '"rms_norm_eps":1e400')), st(header)],
      {
        error: 'config.json: rms_norm_eps is out of range (not a finite number)',
      },
    ),
    stCase('rope-theta-negative', 'out-of-range', [cfg({ ...config, rope_theta: -1 }), st(header)], {
      error: 'config.json: invalid model config: ropeTheta = -1 is outside 1..1000000000000',
    }),
    stCase('tie-string', 'wrong-type', [cfg({ ...config, tie_word_embeddings: 'yes' }), st(header)], {
      error: 'config.json: tie_word_embeddings must be true or false, found the string "yes"',
    }),
    stCase('architectures-string', 'wrong-type', [cfg({ ...config, architectures: 'LlamaForCausalLM' }), st(header)], {
      error: 'config.json: architectures must be an array, found the string "LlamaForCausalLM"',
    }),
    stCase('rope-yarn', 'wrong-type', ropeCfg({ rope_type: 'yarn', factor: 4 }), {
      error: 'config.json: rope_scaling type "yarn" is not supported (linear, dynamic and llama3 are)',
    }),
    stCase('rope-array', 'wrong-type', ropeCfg([llama3]), {
      error: 'config.json: rope_scaling must be an object, found an array',
    }),
    stCase('rope-llama3-no-low', 'lying-header', ropeCfg({ ...llama3, low_freq_factor: undefined }), {
      error: 'config.json: rope_scaling.low_freq_factor is missing',
    }),
    stCase('rope-factor-string', 'wrong-type', ropeCfg({ ...llama3, factor: '8' }), {
      error: 'config.json: rope_scaling.factor must be a number, found the string "8"',
    }),
    stCase(
      'rope-factor-1e400',
      'non-finite',
      [cfg(null, cfgText.replace('{', `{"rope_scaling": {"type": "linear", "factor": 1e400}, `)), st(header)],
      {
        error: 'config.json: rope_scaling.factor is out of range (not a finite number)',
      },
    ),
    stCase('rope-high-below-low', 'out-of-range', ropeCfg({ ...llama3, low_freq_factor: 4, high_freq_factor: 1 }), {
      error:
        'config.json: invalid model config: ropeScaling (llama3) highFreqFactor = 1 must be a positive number above lowFreqFactor 4',
    }),
    stCase('bf16-inf-weights', 'non-finite', [cfg(config), stOf(infModel, 'BF16')], {
      warning: '2 infinite (±Inf) weight values in 2 tensors: layers.0.down (1), finalNorm (1)',
    }),
    stCase('f16-nan-weight', 'non-finite', [cfg(config), stOf(nanModel, 'F16')], {
      warning: '1 NaN weight values in 1 tensor: layers.0.v (1)',
    }),
    stCase('index-null', 'wrong-type', sharded(null), {
      error: 'model.safetensors.index.json: the top level must be a JSON object, found null',
    }),
    stCase('index-no-weight-map', 'lying-header', sharded({ metadata: {} }), {
      error: 'model.safetensors.index.json has no weight_map',
    }),
    stCase('index-map-number', 'wrong-type', sharded({ weight_map: { ...weightMap, 'model.norm.weight': 5 } }), {
      error: 'model.safetensors.index.json: weight_map.model.norm.weight must be a file name, found the number 5',
    }),
    stCase('index-wrong-shard', 'lying-header', sharded({ weight_map: { ...weightMap, [names[0]]: shardNames[1] } }), {
      error: `tensor ${names[0]} is in ${shardNames[0]} but model.safetensors.index.json puts it in ${shardNames[1]}`,
    }),
    stCase(
      'index-phantom-tensor',
      'lying-header',
      sharded({ weight_map: { ...weightMap, 'model.layers.9.mlp.up_proj.weight': shardNames[1] } }),
      {
        error: `model.safetensors.index.json lists tensor model.layers.9.mlp.up_proj.weight in ${shardNames[1]}, which has no such tensor`,
      },
    ),
    stCase('index-bad-json', 'bad-json', sharded(null, '{"weight_map": {'), {
      error: `model.safetensors.index.json is not valid JSON: ${jsonParseError('{"weight_map": {')}`,
    }),
  ];

  // tokenizer.json beside a good folder.
  const tj = bpeTokenizerJson(HF_TOKENIZER_PIECES, ['a b']);
  const tok = (t: unknown, text?: string, extra: HostileFile[] = []) => [
    ...good,
    { name: 'tokenizer.json', bytes: text !== undefined ? utf8.encode(text) : json(t) },
    ...extra,
  ];
  const tjModel = tj.model as Record<string, unknown>;
  const tjVocab = tjModel.vocab as Record<string, number>;
  const tj32 = bpeTokenizerJson(smallVocab(32), ['a b']);
  const tjText = JSON.stringify(tj);
  const tc = (c: unknown) => ({ name: 'tokenizer_config.json', bytes: json(c) });
  const tokCase = (id: string, kind: HostileKind, files: HostileFile[], expect: Expect) =>
    one(id, 'tokenizer.json', kind, files, expect);
  cases.push(
    tokCase('null', 'wrong-type', tok(null), {
      error: 'tokenizer.json: the top level must be a JSON object, found null',
    }),
    tokCase('model-null', 'wrong-type', tok({ ...tj, model: null }), {
      error: 'tokenizer.json: model must be an object, found null',
    }),
    tokCase('vocab-id-string', 'wrong-type', tok({ ...tj, model: { ...tjModel, vocab: { ...tjVocab, a: '3' } } }), {
      error: 'tokenizer.json: model.vocab["a"] must be a token id in 0..16777215, found the string "3"',
    }),
    tokCase('vocab-id-1e400', 'non-finite', tok(null, tjText.replace('"a":3', '"a":1e400')), {
      error:
        'tokenizer.json: model.vocab["a"] must be a token id in 0..16777215, found a number beyond the float64 range',
    }),
    tokCase('vocab-string', 'wrong-type', tok({ ...tj, model: { ...tjModel, vocab: 'x' } }), {
      error:
        'tokenizer.json: model.vocab must be an object (BPE, WordPiece) or an array (Unigram) for model type BPE, found the string "x"',
    }),
    tokCase('merge-number', 'wrong-type', tok({ ...tj, model: { ...tjModel, merges: [5] } }), {
      error: 'tokenizer.json: model.merges[0] must be "a b" or ["a", "b"], found the number 5',
    }),
    tokCase('added-id-negative', 'out-of-range', tok({ ...tj, added_tokens: [{ id: -1, content: '<unk>' }] }), {
      error: 'tokenizer.json: added_tokens[0].id must be a non-negative integer, found the number -1',
    }),
    tokCase(
      'deep-normalizer',
      'deep-nesting',
      tok(
        null,
        tjText.replace('"normalizer":null', `"normalizer":${'{"normalizer":'.repeat(10_000)}null${'}'.repeat(10_000)}`),
      ),
      {
        error: 'tokenizer.json nests JSON more than 64 levels deep: corrupt or hostile file',
      },
    ),
    tokCase('bad-json', 'bad-json', tok(null, tjText.slice(0, 30)), {
      error: `tokenizer.json is not valid JSON: ${jsonParseError(tjText.slice(0, 30))}`,
    }),
    tokCase('config-bos-number', 'wrong-type', tok(tj, undefined, [tc({ bos_token: 5 })]), {
      error: 'tokenizer_config.json: bos_token must be a string or {"content": string}, found the number 5',
    }),
    tokCase('vocab-4x-embedding', 'out-of-range', tok(tj32), {
      warning:
        "tokenizer.json has 32 tokens, the model's embedding 8: ids 8..31 cannot be scored; encoding text that needs them fails",
    }),
    tokCase('bos-beyond-embedding', 'out-of-range', tok(tj32, undefined, [tc({ bos_token: smallVocab(32)[20] })]), {
      error: "tokenizer.json: bos id 20 is outside the model's embedding (8 tokens, ids 0..7)",
    }),
  );
  return cases;
}
