// Training checkpoints: everything needed to resume bit for bit. Layout (little-endian):
//   8 bytes magic "FGMPTRN1", uint32 JSON byte length, the JSON (train config, step, AdamW step
//   count, RNG state, parameter names and sizes), zero padding to a multiple of 4, then float32
//   arrays: all parameters, all first moments, all second moments (in the parameter order).

import { AdamW } from './adamw';
import { initialModel, parametersOf } from './params';
import { Rng, type RngState } from './rng';
import type { TrainConfig, TrainerState } from './trainer';

const MAGIC = 'FGMPTRN1';

interface Header {
  config: TrainConfig;
  step: number;
  adamT: number;
  rng: RngState;
  params: { name: string; size: number }[];
}

export function saveTrainingCheckpoint(config: TrainConfig, state: TrainerState): Uint8Array {
  const params = parametersOf(state.model);
  const header: Header = {
    config,
    step: state.step,
    adamT: state.optimizer.t,
    rng: state.rng.state(),
    params: params.map((p) => ({ name: p.name, size: p.values.length })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil((12 + json.length) / 4) * 4;
  const floats = params.reduce((n, p) => n + p.values.length, 0) * 3;
  const out = new Uint8Array(headerBytes + 4 * floats);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  const body = new Float32Array(out.buffer, headerBytes, floats);
  let o = 0;
  for (const group of [params.map((p) => p.values), state.optimizer.m, state.optimizer.v]) {
    for (const a of group) {
      body.set(a, o);
      o += a.length;
    }
  }
  return out;
}

export function loadTrainingCheckpoint(bytes: Uint8Array): { config: TrainConfig; state: TrainerState } {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw new Error('not a training checkpoint (magic FGMPTRN1 missing)');
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + jsonLength > bytes.length) throw new Error('truncated training checkpoint (header)');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLength))) as Header;
  const headerBytes = Math.ceil((12 + jsonLength) / 4) * 4;
  const model = initialModel(header.config.model, header.config.seed);
  const params = parametersOf(model);
  if (
    params.length !== header.params.length ||
    params.some((p, i) => p.name !== header.params[i].name || p.values.length !== header.params[i].size)
  )
    throw new Error('training checkpoint parameters do not match its model config');
  const floats = params.reduce((n, p) => n + p.values.length, 0) * 3;
  if (bytes.length !== headerBytes + 4 * floats)
    throw new Error(`training checkpoint has ${bytes.length} bytes, expected ${headerBytes + 4 * floats}`);
  // Copy into a fresh aligned buffer (a Node Buffer's .slice is a view into a larger pool).
  const body = new Float32Array(floats);
  new Uint8Array(body.buffer).set(bytes.subarray(headerBytes));
  const optimizer = new AdamW(params, header.config.adamw);
  let o = 0;
  for (const group of [params.map((p) => p.values), optimizer.m, optimizer.v]) {
    for (const a of group) {
      a.set(body.subarray(o, o + a.length));
      o += a.length;
    }
  }
  optimizer.t = header.adamT;
  return { config: header.config, state: { model, optimizer, step: header.step, rng: new Rng(header.rng) } };
}
