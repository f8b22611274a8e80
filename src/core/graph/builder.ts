// A small ONNX graph builder: named values, nodes, initializers, typed inputs and outputs, encoded to
// ModelProto bytes (onnxWire.ts, no eval: the app's CSP allows none). It knows nothing about Llama; llama.ts uses it.
import { AttributeType, DataType, encodeModel, type ModelProto, type NodeProto, type TensorProto } from './onnxWire.ts';

export type ElemType = 'float32' | 'int64' | 'int32' | 'bool';
/** A dimension: a fixed size or a symbolic name ("batch", "seq"). */
export type Dim = number | string;

/** Wraps a number that must be encoded as a FLOAT attribute (plain numbers are INT attributes). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const floatAttr = (v: number): FloatAttr => new FloatAttr(v);
export type AttrValue = number | FloatAttr | number[] | string;

const elemCode: Record<ElemType, number> = {
  float32: DataType.FLOAT,
  int64: DataType.INT64,
  int32: DataType.INT32,
  bool: DataType.BOOL,
};

interface ValueInfo {
  name: string;
  type: { tensorType: { elemType: number; shape: { dim: ({ dimValue: number } | { dimParam: string })[] } } };
}

function valueInfo(name: string, type: ElemType, shape: Dim[]): ValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemCode[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly constCache = new Map<string, string>();
  private readonly used = new Set<string>();
  private counter = 0;
  /** Extra operator domains used (e.g. com.microsoft contrib ops) and their opset versions. */
  private readonly domains = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly opset = 17,
  ) {}

  /** A fresh value name starting with `hint`. */
  fresh(hint: string): string {
    let n: string;
    do n = `${hint}_${this.counter++}`;
    while (this.used.has(n));
    this.used.add(n);
    return n;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`graph builder: value name "${name}" is already defined`);
    this.used.add(name);
    return name;
  }

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), type, shape));
    return name;
  }

  /** Declares `value` as a graph output called `name` (an Identity node renames it when they differ). */
  output(value: string, name: string, type: ElemType, shape: Dim[]): string {
    if (value !== name) this.op('Identity', [value], {}, [name]);
    this.outputs.push(valueInfo(name, type, shape));
    return name;
  }

  get outputNames(): string[] {
    return this.outputs.map((o) => o.name);
  }

  get inputNames(): string[] {
    return this.inputs.map((o) => o.name);
  }

  /** A float32 initializer (constant). */
  constF32(data: ArrayLike<number>, dims: number[], hint = 'cf'): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    return this.initializer(
      hint,
      DataType.FLOAT,
      new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice(),
      dims,
      arr.length < 64,
    );
  }

  /** An int64 initializer (shapes, axes, indices). */
  constI64(data: ArrayLike<number | bigint>, dims: number[] = [data.length], hint = 'ci'): string {
    const arr = BigInt64Array.from(Array.from(data, (v) => BigInt(v)));
    return this.initializer(hint, DataType.INT64, new Uint8Array(arr.buffer), dims, arr.length < 64);
  }

  /** A float32 scalar constant of rank 0. */
  scalar(v: number): string {
    return this.constF32([v], [], 'scalar');
  }

  private initializer(hint: string, dataType: number, raw: Uint8Array, dims: number[], cache: boolean): string {
    const key = cache ? `${dataType}|${dims.join(',')}|${Array.from(raw).join(',')}` : '';
    if (cache) {
      const hit = this.constCache.get(key);
      if (hit) return hit;
    }
    const name = this.fresh(hint);
    this.initializers.push({ name, dataType, dims, rawData: raw });
    if (cache) this.constCache.set(key, name);
    return name;
  }

  /** Adds a node; returns its single output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs?: string[]): string {
    return this.opN(opType, inputs, attrs, outputs ?? 1)[0];
  }

  /** Adds a node with several outputs (given names or a count of fresh ones). */
  opN(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue>,
    outputs: string[] | number,
    domain = '',
  ): string[] {
    const outs =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(opType))
        : outputs.map((o) => this.claim(o));
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (v instanceof FloatAttr) return { name, type: AttributeType.FLOAT, f: v.value };
      if (typeof v === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(v) };
      if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
      if (!Number.isInteger(v))
        throw new Error(`graph builder: attribute ${name} of ${opType} is not an integer (use floatAttr)`);
      return { name, type: AttributeType.INT, i: v };
    });
    if (domain && !this.domains.has(domain)) this.domains.set(domain, 1);
    this.nodes.push({ input: inputs, output: outs, opType, name: `${opType}_${this.nodes.length}`, attribute, domain });
    return outs;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** The graph as an ONNX ModelProto message (IR version 8). */
  toModel(): ModelProto {
    return {
      irVersion: 8,
      producerName: 'fgmp-explorer',
      opsetImport: [
        { domain: '', version: this.opset },
        ...[...this.domains].map(([domain, version]) => ({ domain, version })),
      ],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  /** Encodes the graph as ONNX ModelProto bytes. */
  toBytes(): Uint8Array {
    return encodeModel(this.toModel());
  }
}
