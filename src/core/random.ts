// Seeded pseudo-random numbers: the one place the project's generators live (run.c's generator in
// src/core/eval stays there: it is a contract with llama2.c). Each generator below is kept bit-exact
// with the code it replaced, because published numbers depend on the sequences: the default model's
// training and data split (xoshiro128**), the random-blocks baseline that e2e compares with `fgmp run`
// (lowbias32 hash), `randomModel` (xorshift32), the lessons' synthetic tensors (mulberry32).
//
// A generator is a `U32Source`: a function returning the next uint32. `unit` / `unitOpen` turn one into
// uniforms; `boxMuller` / `boxMullerPairs` into standard normals.

/** The next uint32 of a seeded sequence. */
export type U32Source = () => number;

const TWO_32 = 4294967296;

/** mulberry32: a small 32-bit generator with one word of state. */
export function mulberry32(seed: number): U32Source {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Marsaglia's xorshift32 (13, 17, 5); the zero seed, a fixed point, becomes 1. */
export function xorshift32(seed: number): U32Source {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** Linear congruential s ← a·s + c mod 2³² (default: Numerical Recipes' a = 1664525, c = 1013904223). */
export function lcg32(seed: number, a = 1664525, c = 1013904223): U32Source {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, a) + c) >>> 0);
}

/** Uniform in [0, 1): u / 2³². */
export function unit(next: U32Source): () => number {
  return () => next() / TWO_32;
}

/** Uniform in (0, 1): (u + ½) / 2³², safe under a logarithm. */
export function unitOpen(next: U32Source): () => number {
  return () => (next() + 0.5) / TWO_32;
}

/** One standard normal per call from two uniforms in (0, 1] (Box–Muller, cosine branch only). */
export function boxMuller(uniform: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Standard normals by Box–Muller, both branches: cosine, then the cached sine (zero uniforms redrawn). */
export function boxMullerPairs(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** 32-bit integer hash (lowbias32): a counter-based source, so draw i depends only on (key, i). */
export function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** splitmix32 from a counter: the seeding step of xoshiro128**. */
function splitmix32(x: number): number {
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export type XoshiroState = [number, number, number, number];

/**
 * xoshiro128** seeded by splitmix32. The whole state is four uint32, so a training run can save it and
 * resume with exactly the same draws.
 */
export class Xoshiro128 {
  private s: Uint32Array;

  constructor(seed: number | XoshiroState) {
    this.s = new Uint32Array(4);
    if (Array.isArray(seed)) {
      if (seed.length !== 4 || seed.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff))
        throw new Error(`invalid RNG state ${JSON.stringify(seed)}`);
      this.s.set(seed);
    } else {
      if (!Number.isInteger(seed)) throw new Error(`RNG seed must be an integer, got ${seed}`);
      let x = seed >>> 0;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        this.s[i] = splitmix32(x);
      }
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1; // the all-zero state is a fixed point
  }

  state(): XoshiroState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** Next uint32. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int needs a positive integer bound, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, one value per call so the state stays four words). */
  normal(): number {
    const u = 1 - this.uniform(); // (0, 1]
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }
}
