// The config worker: loads its Rust glue (crates/run-worker's bin
// config-worker, wasm-bindgen no-modules output) and hands it every message
// from the page (export and import). The page's first message is null (the
// wasm is fetched here). Messages that arrive while the wasm loads wait in
// order.
importScripts('./config-worker.js');
const queued = [];
let ready = false;
let loading = false;
function load(module) {
  loading = true;
  wasm_bindgen({ module_or_path: module || './config-worker_bg.wasm' }).then(
    () => {
      ready = true;
      wasm_bindgen.start();
      for (const data of queued.splice(0)) wasm_bindgen.on_message(data);
    },
    (e) => self.postMessage(JSON.stringify({ failed: { run_id: 0, message: 'the config worker failed to load: ' + e } })),
  );
}
self.onmessage = (event) => {
  if (!loading && (event.data === null || event.data instanceof WebAssembly.Module)) load(event.data);
  else if (ready) wasm_bindgen.on_message(event.data);
  else queued.push(event.data);
};
