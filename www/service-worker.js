// The service worker, registered by the page with its own directory as the
// scope (the site root, or the sub-path a build is hosted under):
// - requests under <scope>mock/ get the flaky mock endpoints (Rust:
//   crates/mock-sw); never cached;
// - the app's own files (app-files.js lists them with the build's version;
//   `cargo xtask app-files`, Trunk's post_build hook, writes it; release builds
//   only) are served cache-first from a cache named by that version, so the
//   app loads offline after one visit. A new build changes app-files.js, so
//   the browser installs the new worker, which fills a new cache and deletes
//   the old ones: the files are replaced as a whole, never one by one;
// - everything else goes to the network untouched. A cache that fails or
//   misses falls through to the network: the worker can never break loading
//   the app itself.
// Listeners are registered synchronously during the first evaluation, as
// service workers require; the wasm loads in the background.
// The names below are flaky::protocol's (MOCK_PREFIX, X-Mock-Error: worker-broken,
// X-Mock-Served-By); a mock-sw test checks this file still spells them.
importScripts('./mock-sw.js');
try {
  importScripts('./app-files.js');
} catch (e) {
  console.warn('service worker: no app-files.js, so nothing is cached for offline use', e);
}

const SCOPE = self.registration.scope;
const MOCK = new URL('mock/', SCOPE).href;
/** `{ version, files }` (files relative to the scope, './' for index.html), or null: cache nothing. */
const APP = self.APP_FILES || null;
// One origin may host several builds under different paths: each owns its caches.
const CACHE_PREFIX = 'playground-app ' + SCOPE + ' ';
const CACHE = APP ? CACHE_PREFIX + APP.version : null;
const APP_URLS = new Set(APP ? APP.files.map((f) => new URL(f, SCOPE).href) : []);

/** The cached copy of `url` in this build's cache (undefined when missing or on any cache failure). */
function cached(url) {
  if (!CACHE) return Promise.resolve(undefined);
  return caches
    .open(CACHE)
    .then((cache) => cache.match(url))
    .catch(() => undefined);
}

const mockWasm = './mock-sw_bg.wasm';
// The mock's wasm from this build's cache when it is there: a worker the
// browser restarts while offline still answers live runs.
const ready = wasm_bindgen({
  module_or_path: cached(new URL(mockWasm, self.location.href).href).then((hit) => hit || fetch(mockWasm)),
});
// Keep a failed load from becoming an unhandled rejection; mock requests then get a 503.
ready.catch((e) => console.error('mock-sw: the wasm failed to load', e));

/** The cache key of an app file request, or null (not one of the app's files). */
function appUrl(request) {
  if (!CACHE || request.method !== 'GET') return null;
  const url = new URL(request.url);
  url.hash = '';
  if (request.mode === 'navigate') {
    // The page, whatever its query (?preset=...): the one cached index.html.
    url.search = '';
    return url.href === SCOPE || url.href === SCOPE + 'index.html' ? SCOPE : null;
  }
  return APP_URLS.has(url.href) ? url.href : null;
}

let filling = null;
let failedAt = -Infinity;
/** Fills this build's cache with whatever of the app's files it lacks; once at a time. */
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
  // The server may have a newer build by now: keep only files of this worker's
  // build (the newer build's worker caches its own).
  const now = await fetch('./app-files.js', { cache: 'no-cache' }).then((r) => r.text());
  if (!now.includes(JSON.stringify(APP.version))) {
    throw new Error(`the server no longer has build ${APP.version}`);
  }
  await Promise.all(fetched.map(([url, response]) => cache.put(url, response)));
}

/** Deletes this scope's caches of other builds (and all of them when this build caches nothing). */
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
  // Not awaited: filling the cache (the whole app) must not delay the page's
  // first live run; every fetch below keeps the worker alive until it is done.
  fill();
});
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.url.startsWith(MOCK)) {
    event.waitUntil(fill());
    event.respondWith(
      ready.then(
        () => wasm_bindgen.handle(request),
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
  event.waitUntil(fill());
  event.respondWith(cached(key).then((hit) => hit || fetch(request)));
});
