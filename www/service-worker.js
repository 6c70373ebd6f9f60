// The mock service worker: answers ONLY same-origin requests under /mock/
// with the flaky endpoints (Rust: crates/mock-sw); everything else goes to
// the network untouched, so it can never break loading the app itself.
// Listeners are registered synchronously during the first evaluation, as
// service workers require; the wasm loads in the background.
// The names below are flaky::protocol's (MOCK_PREFIX, X-Mock-Error: worker-broken,
// X-Mock-Served-By); a mock-sw test checks this file still spells them.
importScripts('./mock-sw.js');
const ready = wasm_bindgen('./mock-sw_bg.wasm');
// Keep a failed load from becoming an unhandled rejection; mock requests then get a 503.
ready.catch((e) => console.error('mock-sw: the wasm failed to load', e));

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith('/mock/')) return;
  event.respondWith(
    ready.then(
      () => wasm_bindgen.handle(event.request),
      (e) => new Response(JSON.stringify({ error: 'the mock worker failed to load: ' + e }), {
        status: 503,
        headers: { 'Content-Type': 'application/json', 'X-Mock-Error': 'worker-broken', 'X-Mock-Served-By': 'mock-sw' },
      }),
    ),
  );
});
