// Where a knob change's time goes, task by task (not a test, not a figure):
// a Chromium trace (the Performance panel's data) of changes of attempts.max
// on a run of CALLS calls, printed per change as the page's and the workers'
// tasks over 0.3 ms (start ms after the change, + duration, the thread, the
// largest trace events inside), and when the counters showed. By default the
// page has settled first (three changes); BENCHLIKE=1 changes right after
// the first run, five times, as the knob figure's first series does.
//   node tests/e2e/bench/phases.mjs [calls=1000]
import { launchChromium } from '../browser.mjs';
import { serveDist } from '../serve.mjs';
import { openApp, fireAndWait } from '../app.mjs';

const calls = Number(process.argv[2] ?? 1000);
const benchLike = Boolean(process.env.BENCHLIKE);
/** How far after a change its tasks are printed, µs (trace time). */
const WINDOW_US = 400_000;

/** Sets attempts.max to `value`; resolves when the counters show the new run (ms), with trace marks at both ends. */
function change(page, value) {
  return page.evaluate(
    (value) =>
      new Promise((resolve) => {
        const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent;
        const input = document.querySelector('input[data-testid="attempts.max"][type=number]');
        const before = text('server-requests');
        performance.mark('change');
        const start = performance.now();
        const observer = new MutationObserver(() => {
          if (text('server-requests') !== before && text('run-status') === 'done') {
            observer.disconnect();
            performance.mark('counters');
            resolve(performance.now() - start);
          }
        });
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        input.value = String(value);
        input.dispatchEvent(new Event('change', { bubbles: true }));
      }),
    value,
  );
}

const server = await serveDist();
const browser = await launchChromium();
try {
  const { page, context } = await openApp(browser, `${server.url}?preset=full-jitter&mode=simulated&sim.clients=${calls}`);
  await fireAndWait(page, { timeout: 120_000 });
  if (!benchLike) {
    // Warm the page's code and let its start-up finish.
    for (const value of [7, 6]) await change(page, value);
    await page.waitForTimeout(1_000);
  }
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing,toplevel',
  });
  const times = [];
  for (const value of benchLike ? [7, 6, 5, 4, 3] : [5, 4, 3]) {
    times.push(await change(page, value));
    if (!benchLike) await page.waitForTimeout(500);
  }
  const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  await complete;
  console.log(`knob change → counters (ms): ${times.map((t) => t.toFixed(0)).join(', ')}`);

  const threads = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
  const thread = (e) => String(threads.get(`${e.pid}:${e.tid}`) ?? e.tid);
  const within = (inner, outer) => inner.pid === outer.pid && inner.tid === outer.tid && inner.ts >= outer.ts && inner.ts + inner.dur <= outer.ts + outer.dur;
  // A thread's tasks: its outermost RunTask events (one is often nested in another).
  const runTasks = events.filter((e) => e.ph === 'X' && /RunTask$/.test(e.name) && /CrRendererMain|DedicatedWorker|ServiceWorker/.test(thread(e)));
  const tasks = runTasks.filter((t) => !runTasks.some((o) => o !== t && within(t, o) && o.dur > t.dur));
  const marks = events.filter((e) => e.name === 'change' || e.name === 'counters').sort((a, b) => a.ts - b.ts);
  for (const c of marks.filter((m) => m.name === 'change')) {
    console.log(`--- change`);
    const shown = tasks.filter((t) => t.ts >= c.ts - 20_000 && t.ts < c.ts + WINDOW_US && t.dur > 300).sort((a, b) => a.ts - b.ts);
    for (const t of shown) {
      const inner = events.filter((e) => e.ph === 'X' && e !== t && e.dur > 500 && !/RunTask/.test(e.name) && within(e, t));
      const parts = inner
        .slice(0, 8)
        .map((e) => `${e.name}${e.args?.data?.type ? `(${e.args.data.type})` : ''} ${(e.dur / 1000).toFixed(1)}`)
        .join(', ');
      console.log(`${((t.ts - c.ts) / 1000).toFixed(1).padStart(7)} +${(t.dur / 1000).toFixed(1).padStart(5)} ${thread(t).slice(0, 18).padEnd(18)} ${parts}`);
    }
    const counters = marks.find((m) => m.name === 'counters' && m.ts > c.ts);
    if (counters) console.log(`counters at ${((counters.ts - c.ts) / 1000).toFixed(1)} ms`);
  }
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
