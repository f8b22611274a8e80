// fgmp run / sweep with the expert instruments: KL fields, --pin, --bpw, --policy layerwise, on a tiny random
// llama2.c file with data-free calibration (the model's own samples).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../tests/support/cli';
import { tinyConfig, writeTinyCheckpoint } from '../../../tests/support/models';

const cfg = tinyConfig();
const modelPath = writeTinyCheckpoint(cfg, 7, 0.2);
const dir = path.dirname(modelPath);
const small = [modelPath, '--seqs', '3', '--seq-len', '16', '--eval-tokens', '40', '--engine', 'wasm', '--json'];
const run = async (...a: string[]) => {
  const r = await runCli(['run', ...small, ...a]);
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out);
};

describe('fgmp run and sweep: KL, pins, bits budgets, layerwise', () => {
  it('JSON carries the KL statistics (on by default, null with --kl off)', async () => {
    const j = await run('--budget', '0.3');
    for (const k of ['kl', 'klMedian', 'klP99', 'top1', 'dpMean', 'dpRms']) expect(typeof j[k], k).toBe('number');
    expect(j.kl).toBeGreaterThan(0);
    expect(j.top1).toBeGreaterThan(0);
    expect(j.top1).toBeLessThanOrEqual(1);
    expect(j.klP99).toBeGreaterThanOrEqual(j.klMedian);
    const off = await run('--budget', '0.3', '--kl', 'off');
    expect(off.kl).toBeNull();
    expect(off.ppl).toBe(j.ppl);
  }, 120_000);

  it('--pin holds exactly; --bpw picks a share that fits; layerwise keeps whole tensors', async () => {
    const pinned = await run('--budget', '0.4', '--pin', '*.down=fp8,0.q=nvfp4');
    expect(pinned.pins).toBe('*.down=fp8,0.q=nvfp4');
    for (const l of pinned.layers as { layer: number; proj: string; fp8Share: number }[]) {
      if (l.proj === 'down') expect(l.fp8Share).toBe(1);
      if (l.layer === 0 && l.proj === 'q') expect(l.fp8Share).toBe(0);
    }
    const bits = await run('--bpw', '6');
    expect(bits.bpw).toBe(6);
    expect(bits.weightBitsPerWeight).toBeLessThanOrEqual(6);
    expect(bits.weightBitsPerWeight).toBeGreaterThan(5.9);
    const lw = await run('--budget', '0.3', '--policy', 'layerwise');
    expect(lw.policy).toBe('layerwise');
    for (const l of lw.layers as { fp8Share: number }[]) expect([0, 1]).toContain(l.fp8Share);
    const fgmp = await run('--budget', '0.3');
    expect(lw.weightBits).toBeLessThanOrEqual(fgmp.weightBits);
  }, 120_000);

  it('sweep takes layerwise and pins (infeasible budgets left out, said on stderr)', async () => {
    const r = await runCli([
      'sweep',
      ...small,
      '--budgets',
      '0,0.3,0.5',
      '--policies',
      'fgmp,magnitude',
      '--pin',
      '*.down=fp8',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/--pin: budgets 0 left out/);
    const rows = JSON.parse(r.out) as { policy: string; budget: number; pins: string }[];
    expect(rows.map((x) => `${x.policy}@${x.budget}`)).toEqual([
      'fgmp@0.3',
      'fgmp@0.5',
      'magnitude@0.3',
      'magnitude@0.5',
    ]);
    expect(rows.every((x) => x.pins === '*.down=fp8')).toBe(true);
    const lw = await runCli(['sweep', ...small, '--budgets', '0.3', '--policies', 'fgmp,layerwise']);
    expect(lw.code, lw.err).toBe(0);
    expect((JSON.parse(lw.out) as { policy: string }[]).map((x) => x.policy)).toEqual(['fgmp', 'layerwise']);
    const both = await runCli([
      'sweep',
      ...small,
      '--budgets',
      '0.3',
      '--policies',
      'layerwise',
      '--pin',
      '*.down=fp8',
    ]);
    expect(both.err).toMatch(/pins apply to the global policies/);
  }, 120_000);

  it('--calib-ids and --eval-ids: one sequence per line, each scored alone', async () => {
    const ids = path.join(dir, 'calib.ids');
    const evalIds = path.join(dir, 'eval.ids');
    writeFileSync(ids, '# calibration\n1 2 3 4 5 6 7 8\n3,9,27,1,2\n\n5 6 7 8 9 10 11 12 13 14 15 16\n');
    writeFileSync(evalIds, '1 5 9 13 17 21\n2 4 6 8\n');
    const r = await runCli([
      'run',
      modelPath,
      '--calib-ids',
      ids,
      '--eval-ids',
      evalIds,
      '--budget',
      '0.3',
      '--engine',
      'wasm',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.tokens).toBe(5 + 3);
    expect(r.err).toMatch(/calibration: 3 x 11 tokens from .*calib\.ids/);
    const bad = path.join(dir, 'bad.ids');
    writeFileSync(bad, '1 2 x 4\n');
    const e = await runCli(['run', modelPath, '--calib-ids', bad, '--budget', '0.3']);
    expect(e.err).toMatch(/bad\.ids, line 1: "x" is not a token id/);
    const big = path.join(dir, 'big.ids');
    writeFileSync(big, '1 2 99\n');
    const v = await runCli(['run', modelPath, '--calib-ids', big, '--budget', '0.3']);
    expect(v.err).toMatch(/id 99, outside the vocabulary \(0..39\)/);
    const both = await runCli(['run', modelPath, '--calib-ids', ids, '--calib-seed', '3', '--budget', '0.3']);
    expect(both.err).toMatch(/give --calib FILE, --calib-seed N or --calib-ids FILE: one of them, not both/);
  }, 120_000);

  it('bad instrument options give one clear line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['--bpw', '2'], /--bpw 2 is out of range: this model's feasible range is/],
      [['--budget', '0.3', '--pin', '0.qq=fp8'], /unknown projection "qq"/],
      [['--budget', '0.3', '--pin', '9.q=fp8'], /--pin matches no tensor of this model: 9\.q/],
      [['--budget', '0.01', '--pin', '*.down=fp8'], /pins already hold/],
      [['--bpw', '6', '--pin', '*.down=fp8'], /give --bpw or --pin, not both/],
      [['--budget', '0.3', '--bpw', '6'], /give --budget or --bpw, not both/],
      [['--budget', '0.3', '--kl', 'maybe'], /--kl must be on or off/],
      [['--budget', '0.3', '--policy', 'layerwise', '--pin', '*.q=fp8'], /pins apply to the global policies/],
    ];
    for (const [args, want] of cases) {
      const r = await runCli(['run', ...small, ...args]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err).toMatch(want);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  }, 240_000);
});

describe('fgmp profile with token id files', () => {
  it('--calib-ids / --eval-ids: the profile answers as fgmp run on the same ids', async () => {
    const ids = path.join(dir, 'p-calib.ids');
    const evalIds = path.join(dir, 'p-eval.ids');
    writeFileSync(ids, '1 2 3 4 5 6 7 8\n3 9 27 1 2\n5 6 7 8 9 10 11 12 13 14 15 16\n');
    writeFileSync(evalIds, '1 5 9 13 17 21\n2 4 6 8\n');
    const out = path.join(dir, 'ids.profile.safetensors');
    const common = ['--calib-ids', ids, '--engine', 'wasm'];
    const p = await runCli(['profile', modelPath, ...common, '--eval-ids', evalIds, '--budgets', '0.3', '--out', out]);
    expect(p.code, p.err).toBe(0);
    expect(p.err).toMatch(/calibration: 3 x 11 tokens from .*p-calib\.ids/);
    const fromProfile = JSON.parse((await runCli(['run', '--profile', out, '--budget', '0.3', '--json'])).out);
    const live = await runCli([
      'run',
      modelPath,
      ...common,
      '--eval-ids',
      evalIds,
      '--budget',
      '0.3',
      '--kl',
      'off',
      '--json',
    ]);
    const j = JSON.parse(live.out);
    expect(fromProfile.layers.map((l: { fp8Share: number }) => l.fp8Share)).toEqual(
      j.layers.map((l: { fp8Share: number }) => l.fp8Share),
    );
    expect(fromProfile.ppl).toBeCloseTo(j.ppl, 9);
  }, 180_000);
});
