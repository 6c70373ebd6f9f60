// A tiny static file server for the end-to-end tests: serves dist/ (the
// `trunk build --release` output) on 127.0.0.1 with an ephemeral port.
// Each test file starts its own and stops it itself.

import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the build is: E2E_DIST, or <repo>/dist. */
export const distDir = path.resolve(process.env.E2E_DIST ?? path.join(repoRoot, 'dist'));

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

async function isFile(p) {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Start serving `dir`. Resolves to { url, close, misses } where url ends with '/'.
 * A path without a file extension that matches no file gets index.html (the app
 * routes on the client); a missing /favicon.ico is a 204; anything else missing is a 404.
 * `prefix` (e.g. '/playground/') hosts `dir` under that path, as a site that
 * serves the app below its root: `url` ends with it, the prefix without its
 * trailing slash redirects to it, and anything outside it is a 404.
 * `misses` lists every path answered 404 (a build that asks for a file it
 * does not have, or asks outside its prefix).
 * `gzip`: answer gzipped (`Content-Encoding: gzip`) when the request accepts
 * it, as a real host does (the slow-link figures measure what travels).
 */
export async function serveDist(dir = distDir, { prefix = '/', gzip = false } = {}) {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw new Error(`e2e: serveDist prefix must start and end with '/', not ${prefix}`);
  }
  const misses = [];
  /** Gzipped bodies by file and length (compressed once, as a host would). */
  const gzipped = new Map();
  const notFound = (res, rel) => {
    misses.push(rel);
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${rel}`);
  };
  const index = path.join(dir, 'index.html');
  if (!(await isFile(index))) {
    throw new Error(
      `e2e: ${index} does not exist: build the app first (\`trunk build --release\`; ` +
        '`cargo xtask test` does it)',
    );
  }
  const server = http.createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let rel;
      try {
        rel = decodeURIComponent(url.pathname);
      } catch {
        res.writeHead(400).end('bad path');
        return;
      }
      if (prefix !== '/') {
        if (rel === prefix.slice(0, -1)) {
          res.writeHead(301, { Location: prefix + url.search }).end();
          return;
        }
        if (!rel.startsWith(prefix)) {
          if (rel === '/favicon.ico') {
            res.writeHead(204).end();
            return;
          }
          notFound(res, url.pathname);
          return;
        }
        rel = rel.slice(prefix.length - 1);
      }
      let file = path.resolve(dir, '.' + path.posix.normalize(rel));
      if (file !== dir && !file.startsWith(dir + path.sep)) {
        res.writeHead(403).end('outside dist');
        return;
      }
      if (!(await isFile(file))) {
        const candidate = path.join(file, 'index.html');
        if (await isFile(candidate)) file = candidate;
        else if (path.extname(rel) === '') file = index;
        else if (rel === '/favicon.ico') {
          // Browsers ask for it on their own when the page names no icon; a 404
          // here would be a console error that is not the app's.
          res.writeHead(204).end();
          return;
        }
        else {
          notFound(res, url.pathname);
          return;
        }
      }
      let body = await fs.readFile(file);
      const headers = {
        'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Cache-Control': 'no-store',
      };
      if (gzip && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
        const key = `${file} ${body.length}`;
        if (!gzipped.has(key)) gzipped.set(key, zlib.gzipSync(body, { level: 9 }));
        body = gzipped.get(key);
        headers['Content-Encoding'] = 'gzip';
        headers.Vary = 'Accept-Encoding';
      }
      headers['Content-Length'] = body.length;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    misses,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
