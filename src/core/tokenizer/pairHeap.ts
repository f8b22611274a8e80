// The candidate-merge heap of the llama2.c BPE port (see llama2c.ts: it replaces run.c's O(n^2) rescans).

/** Binary max-heap of candidate merges keyed by (score desc, left position asc). */
export class PairHeap {
  private score: Float64Array;
  private left: Int32Array;
  private right: Int32Array;
  private merged: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.score = new Float64Array(Math.max(capacity, 16));
    this.left = new Int32Array(this.score.length);
    this.right = new Int32Array(this.score.length);
    this.merged = new Int32Array(this.score.length);
  }

  private above(i: number, j: number): boolean {
    return this.score[i] > this.score[j] || (this.score[i] === this.score[j] && this.left[i] < this.left[j]);
  }

  private swap(i: number, j: number): void {
    let t = this.score[i];
    this.score[i] = this.score[j];
    this.score[j] = t;
    t = this.left[i];
    this.left[i] = this.left[j];
    this.left[j] = t;
    t = this.right[i];
    this.right[i] = this.right[j];
    this.right[j] = t;
    t = this.merged[i];
    this.merged[i] = this.merged[j];
    this.merged[j] = t;
  }

  private grow(): void {
    const cap = this.score.length * 2;
    const s = new Float64Array(cap);
    s.set(this.score);
    this.score = s;
    const l = new Int32Array(cap);
    l.set(this.left);
    this.left = l;
    const r = new Int32Array(cap);
    r.set(this.right);
    this.right = r;
    const m = new Int32Array(cap);
    m.set(this.merged);
    this.merged = m;
  }

  push(score: number, left: number, right: number, merged: number): void {
    if (this.size === this.score.length) this.grow();
    let i = this.size++;
    this.score[i] = score;
    this.left[i] = left;
    this.right[i] = right;
    this.merged[i] = merged;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  topLeft(): number {
    return this.left[0];
  }
  topRight(): number {
    return this.right[0];
  }
  topMerged(): number {
    return this.merged[0];
  }

  pop(): void {
    const last = --this.size;
    if (last === 0) return;
    this.swap(0, last);
    let i = 0;
    for (;;) {
      const a = 2 * i + 1;
      const b = a + 1;
      let best = i;
      if (a < last && this.above(a, best)) best = a;
      if (b < last && this.above(b, best)) best = b;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
  }
}
