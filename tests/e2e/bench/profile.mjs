// Where the page's main-thread time goes on a knob change (not a test, not a
// figure): a Chromium trace (the Performance panel's data) and a CPU profile
// of five changes of attempts.max on a run of CALLS calls, summed by trace
// event (script, style, layout, paint, GC) and by function (self time), and
// the DOM mutations each change made, by kind and where (deterministic, unlike
// times on a shared machine).
// Names of wasm functions show when dist/'s wasm keeps its name section
// (e.g. Trunk's dist/.stage copy before wasm-opt).
//   node tests/e2e/bench/profile.mjs [calls=1000]
import { launchChromium } from '../browser.mjs';
import { serveDist } from '../serve.mjs';
import { openApp, fireAndWait, TIMELINES_BUSY } from '../app.mjs';

const calls = Number(process.argv[2] ?? 1000);
const server = await serveDist();
const browser = await launchChromium();
try {
  const { page, context } = await openApp(browser, `${server.url}?preset=full-jitter&mode=simulated&sim.clients=${calls}`);
  await fireAndWait(page, { timeout: 120_000 });
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing',
  });
  await cdp.send('Profiler.start');
  const times = [];
  for (const value of [7, 6, 5, 4, 3]) {
    times.push(
      await page.evaluate(
        ({ value, busySelector }) =>
          new Promise((resolve) => {
            const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent;
            const input = document.querySelector('input[data-testid="attempts.max"][type=number]');
            const before = text('server-requests');
            const start = performance.now();
            let mutations = 0;
            const observer = new MutationObserver((records) => {
              mutations += records.length;
              for (const r of records) {
                const where = r.target.closest?.('[data-testid]')?.getAttribute('data-testid') ?? r.target.nodeName;
                const k = r.type === 'attributes' ? `@${r.attributeName}` : `${r.type} in ${where}`;
                (window.__kinds ??= {})[k] = (window.__kinds[k] ?? 0) + 1;
              }
              // The new run's counters, and every timeline drawn (its lanes come a frame later).
              const busy = document.querySelector(busySelector);
              if (text('server-requests') !== before && text('run-status') === 'done' && !busy) {
                observer.disconnect();
                resolve({ ms: performance.now() - start, mutations });
              }
            });
            observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
            input.value = String(value);
            input.dispatchEvent(new Event('change', { bubbles: true }));
          }),
        { value, busySelector: TIMELINES_BUSY },
      ),
    );
    await page.waitForTimeout(300);
  }
  const { profile } = await cdp.send('Profiler.stop');
  const kinds = await page.evaluate(() => window.__kinds ?? {});
  console.log(`DOM mutations by kind: ${Object.entries(kinds).sort((a, b) => b[1] - a[1]).slice(0, 16).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  await done;
  console.log(`knob changes: ${times.map((t) => `${t.ms.toFixed(0)} ms, ${t.mutations} DOM mutations`).join('; ')}`);

  // Trace: main-thread top-level tasks and time by event name.
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
  const tasks = onMain.filter((e) => e.name === 'RunTask').map((e) => e.dur / 1000).sort((a, b) => b - a);
  console.log(`longest main-thread tasks (ms): ${tasks.slice(0, 8).map((t) => t.toFixed(1)).join(', ')}`);
  const byName = new Map();
  for (const e of onMain) byName.set(e.name, (byName.get(e.name) ?? 0) + e.dur / 1000);
  console.log('trace events (inclusive ms, summed):');
  for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${name}`);

  // Profile: self time by function.
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas;
  profile.samples.forEach((id, i) => {
    const n = byId.get(id);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i + 1] ?? 0) / 1000);
  });
  console.log('self time by function (ms):');
  for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${name.slice(0, 160)}`);
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
