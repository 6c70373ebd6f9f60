// The run worker: loads the Rust worker (crates/run-worker, wasm-bindgen
// no-modules output) and hands it every message from the page. Messages that
// arrive while the wasm loads wait in order.
importScripts('./run-worker.js');
const queued = [];
let ready = false;
self.onmessage = (event) => {
  if (ready) wasm_bindgen.on_message(event.data);
  else queued.push(event.data);
};
wasm_bindgen('./run-worker_bg.wasm').then(
  () => {
    ready = true;
    wasm_bindgen.start();
    for (const data of queued.splice(0)) wasm_bindgen.on_message(data);
  },
  (e) => self.postMessage(JSON.stringify({ failed: { run_id: 0, message: 'the run worker failed to load: ' + e } })),
);
