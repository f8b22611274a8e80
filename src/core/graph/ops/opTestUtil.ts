// One-op graphs for the op tests (not used by production code): a graph with a stand-in tokens input (it only
// gives the GraphContext its [B, T]), float32 inputs with fixed shapes, run once in onnxruntime-web.
import { GraphBuilder } from '../builder.ts';
import { createSession, f32, i64, runSession, type ort } from '../../runtime/ort.ts';
import { boxMuller, mulberry32, unitOpen } from '../../random.ts';
import { randomModel, type LlamaConfig } from '../../model/types.ts';
import { GraphContext } from './context.ts';

/** The config a one-op graph is built for: 8 wide, 1 layer, 2 heads, vocabulary 8, context 8; overridable. */
export function opConfig(over: Partial<LlamaConfig> = {}): LlamaConfig {
  return randomModel({
    dim: 8,
    hiddenDim: 12,
    nLayers: 1,
    nHeads: 2,
    nKvHeads: 2,
    vocabSize: 8,
    maxSeqLen: 8,
    ropeTheta: 10000,
    normEps: 1e-5,
    sharedClassifier: true,
    ...over,
  }).config;
}

/** Deterministic normal(0, sd) samples, rounded to float32. */
export function normals(n: number, seed: number, sd = 1): Float32Array {
  const next = boxMuller(unitOpen(mulberry32(seed)));
  return Float32Array.from({ length: n }, () => next() * sd);
}

/** float32 values as float64 (the reference ops' oracle precision). */
export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

export class OpGraph {
  readonly g = new GraphBuilder('op_test', 17);
  readonly ctx: GraphContext;
  private readonly feeds: Record<string, ort.Tensor> = {};

  constructor(
    config: LlamaConfig,
    readonly batch: number,
    readonly seq: number,
  ) {
    const tokens = this.g.input('tokens', 'int64', ['batch', 'seq']);
    this.feeds.tokens = i64(new Array<number>(batch * seq).fill(0), [batch, seq]);
    this.ctx = new GraphContext(this.g, config, tokens);
  }

  /** A float32 graph input fed with `data`. */
  input(name: string, data: Float32Array, dims: number[]): string {
    if (data.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`input ${name}: ${data.length} values for ${dims}`);
    this.g.input(name, 'float32', dims);
    this.feeds[name] = f32(data, dims);
    return name;
  }

  /** An int64 graph input. */
  inputI64(name: string, data: ArrayLike<number>, dims: number[]): string {
    this.g.input(name, 'int64', dims);
    this.feeds[name] = i64(data, dims);
    return name;
  }

  output(value: string, name: string, dims: number[]): void {
    this.g.output(value, name, 'float32', dims);
  }

  /** Runs the graph once; every graph output (including those an op declared itself) as a Float32Array. */
  async run(): Promise<Record<string, Float32Array>> {
    const session = await createSession(this.g.toBytes(), { threads: 1 }, 'op test graph');
    try {
      const out = await runSession(session, this.feeds, 'op test graph');
      const res: Record<string, Float32Array> = {};
      for (const name of this.g.outputNames) res[name] = Float32Array.from(out[name].data as Float32Array);
      return res;
    } finally {
      await session.release();
    }
  }
}
