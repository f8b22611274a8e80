// Schema checks for the JSON files checkpoints come with (config.json, tokenizer.json,
// tokenizer_config.json, model.safetensors.index.json, safetensors headers). JSON.parse accepts
// `null`, arrays and numbers where an object is expected, and turns 1e400 into Infinity; every
// field is checked here before use, and a failure names the file and the field.

import { CheckpointError } from './common';

export type JsonObject = Record<string, unknown>;

/** What a JSON value is, for messages: `null`, an array, a string "x", the number 3, ... */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : 'a number beyond the float64 range';
  if (typeof v === 'boolean') return `${v}`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

/** JSON.parse of a file's bytes; the top level must be an object. */
export function parseJsonObject(bytes: Uint8Array, file: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new CheckpointError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (jsonDepth(v) > MAX_JSON_DEPTH)
    throw new CheckpointError(`${file} nests JSON more than ${MAX_JSON_DEPTH} levels deep: corrupt or hostile file`);
  return asObject(v, file);
}

/** No checkpoint JSON comes close; deeper input would overflow recursive consumers (tokenizer libraries). */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of arrays/objects, measured with an explicit stack (no recursion). */
export function jsonDepth(v: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (d + 1 > max) max = d + 1;
    if (max > MAX_JSON_DEPTH) return max;
    for (const c of Array.isArray(x) ? x : Object.values(x))
      if (typeof c === 'object' && c !== null) stack.push([c, d + 1]);
  }
  return max;
}

export function asObject(v: unknown, file: string, field?: string): JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new CheckpointError(`${file}: ${field ?? 'the top level'} must be a JSON object, found ${describeJson(v)}`);
  return v as JsonObject;
}

/** A field checked by type; absent (and, where `nullable`, null) gives undefined. */
export class Fields {
  constructor(
    readonly o: JsonObject,
    readonly file: string,
    readonly prefix = '',
  ) {}

  private fail(key: string, want: string): never {
    const v = this.o[key];
    const why =
      typeof v === 'number' && !Number.isFinite(v)
        ? 'is out of range (not a finite number)'
        : `must be ${want}, found ${describeJson(v)}`;
    throw new CheckpointError(`${this.file}: ${this.prefix}${key} ${why}`);
  }

  /** The raw value (absent or, where `nullable`, null: undefined). */
  get(key: string, nullable = false): unknown {
    const v = this.o[key];
    return v === undefined || (nullable && v === null) ? undefined : v;
  }

  number(key: string, opts: { nullable?: boolean } = {}, want = 'a number'): number | undefined {
    const v = this.get(key, opts.nullable ?? false);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(key, want);
    return v;
  }

  requiredNumber(key: string): number {
    const v = this.number(key);
    if (v === undefined) throw new CheckpointError(`${this.file}: ${this.prefix}${key} is missing`);
    return v;
  }

  /** A non-negative integer. */
  integer(key: string, opts: { nullable?: boolean } = {}): number | undefined {
    const v = this.number(key, opts, 'a non-negative integer');
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) this.fail(key, 'a non-negative integer');
    return v;
  }

  requiredInteger(key: string): number {
    const v = this.integer(key);
    if (v === undefined) throw new CheckpointError(`${this.file}: ${this.prefix}${key} is missing`);
    return v;
  }

  string(key: string, opts: { nullable?: boolean } = {}): string | undefined {
    const v = this.get(key, opts.nullable ?? false);
    if (v !== undefined && typeof v !== 'string') this.fail(key, 'a string');
    return v as string | undefined;
  }

  boolean(key: string, opts: { nullable?: boolean } = {}): boolean | undefined {
    const v = this.get(key, opts.nullable ?? false);
    if (v !== undefined && typeof v !== 'boolean') this.fail(key, 'true or false');
    return v as boolean | undefined;
  }

  object(key: string, opts: { nullable?: boolean } = {}): JsonObject | undefined {
    const v = this.get(key, opts.nullable ?? false);
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) this.fail(key, 'an object');
    return v as JsonObject | undefined;
  }

  array(key: string, opts: { nullable?: boolean } = {}): unknown[] | undefined {
    const v = this.get(key, opts.nullable ?? false);
    if (v !== undefined && !Array.isArray(v)) this.fail(key, 'an array');
    return v as unknown[] | undefined;
  }

  stringArray(key: string, opts: { nullable?: boolean } = {}): string[] | undefined {
    const v = this.array(key, opts);
    if (v !== undefined && !v.every((x) => typeof x === 'string')) this.fail(key, 'an array of strings');
    return v as string[] | undefined;
  }

  /** A nested object's fields, for messages like `config.json: rope_scaling.factor ...`. */
  nested(key: string, o: JsonObject): Fields {
    return new Fields(o, this.file, `${this.prefix}${key}.`);
  }
}
