// ONNX ModelProto bytes written directly in the protobuf wire format, for the subset of onnx.proto that
// the graph builder emits (field numbers from github.com/onnx/onnx, onnx/onnx.proto, IR version 8).
// Why not protobufjs reflection (onnxProto.ts, still the tests' reference decoder): it compiles its
// encoders with `new Function`, which the app's Content-Security-Policy (no 'unsafe-eval') refuses in
// the page and in workers. The bytes are the same as protobufjs writes (onnxWire.test.ts): fields in
// field-number order, a field written whenever it is present (empty strings and zeros too), repeated
// scalars packed (what protobufjs does with this schema; every protobuf parser reads both forms), int64/int32 as two's-complement varints (10 bytes if negative).

/** onnx.TensorProto.DataType codes used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
/** onnx.AttributeProto.AttributeType codes used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
}
export interface ValueInfoProto {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: TensorShapeDimension[] } } };
}
export interface TensorProto {
  dims?: number[];
  dataType?: number;
  name?: string;
  rawData?: Uint8Array;
}
export interface AttributeProto {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  type?: number;
}
export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  attribute?: AttributeProto[];
  docString?: string;
  domain?: string;
}
export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  docString?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
}
export interface ModelProto {
  irVersion?: number;
  opsetImport?: { domain?: string; version?: number }[];
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph?: GraphProto;
}

/**
 * Collects the message as a list of parts: small fields go through a scratch buffer, large byte arrays
 * (initializers' raw data, up to the whole model) are referenced, not copied, and a nested message's
 * parts join its parent's after its length. finish() copies everything once.
 */
class Writer {
  private parts: Uint8Array[] = [];
  private scratch = new Uint8Array(1024);
  private used = 0;
  len = 0;

  private flush(): void {
    if (this.used === 0) return;
    this.parts.push(this.scratch.slice(0, this.used));
    this.used = 0;
  }

  byte(b: number): void {
    if (this.used === this.scratch.length) this.flush();
    this.scratch[this.used++] = b;
    this.len++;
  }

  bytes(b: Uint8Array): void {
    if (b.length <= 64) for (const x of b) this.byte(x);
    else {
      this.flush();
      this.parts.push(b);
      this.len += b.length;
    }
  }

  /** Appends a finished nested writer's bytes (its length prefix is the caller's). */
  append(inner: Writer): void {
    inner.flush();
    this.flush();
    for (const p of inner.parts) this.parts.push(p);
    this.len += inner.len;
  }

  /** Unsigned varint of a non-negative safe integer. */
  uvarint(v: number): void {
    while (v >= 0x80) {
      this.byte(v % 0x80 | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  /** int64/int32 field value: a negative number is its 64-bit two's complement, 10 bytes. */
  svarint(v: number): void {
    if (!Number.isSafeInteger(v)) throw new Error(`onnx: ${v} is not an integer that int64 can hold exactly`);
    if (v >= 0) return this.uvarint(v);
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  tag(field: number, wire: number): void {
    this.uvarint(field * 8 + wire);
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.len);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

const utf8 = new TextEncoder();
type Encode<T> = (w: Writer, m: T) => void;

// Field writers: each writes nothing when the value is absent, and every element of a repeated field.
const int = (w: Writer, f: number, v: number | undefined) => {
  if (v === undefined) return;
  w.tag(f, 0);
  w.svarint(v);
};
const float = (w: Writer, f: number, v: number | undefined) => {
  if (v === undefined) return;
  w.tag(f, 5);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  w.bytes(b);
};
const bytes = (w: Writer, f: number, v: Uint8Array | undefined) => {
  if (v === undefined) return;
  w.tag(f, 2);
  w.uvarint(v.length);
  w.bytes(v);
};
const str = (w: Writer, f: number, v: string | undefined) => bytes(w, f, v === undefined ? undefined : utf8.encode(v));
const msg = <T>(w: Writer, f: number, v: T | undefined, enc: Encode<T>) => {
  if (v === undefined) return;
  const inner = new Writer();
  enc(inner, v);
  w.tag(f, 2);
  w.uvarint(inner.len);
  w.append(inner);
};
const each = <T>(vs: T[] | undefined, one: (v: T) => void) => vs?.forEach(one);
/** A repeated int64/int32 (varint) or float (fixed32) field, packed: one length-delimited run; nothing if empty. */
const packed = (w: Writer, f: number, vs: number[] | undefined, kind: 'varint' | 'float') => {
  if (!vs?.length) return;
  const inner = new Writer();
  const b = new Uint8Array(4);
  const view = new DataView(b.buffer);
  for (const v of vs) {
    if (kind === 'varint') inner.svarint(v);
    else {
      view.setFloat32(0, v, true);
      inner.bytes(b); // copied: b is reused
    }
  }
  w.tag(f, 2);
  w.uvarint(inner.len);
  w.append(inner);
};

const tensor: Encode<TensorProto> = (w, m) => {
  packed(w, 1, m.dims, 'varint');
  int(w, 2, m.dataType);
  str(w, 8, m.name);
  bytes(w, 9, m.rawData);
};
const dimension: Encode<TensorShapeDimension> = (w, m) => {
  int(w, 1, m.dimValue);
  str(w, 2, m.dimParam);
};
const valueInfo: Encode<ValueInfoProto> = (w, m) => {
  str(w, 1, m.name);
  msg(w, 2, m.type, (w1, t) =>
    msg(w1, 1, t.tensorType, (w2, tt) => {
      int(w2, 1, tt.elemType);
      msg(w2, 2, tt.shape, (w3, s) => each(s.dim, (d) => msg(w3, 1, d, dimension)));
    }),
  );
};
const attribute: Encode<AttributeProto> = (w, m) => {
  str(w, 1, m.name);
  float(w, 2, m.f);
  int(w, 3, m.i);
  bytes(w, 4, m.s);
  msg(w, 5, m.t, tensor);
  packed(w, 7, m.floats, 'float');
  packed(w, 8, m.ints, 'varint');
  int(w, 20, m.type);
};
const node: Encode<NodeProto> = (w, m) => {
  each(m.input, (v) => str(w, 1, v));
  each(m.output, (v) => str(w, 2, v));
  str(w, 3, m.name);
  str(w, 4, m.opType);
  each(m.attribute, (v) => msg(w, 5, v, attribute));
  str(w, 6, m.docString);
  str(w, 7, m.domain);
};
const graph: Encode<GraphProto> = (w, m) => {
  each(m.node, (v) => msg(w, 1, v, node));
  str(w, 2, m.name);
  each(m.initializer, (v) => msg(w, 5, v, tensor));
  str(w, 10, m.docString);
  each(m.input, (v) => msg(w, 11, v, valueInfo));
  each(m.output, (v) => msg(w, 12, v, valueInfo));
  each(m.valueInfo, (v) => msg(w, 13, v, valueInfo));
};

/** The model's bytes: an ordinary ONNX file. */
export function encodeModel(m: ModelProto): Uint8Array {
  const w = new Writer();
  int(w, 1, m.irVersion);
  str(w, 2, m.producerName);
  str(w, 3, m.producerVersion);
  str(w, 6, m.docString);
  msg(w, 7, m.graph, graph);
  each(m.opsetImport, (v) =>
    msg(w, 8, v, (w1, o) => {
      str(w1, 1, o.domain);
      int(w1, 2, o.version);
    }),
  );
  return w.finish();
}
