import { describe, expect, it } from 'vitest';
import {
  configurationKey,
  decodeShareHash,
  decodeShareQuery,
  DEFAULT_SHARE_STATE,
  encodeShareQuery,
  encodeShareUrl,
  filesToAsk,
  SHARE_VERSION,
  TOKEN_LIMITS,
  type ShareState,
} from './shareState';

const custom: ShareState = {
  model: { kind: 'file', name: 'stories260K.bin' },
  tokenizer: { kind: 'file', name: 'tok512.bin' },
  calibration: { kind: 'file', name: 'tinystories_train_head.txt' },
  evaluation: { kind: 'url', url: 'https://huggingface.co/datasets/x/resolve/main/valid.txt?download=true&a=b' },
  calibrationTokens: 2048,
  evaluationTokens: 8192,
  weightBudget: 0.125,
  activationBudget: 0.7,
  policy: 'magnitude',
  clipping: 'mse',
  fp8Scaling: 'row',
  selection: { layer: 3, projection: 'down', block: 41 },
  view: 'blocks',
};

describe('share URL schema', () => {
  it('keeps the URL spelling of FP8 scaling: links in the wild decode to the core vocabulary', () => {
    expect(new URLSearchParams(encodeShareQuery(custom)).get('fp8')).toBe('per-channel');
    expect(new URLSearchParams(encodeShareQuery(DEFAULT_SHARE_STATE)).get('fp8')).toBe('per-tensor');
    expect(decodeShareQuery('v=1&fp8=per-channel').state.fp8Scaling).toBe('row');
    expect(decodeShareQuery('v=1&fp8=per-tensor').state.fp8Scaling).toBe('tensor');
    // The core's own spelling is not a URL value.
    expect(decodeShareQuery('v=1&fp8=row').errors.map((e) => e.field)).toEqual(['fp8']);
  });

  it('round-trips a full state through the query and through a full URL hash', () => {
    const q = encodeShareQuery(custom);
    const back = decodeShareQuery(q);
    expect(back.errors).toEqual([]);
    expect(back.state).toEqual(custom);
    const url = encodeShareUrl('https://example.org/app/#/formats', custom);
    expect(url.startsWith('https://example.org/app/#/explorer?v=1&')).toBe(true);
    expect(decodeShareHash(new URL(url).hash).state).toEqual(custom);
  });

  it('round-trips the defaults, a random model and a whole-tensor selection', () => {
    const s: ShareState = {
      ...DEFAULT_SHARE_STATE,
      model: { kind: 'random', shape: 'stories15M', seed: 7 },
      selection: { layer: 0, projection: 'gate', block: null },
    };
    expect(decodeShareQuery(encodeShareQuery(s))).toEqual({ state: s, errors: [], present: true });
    expect(decodeShareQuery(encodeShareQuery(DEFAULT_SHARE_STATE)).state).toEqual(DEFAULT_SHARE_STATE);
  });

  it('writes the version first and equal states give equal URLs', () => {
    const q = encodeShareQuery(custom);
    expect(q.startsWith(`v=${SHARE_VERSION}&`)).toBe(true);
    expect(encodeShareQuery(structuredClone(custom))).toBe(q);
  });

  it('a bare query opens the defaults without errors', () => {
    expect(decodeShareQuery('')).toEqual({ state: DEFAULT_SHARE_STATE, errors: [], present: false });
    expect(decodeShareHash('#/explorer').present).toBe(false);
  });

  it('rejects budget=abc and budget=1.7 with messages naming the field and the range, keeping the default', () => {
    const a = decodeShareQuery('v=1&budget=abc');
    expect(a.state.weightBudget).toBe(DEFAULT_SHARE_STATE.weightBudget);
    expect(a.errors).toHaveLength(1);
    expect(a.errors[0].field).toBe('budget');
    expect(a.errors[0].message).toMatch(/"abc" is not a number/);
    const b = decodeShareQuery('v=1&budget=1.7&abudget=-0.1');
    expect(b.errors.map((e) => e.field)).toEqual(['budget', 'abudget']);
    expect(b.errors[0].message).toMatch(/1\.7 is out of range \(0–1\)/);
    expect(b.errors[1].message).toMatch(/-0\.1 is out of range \(0–1\)/);
    // Numbers in any spelling people use are numbers: too large or negative is out of range, not "not a number".
    for (const big of ['1e308', '-0.5', '2E3', '+1.5'])
      expect(decodeShareQuery(`v=1&budget=${encodeURIComponent(big)}`).errors[0].message, big).toBe(
        `budget: ${big} is out of range (0–1) (a share of blocks: 0.3 means 30% in FP8)`,
      );
    expect(decodeShareQuery('v=1&budget=3e-1').state.weightBudget).toBe(0.3);
    for (const bad of ['', '0x1', '1e', ' 0.3', 'NaN', 'Infinity']) {
      expect(decodeShareQuery(`v=1&budget=${encodeURIComponent(bad)}`).errors[0]?.field, bad).toBe('budget');
    }
    expect(decodeShareQuery('v=1&budget=1').state.weightBudget).toBe(1);
    expect(decodeShareQuery('v=1&budget=.25').state.weightBudget).toBe(0.25);
  });

  it('names an unknown policy, clipping, scaling, view and projection with the allowed values', () => {
    const r = decodeShareQuery('v=1&policy=best&clip=huber&fp8=per-row&view=map&sel=1.qkv');
    expect(r.errors.map((e) => e.field)).toEqual(['policy', 'clip', 'fp8', 'sel', 'view']);
    expect(r.errors[0].message).toBe(
      'policy: unknown value "best" (expected one of fgmp, random, magnitude, unweighted, uniform, layerwise)',
    );
    expect(r.errors[3].message).toMatch(/PROJECTION one of q, k, v, o, gate, up, down/);
    expect(r.state.policy).toBe('fgmp');
  });

  it('reports a missing version, a foreign version and unknown parameters', () => {
    expect(decodeShareQuery('budget=0.5').errors[0].message).toMatch(/no version/);
    const future = decodeShareQuery('v=2&budget=0.9');
    expect(future.errors[0].message).toBe('the link uses share-URL version 2; this app reads version 1');
    // Fields of another version are not trusted.
    expect(future.state.weightBudget).toBe(DEFAULT_SHARE_STATE.weightBudget);
    expect(decodeShareQuery('v=1&zoom=3').errors[0]).toEqual({
      field: 'zoom',
      value: '3',
      message: 'unknown parameter "zoom" (ignored)',
    });
    expect(decodeShareQuery('v=1&budget=0.2&budget=0.4').errors[0].message).toMatch(/more than once/);
  });

  it('validates sources: file names without folders, http(s) URLs only, known random shapes', () => {
    expect(decodeShareQuery('v=1&model=file:../etc/passwd').errors[0].message).toMatch(/no folders/);
    expect(decodeShareQuery('v=1&model=url:javascript:alert(1)').errors[0].message).toMatch(/only http\(s\)/);
    expect(decodeShareQuery('v=1&model=url:not a url').errors[0].message).toMatch(/not an absolute URL/);
    expect(decodeShareQuery('v=1&model=random:stories110M').errors[0].message).toMatch(/unknown random shape/);
    expect(decodeShareQuery('v=1&model=ftp').errors[0].message).toMatch(/expected "file:NAME" or "url:URL"/);
    expect(decodeShareQuery('v=1&ctok=12.5').errors[0].field).toBe('ctok');
  });

  it('token counts: one limit (TOKEN_LIMITS) for the link and the field, named in the message', () => {
    expect(TOKEN_LIMITS).toEqual({ min: 256, max: 4194304, step: 256 });
    expect(decodeShareQuery('v=1&ctok=2').errors[0].message).toBe('ctok: 2 tokens is out of range (256–4194304)');
    expect(decodeShareQuery('v=1&etok=4194305').errors[0].message).toBe(
      'etok: 4194305 tokens is out of range (256–4194304)',
    );
    expect(decodeShareQuery('v=1&ctok=256&etok=4194304').errors).toEqual([]);
    expect(decodeShareQuery('v=1&ctok=1e4').errors[0].message).toBe(
      'ctok: expected a whole number of tokens from 256 to 4194304, got "1e4"',
    );
  });

  it('data-free seeds: calib=seed:N and eval=seed:M travel in the link; links without them decode as before', () => {
    const s: ShareState = {
      ...custom,
      tokenizer: null,
      calibration: { kind: 'samples', seed: 1 },
      evaluation: { kind: 'samples', seed: 2 },
    };
    const q = new URLSearchParams(encodeShareQuery(s));
    expect(q.get('calib')).toBe('seed:1');
    expect(q.get('eval')).toBe('seed:2');
    expect(decodeShareQuery(q.toString())).toEqual({ state: s, errors: [], present: true });
    expect(decodeShareQuery('v=1&calib=seed:4294967295').state.calibration).toEqual({
      kind: 'samples',
      seed: 4294967295,
    });
    // A link made before seeds existed: the same state as then.
    const old = decodeShareQuery('v=1&model=file:stories260K.bin&calib=file:a.txt&eval=default&budget=0.3');
    expect(old.errors).toEqual([]);
    expect(old.state.calibration).toEqual({ kind: 'file', name: 'a.txt' });
    expect(old.state.evaluation).toEqual({ kind: 'default' });
    // The seed decides the numbers: it is part of the configuration key; nothing is asked for.
    expect(configurationKey(s)).not.toBe(configurationKey({ ...s, calibration: { kind: 'samples', seed: 3 } }));
    expect(filesToAsk(s)).toEqual([{ role: 'model', name: 'stories260K.bin' }]);
    expect(decodeShareQuery('v=1&calib=seed:4294967296').errors[0].message).toBe(
      'calib: seed 4294967296 is out of range (0–4294967295)',
    );
    const bad = decodeShareQuery('v=1&eval=seed:-1');
    expect(bad.errors[0].message).toBe('eval: expected a whole-number seed after "seed:" (e.g. seed:1), got "-1"');
    expect(bad.state.evaluation).toEqual({ kind: 'default' });
    expect(decodeShareQuery('v=1&calib=nope').errors[0].message).toBe(
      'calib: expected "default", "file:NAME", "url:URL" or "seed:N", got "nope"',
    );
  });

  it('lists the local files a recipient must provide', () => {
    expect(filesToAsk(custom)).toEqual([
      { role: 'model', name: 'stories260K.bin' },
      { role: 'tokenizer', name: 'tok512.bin' },
      { role: 'calibration', name: 'tinystories_train_head.txt' },
    ]);
    expect(filesToAsk(DEFAULT_SHARE_STATE)).toEqual([]);
  });

  it('the configuration key ignores selection and view but not budgets or policy', () => {
    const k = configurationKey(custom);
    expect(configurationKey({ ...custom, view: 'energy', selection: { layer: 0, projection: 'q', block: null } })).toBe(
      k,
    );
    expect(configurationKey({ ...custom, weightBudget: 0.13 })).not.toBe(k);
    expect(configurationKey({ ...custom, policy: 'fgmp' })).not.toBe(k);
  });
});
