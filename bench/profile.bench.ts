// FGMP profiles at the Llama-2-7B shape (issue 11 item 7): write time and size of the generated profile
// (scripts/make-7b-profile.ts; generated here when absent, at FGMP_7B_PROFILE or the temp folder), header
// open from a local file and over HTTP Range from a server on 127.0.0.1, histograms loaded, a budget answer
// from histograms, and one tensor's block scores by one Range request. Targets (the browser's, measured
// there later): open < 2 s, budget answer < 1 ms, one tensor by Range < 1 s; the ratio column is median/target.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileSource } from '../src/cli/profileFile';
import { Profile, rangeSource, WeightAnswerer, activationAnswer, answerProfile } from '../src/core/profile/index';
import { DEFAULT_7B_PATH, make7bProfile } from '../scripts/make-7b-profile';
import { median, printTable, timeRuns } from './util';

export default async function profileBench(): Promise<void> {
  const file = process.env.FGMP_7B_PROFILE ?? DEFAULT_7B_PATH;
  const rows: (string | number)[][] = [];
  if (!existsSync(file) || process.env.FGMP_BENCH_REWRITE === '1') {
    console.log(`generating ${file} (scripts/make-7b-profile.ts, seed 1)...`);
    const r = await make7bProfile(file, { seed: 1 });
    rows.push([
      'write (generate + stream to disk)',
      `${(r.bytes / 2 ** 30).toFixed(2)} GiB, ${(r.blocks / 1e6).toFixed(1)} M blocks`,
      r.seconds * 1000,
      '',
    ]);
  } else console.log(`using ${file} (FGMP_BENCH_REWRITE=1 regenerates it and times the write)`);
  const size = statSync(file).size;

  const server = createServer((req, res) => {
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(416).end();
      return;
    }
    const a = Number(m[1]);
    const b = Math.min(Number(m[2]), size - 1);
    res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${size}`, 'content-length': b - a + 1 });
    createReadStream(file, { start: a, end: b }).pipe(res);
  });
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/p.safetensors`;
  try {
    const src = fileSource(file);
    const openFile = median(await timeRuns(() => Profile.open(src), 7));
    rows.push(['open: header (local file)', '', openFile, (openFile / 2000).toFixed(4)]);
    const openHttp = median(await timeRuns(() => Profile.open(rangeSource(url, (u, i) => fetch(u, i))), 7));
    rows.push(['open: header (HTTP Range, 127.0.0.1)', '2 requests', openHttp, (openHttp / 2000).toFixed(4)]);
    const p0 = await Profile.open(src);
    rows.push([
      '  header',
      `${(p0.header.headerBytes / 1024).toFixed(0)} KiB, ${p0.header.tensors.size} tensors`,
      '',
      '',
    ]);
    const ready = median(
      await timeRuns(async () => {
        const p = await Profile.open(rangeSource(url, (u, i) => fetch(u, i)));
        return WeightAnswerer.create(p, 'fgmp', 'histogram');
      }, 5),
    );
    rows.push([
      'open + fgmp histograms ready (HTTP)',
      `${p0.tensors.length} x ${p0.meta.histogram.bins + 3} I32`,
      ready,
      (ready / 2000).toFixed(4),
    ]);
    const answerer = await WeightAnswerer.create(p0, 'fgmp', 'histogram');
    let k = 0;
    const budgets = Array.from({ length: 101 }, (_, i) => i / 100);
    const per = median(await timeRuns(() => answerer.answer(budgets[k++ % budgets.length]), 301, 20));
    const a30 = answerer.answer(0.3);
    rows.push([
      'budget answer from histograms',
      `max slack ${Math.max(...a30.perTensor.map((r) => r.slack))} blocks @30 %`,
      per,
      (per / 1).toFixed(4),
    ]);
    const act = median(await timeRuns(() => activationAnswer(p0, 0.3, 'global', 'histogram'), 21, 2));
    rows.push(['activation budget answer (histograms)', '', act, (act / 1).toFixed(4)]);
    // The whole `fgmp run --profile` answer: shares, weight bits and energy from FP8 counts (hwCounts.ts; its
    // probes are built in the warm-up run, once per profile).
    const full = median(
      await timeRuns(() => answerProfile(p0, { policy: 'fgmp', budget: 0.3, actBudget: 0.3 }, answerer), 3, 1),
    );
    rows.push(['run --profile answer (shares + memory + energy from counts)', '', full, '']);
    const big = p0.tensorIndex(31, 'down');
    const [s, e] = p0.byteRange(`weight.L31.down.score.fgmp`);
    const remote = await Profile.open(rangeSource(url, (u, i) => fetch(u, i)));
    const tensorMs = median(await timeRuns(() => remote.blockScores(big, 'fgmp'), 5));
    rows.push([
      'one tensor block scores by Range (L31 down)',
      `${((e - s) / 2 ** 20).toFixed(1)} MiB, 1 request`,
      tensorMs,
      (tensorMs / 1000).toFixed(4),
    ]);
    const localMs = median(await timeRuns(() => p0.blockScores(big, 'fgmp'), 5));
    rows.push(['  same tensor from the local file', '', localMs, (localMs / 1000).toFixed(4)]);
    src.close();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  console.log(`profile ${file}: ${(size / 2 ** 30).toFixed(2)} GiB`);
  printTable(['step', 'size', 'median ms', 'median / target'], rows);
}
