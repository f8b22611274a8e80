import { describe, expect, it } from 'vitest';
import { MODEL_SHAPES, parseRandomSpec, randomShapeModel, shapeConfig } from './shapes.ts';
import { parameterCount } from './types.ts';

describe('named model shapes', () => {
  it('parameter counts equal the published models (hand-summed from the configs)', () => {
    // stories15M: 32000·288 embedding + 6 × (4·288² + 3·288·768 + 2·288) + 288 = 15,191,712.
    expect(parameterCount(MODEL_SHAPES.stories15M)).toBe(15_191_712);
    // SmolLM-135M: 49152·576 + 30 × (2·576² + 2·192·576 + 3·576·1536 + 2·576) + 576 = 134,515,008 (tied head).
    expect(parameterCount(MODEL_SHAPES['smollm-135m'])).toBe(134_515_008);
    // Llama-2-7B: 2 × 32000·4096 (untied) + 32 × (4·4096² + 3·4096·11008 + 2·4096) + 4096 = 6,738,415,616.
    expect(parameterCount(MODEL_SHAPES['llama2-7b'])).toBe(6_738_415_616);
    expect(MODEL_SHAPES.stories260K).toMatchObject({
      dim: 64,
      hiddenDim: 172,
      nLayers: 5,
      nHeads: 8,
      nKvHeads: 4,
      vocabSize: 512,
    });
  });

  it('random:SHAPE[:SEED] parses, is deterministic per seed, and refuses unknown shapes, bad seeds and llama2-7b weights', () => {
    expect(parseRandomSpec('random:stories42M')).toMatchObject({ shape: 'stories42M', seed: 1 });
    expect(parseRandomSpec('random:stories42M:7').seed).toBe(7);
    const a = randomShapeModel('random:stories260K:5');
    const b = randomShapeModel('random:stories260K:5');
    const c = randomShapeModel('random:stories260K:6');
    expect(a.config).toEqual(shapeConfig('stories260K'));
    expect(Array.from(a.weights.layers[2].up.subarray(0, 64))).toEqual(
      Array.from(b.weights.layers[2].up.subarray(0, 64)),
    );
    expect(Array.from(a.weights.layers[2].up.subarray(0, 64))).not.toEqual(
      Array.from(c.weights.layers[2].up.subarray(0, 64)),
    );
    expect(() => parseRandomSpec('random:gpt2')).toThrow(/unknown model shape "gpt2" \(known: stories260K, /);
    expect(() => parseRandomSpec('random:stories15M:x')).toThrow(/non-negative integer/);
    expect(() => parseRandomSpec('random:')).toThrow(/unknown model shape/);
    expect(() => randomShapeModel('random:llama2-7b')).toThrow(
      /27\.0 GB of float32 weights: only commands that need no weights/,
    );
  });
});
