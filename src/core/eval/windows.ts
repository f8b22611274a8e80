// Sliding windows over a token stream for perplexity. A window has L positions and L targets:
//  - with a BOS id: positions [BOS, s[a], …, s[a+L−2]] predict s[a], …, s[a+L−1] (every stream token is
//    predicted, the first from BOS alone; PROVENANCE.md's method is L = 511, stride 511);
//  - without BOS: positions s[a], …, s[a+L−1] predict s[a+1], …, s[a+L] (the first token is context only).
// Consecutive windows start `stride` tokens apart; a target already scored by an earlier window is masked,
// so every prediction is scored exactly once, with as much context as the window gives.

export interface WindowOptions {
  /** Positions (= targets) per window; at most the model's context. */
  window: number;
  /** Tokens between window starts; ≤ window (default: window, no overlap). */
  stride?: number;
  /** Id placed at position 0 of every window, or null for none. */
  bos: number | null;
}

export interface Window {
  /** Stream index of the first target. */
  start: number;
  tokens: number[];
  targets: number[];
  /** 1 where the target is scored. */
  mask: Float32Array;
  scored: number;
}

/** One window per token id sequence, scored alone: inputs s[0:n−1] predict s[1:n], every target scored. */
export function sequenceWindows(sequences: readonly (readonly number[])[]): Window[] {
  let start = 0;
  return sequences.map((s, i) => {
    if (s.length < 2) throw new Error(`sequence ${i + 1} has ${s.length} id(s); a scored sequence needs at least 2`);
    const w: Window = {
      start,
      tokens: s.slice(0, -1),
      targets: s.slice(1),
      mask: new Float32Array(s.length - 1).fill(1),
      scored: s.length - 1,
    };
    start += s.length;
    return w;
  });
}

export function slidingWindows(stream: ArrayLike<number>, opts: WindowOptions): Window[] {
  const { window: L, bos } = opts;
  const stride = opts.stride ?? L;
  if (!Number.isInteger(L) || L < 1) throw new Error(`window must be a positive integer, got ${L}`);
  if (!Number.isInteger(stride) || stride < 1 || stride > L)
    throw new Error(`stride must be an integer in 1..${L} (the window), got ${stride}`);
  const n = stream.length;
  const firstTarget = bos === null ? 1 : 0;
  const windows: Window[] = [];
  let scoredUpTo = firstTarget; // stream index of the next target not yet scored
  for (let a = firstTarget; scoredUpTo < n; a += stride) {
    // Targets are s[a .. a+len−1]; the inputs are the token before each target (BOS before s[0] of a window).
    const len = Math.min(L, n - a);
    const tokens: number[] = [];
    const targets: number[] = [];
    const mask = new Float32Array(len);
    let scored = 0;
    for (let i = 0; i < len; i++) {
      const j = a + i;
      tokens.push(i === 0 && bos !== null ? bos : stream[j - 1]);
      targets.push(stream[j]);
      if (j >= scoredUpTo) {
        mask[i] = 1;
        scored++;
      }
    }
    scoredUpTo = a + len;
    windows.push({ start: a, tokens, targets, mask, scored });
  }
  return windows;
}
