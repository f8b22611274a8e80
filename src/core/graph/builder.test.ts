import { describe, expect, it } from 'vitest';
import { GraphBuilder, floatAttr } from './builder';
import { ModelProto } from './onnxProto';
import { createSession, ort } from '../runtime/ort';

describe('GraphBuilder', () => {
  it('encodes a ModelProto that decodes back with the same nodes, attributes and initializers', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['n', 3]);
    const w = g.constF32([1, 2, 3, 4, 5, 6], [2, 3], 'w');
    g.output(g.op('Gemm', [x, w], { transB: 1, alpha: floatAttr(0.5) }), 'y', 'float32', ['n', 2]);
    const decoded = ModelProto.toObject(ModelProto.decode(g.toBytes()), { longs: Number, bytes: Array }) as {
      irVersion: number;
      opsetImport: { version: number }[];
      graph: {
        node: { opType: string; attribute: { name: string; i?: number; f?: number }[] }[];
        initializer: { dims: number[]; dataType: number; rawData: number[] }[];
        input: { name: string }[];
      };
    };
    expect(decoded.irVersion).toBe(8);
    expect(decoded.opsetImport[0].version).toBe(17);
    expect(decoded.graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Identity']);
    const attrs = Object.fromEntries(decoded.graph.node[0].attribute.map((a) => [a.name, a.i ?? a.f]));
    expect(attrs).toEqual({ transB: 1, alpha: 0.5 });
    expect(decoded.graph.initializer[0].dims).toEqual([2, 3]);
    expect(decoded.graph.initializer[0].dataType).toBe(1);
    expect(Array.from(new Float32Array(new Uint8Array(decoded.graph.initializer[0].rawData).buffer))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(decoded.graph.input.map((i) => i.name)).toEqual(['x']);
  });

  it('runs in onnxruntime-web: y = 0.5 · x Wᵀ computed by hand', async () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['n', 3]);
    const w = g.constF32([1, 2, 3, 4, 5, 6], [2, 3], 'w');
    g.output(g.op('Gemm', [x, w], { transB: 1, alpha: floatAttr(0.5) }), 'y', 'float32', ['n', 2]);
    const s = await createSession(g.toBytes(), { threads: 1 });
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 0, -1, 2, 2, 2]), [2, 3]) });
    // row 1: (1·1 + 0·2 − 1·3)/2 = −1, (4 − 6)/2 = −1; row 2: 2·(1+2+3)/2 = 6, 2·15/2 = 15
    expect(Array.from(out.y.data as Float32Array)).toEqual([-1, -1, 6, 15]);
  });

  it('rejects duplicate value names and non-integer INT attributes', () => {
    const g = new GraphBuilder('t');
    g.input('x', 'float32', [1]);
    expect(() => g.input('x', 'float32', [1])).toThrow(/already defined/);
    expect(() => g.op('Softmax', ['x'], { axis: 0.5 })).toThrow(/floatAttr/);
  });
});
