// Opens a profile through a byte-range source: the header first (two small reads), validated against the
// format (docs/profile-format.md), then tensors on demand — one tensor's block scores are one read of
// exactly its bytes, so over HTTP they are one Range request. Histograms are read once and cached.
import type { Projection } from '../model/types.ts';
import {
  decodeTensor,
  readHeader,
  ProfileFormatError,
  type ByteSource,
  type ParsedHeader,
  type SafeDtype,
  type TensorEntry,
} from './container.ts';
import {
  ACT_HIST_NAME,
  actFisherTensorName,
  actScoresTensorName,
  blocksPerRow,
  weightClipName,
  weightHistName,
  weightScoreName,
  type ProfileMeta,
  type ProfileTensor,
  type StoredPolicy,
} from './format.ts';
import { histogramColumns, HistogramIndex } from './histogram.ts';
import { parseMeta } from './meta.ts';

const fail = (msg: string): never => {
  throw new ProfileFormatError(msg);
};

export class Profile {
  private readonly histCache = new Map<string, Promise<HistogramIndex>>();
  /** Policies whose per-block scores are in the file (the others are histogram-only). */
  readonly scoredPolicies: StoredPolicy[];

  private constructor(
    readonly source: ByteSource,
    readonly header: ParsedHeader,
    readonly meta: ProfileMeta,
  ) {
    this.scoredPolicies = meta.policies.filter((p) =>
      header.tensors.has(weightScoreName(meta.tensors[0].layer, meta.tensors[0].proj, p)),
    );
  }

  /** Reads and validates the header and metadata; no tensor data is read. */
  static async open(source: ByteSource): Promise<Profile> {
    const header = await readHeader(source);
    const meta = parseMeta(header.metadata);
    checkTensors(header, meta);
    return new Profile(source, header, meta);
  }

  get tensors(): readonly ProfileTensor[] {
    return this.meta.tensors;
  }

  /** Total weight blocks N. */
  get totalBlocks(): number {
    return this.meta.tensors.reduce((s, t) => s + t.rows * blocksPerRow(t.cols), 0);
  }

  /** Index of (layer, proj) in the tensor table. */
  tensorIndex(layer: number, proj: Projection): number {
    const i = this.meta.tensors.findIndex((t) => t.layer === layer && t.proj === proj);
    if (i < 0) throw new Error(`the profile has no tensor layer ${layer} ${proj}`);
    return i;
  }

  /** File byte range [start, end) of a tensor (what an HTTP Range request asks for). */
  byteRange(name: string): [number, number] {
    const e = this.entry(name);
    return [this.header.dataStart + e.begin, this.header.dataStart + e.end];
  }

  private entry(name: string): TensorEntry {
    const e = this.header.tensors.get(name);
    if (!e) throw new Error(`the profile has no tensor "${name}"`);
    return e;
  }

  /** Reads one tensor by name (one range read), decoded. */
  async readTensor(name: string): Promise<Float64Array | Float32Array | Int32Array | Uint8Array> {
    const e = this.entry(name);
    const n = e.end - e.begin;
    const bytes = await this.source.read(this.header.dataStart + e.begin, n);
    if (bytes.length !== n) fail(`tensor "${name}" is cut short: ${bytes.length} of ${n} bytes (truncated)`);
    return decodeTensor(e.dtype as SafeDtype, bytes);
  }

  /** Block scores of one tensor for a stored policy, as float64 (row-major [rows, bpr]). */
  async blockScores(t: number, policy: StoredPolicy): Promise<Float64Array> {
    const d = this.desc(t);
    if (!this.scoredPolicies.includes(policy))
      throw new Error(
        this.meta.policies.includes(policy)
          ? `the profile holds only histograms for policy "${policy}"`
          : `the profile has no scores for policy "${policy}" (it has ${this.meta.policies.join(', ')})`,
      );
    const a = await this.readTensor(weightScoreName(d.layer, d.proj, policy));
    return a instanceof Float64Array ? a : Float64Array.from(a);
  }

  /** Chosen NVFP4 clip ratio of every block of one tensor. */
  async clipRatios(t: number): Promise<Float32Array> {
    const d = this.desc(t);
    const idx = (await this.readTensor(weightClipName(d.layer, d.proj))) as Uint8Array;
    const grid = this.meta.quantization.clipGrid;
    const out = new Float32Array(idx.length);
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] >= grid.length)
        fail(`clip index ${idx[i]} of layer ${d.layer} ${d.proj} is outside the ${grid.length}-value grid`);
      out[i] = grid[idx[i]];
    }
    return out;
  }

  async activationFisher(t: number): Promise<Float32Array> {
    const d = this.desc(t);
    return (await this.readTensor(actFisherTensorName(d.layer, d.proj))) as Float32Array;
  }

  /** Calibration activation block scores [M, bpr] of one site, or null in a histogram-only profile. */
  async activationScores(t: number): Promise<Float32Array | null> {
    const d = this.desc(t);
    if (this.meta.activations.scores !== 'full') return null;
    return (await this.readTensor(actScoresTensorName(d.layer, d.proj))) as Float32Array;
  }

  /** The histogram index of a stored policy's weight scores ('activations' for the activation scores), cached. */
  histogram(which: StoredPolicy | 'activations'): Promise<HistogramIndex> {
    let h = this.histCache.get(which);
    if (!h) {
      h = this.loadHistogram(which);
      this.histCache.set(which, h);
      h.catch(() => this.histCache.delete(which));
    }
    return h;
  }

  private async loadHistogram(which: StoredPolicy | 'activations'): Promise<HistogramIndex> {
    if (which !== 'activations' && !this.meta.policies.includes(which))
      throw new Error(`the profile has no scores for policy "${which}" (it has ${this.meta.policies.join(', ')})`);
    const name = which === 'activations' ? ACT_HIST_NAME : weightHistName(which);
    const rows = (await this.readTensor(name)) as Int32Array;
    const C = histogramColumns(this.meta.histogram);
    const M = this.meta.activations.tokens;
    this.meta.tensors.forEach((t, i) => {
      let sum = 0;
      for (let c = 0; c < C; c++) {
        const v = rows[i * C + c];
        if (v < 0) fail(`${name} row ${i} has a negative count`);
        sum += v;
      }
      const want = (which === 'activations' ? M : t.rows) * blocksPerRow(t.cols);
      if (sum !== want) fail(`${name} row ${i} (layer ${t.layer} ${t.proj}) counts ${sum} scores, expected ${want}`);
    });
    return new HistogramIndex(rows, this.meta.tensors.length, this.meta.histogram);
  }

  private desc(t: number): ProfileTensor {
    const d = this.meta.tensors[t];
    if (!d) throw new Error(`tensor index ${t} out of range (0..${this.meta.tensors.length - 1})`);
    return d;
  }
}

/** Required tensors present with the right dtype and shape (docs/profile-format.md §3). */
function checkTensors(h: ParsedHeader, m: ProfileMeta): void {
  const T = m.tensors.length;
  const C = histogramColumns(m.histogram);
  const expect = (name: string, dtypes: readonly SafeDtype[], shape: number[]) => {
    const e = h.tensors.get(name);
    if (!e) fail(`required tensor "${name}" is missing`);
    if (!dtypes.includes(e!.dtype)) fail(`tensor "${name}" is ${e!.dtype}, expected ${dtypes.join(' or ')}`);
    if (e!.shape.length !== shape.length || e!.shape.some((x, i) => x !== shape[i]))
      fail(`tensor "${name}" has shape ${JSON.stringify(e!.shape)}, expected ${JSON.stringify(shape)}`);
  };
  const scored = m.policies.filter((p) => h.tensors.has(weightScoreName(m.tensors[0].layer, m.tensors[0].proj, p)));
  for (const t of m.tensors) {
    const bpr = blocksPerRow(t.cols);
    expect(weightClipName(t.layer, t.proj), ['U8'], [t.rows, bpr]);
    for (const p of scored) expect(weightScoreName(t.layer, t.proj, p), ['F64', 'F32'], [t.rows, bpr]);
    expect(actFisherTensorName(t.layer, t.proj), ['F32'], [t.cols]);
    if (m.activations.scores === 'full')
      expect(actScoresTensorName(t.layer, t.proj), ['F32'], [m.activations.tokens, bpr]);
  }
  for (const p of m.policies) expect(weightHistName(p), ['I32'], [T, C]);
  expect(ACT_HIST_NAME, ['I32'], [T, C]);
}
