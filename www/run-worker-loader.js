// The run worker (a module worker): the page's own wasm, which the page
// hands over compiled as its first message (or null: fetch it here), with
// the run worker's exports (crates/run-worker's `host`, exported by the
// page's src/main.rs). Messages that arrive while it instantiates wait in order.
import init, { run_worker_start, run_worker_message } from './resilience-playground.js';

const queued = [];
let ready = false;
let loading = false;
function load(module) {
  loading = true;
  init({ module_or_path: module || './resilience-playground_bg.wasm' }).then(
    () => {
      ready = true;
      run_worker_start();
      for (const data of queued.splice(0)) run_worker_message(data);
    },
    (e) => self.postMessage(JSON.stringify({ failed: { run_id: 0, message: 'the run worker failed to load: ' + e } })),
  );
}
self.onmessage = (event) => {
  if (!loading && (event.data === null || event.data instanceof WebAssembly.Module)) load(event.data);
  else if (ready) run_worker_message(event.data);
  else queued.push(event.data);
};
