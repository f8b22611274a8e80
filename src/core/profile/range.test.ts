// Range reads equal full reads: the same profile opened from memory, from a local file (fileSource) and over
// HTTP Range requests from a tiny server on 127.0.0.1, tensor by tensor; plus servers that ignore Range or
// truncate.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../cli/profileFile.ts';
import type { LlamaConfig } from '../model/types.ts';
import { bufferSource } from './container.ts';
import { Profile } from './reader.ts';
import { rangeSource, type FetchLike } from './rangeSource.ts';
import { memorySink } from './writer.ts';
import { syntheticMeta, writeSyntheticProfile } from './testUtil.ts';

const config: LlamaConfig = {
  dim: 48,
  hiddenDim: 72,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 4,
  vocabSize: 32,
  maxSeqLen: 16,
  ropeTheta: 10000,
  normEps: 1e-5,
  sharedClassifier: true,
};

let bytes: Uint8Array;
let server: Server;
let base = '';
let dir = '';
const requests: { path: string; range: string | undefined }[] = [];

beforeAll(async () => {
  const sink = memorySink();
  await writeSyntheticProfile(syntheticMeta(config, 30), sink, { seed: 9, nanShare: 0.01 });
  bytes = sink.bytes();
  dir = mkdtempSync(path.join(tmpdir(), 'fgmp-profile-'));
  writeFileSync(path.join(dir, 'p.safetensors'), bytes);
  // A minimal Range-capable static server (single ranges, as browsers and the reader send), plus a route
  // that ignores Range and one that truncates the file.
  server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    const body = req.url === '/short.safetensors' ? bytes.subarray(0, bytes.length - 100) : bytes;
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (req.url === '/norange.safetensors' || !m) {
      res.writeHead(200, { 'content-length': body.length });
      res.end(Buffer.from(body));
      return;
    }
    const a = Number(m[1]);
    const b = Math.min(Number(m[2]), body.length - 1);
    if (a >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` });
      res.end();
      return;
    }
    res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': b - a + 1 });
    res.end(Buffer.from(body.subarray(a, b + 1)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const fetchLike: FetchLike = (url, init) => fetch(url, init);

async function allTensors(p: Profile): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of p.header.tensors.keys()) out.set(name, Array.from(await p.readTensor(name)));
  return out;
}

describe('byte-range sources', () => {
  it(
    'memory, local file and HTTP Range give the same tensors; one tensor is one Range request',
    { timeout: 60_000 },
    async () => {
      const mem = await Profile.open(bufferSource(bytes));
      const fsrc = fileSource(path.join(dir, 'p.safetensors'));
      try {
        const file = await Profile.open(fsrc);
        requests.length = 0;
        const http = await Profile.open(rangeSource(`${base}/p.safetensors`, fetchLike));
        // Opening: the 8-byte length (which also gives the size), then the header.
        expect(requests.map((r) => r.range)).toEqual(['bytes=0-7', `bytes=8-${8 + http.header.headerBytes - 1}`]);
        const want = await allTensors(mem);
        expect(await allTensors(file)).toEqual(want);
        requests.length = 0;
        const t = http.tensorIndex(1, 'down');
        const scores = await http.blockScores(t, 'fgmp');
        const [s, e] = http.byteRange('weight.L1.down.score.fgmp');
        expect(requests).toEqual([{ path: '/p.safetensors', range: `bytes=${s}-${e - 1}` }]);
        expect(Array.from(scores)).toEqual(want.get('weight.L1.down.score.fgmp'));
        expect(await allTensors(http)).toEqual(want);
      } finally {
        fsrc.close();
      }
    },
  );

  it('a server that ignores Range: the whole file once, then reads from it', async () => {
    requests.length = 0;
    const p = await Profile.open(rangeSource(`${base}/norange.safetensors`, fetchLike));
    const s = await p.blockScores(0, 'magnitude');
    expect(requests.length).toBe(1);
    const mem = await Profile.open(bufferSource(bytes));
    expect(Array.from(s)).toEqual(Array.from(await mem.blockScores(0, 'magnitude')));
  });

  it('a truncated file over HTTP is rejected when opened', async () => {
    await expect(Profile.open(rangeSource(`${base}/short.safetensors`, fetchLike))).rejects.toThrow(
      /^invalid profile: tensors need \d+ data bytes but the file holds \d+ \(truncated\)$/,
    );
  });

  it('HTTP errors name the URL and the range', async () => {
    const failing: FetchLike = async () => ({
      status: 404,
      headers: { get: () => null },
      arrayBuffer: async () => new ArrayBuffer(0),
    });
    await expect(Profile.open(rangeSource('http://x/p', failing))).rejects.toThrow(
      'http://x/p: HTTP 404 for bytes=0-7',
    );
    const noRange: FetchLike = async () => ({
      status: 206,
      headers: { get: () => null },
      arrayBuffer: async () => new ArrayBuffer(8),
    });
    await expect(Profile.open(rangeSource('http://x/p', noRange))).rejects.toThrow(
      'http://x/p: 206 response without a valid Content-Range header',
    );
  });
});
