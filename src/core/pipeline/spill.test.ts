// The spilled weight Fisher reads back the bytes it wrote (bit patterns, NaN payloads and -0 included), and
// fails loudly on a short write or read, or after its calibration was replaced.
import { describe, expect, it } from 'vitest';
import { SpilledTensors, spillIfLarge, tensorBytes } from './spill.ts';
import { memoryFile } from '../../../tests/support/spillFile.ts';

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

function tensors(): Map<string, Float32Array> {
  const a = new Float32Array(new Uint32Array([0x7fc00001, 0x80000000, 0x00000001, 0x3f800000, 0xff800000]).buffer);
  const b = Float32Array.from({ length: 1000 }, (_, i) => Math.fround(Math.exp(i / 100 - 5)));
  return new Map([
    ['L0.wq', a],
    ['L1.w2', b],
  ]);
}

describe('SpilledTensors', () => {
  it('reads back every tensor bit for bit, each get a fresh array, in the order written', () => {
    const src = tensors();
    const want = new Map([...src].map(([k, v]) => [k, bits(v)]));
    const bytes = tensorBytes(src);
    expect(bytes).toBe(4 * 1005);
    const file = memoryFile();
    const s = SpilledTensors.write(src, file);
    // The arrays in memory are gone: the map was emptied and its arrays freed.
    expect(src.size).toBe(0);
    expect(s.bytes).toBe(bytes);
    expect(file.bytes().byteLength).toBe(bytes);
    expect([...s.keys()]).toEqual(['L0.wq', 'L1.w2']);
    expect(s.size).toBe(2);
    expect(s.has('L1.w2')).toBe(true);
    expect(s.get('L2.wq')).toBeUndefined();
    for (const [k, v] of s) expect(bits(v)).toEqual(want.get(k));
    const first = s.get('L1.w2')!;
    first.fill(0);
    expect(bits(s.get('L1.w2')!)).toEqual(want.get('L1.w2'));
    s.close();
    expect(file.closed).toBe(true);
    expect(() => s.get('L0.wq')).toThrow('stored for a calibration that has been replaced');
  });

  it('a short write throws and leaves the tensors in memory', () => {
    const src = tensors();
    const want = bits(src.get('L1.w2')!);
    expect(() => SpilledTensors.write(src, memoryFile(100))).toThrow(
      'could not write L1.w2 to storage (80 of 4000 bytes; is the disk full?)',
    );
    expect(src.size).toBe(2);
    expect(bits(src.get('L1.w2')!)).toEqual(want);
  });

  it('a short read throws', () => {
    const file = memoryFile();
    const s = SpilledTensors.write(tensors(), file);
    file.read = (into, at) => (into.set(file.bytes().subarray(at, at + 8)), 8);
    expect(() => s.get('L1.w2')).toThrow('could not read L1.w2 back from storage (8 of 4000 bytes)');
  });

  it('spillIfLarge: only from minBytes on, only with a file, and memory keeps them when storage refuses', async () => {
    const src = tensors();
    const open = async () => memoryFile();
    expect(await spillIfLarge(src, open, 4021)).toBe(src);
    expect(await spillIfLarge(src, undefined, 0)).toBe(src);
    expect(await spillIfLarge(src, async () => null, 0)).toBe(src);
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (m: string) => warned.push(m);
    try {
      expect(await spillIfLarge(src, async () => Promise.reject(new Error('quota exceeded')), 0)).toBe(src);
      const full = memoryFile(100);
      expect(await spillIfLarge(src, async () => full, 0)).toBe(src);
      expect(full.closed).toBe(true);
    } finally {
      console.warn = warn;
    }
    expect(warned).toEqual([
      'the weight Fisher stays in memory: quota exceeded',
      'the weight Fisher stays in memory: could not write L1.w2 to storage (80 of 4000 bytes; is the disk full?)',
    ]);
    expect(src.size).toBe(2);
    const spilled = await spillIfLarge(src, open, 4020);
    expect(spilled).toBeInstanceOf(SpilledTensors);
    expect(src.size).toBe(0);
  });
});
