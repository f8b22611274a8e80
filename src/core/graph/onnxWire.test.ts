// onnxWire writes the same bytes as protobufjs reflection over onnx.proto (onnxProto.ts), the encoder the
// app used before: on a message with every field kind and edge value, and on the real Llama graphs
// (protobufjs decodes them and re-encodes them to identical bytes).
import { describe, expect, it } from 'vitest';
import { AttributeType, DataType, encodeModel, type ModelProto as Model } from './onnxWire';
import { ModelProto } from './onnxProto';
import { GraphBuilder, floatAttr } from './builder';
import { buildForwardBackwardGraph, buildForwardGraph } from './llama';
import { shapeConfig } from '../model/shapes';
import { tinyConfig } from '../../../tests/support/models';

const protobufjs = (m: Model): Uint8Array => ModelProto.encode(ModelProto.fromObject(m)).finish();

const everyField: Model = {
  irVersion: 8,
  producerName: 'fgmp-explorer',
  producerVersion: '',
  docString: 'ünïcødé ✓ 𝔽',
  opsetImport: [
    { domain: '', version: 17 },
    { domain: 'com.microsoft', version: 1 },
  ],
  graph: {
    name: 'g',
    docString: 'x'.repeat(300), // a length needing a two-byte varint
    node: [
      {
        input: ['x', ''],
        output: ['y'],
        name: 'n0',
        opType: 'Custom',
        domain: '',
        docString: '',
        attribute: [
          { name: 'axis', type: AttributeType.INT, i: -1 }, // 10-byte varint
          { name: 'big', type: AttributeType.INT, i: 2 ** 53 - 1 },
          { name: 'zero', type: AttributeType.INT, i: 0 },
          { name: 'alpha', type: AttributeType.FLOAT, f: 0.1 },
          { name: 'negzero', type: AttributeType.FLOAT, f: -0 },
          { name: 'axes', type: AttributeType.INTS, ints: [0, -2, 300, -(2 ** 40)] },
          { name: 'none', type: AttributeType.INTS, ints: [] },
          { name: 'scales', type: AttributeType.FLOATS, floats: [1.5, -2, 1e-30] },
          { name: 'mode', type: AttributeType.STRING, s: new TextEncoder().encode('constant') },
          {
            name: 'value',
            type: AttributeType.TENSOR,
            t: { dims: [], dataType: DataType.FLOAT, rawData: new Uint8Array(4) },
          },
        ],
      },
    ],
    initializer: [
      {
        name: 'w',
        dataType: DataType.FLOAT,
        dims: [2, 100],
        rawData: Uint8Array.from({ length: 800 }, (_, i) => (i * 37) % 256),
      },
      { name: 'empty', dataType: DataType.INT64, dims: [0], rawData: new Uint8Array(0) },
    ],
    input: [
      {
        name: 'x',
        type: {
          tensorType: {
            elemType: DataType.FLOAT,
            shape: { dim: [{ dimParam: 'batch' }, { dimValue: 0 }, { dimValue: 4096 }] },
          },
        },
      },
    ],
    output: [{ name: 'y', type: { tensorType: { elemType: DataType.INT32, shape: { dim: [] } } } }],
    valueInfo: [{ name: 'v', type: { tensorType: { elemType: DataType.BOOL } } }],
  },
};

describe('encodeModel', () => {
  it('writes the bytes protobufjs writes, for every field kind and edge value', () => {
    expect(Buffer.from(encodeModel(everyField)).toString('hex')).toBe(
      Buffer.from(protobufjs(everyField)).toString('hex'),
    );
  });

  it('hand-checked bytes: int64 −1 is ten bytes, a float is fixed32 little-endian, strings are length-prefixed', () => {
    expect(Array.from(encodeModel({ irVersion: -1 }))).toEqual([
      0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
    expect(Array.from(encodeModel({ irVersion: 300, producerName: 'ab' }))).toEqual([
      0x08, 0xac, 0x02, 0x12, 0x02, 0x61, 0x62,
    ]);
    // graph (7) ∋ node (1) ∋ attribute (5) ∋ f (2): 1.0f = 00 00 80 3f
    expect(Array.from(encodeModel({ graph: { node: [{ attribute: [{ f: 1 }] }] } }))).toEqual([
      0x3a, 0x09, 0x0a, 0x07, 0x2a, 0x05, 0x15, 0x00, 0x00, 0x80, 0x3f,
    ]);
  });

  it('refuses an int64 it cannot hold exactly', () => {
    expect(() => encodeModel({ irVersion: 0.5 })).toThrow(/not an integer/);
    expect(() => encodeModel({ irVersion: 2 ** 60 })).toThrow(/not an integer/);
  });

  it('the graph builder gives the same bytes as protobufjs on its own message', () => {
    const g = new GraphBuilder('t');
    const x = g.input('x', 'float32', ['n', 3]);
    const w = g.constF32([1, 2, 3, 4, 5, 6], [2, 3], 'w');
    g.output(g.op('Gemm', [x, w], { transB: 1, alpha: floatAttr(0.5), perm: [1, 0] }), 'y', 'float32', ['n', 2]);
    expect(Buffer.from(g.toBytes()).toString('hex')).toBe(Buffer.from(protobufjs(g.toModel())).toString('hex'));
  });

  const small = tinyConfig({ vocabSize: 50, maxSeqLen: 16 });
  for (const [name, config] of [
    ['a small GQA config', small],
    ['the stories260K shape', shapeConfig('stories260K')],
  ] as const)
    it(`Llama forward and forward+backward graphs of ${name}: protobufjs re-encodes them unchanged`, () => {
      for (const bytes of [buildForwardGraph(config), buildForwardBackwardGraph(config)]) {
        const again = ModelProto.encode(ModelProto.decode(bytes)).finish();
        expect(again.length).toBe(bytes.length);
        expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
      }
    });
});
