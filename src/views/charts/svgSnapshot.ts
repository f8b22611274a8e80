// SVG snapshots for the chart tests (test support, not app code). Each chart's <svg> is normalised
// (numbers rounded to 2 decimals, one element per line, xmlns added so the file opens in a browser) and
// compared with the committed `snapshots/<name>.svg`. A difference writes `<name>.new.svg` beside it
// (gitignored) for review and fails; accept it by renaming, or run with UPDATE_SVG_SNAPSHOTS=1.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const SNAPSHOT_DIR = path.resolve(import.meta.dirname, 'snapshots');

/** Round every decimal number to 2 places (−0 → 0) so float noise does not churn snapshots. */
export function roundNumbers(text: string): string {
  return text.replace(/-?\d*\.\d+(?:e[-+]?\d+)?/gi, (m) => {
    const v = Math.round(Number(m) * 100) / 100;
    return String(Object.is(v, -0) ? 0 : v);
  });
}

/** The top-level <svg> elements of some markup that are charts (not aria-hidden swatches). */
export function chartSvgs(markup: string): string[] {
  const out: string[] = [];
  let i = 0;
  while ((i = markup.indexOf('<svg', i)) >= 0) {
    let depth = 0;
    let j = i;
    const re = /<svg\b|<\/svg>/g;
    re.lastIndex = i;
    for (let m = re.exec(markup); m; m = re.exec(markup)) {
      depth += m[0] === '</svg>' ? -1 : 1;
      if (depth === 0) {
        j = m.index + m[0].length;
        break;
      }
    }
    const svg = markup.slice(i, j);
    if (!/^<svg[^>]*aria-hidden="true"/.test(svg)) out.push(svg);
    i = j;
  }
  return out;
}

export function normaliseSvg(svg: string): string {
  const withNs = svg.startsWith('<svg xmlns') ? svg : svg.replace(/^<svg/, '<svg xmlns="http://www.w3.org/2000/svg"');
  return roundNumbers(withNs).replace(/></g, '>\n<') + '\n';
}

/** Compares with the committed snapshot; returns an error message, or null when it matches. */
export function checkSvgSnapshot(name: string, svg: string): string | null {
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  const file = path.join(SNAPSHOT_DIR, `${name}.svg`);
  const fresh = path.join(SNAPSHOT_DIR, `${name}.new.svg`);
  const text = normaliseSvg(svg);
  if (process.env.UPDATE_SVG_SNAPSHOTS === '1') {
    writeFileSync(file, text);
    rmSync(fresh, { force: true });
    return null;
  }
  if (existsSync(file) && readFileSync(file, 'utf8') === text) {
    rmSync(fresh, { force: true });
    return null;
  }
  writeFileSync(fresh, text);
  return existsSync(file)
    ? `snapshot ${name}.svg changed: review ${path.relative(process.cwd(), fresh)} and rename it over the committed one`
    : `no committed snapshot ${name}.svg: review ${path.relative(process.cwd(), fresh)} and rename it to ${name}.svg`;
}
