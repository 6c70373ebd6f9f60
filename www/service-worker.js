// The service worker (a module; see ARCHITECTURE.md, invariants), scoped to
// where the app is hosted: <scope>mock/ gets the mock endpoints
// (crates/mock-sw's glue, exported by the page's own wasm as `mock_handle`:
// one wasm for the page, its run workers and this worker), never
// cached; the app's own files (app-files.js, written by `cargo xtask app-files`)
// are served cache-first from a cache named by the build's version; all else,
// and any cache failure or miss, goes to the network. Listeners register
// synchronously, as service workers require. Names are flaky::protocol's; a
// mock-sw test checks this file spells them.
import init, { mock_handle } from './resilience-playground.js';
// Sets self.APP_FILES (null in a debug build: nothing is cached).
import './app-files.js';

const SCOPE = self.registration.scope;
const MOCK = new URL('mock/', SCOPE).href;
// { version, files } (relative to the scope), or null: cache nothing.
const APP = self.APP_FILES || null;
// Per scope: one origin may host several builds.
const CACHE_PREFIX = 'playground-app ' + SCOPE + ' ';
const CACHE = APP ? CACHE_PREFIX + APP.version : null;
const APP_URLS = new Set(APP ? APP.files.map((f) => new URL(f, SCOPE).href) : []);

function cached(url) {
  if (!CACHE) return Promise.resolve(undefined);
  return caches
    .open(CACHE)
    .then((cache) => cache.match(url))
    .catch(() => undefined);
}

const mockWasm = './resilience-playground_bg.wasm';
let loading = null;
// The mock's wasm (the page's file), loaded at the first mock request,
// from the cache when there (a worker restarted offline still answers).
function mockReady() {
  if (!loading) {
    loading = init({
      module_or_path: cached(new URL(mockWasm, self.location.href).href).then((hit) => hit || fetch(mockWasm)),
    });
    // Mock requests then get a 503 (not an unhandled rejection).
    loading.catch((e) => console.error('mock-sw: the wasm failed to load', e));
  }
  return loading;
}

function appUrl(request) {
  if (!CACHE || request.method !== 'GET') return null;
  const url = new URL(request.url);
  url.hash = '';
  if (request.mode === 'navigate') {
    url.search = '';
    return url.href === SCOPE || url.href === SCOPE + 'index.html' ? SCOPE : null;
  }
  return APP_URLS.has(url.href) ? url.href : null;
}

let filling = null;
let failedAt = -Infinity;
// Fills this build's cache with the files it lacks, once at a time.
function fill() {
  if (!CACHE || filling || Date.now() - failedAt < 10_000) return filling ?? Promise.resolve();
  filling = fillNow()
    .catch((e) => {
      failedAt = Date.now();
      console.warn('service worker: caching the app for offline use failed (it keeps loading from the network)', e);
    })
    .finally(() => {
      filling = null;
    });
  return filling;
}

async function fillNow() {
  const cache = await caches.open(CACHE);
  const have = new Set((await cache.keys()).map((r) => r.url));
  const missing = [...APP_URLS].filter((url) => !have.has(url));
  if (missing.length === 0) return;
  const fetched = await Promise.all(
    missing.map(async (url) => {
      const response = await fetch(url, { cache: 'no-cache' });
      if (!response.ok || response.redirected) {
        throw new Error(`${url}: ${response.status}${response.redirected ? ', redirected' : ''}`);
      }
      return [url, response];
    }),
  );
  // Only this build's files: a newer build's worker caches its own.
  const now = await fetch('./app-files.js', { cache: 'no-cache' }).then((r) => r.text());
  if (!now.includes(JSON.stringify(APP.version))) {
    throw new Error(`the server no longer has build ${APP.version}`);
  }
  await Promise.all(fetched.map(([url, response]) => cache.put(url, response)));
}

async function dropStaleCaches() {
  try {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    }
  } catch (e) {
    console.warn('service worker: deleting stale caches failed', e);
  }
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => {
  event.waitUntil(Promise.all([self.clients.claim(), dropStaleCaches()]));
  // The cache fills when the page asks (src/effects.rs: after its first
  // result, or a few seconds after it started), not in the first load.
});
self.addEventListener('message', (event) => {
  if (event.data === 'fill') event.waitUntil(fill());
});
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.url.startsWith(MOCK)) {
    event.respondWith(
      mockReady().then(
        () => mock_handle(request),
        (e) => new Response(JSON.stringify({ error: 'the mock worker failed to load: ' + e }), {
          status: 503,
          headers: { 'Content-Type': 'application/json', 'X-Mock-Error': 'worker-broken', 'X-Mock-Served-By': 'mock-sw' },
        }),
      ),
    );
    return;
  }
  const key = appUrl(request);
  if (key === null) return;
  event.respondWith(cached(key).then((hit) => hit || fetch(request)));
});
