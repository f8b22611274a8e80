// Seeded synthetic tensors for the teaching pages: the same seed gives the same numbers in the app and in tests.
import { boxMullerPairs, mulberry32, unit } from '../../core/random';

/** Uniform [0, 1) from mulberry32 (src/core/random): a fixed sequence per seed. */
export function seededRandom(seed: number): () => number {
  return unit(mulberry32(seed));
}

/** Standard normal draws by Box–Muller (both branches) from the seeded uniform source. */
export function seededNormal(seed: number): () => number {
  return boxMullerPairs(seededRandom(seed));
}

/** A Gaussian tensor like a linear layer's weights (mean 0, standard deviation std). */
export function gaussianTensor(n: number, std: number, seed: number): Float32Array {
  const normal = seededNormal(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * normal();
  return out;
}

/** Student-t draws (heavy tails, like activations): normal / sqrt(chi²_ν / ν). */
export function studentTTensor(n: number, nu: number, scale: number, seed: number): Float32Array {
  const normal = seededNormal(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let chi2 = 0;
    for (let k = 0; k < nu; k++) {
      const z = normal();
      chi2 += z * z;
    }
    out[i] = (scale * normal()) / Math.sqrt(chi2 / nu);
  }
  return out;
}

/**
 * A weight-like matrix [rows, cols] (row-major, rows = output features) whose listed input columns
 * are `outlierGain` times larger: the outlier channels that per-tensor scales handle badly.
 */
export function matrixWithOutlierColumns(
  rows: number,
  cols: number,
  outlierCols: readonly number[],
  outlierGain: number,
  seed: number,
): Float32Array {
  const normal = seededNormal(seed);
  const out = new Float32Array(rows * cols);
  const isOutlier = new Set(outlierCols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = normal() * (isOutlier.has(c) ? outlierGain : 1);
    }
  }
  return out;
}
