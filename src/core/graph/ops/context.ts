// What every graph op needs besides its inputs: the builder, the model's shape, the batch's symbolic [B, T]
// and helpers that reshape the 2-D [N = B·T, features] activations. llama.ts makes one per graph; the op tests
// make one around a stand-in tokens input.
import { GraphBuilder } from '../builder.ts';
import type { LlamaConfig } from '../../model/types.ts';

export class GraphContext {
  readonly hd: number;
  readonly kvHeads: number;
  readonly groups: number;
  readonly kvDim: number;
  /** [B, T] int64, the shape of the tokens input. */
  readonly tokenShape: string;
  /** [1] int64: T. */
  readonly seqLen: string;
  private readonly shapeCache = new Map<string, string>();

  constructor(
    readonly g: GraphBuilder,
    readonly c: LlamaConfig,
    tokens: string,
  ) {
    this.hd = c.dim / c.nHeads;
    this.kvHeads = c.nKvHeads;
    this.groups = c.nHeads / c.nKvHeads;
    this.kvDim = this.hd * c.nKvHeads;
    this.tokenShape = g.op('Shape', [tokens]);
    this.seqLen = g.op('Slice', [this.tokenShape, g.constI64([1]), g.constI64([2]), g.constI64([0])]);
  }

  /** Shape [B, T, ...tail] as an int64 tensor. */
  btShape(tail: number[]): string {
    const key = tail.join(',');
    let s = this.shapeCache.get(key);
    if (!s) {
      s = this.g.op('Concat', [this.tokenShape, this.g.constI64(tail)], { axis: 0 });
      this.shapeCache.set(key, s);
    }
    return s;
  }

  to3d(x2d: string, features: number): string {
    return this.g.op('Reshape', [x2d, this.btShape([features])]);
  }

  /**
   * A variadic op over many values as a left-nested chain of nodes with at most 7 inputs: WebGPU binds one
   * storage buffer per input plus one for the output, and 8 per shader stage is the portable limit (SwiftShader's
   * too; past it ORT's WebGPU Concat returned garbage). Left nesting keeps Sum's left-to-right order, so the CPU
   * numbers are unchanged.
   */
  chain(op: 'Concat' | 'Sum', xs: string[], attrs: Record<string, number> = {}): string {
    if (xs.length === 1) return xs[0];
    let acc = this.g.op(op, xs.slice(0, 7), attrs);
    for (let i = 7; i < xs.length; i += 6) acc = this.g.op(op, [acc, ...xs.slice(i, i + 6)], attrs);
    return acc;
  }
}
