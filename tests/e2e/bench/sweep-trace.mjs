// Where the main thread's long tasks go during a sweep of 1,000,000 calls
// (not a test, not a figure): a Chromium trace from the link's opening to the
// sweep's end; each main-thread task over 50 ms with when it started (ms since
// navigation), against when the sweep's first and last points showed, and the
// trace events inside it (inclusive ms).
//   node tests/e2e/bench/sweep-trace.mjs        the link's sweep, from navigation
//   NO_SWEEP=1 node tests/e2e/bench/sweep-trace.mjs   the same world, no sweep: start-up alone
//   CHANGE=1 node tests/e2e/bench/sweep-trace.mjs     from a range change once the page is up
//                                                     (the bench's figure), with a CPU profile
import { launchChromium, openPage } from '../browser.mjs';
import { serveDist } from '../serve.mjs';

// NO_SWEEP=1: the same world without the sweep, for the start-up's own tasks.
const noSweep = process.env.NO_SWEEP === '1';
// CHANGE=1: trace from a range change once the link's sweep is done (the bench's figure).
const change = process.env.CHANGE === '1';
const server = await serveDist();
const browser = await launchChromium();
try {
  const { page, context } = await openPage(browser);
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  const trace = () => cdp.send('Tracing.start', {
    categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,v8,blink.user_timing',
  });
  if (!change) await trace();
  await page.addInitScript(() => {
    window.__marks = { long: [] };
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__marks.long.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask' });
    new MutationObserver(() => {
      const n = document.querySelectorAll('[data-testid=sweep-point]').length;
      if (n && !window.__marks.first) window.__marks.first = performance.now();
      if ((document.querySelector('[data-testid=sweep-progress]')?.textContent ?? '').includes('20 of 20') && !window.__marks.last) {
        window.__marks.last = performance.now();
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`${server.url}?preset=no-jitter&sim.clients=1000&sim.calls=10${noSweep ? '' : '&sweep=backoff.base_ms:10..2000:log:20'}`);
  if (noSweep) {
    await page.waitForTimeout(5000);
    await page.evaluate(() => { window.__marks.first = window.__marks.last = 0; });
  } else await page.waitForFunction(() => window.__marks.last, null, { timeout: 600_000, polling: 200 });
  if (change) {
    await page.waitForTimeout(500);
    await trace();
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    await page.evaluate(() => {
      window.__marks = { long: window.__marks.long, changed: performance.now() };
      const input = document.querySelector('[data-testid=sweep-to]');
      input.value = '2001';
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await page.waitForTimeout(300);
    await page.evaluate(() => { window.__marks.last = 0; });
    await page.waitForFunction(() => window.__marks.last, null, { timeout: 600_000, polling: 200 });
  }
  await page.waitForTimeout(500);
  const profile = change ? (await cdp.send('Profiler.stop')).profile : null;
  const marks = await page.evaluate(() => ({ ...window.__marks, origin: performance.timeOrigin }));
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  await done;
  console.log(`long tasks (start, duration; ms since navigation): ${marks.long.map(([s, d]) => `${s.toFixed(0)}+${d.toFixed(0)}`).join(', ')}`);
  if (change) console.log(`range change at ${marks.changed.toFixed(0)} ms`);
  console.log(`first sweep point at ${marks.first.toFixed(0)} ms, 20 of 20 at ${marks.last.toFixed(0)} ms (since navigation)`);
  const main = events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  // The page's renderer: the main thread with the most events.
  const count = (m) => events.filter((e) => e.pid === m.pid && e.tid === m.tid).length;
  const m = main.sort((a, b) => count(b) - count(a))[0];
  const onMain = events.filter((e) => e.pid === m.pid && e.tid === m.tid && e.ph === 'X');
  const nav = events.find((e) => e.name === 'navigationStart' || e.name === 'TracingStartedInBrowser');
  const navTs = change
    ? Math.min(...onMain.map((e) => e.ts))
    : events.filter((e) => e.pid === m.pid && e.name === 'navigationStart').map((e) => e.ts).pop() ?? nav?.ts ?? 0;
  const since = change ? 'since the trace began (the range change)' : 'since navigation';
  const tasks = onMain.filter((e) => e.name === 'RunTask' && e.dur > 50_000);
  console.log(`main-thread tasks over 50 ms: ${tasks.length}`);
  for (const t of tasks) {
    console.log(`  task of ${(t.dur / 1000).toFixed(1)} ms at ${((t.ts - navTs) / 1000).toFixed(0)} ms ${since}`);
    const inside = onMain.filter((e) => e !== t && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
    const byName = new Map();
    for (const e of inside) {
      const key = `${e.name}${e.args?.data?.url ? ` ${e.args.data.url.split('/').pop()}` : ''}${e.args?.data?.functionName ? ` ${e.args.data.functionName}` : ''}`;
      byName.set(key, (byName.get(key) ?? 0) + e.dur / 1000);
    }
    for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`    ${ms.toFixed(1).padStart(8)}  ${name.slice(0, 140)}`);
  }
  if (profile) {
    // Self time by function over the whole sweep (wasm functions by index unless named).
    const self = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
    });
    console.log('self time by function (ms):');
    for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${name.slice(0, 140)}`);
  }
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
