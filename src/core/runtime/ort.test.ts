import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder';
import { configureOrt, createSession, f32, ortThreads, runSession } from './ort';

describe('onnxruntime-web runtime helpers', () => {
  it('fixes the thread count at the first session and refuses a different one later', async () => {
    configureOrt({ threads: 1 });
    expect(ortThreads()).toBe(1);
    expect(() => configureOrt({ threads: 2 })).toThrow(/already started with 1 thread/);
    expect(() => configureOrt({ threads: 0 })).toThrow(/positive integer/);
  });

  it('turns ORT failures into errors that say what was being run', async () => {
    const g = new GraphBuilder('t');
    g.input('x', 'float32', [2, 3]);
    g.output(g.op('Relu', ['x']), 'y', 'float32', [2, 3]);
    const s = await createSession(g.toBytes(), { threads: 1 }, 'relu');
    const ok = await runSession(s, { x: f32(Float32Array.from([-1, 2, -3, 4, -5, 6]), [2, 3]) }, 'relu');
    expect(Array.from(ok.y.data as Float32Array)).toEqual([0, 2, 0, 4, 0, 6]);
    await expect(runSession(s, { x: f32(new Float32Array(4), [4]) }, 'the relu graph')).rejects.toThrow(
      /^onnxruntime-web: running the relu graph failed: /,
    );
    await expect(createSession(new Uint8Array([1, 2, 3]), { threads: 1 }, 'junk')).rejects.toThrow(
      /^onnxruntime-web: creating the junk session failed/,
    );
  });
});
