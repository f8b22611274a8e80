// Timing helpers for benches: medians over repeated runs, never assertions.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs fn `runs` times after `warmup` runs; returns the per-run times in milliseconds. */
export async function timeRuns(fn: () => unknown | Promise<unknown>, runs = 7, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export function printTable(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  for (const [k, r] of cells.entries()) {
    console.log('| ' + r.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |');
    if (k === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  }
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

export interface WallCpu {
  /** Median wall-clock milliseconds per run. */
  wall: number;
  /** Median CPU milliseconds per run of the whole process (every thread, native ones included). */
  cpu: number;
}

/**
 * Times several functions with their runs interleaved (a, b, a, b, ...), after `warmup` runs of each, so a load
 * change on a shared machine hits all of them alike. Returns the medians per function.
 */
export async function timeInterleaved(fns: (() => Promise<unknown>)[], runs: number, warmup = 1): Promise<WallCpu[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const wall = fns.map(() => [] as number[]);
  const cpu = fns.map(() => [] as number[]);
  for (let r = 0; r < runs; r++)
    for (const [k, fn] of fns.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      wall[k].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[k].push((c.user + c.system) / 1000);
    }
  return fns.map((_, k) => ({ wall: median(wall[k]), cpu: median(cpu[k]) }));
}
