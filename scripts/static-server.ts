// A plain static file server for the built site, as the simplest static host: files only, no
// COOP/COEP (so isolation must come from the service worker), GET/HEAD, single byte ranges, loopback only.
// e2e/deploy.spec.ts starts it in the test; by hand: npx tsx scripts/static-server.ts [dist] [--port 4174]
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  readonly url: string;
  /** Every request served, as "METHOD /path STATUS", in order. */
  readonly log: string[];
  close(): Promise<void>;
}

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n` against a size; null when absent, 'bad' when unsatisfiable. */
function byteRange(header: string | undefined, size: number): [number, number] | null | 'bad' {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null; // absent, or a multi-range: send the whole file
  const [start, end] =
    m[1] === '' ? [size - Number(m[2]), size - 1] : [Number(m[1]), m[2] === '' ? size - 1 : Number(m[2])];
  return start >= 0 && start <= end && start < size ? [start, Math.min(end, size - 1)] : 'bad';
}

export async function startStaticServer(root: string, port = 0): Promise<StaticServer> {
  const dir = path.resolve(root);
  const log: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const done = (status: number) => log.push(`${req.method} ${req.url} ${status}`);
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = path.join(dir, pathname);
    if (req.method !== 'GET' && req.method !== 'HEAD') return (res.writeHead(405).end(), done(405));
    if (file !== dir && !file.startsWith(dir + path.sep)) return (res.writeHead(403).end(), done(403));
    let st: Stats | null = await stat(file).catch(() => null);
    if (st?.isDirectory()) st = await stat((file = path.join(file, 'index.html'))).catch(() => null);
    if (!st?.isFile()) return (res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found'), done(404));
    const headers: Record<string, string | number> = {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Last-Modified': st.mtime.toUTCString(),
      'Cache-Control': 'no-cache',
    };
    const range = byteRange(req.headers.range, st.size);
    if (range === 'bad') return (res.writeHead(416, { 'Content-Range': `bytes */${st.size}` }).end(), done(416));
    const [start, end] = range ?? [0, st.size - 1];
    const status = range ? 206 : 200;
    if (range) headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
    headers['Content-Length'] = st.size === 0 ? 0 : end - start + 1;
    res.writeHead(status, headers);
    done(status);
    if (req.method === 'HEAD' || st.size === 0) return res.end();
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    log,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const p = args.indexOf('--port');
  const port = p >= 0 ? Number(args.splice(p, 2)[1]) : 4174;
  const s = await startStaticServer(args[0] ?? 'dist', port);
  console.log(`serving ${path.resolve(args[0] ?? 'dist')} at ${s.url} (no COOP/COEP headers)`);
}
