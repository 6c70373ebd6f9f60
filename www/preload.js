// Loaded by index.html before the app: fetches and compiles the run worker's
// wasm beside the page's own (not after it), so the first run does not wait
// for a second download. The page hands the compiled module to each run
// worker it starts (`handRunWorkerWasm`, called by src/run_worker.rs). Once
// both are in and the page is idle, the service worker is asked to fill its
// offline cache: never in competition with the first use.
(() => {
  const url = './run-worker_bg.wasm';
  const wasm = (
    WebAssembly.compileStreaming
      ? WebAssembly.compileStreaming(fetch(url))
      : fetch(url).then((r) => r.arrayBuffer()).then((b) => WebAssembly.compile(b))
  ).catch((e) => {
    console.warn('preload: the run worker fetches its own wasm', e);
    return null;
  });
  // The worker's loader waits for this first message: a module, or null to fetch the wasm itself.
  self.handRunWorkerWasm = (worker) => {
    wasm.then((module) => worker.postMessage(module));
  };
  const loaded = new Promise((resolve) => {
    if (document.readyState === 'complete') resolve();
    else addEventListener('load', () => resolve(), { once: true });
  });
  const idle = () => new Promise((resolve) => (self.requestIdleCallback ? requestIdleCallback(resolve, { timeout: 2000 }) : setTimeout(resolve, 200)));
  if ('serviceWorker' in navigator) {
    Promise.all([wasm, loaded, navigator.serviceWorker.ready])
      .then(idle)
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => registration.active?.postMessage('fill'))
      .catch((e) => console.warn('preload: no offline cache fill', e));
  }
})();
