import { describe, expect, it } from 'vitest';
import { boxMuller, boxMullerPairs, hash32, lcg32, mulberry32, unit, unitOpen, xorshift32, Xoshiro128 } from './random';

// Expected words come from the published C reference implementations compiled with gcc (uint32_t
// arithmetic): xoshiro128** by Blackman & Vigna seeded by splitmix32, Tommy Ettinger's mulberry32,
// Marsaglia's xorshift32 (13, 17, 5), the two LCGs, and Chris Wellons' lowbias32.
const take = (next: () => number, n: number) => Array.from({ length: n }, () => next());

describe('seeded generators match their C references', () => {
  it('xoshiro128** (splitmix32 seeding)', () => {
    const r = new Xoshiro128(42);
    expect(r.state()).toEqual([939911724, 3948730756, 321366731, 3317318717]);
    expect(take(() => r.nextU32(), 5)).toEqual([2837322924, 544945897, 479756282, 3500138142, 339756180]);
  });
  it('mulberry32', () => {
    expect(take(mulberry32(1), 5)).toEqual([2693262067, 11749833, 2265367787, 4213581821, 4159151403]);
  });
  it('xorshift32', () => {
    expect(take(xorshift32(1), 5)).toEqual([270369, 67634689, 2647435461, 307599695, 2398689233]);
    // Seed 0 is the fixed point; it is replaced by 1.
    expect(take(xorshift32(0), 2)).toEqual([270369, 67634689]);
  });
  it('lcg32, Numerical Recipes and glibc constants', () => {
    expect(take(lcg32(7), 5)).toEqual([1025555898, 3923423697, 2630631676, 3981355051, 211918734]);
    expect(take(lcg32(7, 1103515245, 12345), 5)).toEqual([3429651764, 642666333, 712265938, 1486001571, 2131988640]);
  });
  it('lowbias32', () => {
    expect([0, 1, 2, 3, 4, 0xdeadbeef].map(hash32)).toEqual([
      0, 1753845952, 3507691905, 1408362973, 3648937681, 3861431939,
    ]);
  });
});

describe('Xoshiro128 state and draws', () => {
  it('resumes from a saved state with the same draws', () => {
    const a = new Xoshiro128(7);
    take(() => a.nextU32(), 3);
    const b = new Xoshiro128(a.state());
    expect(take(() => b.nextU32(), 4)).toEqual(take(() => a.nextU32(), 4));
  });
  it('rejects bad seeds and states', () => {
    expect(() => new Xoshiro128(1.5)).toThrow(/integer/);
    expect(() => new Xoshiro128([1, 2, 3] as never)).toThrow(/invalid RNG state/);
    expect(() => new Xoshiro128(3).int(0)).toThrow(/positive integer/);
  });
  it('uniform uses 53 bits: (u1 >>> 5, u2 >>> 6)', () => {
    const r = new Xoshiro128(42);
    expect(r.uniform()).toBe(((2837322924 >>> 5) * 2 ** 26 + (544945897 >>> 6)) / 2 ** 53);
  });
});

describe('uniform and normal transforms', () => {
  it('unit and unitOpen scale by 2^32', () => {
    expect(unit(mulberry32(1))()).toBe(2693262067 / 2 ** 32);
    expect(unitOpen(mulberry32(1))()).toBe((2693262067 + 0.5) / 2 ** 32);
    expect(unitOpen(() => 0)()).toBeGreaterThan(0);
    expect(unitOpen(() => 0xffffffff)()).toBeLessThan(1);
  });
  it('Box–Muller: cosine branch, then the cached sine branch', () => {
    const us = [0.25, 0.125, 0.5, 0.75];
    const feed = () => {
      let i = 0;
      return () => us[i++];
    };
    const r = Math.sqrt(-2 * Math.log(0.25));
    const pairs = boxMullerPairs(feed());
    expect(pairs()).toBeCloseTo(r * Math.cos(Math.PI / 4), 15);
    expect(pairs()).toBeCloseTo(r * Math.sin(Math.PI / 4), 15);
    const single = boxMuller(feed());
    expect(single()).toBeCloseTo(r * Math.cos(Math.PI / 4), 15);
    expect(single()).toBeCloseTo(Math.sqrt(-2 * Math.log(0.5)) * Math.cos(1.5 * Math.PI), 15);
  });
  it('normals have mean 0 and variance 1 over many draws', () => {
    const z = take(boxMullerPairs(unit(mulberry32(3))), 20000);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.04);
  });
});
