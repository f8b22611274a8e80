// Shared by the kernel tests: float32 bit patterns, a seeded LCG, ulp steps, and a tensor with every special.
export const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
}
export function nextUp(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  u[0] += x >= 0 ? 1 : -1;
  return f[0];
}
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Random weights with outliers, plus NaN, ±Inf, ±0, float32 subnormals and exact E2M1/E4M3 ties. */
export function nastyTensor(n: number, seed: number, ties: number[] = []): Float32Array {
  const u = lcg(seed);
  const x = Float32Array.from({ length: n }, () => (u() - 0.5) * Math.exp(6 * (u() - 0.5)) * (u() < 0.01 ? 30 : 1));
  const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -3e-42, 1.4e-45];
  for (let i = 0; i < n; i += 37) x[i] = specials[(i / 37) % specials.length];
  for (let i = 0; i < ties.length && 11 + 13 * i < n; i++) x[11 + 13 * i] = ties[i];
  return x;
}
