// Streams a profile tensor by tensor (docs/profile-format.md): the header (all offsets) is known from the
// metadata alone, so it is written first; then each quantized tensor's clip indices, block scores and
// activation Fisher/scores in canonical order; histograms, accumulated on the way, go last. Memory: one
// tensor at a time plus the histograms, so a 7B-shaped profile is written without holding its scores.
import { encodeHeader, tensorBytes, type SafeDtype } from './container.ts';
import {
  ACT_HIST_NAME,
  actFisherTensorName,
  actScoresTensorName,
  blocksPerRow,
  META,
  PROFILE_FORMAT,
  PROFILE_VERSION,
  weightClipName,
  weightHistName,
  weightScoreName,
  type ProfileMeta,
  type StoredPolicy,
} from './format.ts';
import { accumulateHistogram, histogramColumns } from './histogram.ts';
import { validateMeta } from './meta.ts';

/** Where the bytes go (a file, an array in memory). Writes are awaited in order. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void> | void;
}

export interface TensorData {
  /** Index into clipGrid per block, [rows · bpr]. */
  clip: Uint8Array;
  /** Block scores per stored policy, [rows · bpr]. */
  scores: Partial<Record<StoredPolicy, Float64Array | Float32Array>>;
  /** Per-channel activation Fisher, [cols]. */
  actFisher: Float32Array;
  /** Calibration activation block scores [M · bpr] (required when activations.scores is 'full'). */
  actScores?: Float32Array;
  /** Histogram-only profiles may give the activation scores' histogram row instead (B + 3 counts). */
  actHistogram?: ArrayLike<number>;
}

export interface WriterOptions {
  /** Stored score dtype (default F64, exact). */
  scoreDtype?: 'F64' | 'F32';
  /** Store weight block scores (default true); false writes a histogram-only profile. */
  weightScores?: boolean;
}

/** The metadata strings of a profile. */
export function encodeMeta(meta: ProfileMeta): Record<string, string> {
  const m: Record<string, string> = {
    [META.format]: PROFILE_FORMAT,
    [META.version]: String(PROFILE_VERSION),
    [META.model]: JSON.stringify(meta.model),
    [META.tokenizer]: JSON.stringify(meta.tokenizer),
    [META.tensors]: JSON.stringify(meta.tensors),
    [META.quantization]: JSON.stringify(meta.quantization),
    [META.policies]: JSON.stringify(meta.policies),
    [META.histogram]: JSON.stringify(meta.histogram),
    [META.calibration]: JSON.stringify(meta.calibration),
    [META.activations]: JSON.stringify(meta.activations),
  };
  if (meta.evaluation) m[META.evaluation] = JSON.stringify(meta.evaluation);
  return m;
}

export class ProfileWriter {
  private next = 0;
  private readonly weightHist: Map<StoredPolicy, Float64Array>;
  private readonly actHist: Float64Array;
  private readonly C: number;
  private constructor(
    private readonly meta: ProfileMeta,
    private readonly sink: ByteSink,
    private readonly opts: Required<WriterOptions>,
  ) {
    this.C = histogramColumns(meta.histogram);
    const T = meta.tensors.length;
    this.weightHist = new Map(meta.policies.map((p) => [p, new Float64Array(T * this.C)]));
    this.actHist = new Float64Array(T * this.C);
  }

  /** Validates the metadata, writes the header; then call writeTensor() for every tensor in order, then finish(). */
  static async begin(meta: ProfileMeta, sink: ByteSink, options: WriterOptions = {}): Promise<ProfileWriter> {
    validateMeta(meta);
    const opts: Required<WriterOptions> = {
      scoreDtype: options.scoreDtype ?? 'F64',
      weightScores: options.weightScores ?? true,
    };
    const w = new ProfileWriter(meta, sink, opts);
    const { bytes } = encodeHeader(encodeMeta(meta), w.layout());
    await sink.write(bytes);
    return w;
  }

  /** Tensor names, dtypes and shapes in data order. */
  private layout(): { name: string; dtype: SafeDtype; shape: number[] }[] {
    const { meta, opts } = this;
    const out: { name: string; dtype: SafeDtype; shape: number[] }[] = [];
    for (const t of meta.tensors) {
      const bpr = blocksPerRow(t.cols);
      out.push({ name: weightClipName(t.layer, t.proj), dtype: 'U8', shape: [t.rows, bpr] });
      if (opts.weightScores)
        for (const p of meta.policies)
          out.push({ name: weightScoreName(t.layer, t.proj, p), dtype: opts.scoreDtype, shape: [t.rows, bpr] });
      out.push({ name: actFisherTensorName(t.layer, t.proj), dtype: 'F32', shape: [t.cols] });
      if (meta.activations.scores === 'full')
        out.push({ name: actScoresTensorName(t.layer, t.proj), dtype: 'F32', shape: [meta.activations.tokens, bpr] });
    }
    const T = meta.tensors.length;
    for (const p of meta.policies) out.push({ name: weightHistName(p), dtype: 'I32', shape: [T, this.C] });
    out.push({ name: ACT_HIST_NAME, dtype: 'I32', shape: [T, this.C] });
    return out;
  }

  /** Writes the next tensor's data (canonical order) and adds its scores to the histograms. */
  async writeTensor(d: TensorData): Promise<void> {
    const { meta, opts, C } = this;
    const i = this.next;
    const t = meta.tensors[i];
    if (!t) throw new Error(`all ${meta.tensors.length} tensors are already written`);
    const name = `layer ${t.layer} ${t.proj}`;
    const blocks = t.rows * blocksPerRow(t.cols);
    const check = (what: string, a: ArrayLike<number> | undefined, n: number) => {
      if (!a) throw new Error(`${name}: ${what} missing`);
      if (a.length !== n) throw new Error(`${name}: ${what} has ${a.length} values, expected ${n}`);
    };
    check('clip indices', d.clip, blocks);
    for (let b = 0; b < blocks; b++)
      if (d.clip[b] >= meta.quantization.clipGrid.length)
        throw new Error(`${name}: clip index ${d.clip[b]} outside the ${meta.quantization.clipGrid.length}-value grid`);
    await this.sink.write(d.clip);
    for (const p of meta.policies) {
      const s = d.scores[p];
      check(`${p} scores`, s, blocks);
      accumulateHistogram(s!, meta.histogram, this.weightHist.get(p)!.subarray(i * C, (i + 1) * C));
      if (!opts.weightScores) continue;
      const typed =
        opts.scoreDtype === 'F64'
          ? s instanceof Float64Array
            ? s
            : Float64Array.from(s!)
          : s instanceof Float32Array
            ? s
            : Float32Array.from(s!);
      await this.sink.write(tensorBytes(typed));
    }
    check('activation Fisher', d.actFisher, t.cols);
    await this.sink.write(tensorBytes(d.actFisher));
    const actBlocks = meta.activations.tokens * blocksPerRow(t.cols);
    const row = this.actHist.subarray(i * C, (i + 1) * C);
    if (d.actHistogram && meta.activations.scores === 'histogram') {
      check('activation histogram', d.actHistogram, C);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += row[c] = d.actHistogram[c];
      if (sum !== actBlocks)
        throw new Error(`${name}: activation histogram counts ${sum} scores, expected ${actBlocks}`);
    } else {
      check('activation scores', d.actScores, actBlocks);
      accumulateHistogram(d.actScores!, meta.histogram, row);
      if (meta.activations.scores === 'full') await this.sink.write(tensorBytes(d.actScores!));
    }
    this.next++;
  }

  /** Writes the histograms; every tensor must have been written. */
  async finish(): Promise<void> {
    const T = this.meta.tensors.length;
    if (this.next !== T) throw new Error(`${this.next} of ${T} tensors written; finish() needs all of them`);
    const toI32 = (a: Float64Array, what: string) => {
      const out = new Int32Array(a.length);
      for (let i = 0; i < a.length; i++) {
        if (a[i] > 0x7fffffff) throw new Error(`${what}: a bin holds ${a[i]} scores, above the format's 2^31 - 1`);
        out[i] = a[i];
      }
      return out;
    };
    for (const p of this.meta.policies)
      await this.sink.write(tensorBytes(toI32(this.weightHist.get(p)!, `${p} histogram`)));
    await this.sink.write(tensorBytes(toI32(this.actHist, 'activation histogram')));
    this.next = T + 1;
  }
}

/** An in-memory sink (tests, the browser). */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const parts: Uint8Array[] = [];
  return {
    write(b) {
      parts.push(b.slice());
    },
    bytes() {
      const n = parts.reduce((a, p) => a + p.length, 0);
      const out = new Uint8Array(n);
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    },
  };
}
