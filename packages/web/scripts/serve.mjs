// A static server for the built page with the cross-origin isolation headers (COOP/COEP) that shared wasm memory
// needs. `node scripts/serve.mjs [dir] [port]` from packages/web, or `serve(dir, port)` from a test (port 0: any free).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** Serves `dir` on 127.0.0.1:`port`; resolves to { url, close }. */
export function serve(dir, port = 0) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^([/\\])+/, '');
    const file = join(root, path === '' ? 'index.html' : path);
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        'Cross-Origin-Resource-Policy': 'same-origin',
      }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => {
    const { port: p } = server.address();
    ok({ url: `http://127.0.0.1:${p}/`, close: () => new Promise((done) => server.close(() => done())) });
  }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const here = fileURLToPath(new URL('..', import.meta.url));
  const { url } = await serve(process.argv[2] ?? join(here, 'dist'), Number(process.argv[3] ?? 8080));
  console.log(`serving ${url} (COOP/COEP set)`);
}
