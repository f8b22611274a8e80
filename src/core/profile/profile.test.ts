// Profiles: write → read round trip, answers equal to the live ranking code on a random model (every policy,
// exact FP8 sets), activation τ equal to the live rule, and hostile or truncated files rejected with exact
// messages.
import { describe, expect, it } from 'vitest';
import { allMasks, answerBudget, buildRanking, prepareWeights } from '../fgmp/index.ts';
import { tauForShare } from '../actquant/tau.ts';
import { projectionShape, randomModel, type LlamaConfig } from '../model/types.ts';
import { activationAnswer, profileRanking, WeightAnswerer } from './answer.ts';
import { answerProfile } from './result.ts';
import { simulateHardware } from '../hw/index.ts';
import { buildMeta, writeModelProfile, type ProfileBuildInput } from './build.ts';
import { bufferSource, encodeHeader } from './container.ts';
import { blocksPerRow, defaultHistogramSpec, weightScoreName } from './format.ts';
import { Profile } from './reader.ts';
import { encodeMeta, memorySink } from './writer.ts';
import { rng, syntheticMeta, writeSyntheticProfile } from './testUtil.ts';

// down has 40 input features: a shorter last block (DESIGN.md §2).
const config: LlamaConfig = {
  dim: 32,
  hiddenDim: 40,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  vocabSize: 64,
  maxSeqLen: 32,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};
const M = 48;

function buildInput(): ProfileBuildInput {
  const model = randomModel(config, 7);
  const r = rng(11);
  const weightFisher = new Map<string, Float32Array>();
  const activationFisher = new Map<string, Float32Array>();
  const activationScores = new Map<string, Float32Array>();
  for (let l = 0; l < config.nLayers; l++)
    for (const p of ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const) {
      const [rows, cols] = projectionShape(config, p);
      // Fisher with ties (a coarse grid) so the tie order matters.
      weightFisher.set(
        `L${l}.${p}`,
        Float32Array.from({ length: rows * cols }, () => Math.round(r() * 4) / 4),
      );
      activationFisher.set(
        `L${l}.${p}`,
        Float32Array.from({ length: cols }, () => r()),
      );
      activationScores.set(
        `L${l}.${p}`,
        Float32Array.from({ length: M * blocksPerRow(cols) }, () => (r() < 0.1 ? 0.5 : Math.fround(r() ** 3))),
      );
    }
  return {
    model,
    modelName: 'random',
    modelSha256: null,
    tokenizer: null,
    calibration: { weightFisher, activationFisher },
    calibrationInfo: {
      tokens: M,
      sequences: 2,
      seqLen: 24,
      source: 'test',
      textSha256: null,
      seed: null,
      meanNll: 1,
      seconds: 0,
      engine: 'none',
      threads: null,
      producer: 'test',
      versions: {},
    },
    activationScores,
    activationTokens: M,
    clip: 'fisher',
    fp8Scaling: 'tensor',
  };
}

async function modelProfile(): Promise<{ input: ProfileBuildInput; bytes: Uint8Array; profile: Profile }> {
  const input = buildInput();
  const sink = memorySink();
  await writeModelProfile(input, sink);
  const bytes = sink.bytes();
  return { input, bytes, profile: await Profile.open(bufferSource(bytes)) };
}

describe('profile of a random model', () => {
  it('answers every policy exactly as the live ranking (FP8 sets identical)', async () => {
    const { input, profile } = await modelProfile();
    const prepared = prepareWeights(config, input.model.weights, {
      clip: 'fisher',
      fisher: (l, p) => input.calibration.weightFisher.get(`L${l}.${p}`),
    });
    for (const policy of ['fgmp', 'unweighted', 'error', 'magnitude', 'random', 'uniform'] as const) {
      const live = buildRanking(prepared, policy, { seed: 0 });
      const fromProfile = await profileRanking(profile, policy);
      for (const p of [0, 0.05, 0.1, 0.3, 0.5, 0.9, 1]) {
        const a = answerBudget(live, p);
        const b = answerBudget(fromProfile, p);
        expect(Array.from(b.fp8Counts)).toEqual(Array.from(a.fp8Counts));
        expect(allMasks(fromProfile, b).map((m) => Array.from(m))).toEqual(allMasks(live, a).map((m) => Array.from(m)));
      }
    }
  });

  it('fgmp profile bins tightly: no score under- or overflows, only zeros sit in column 0', async () => {
    const { profile } = await modelProfile();
    const { bins } = profile.meta.histogram;
    expect(bins).toBeLessThan(defaultHistogramSpec().bins);
    for (const policy of profile.meta.policies) {
      const h = await profile.histogram(policy);
      for (let t = 0; t < profile.tensors.length; t++) {
        const s = await profile.blockScores(t, policy);
        const zeros = s.filter((v) => v === 0).length;
        expect(h.rows[t * (bins + 3)], `${policy} ${t}`).toBe(zeros);
        expect(h.rows[t * (bins + 3) + bins + 1]).toBe(0);
      }
    }
  });

  it('stores the chosen clip ratios and the activation Fisher', async () => {
    const { input, profile } = await modelProfile();
    const prepared = prepareWeights(config, input.model.weights, {
      clip: 'fisher',
      fisher: (l, p) => input.calibration.weightFisher.get(`L${l}.${p}`),
    });
    for (let t = 0; t < prepared.length; t++) {
      expect(Array.from(await profile.clipRatios(t))).toEqual(Array.from(prepared[t].quant.clipRatio));
      expect(Array.from(await profile.activationFisher(t))).toEqual(
        Array.from(input.calibration.activationFisher.get(`L${prepared[t].layer}.${prepared[t].proj}`)!),
      );
    }
    expect(profile.meta.tensors[6]).toEqual({ layer: 0, proj: 'down', rows: 32, cols: 40 });
  });

  it('activation τ and realised shares equal the live τ rule, globally and per layer', async () => {
    const { input, profile } = await modelProfile();
    const sites = profile.tensors.map((t) => input.activationScores.get(`L${t.layer}.${t.proj}`)!);
    for (const p of [0, 0.1, 0.3, 1]) {
      const g = await activationAnswer(profile, p, 'global');
      const live = tauForShare(sites, p);
      expect(g.tau.every((t) => t === live.tau)).toBe(true);
      expect(g.share).toBe(live.achievedShare);
      sites.forEach((s, i) => expect(g.shares[i]).toBe(s.filter((v) => v > live.tau).length / s.length));
      const perLayer = await activationAnswer(profile, p, 'layer');
      for (let l = 0; l < config.nLayers; l++)
        expect(perLayer.tau[l * 7]).toBe(tauForShare(sites.slice(l * 7, l * 7 + 7), p).tau);
      // The histogram path asks the same count and stays within its bound.
      const h = await activationAnswer(profile, p, 'global', 'histogram');
      h.shares.forEach((s, i) =>
        expect(Math.abs(s - g.shares[i])).toBeLessThanOrEqual(
          h.slack[i] + Math.abs(live.fp8 - live.requested) / sites[i].length + 1e-12,
        ),
      );
    }
  });

  it('histogram answers stay within the bound; block-score answers have no slack', async () => {
    const { profile } = await modelProfile();
    const exact = await WeightAnswerer.create(profile, 'fgmp', 'block scores');
    const hist = await WeightAnswerer.create(profile, 'fgmp', 'histogram');
    for (const p of [0.1, 0.3, 0.7]) {
      const a = exact.answer(p);
      const b = hist.answer(p);
      expect(b.k).toBe(a.k);
      a.perTensor.forEach((r, i) =>
        expect(Math.abs(b.perTensor[i].fp8 - r.fp8)).toBeLessThanOrEqual(b.perTensor[i].slack),
      );
      expect(a.perTensor.every((r) => r.slack === 0)).toBe(true);
    }
  });
});

describe('run answers from histograms', () => {
  it('memory and energy from FP8 counts equal the hardware model on the answer’s masks', async () => {
    const { profile } = await modelProfile();
    const w = await WeightAnswerer.create(profile, 'fgmp', 'histogram');
    for (const actBudget of [null, 0.3]) {
      const hist = await answerProfile(profile, { policy: 'fgmp', budget: 0.3, actBudget, mode: 'histogram' }, w);
      expect(hist.source.weights).toBe('histogram');
      const a = w.answer(0.3);
      const act = actBudget === null ? null : await activationAnswer(profile, actBudget, 'global', 'histogram');
      const live = simulateHardware(
        profile.tensors.map((t, i) => ({
          layer: t.layer,
          proj: t.proj,
          rows: t.rows,
          cols: t.cols,
          weightMask: a.mask(i),
          tokens: 4096,
          activationFp8Share: act ? act.shares[i] : 1,
        })),
        undefined,
        { fp8Scale: 'tensor' },
      );
      // down has 40 input features (a tail block of 8): its FP8 elements are interpolated (hwCounts.ts), a few
      // bits here; tensors whose rows are whole blocks are exact (hwCounts.test.ts).
      expect(Math.abs(hist.weightBits - live.weightBits.mixed)).toBeLessThan(1e-4 * live.weightBits.mixed);
      expect(Math.abs((hist.energy as { total: number }).total - live.total.total)).toBeLessThan(
        1e-4 * live.total.total,
      );
    }
  });
});

describe('round trip and byte ranges', () => {
  it('reads back every tensor as written, each through exactly its byte range', async () => {
    const meta = syntheticMeta(config, 20);
    const sink = memorySink();
    await writeSyntheticProfile(meta, sink, { seed: 5, nanShare: 0.01 });
    const bytes = sink.bytes();
    const reads: [number, number][] = [];
    const src = bufferSource(bytes);
    const counting = { size: src.size, read: (o: number, n: number) => (reads.push([o, n]), src.read(o, n)) };
    const profile = await Profile.open(counting);
    expect(reads).toEqual([
      [0, 8],
      [8, profile.header.headerBytes],
    ]);
    const name = weightScoreName(1, 'gate', 'error');
    const [start, end] = profile.byteRange(name);
    const s = await profile.blockScores(profile.tensorIndex(1, 'gate'), 'error');
    expect(reads.at(-1)).toEqual([start, end - start]);
    expect(s.length).toBe(40 * 2);
    const direct = new Float64Array(bytes.slice(start, end).buffer);
    expect(Array.from(s)).toEqual(Array.from(direct));
    expect((await profile.histogram('fgmp')).totalBlocks).toBe(profile.totalBlocks);
  });

  it('a histogram-only profile answers from histograms and says so', async () => {
    const meta = syntheticMeta(config, 20, { activations: 'histogram' });
    const sink = memorySink();
    await writeSyntheticProfile(meta, sink, {}, { weightScores: false });
    const profile = await Profile.open(bufferSource(sink.bytes()));
    expect(profile.scoredPolicies).toEqual([]);
    const a = await WeightAnswerer.create(profile, 'fgmp');
    expect(a.source).toBe('histogram');
    expect(a.answer(0.3).perTensor.reduce((s, r) => s + r.fp8, 0)).toBe(Math.round(0.3 * profile.totalBlocks));
    await expect(profile.blockScores(0, 'fgmp')).rejects.toThrow('the profile holds only histograms for policy "fgmp"');
    expect((await activationAnswer(profile, 0.2)).source).toBe('histogram');
  });
});

describe('hostile and truncated files', () => {
  let good: Uint8Array;
  const open = (b: Uint8Array) => Profile.open(bufferSource(b));
  const withHeader = (json: unknown, data = new Uint8Array(0)): Uint8Array => {
    const body = new TextEncoder().encode(JSON.stringify(json));
    const out = new Uint8Array(8 + body.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(body.length), true);
    out.set(body, 8);
    out.set(data, 8 + body.length);
    return out;
  };
  const goodMeta = () => encodeMeta(buildMeta(buildInput()));

  it('rejects broken containers with exact messages', async () => {
    const sink = memorySink();
    await writeModelProfile(buildInput(), sink);
    good = sink.bytes();
    await expect(open(good.subarray(0, 5))).rejects.toThrow(
      'invalid profile: file is 5 bytes, shorter than the 8-byte header length',
    );
    const zero = new Uint8Array(16);
    await expect(open(zero)).rejects.toThrow('invalid profile: header length is 0');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    await expect(open(huge)).rejects.toThrow(
      'invalid profile: header length 1099511627776 exceeds the 67108864-byte limit',
    );
    await expect(open(good.subarray(0, 100))).rejects.toThrow(
      /^invalid profile: header length \d+ runs past the end of the 100-byte file \(truncated\?\)$/,
    );
    const notJson = withHeader({}).fill(0x41, 8);
    await expect(open(notJson)).rejects.toThrow(/^invalid profile: header is not UTF-8 JSON/);
    await expect(open(withHeader([1, 2]))).rejects.toThrow('invalid profile: header JSON is not an object');
    await expect(open(withHeader({ a: 1 }))).rejects.toThrow('invalid profile: header has no __metadata__ object');
    await expect(open(withHeader({ __metadata__: { x: 1 } }))).rejects.toThrow(
      'invalid profile: __metadata__ value "x" is not a string',
    );
    await expect(
      open(withHeader({ __metadata__: {}, t: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } }, new Uint8Array(2))),
    ).rejects.toThrow('invalid profile: tensor "t" has unsupported dtype "BF16" (F64, F32, U8, I32)');
    await expect(
      open(withHeader({ __metadata__: {}, t: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8))),
    ).rejects.toThrow('invalid profile: tensor "t" holds 8 bytes but F32 [3] needs 12');
    const two = (a: number[], b: number[]) => ({
      __metadata__: {},
      a: { dtype: 'U8', shape: [a[1] - a[0]], data_offsets: a },
      b: { dtype: 'U8', shape: [b[1] - b[0]], data_offsets: b },
    });
    await expect(open(withHeader(two([0, 4], [2, 6]), new Uint8Array(6)))).rejects.toThrow(
      'invalid profile: tensor "b" overlaps another tensor (bytes 2..6)',
    );
    await expect(open(withHeader(two([0, 4], [5, 6]), new Uint8Array(6)))).rejects.toThrow(
      'invalid profile: data buffer has a hole at bytes 4..5 before tensor "b"',
    );
    await expect(open(good.subarray(0, good.length - 3))).rejects.toThrow(
      /^invalid profile: tensors need \d+ data bytes but the file holds \d+ \(truncated\)$/,
    );
    const longer = new Uint8Array(good.length + 2);
    longer.set(good);
    await expect(open(longer)).rejects.toThrow('invalid profile: file has 2 bytes after the last tensor');
  });

  it('rejects files that are not version-1 profiles, with exact messages', async () => {
    const header = (meta: Record<string, string>) => encodeHeader(meta, []).bytes;
    await expect(open(header({}))).rejects.toThrow('invalid profile: not an FGMP profile (no "fgmp.format" metadata)');
    await expect(open(header({ 'fgmp.format': 'gguf' }))).rejects.toThrow(
      'invalid profile: not an FGMP profile ("fgmp.format" is "gguf")',
    );
    await expect(open(header({ ...goodMeta(), 'fgmp.version': '2' }))).rejects.toThrow(
      'invalid profile: unsupported fgmp.version 2 (this reader knows 1)',
    );
    await expect(open(header({ ...goodMeta(), 'fgmp.model': '{' }))).rejects.toThrow(
      'invalid profile: metadata "fgmp.model" is not JSON',
    );
    const missing = goodMeta();
    delete missing['fgmp.calibration'];
    await expect(open(header(missing))).rejects.toThrow('invalid profile: metadata key "fgmp.calibration" is missing');
    const m = buildMeta(buildInput());
    m.tensors[3] = { ...m.tensors[3], rows: 31 };
    await expect(open(header(encodeMeta(m)))).rejects.toThrow(
      'invalid profile: fgmp.tensors[3] is {"layer":0,"proj":"o","rows":31,"cols":32}, expected {"layer":0,"proj":"o","rows":32,"cols":32} (canonical order: layer, then q, k, v, o, gate, up, down)',
    );
    await expect(open(header(goodMeta()))).rejects.toThrow(
      'invalid profile: required tensor "weight.L0.q.clip" is missing',
    );
  });

  it('rejects wrong tensor dtypes and histograms that do not count the blocks', async () => {
    const meta = goodMeta();
    const p = await open(good);
    // Same layout with the fgmp histogram's dtype changed: shape and size stay valid.
    const entries = [...p.header.tensors.values()].sort((a, b) => a.begin - b.begin);
    const retyped = encodeHeader(
      meta,
      entries.map((e) => ({
        name: e.name,
        dtype: e.name === 'act.L0.q.fisher' ? ('I32' as const) : e.dtype,
        shape: e.shape,
      })),
    ).bytes;
    const file = new Uint8Array(retyped.length + p.header.dataBytes);
    file.set(retyped);
    file.set(good.subarray(p.header.dataStart), retyped.length);
    await expect(open(file)).rejects.toThrow('invalid profile: tensor "act.L0.q.fisher" is I32, expected F32');
    // A histogram row that loses a count.
    const bad = good.slice();
    const [hs] = p.byteRange('weight.hist.fgmp');
    const view = new DataView(bad.buffer, hs);
    let col = 0;
    while (view.getInt32(4 * col, true) === 0) col++;
    view.setInt32(4 * col, view.getInt32(4 * col, true) - 1, true);
    await expect((await open(bad)).histogram('fgmp')).rejects.toThrow(
      'invalid profile: weight.hist.fgmp row 0 (layer 0 q) counts 63 scores, expected 64',
    );
  });
});
