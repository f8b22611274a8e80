// The default model's shipped profile (public/models/sotu-llama.profile.safetensors) is what the app's first
// calibration gives: regenerating it with the app's settings (scripts/make-default-profile.ts: wasm, 1 thread,
// DEFAULT_SHARE_STATE's tokens, clip and scaling) reproduces every stored tensor byte for byte — block scores
// of every policy, clip ratios, activation Fisher and scores, histograms — and its metadata.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../tests/support/cli';
import { activationAnswer, bufferSource, Profile, WeightAnswerer } from '../core/profile/index';
import { answerBudget } from '../core/fgmp/index';
import { Pipeline } from '../core/pipeline/pipeline';
import { DEFAULT_MODEL } from '../core/data/index';
import { DEFAULT_SHARE_STATE } from '../core/url/shareState';
import { DEFAULT_PROFILE_PATH, defaultProfileArgs } from '../../scripts/make-default-profile';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shipped = path.join(repo, DEFAULT_PROFILE_PATH);

const open = async (p: string) => {
  const b = readFileSync(p);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return { bytes, profile: await Profile.open(bufferSource(bytes)) };
};

describe('the shipped default profile', () => {
  it('exists and holds the app’s first configuration in its sweep', async () => {
    expect(existsSync(shipped), `${DEFAULT_PROFILE_PATH} is missing: npm run profile-default`).toBe(true);
    const { profile } = await open(shipped);
    const m = profile.meta;
    expect(m.calibration).toMatchObject({
      tokens: DEFAULT_SHARE_STATE.calibrationTokens,
      source: 'public/text/sotu-calib.txt',
      engine: 'onnxruntime-web wasm',
      threads: 1,
    });
    expect(m.quantization).toMatchObject({
      clip: DEFAULT_SHARE_STATE.clipping,
      fp8Scaling: DEFAULT_SHARE_STATE.fp8Scaling,
    });
    const s = DEFAULT_SHARE_STATE;
    const point = m.evaluation!.points.find(
      (p) => p.policy === s.policy && p.budget === s.weightBudget && p.actBudget === s.activationBudget,
    );
    expect(point, 'the default operating point is in the sweep').toBeDefined();
    expect(m.evaluation!.tokens).toBe(s.evaluationTokens);
    // The budget answer's global share is round(p·N)/N exactly.
    const a = (await WeightAnswerer.create(profile, 'fgmp')).answer(s.weightBudget);
    expect(a.fp8Share).toBe(Math.round(s.weightBudget * profile.totalBlocks) / profile.totalBlocks);
    expect(point!.fp8Share).toBe(a.fp8Share);
  });

  it('regenerating with the app’s settings gives the same tensors, byte for byte', { timeout: 600_000 }, async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'fgmp-default-profile-')), 'p.safetensors');
    const r = await runCli(defaultProfileArgs(out, false));
    expect(r.code, r.err).toBe(0);
    const a = await open(shipped);
    const b = await open(out);
    expect([...b.profile.header.tensors.keys()].sort()).toEqual([...a.profile.header.tensors.keys()].sort());
    for (const name of a.profile.header.tensors.keys()) {
      const [s1, e1] = a.profile.byteRange(name);
      const [s2, e2] = b.profile.byteRange(name);
      expect(Buffer.compare(a.bytes.subarray(s1, e1), b.bytes.subarray(s2, e2)), name).toBe(0);
    }
    // Everything but the wall time of the calibration.
    expect({ ...b.profile.meta.calibration, seconds: 0 }).toEqual({ ...a.profile.meta.calibration, seconds: 0 });
    expect(b.profile.meta.model).toEqual(a.profile.meta.model);
  });

  it(
    'answers as the live pipeline the worker runs (core Pipeline, wasm, 1 thread): weight counts and activation shares',
    { timeout: 600_000 },
    async () => {
      const { profile } = await open(shipped);
      const file = (rel: string) => {
        const b = readFileSync(path.join(repo, rel));
        return { name: path.basename(rel), bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
      };
      const live = new Pipeline({ runtime: { threads: 1 } });
      live.load([file(DEFAULT_MODEL.checkpoint)]);
      live.loadTokenizer(file(DEFAULT_MODEL.tokenizer));
      const cal = file(DEFAULT_MODEL.calibrationText);
      live.setText('calibration', DEFAULT_MODEL.calibrationText, cal.bytes);
      live.setText('evaluation', DEFAULT_MODEL.evaluationText, file(DEFAULT_MODEL.evaluationText).bytes);
      const s = DEFAULT_SHARE_STATE;
      await live.calibrate(s.calibrationTokens);
      for (const policy of ['fgmp', 'magnitude', 'uniform'] as const) {
        const { ranking } = live.quantize({
          policy,
          clipping: s.clipping,
          fp8Scaling: s.fp8Scaling,
          evaluationTokens: s.evaluationTokens,
        });
        const answerer = await WeightAnswerer.create(profile, policy);
        for (const b of [0.05, 0.1, 0.3, 0.5]) {
          const a = answerBudget(ranking, b);
          const p = answerer.answer(b);
          expect(
            p.perTensor.map((r) => r.fp8),
            `${policy} ${b}`,
          ).toEqual(Array.from(a.fp8Counts));
          for (let t = 0; t < profile.tensors.length; t++) {
            const m = p.mask(t);
            const order = ranking.tensors[t].order;
            for (let j = 0; j < a.fp8Counts[t]; j++) expect(m[order[j]]).toBe(1);
          }
        }
      }
      for (const b of [0.1, 0.3]) {
        const shares = (await live.activationShares(b, s.evaluationTokens))!;
        const p = await activationAnswer(profile, b);
        expect(p.shares).toEqual(profile.tensors.map((t) => shares[`L${t.layer}.${t.proj}`]));
      }
    },
  );
});
