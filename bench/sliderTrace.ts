// Where a budget-slider frame goes (issue 15), a tool beside bench/sliders.bench.ts: the production build
// unminified (names kept), the explorer on a model's profile, `moves` moves of each slider under Chromium's
// trace and V8's sampling profiler; prints the main thread's CPU time per move by trace event (script,
// style, layout, paint...) and the JavaScript functions with the most self time.
// Runs: npx tsx bench/sliderTrace.ts [profile file] (FGMP_TRACE_MOVES, default 40; CHROMIUM_PATH).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { build, preview } from 'vite';
import { probeSlider } from './sliderProbe';

interface TraceEvent {
  name: string;
  ph: string;
  tid: number;
  pid: number;
  ts: number;
  tts?: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: { message?: string } };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The in-frame moves' spans (trace clock, µs) from the probe's marks. */
function moveSpans(traceFile: string, moves: number): { ev: TraceEvent[]; spans: [number, number][] } {
  const ev = (JSON.parse(readFileSync(traceFile, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
  const marks = ev.filter((e) => e.name === 'TimeStamp' && e.args?.data?.message?.startsWith('fgmp-move-'));
  const spans: [number, number][] = [];
  for (let k = 0; k < moves; k++) {
    const a = marks.find((m) => m.args!.data!.message === `fgmp-move-${k}-start`);
    const b = marks.find((m) => m.args!.data!.message === `fgmp-move-${k}-end`);
    if (a && b) spans.push([a.ts, b.ts]);
  }
  return { ev, spans };
}

function byEvent(traceFile: string, moves: number): [string, number][] {
  const { ev, spans } = moveSpans(traceFile, moves);
  const marks = ev.filter((e) => e.name === 'TimeStamp' && e.args?.data?.message?.startsWith('fgmp-move-'));
  if (!marks.length) return [];
  const { pid, tid } = marks[0];
  const main = ev
    .filter((e) => e.pid === pid && e.tid === tid && e.ph === 'X' && e.tdur !== undefined)
    .sort((a, b) => a.ts - b.ts);
  // Self thread time per event name: its tdur less its direct children's, within the moves' spans.
  const self = new Map<string, number>();
  const stack: TraceEvent[] = [];
  const inSpan = (t: number) => spans.some(([a, b]) => t >= a && t <= b);
  for (const e of main) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur! <= e.ts) stack.pop();
    if (!inSpan(e.ts)) continue;
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.tdur!);
    self.set(e.name, (self.get(e.name) ?? 0) + e.tdur!);
    stack.push(e);
  }
  return [...self].map(([k, v]) => [k, v / 1000 / spans.length] as [string, number]).sort((a, b) => b[1] - a[1]);
}

async function traceSliders(page: Page, label: string, moves: number): Promise<void> {
  for (const id of ['weight-budget', 'activation-budget']) {
    const traceFile = path.join(os.tmpdir(), 'fgmp-trace', `${id}.json`);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await page
      .context()
      .browser()!
      .startTracing(page, { path: traceFile, categories: ['devtools.timeline', 'blink.user_timing'] });
    await cdp.send('Profiler.start');
    await page.evaluate(probeSlider, { id, moves });
    const { profile } = (await cdp.send('Profiler.stop')) as {
      profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number };
    };
    await page.context().browser()!.stopTracing();
    console.log(`\n### ${label}: ${id}, ${moves} moves (each twice: in a frame and from a task)`);
    console.log('main-thread self time per move (in-frame moves), by trace event:');
    for (const [k, v] of byEvent(traceFile, moves).slice(0, 14)) console.log(`  ${v.toFixed(2).padStart(7)} ms  ${k}`);
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const { spans } = moveSpans(traceFile, moves);
    const selfUs = new Map<string, number>();
    const inclUs = new Map<string, number>();
    // Render-phase time by the nearest component on the stack (a capitalised function), and i18next's t by caller.
    const byComponent = new Map<string, number>();
    const tByComponent = new Map<string, number>();
    const name = (n: ProfileNode) =>
      `${n.callFrame.functionName || '(anonymous)'} ${path.basename(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    let total = 0;
    let t = profile.startTime;
    profile.samples.forEach((id, i) => {
      t += profile.timeDeltas[i];
      const dt = profile.timeDeltas[i + 1] ?? 0;
      if (!spans.some(([a, b]) => t >= a && t <= b)) return;
      const n = nodes.get(id)!;
      if (n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)') return;
      selfUs.set(name(n), (selfUs.get(name(n)) ?? 0) + dt);
      total += dt;
      const seen = new Set<string>();
      let inT = false;
      let comp: string | null = null;
      for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
        const fn = nodes.get(c)!.callFrame.functionName;
        if (fn === 'fixedT' || fn === 'translate') inT = true;
        if (!comp && /^[A-Z]/.test(fn)) comp = fn;
      }
      if (comp) byComponent.set(comp, (byComponent.get(comp) ?? 0) + dt);
      if (comp && inT) tByComponent.set(comp, (tByComponent.get(comp) ?? 0) + dt);
      for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
        const k = name(nodes.get(c)!);
        if (seen.has(k)) continue;
        seen.add(k);
        inclUs.set(k, (inclUs.get(k) ?? 0) + dt);
      }
    });
    const per = (us: number) => `${(us / 1000 / spans.length).toFixed(2).padStart(6)} ms`;
    console.log(`JS sampled within the in-frame moves (${per(total)} per move), self:`);
    for (const [k, v] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${per(v)}  ${k}`);
    console.log('by nearest component (render phase):');
    for (const [k, v] of [...byComponent].sort((a, b) => b[1] - a[1]).slice(0, 25))
      console.log(`  ${per(v)}  ${k}  (i18next t: ${per(tByComponent.get(k) ?? 0)})`);
    console.log('inclusive:');
    for (const [k, v] of [...inclUs].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${per(v)}  ${k}`);
  }
}

async function main(): Promise<void> {
  const moves = Number(process.env.FGMP_TRACE_MOVES ?? 40);
  const profileFile = process.argv[2];
  const outDir = path.join(os.tmpdir(), 'fgmp-trace', 'dist');
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true, minify: false } });
  const server = await preview({ logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.addInitScript('window.__name = (f) => f');
    await page.goto(server.resolvedUrls!.local[0]);
    await page.waitForFunction(() => window.__fgmp?.store.getState().profile.activations, null, { timeout: 60_000 });
    await page.waitForTimeout(1000);
    await traceSliders(page, 'default model (shipped profile)', moves);
    if (profileFile) {
      await page.locator('#profile-file').setInputFiles(profileFile);
      await page.waitForFunction(
        () => {
          const p = window.__fgmp!.store.getState().profile;
          return p.origin === 'file' && p.ranking !== null && p.activations !== null;
        },
        null,
        { timeout: 120_000 },
      );
      await page.waitForTimeout(1000);
      await traceSliders(page, path.basename(profileFile), moves);
    }
  } finally {
    await browser.close();
    await new Promise<void>((r) => server.httpServer.close(() => r()));
  }
}

await main();
