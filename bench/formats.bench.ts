// Fake-quantize throughput over a 16M-element float32 tensor (million elements/s, median of runs),
// next to a plain Float32Array copy (dst.set(src)) measured in the same run: the memory-bound
// ceiling. Quantizers read 4 B and write 4 B (+1 B code) per element, like the copy.
import os from 'node:os';
import { lcg32, unit } from '../src/core/random';
import { median, printTable, timeRuns } from './util.ts';
import { quantizeE4M3, quantizeMx, quantizeNvfp4 } from '../src/core/formats/index.ts';

const N = 16 * 1024 * 1024;
const RUNS = 5;

export default async function formatsBench(): Promise<void> {
  // Seeded, roughly Gaussian weights with a few outliers (what LLM weight tensors look like).
  const rnd = unit(lcg32(1, 1103515245, 12345));
  const src = new Float32Array(N);
  for (let i = 0; i < N; i++) src[i] = (rnd() + rnd() + rnd() - 1.5) * 0.05 * (i % 4099 === 0 ? 20 : 1);
  const dst = new Float32Array(N);
  const rowLength = 4096;

  const cases: [string, () => unknown][] = [
    ['copy (dst.set(src))', () => dst.set(src)],
    ['NVFP4 (16 E2M1 + E4M3 scale)', () => quantizeNvfp4(src, { rowLength, out: dst })],
    ['FP8 E4M3 per-tensor', () => quantizeE4M3(src, { out: dst })],
    ['MXFP4 (32 E2M1 + E8M0 scale)', () => quantizeMx(src, 'e2m1', { rowLength, out: dst })],
  ];
  const rows: (string | number)[][] = [];
  let ceiling = 0;
  let cpuCeiling = 0;
  for (const [name, fn] of cases) {
    // Process CPU time next to wall time: on a shared, loaded machine wall time mostly measures
    // waiting for a core, CPU time what the loop itself costs.
    const cpu: number[] = [];
    const ms = median(
      await timeRuns(
        () => {
          const u = process.cpuUsage();
          fn();
          const d = process.cpuUsage(u);
          cpu.push((d.user + d.system) / 1000);
        },
        RUNS,
        1,
      ),
    );
    const cpuMs = median(cpu.slice(1)); // the first entry is the warm-up run
    const rate = N / (ms / 1000) / 1e6;
    const cpuRate = N / (cpuMs / 1000) / 1e6;
    if (!ceiling) [ceiling, cpuCeiling] = [rate, cpuRate];
    rows.push([
      name,
      ms,
      rate,
      `${((rate / ceiling) * 100).toFixed(1)}%`,
      cpuMs,
      cpuRate,
      `${((cpuRate / cpuCeiling) * 100).toFixed(1)}%`,
    ]);
  }
  console.log(
    `${N.toLocaleString('en')} float32 elements, median of ${RUNS} runs; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  );
  printTable(['operation', 'wall ms', 'M elem/s', 'vs copy', 'CPU ms', 'M elem/s (CPU)', 'vs copy (CPU)'], rows);
}
