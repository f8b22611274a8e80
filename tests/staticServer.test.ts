// scripts/static-server.ts, the plain host e2e/deploy.spec.ts serves the build from: files, HEAD, single
// byte ranges, no isolation or CSP headers, nothing outside its folder.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStaticServer, type StaticServer } from '../scripts/static-server';

describe('static-server', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'fgmp-static-'));
  const bytes = Uint8Array.from({ length: 100 }, (_, i) => i);
  let server: StaticServer;
  beforeAll(async () => {
    mkdirSync(path.join(root, 'models'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(path.join(root, 'models', 'm.bin'), bytes);
    writeFileSync(path.join(root, '..', `${path.basename(root)}-secret.txt`), 'no');
    server = await startStaticServer(root);
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(`${root}-secret.txt`, { force: true });
  });

  it('serves index.html for the folder, with its type and no COOP/COEP/CSP headers', async () => {
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    for (const h of ['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'content-security-policy'])
      expect(res.headers.get(h)).toBeNull();
    expect(await res.text()).toContain('<title>x</title>');
  });

  it('answers HEAD with the length and no body, and byte ranges as 206 with Content-Range', async () => {
    const url = `${server.url}models/m.bin`;
    const head = await fetch(url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), (await head.arrayBuffer()).byteLength]).toEqual([
      200,
      '100',
      0,
    ]);
    for (const [range, start, end] of [
      ['bytes=10-19', 10, 19],
      ['bytes=90-', 90, 99],
      ['bytes=-5', 95, 99],
      ['bytes=95-500', 95, 99],
    ] as const) {
      const res = await fetch(url, { headers: { Range: range } });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/100`);
      expect(Array.from(new Uint8Array(await res.arrayBuffer()))).toEqual(Array.from(bytes.subarray(start, end + 1)));
    }
    const bad = await fetch(url, { headers: { Range: 'bytes=100-' } });
    expect([bad.status, bad.headers.get('content-range')]).toEqual([416, 'bytes */100']);
  });

  it('says 404 for a missing file, 405 for other methods, and serves nothing outside its folder', async () => {
    expect((await fetch(`${server.url}nope.js`)).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    // URL parsing removes a plain "..", but an encoded slash decodes to one: refused.
    expect((await fetch(`${server.url}..%2f${path.basename(root)}-secret.txt`)).status).toBe(403);
    expect(server.log).toContain('GET /nope.js 404');
  });
});
