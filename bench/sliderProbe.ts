// What one budget-slider move costs in the page, measured on the page's own clock (bench/sliders.bench.ts runs
// it in Chromium through Playwright; e2e/sliders.spec.ts uses its frame variant). Serialised into the page by
// page.evaluate, so it uses nothing from outside its own body.

export interface MoveTiming {
  /** Input dispatched at the start of a frame → that frame's rendering done (style, layout, paint). */
  frameMs: number;
  /** Input → the React commit of the new derivation (window.__fgmp.lastCommit). */
  commitMs: number;
  /** The derivation itself (policy answer, masks, energy; hooks.ts timedDerive). */
  deriveMs: number;
  /** Input dispatched in a task → the first frame after it has been painted (includes waiting for vsync). */
  nextFrameMs: number;
  /** The move committed before its frame painted. */
  sameFrame: boolean;
}

/**
 * `moves` moves of the slider `id`. Each is made twice: once inside a requestAnimationFrame callback (where
 * Chromium delivers rAF-aligned input), timed to a message posted from that callback, which runs after the
 * frame's rendering update; and once from a plain task, timed to a task after the next frame (what the
 * issue's first figures measured; at 60 Hz it includes up to a frame of waiting).
 */
export async function probeSlider(args: { id: string; moves: number }): Promise<MoveTiming[]> {
  const el = document.getElementById(args.id) as HTMLInputElement;
  if (!el) throw new Error(`no slider #${args.id}`);
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
  const fgmp = window.__fgmp!;
  const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
  let i = 0;
  const move = () => {
    let v = ((i++ * 37) % 100) / 100;
    if (String(v) === el.value) v = (v + 0.01) % 1;
    setter.call(el, String(Math.round(v * 100) / 100));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  };
  const out: MoveTiming[] = [];
  for (let k = 0; k < args.moves; k++) {
    await frame();
    const inFrame = await new Promise<{ frameMs: number; commitMs: number; deriveMs: number; sameFrame: boolean }>(
      (resolve) =>
        requestAnimationFrame(() => {
          const before = fgmp.commits;
          // Trace marks: the bench reads the main thread's CPU time between them (a busy machine's wall clock
          // counts the time other processes held the core).
          console.timeStamp(`fgmp-move-${k}-start`);
          const t0 = performance.now();
          move();
          const ch = new MessageChannel();
          ch.port1.onmessage = () => {
            console.timeStamp(`fgmp-move-${k}-end`);
            resolve({
              frameMs: performance.now() - t0,
              commitMs: fgmp.lastCommit - t0,
              deriveMs: fgmp.deriveMs,
              sameFrame: fgmp.commits > before && fgmp.lastCommit >= t0,
            });
          };
          ch.port2.postMessage(0);
        }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    move();
    await frame();
    await new Promise((r) => setTimeout(r, 0));
    out.push({ ...inFrame, nextFrameMs: performance.now() - t0 });
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}
