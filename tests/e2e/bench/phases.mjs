// Where a knob change's time goes, task by task (not a test, not a figure):
// a Chromium trace (the Performance panel's data) of three changes of
// attempts.max on a run of CALLS calls, printed per change as the page's and
// the workers' tasks over 0.3 ms (start ms after the change, + duration, the
// thread, the largest trace events inside), and when the counters showed.
// By default the page has settled first; BENCHLIKE=1 changes right after the
// first run, five times, as the knob figure's first series does.
//   node tests/e2e/bench/phases.mjs [calls=1000]
import { launchChromium, openPage, waitUntil } from '../browser.mjs';
import { serveDist } from '../serve.mjs';
const calls = Number(process.argv[2] ?? 1000);
const server = await serveDist();
const browser = await launchChromium();
try {
  const { page, context } = await openPage(browser);
  await page.goto(`${server.url}?preset=full-jitter&mode=simulated&sim.clients=${calls}`);
  await waitUntil('fire-many enabled', async () => !(await page.isDisabled('[data-testid=fire-many]')), { timeout: 60_000 });
  await page.click('[data-testid=fire-many]');
  await waitUntil('done', async () => (await page.textContent('[data-testid=run-status]')) === 'done', { timeout: 120_000 });
  if (!process.env.BENCHLIKE) for (const v of [7, 6]) await page.evaluate((v) => { const i = document.querySelector('input[data-testid="attempts.max"][type=number]'); i.value = String(v); i.dispatchEvent(new Event('change', { bubbles: true })); }, v);
  if (!process.env.BENCHLIKE) await page.waitForTimeout(1000);
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...value));
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline,v8.execute,blink.user_timing,toplevel' });
  if (!process.env.BENCHLIKE) await page.waitForTimeout(300);
  const res = [];
  for (const value of (process.env.BENCHLIKE ? [7, 6, 5, 4, 3] : [5, 4, 3])) {
    res.push(await page.evaluate((value) => new Promise((resolve) => {
      const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent;
      const input = document.querySelector('input[data-testid="attempts.max"][type=number]');
      const before = text('server-requests');
      performance.mark('change');
      const start = performance.now();
      const observer = new MutationObserver(() => {
        if (text('server-requests') !== before && text('run-status') === 'done') { observer.disconnect(); performance.mark('counters'); resolve(performance.now() - start); }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      input.value = String(value);
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }), value));
    if (!process.env.BENCHLIKE) await page.waitForTimeout(500);
  }
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end'); await done;
  console.log('changes', res.map((m) => m.toFixed(0)).join(', '));
  const threads = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [`${e.pid}:${e.tid}`, e.args.name]));
  const marks = events.filter((e) => e.name === 'change' || e.name === 'counters').sort((a, b) => a.ts - b.ts);
  const changes = marks.filter((m) => m.name === 'change');
  for (const c of changes) {
    const end = c.ts + 400_000;
    console.log('--- change at', c.ts);
    const tasks = events.filter((e) => e.ph === 'X' && e.ts >= c.ts - 20000 && e.ts < end && (e.name === 'RunTask' || e.name==='ThreadControllerImpl::RunTask') && e.dur > 300);
    for (const t of tasks.sort((a, b) => a.ts - b.ts)) {
      const th = threads.get(`${t.pid}:${t.tid}`) ?? t.tid;
      if (!/CrRendererMain|Worker/.test(th)) continue;
      const inner = events.filter((e) => e.pid === t.pid && e.tid === t.tid && e.ph === 'X' && e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur && e !== t && e.dur > 500 && !/RunTask/.test(e.name));
      const parts = inner.slice(0, 8).map((e) => `${e.name}${e.args?.data?.type ? '(' + e.args.data.type + ')' : ''} ${(e.dur / 1000).toFixed(1)}`).join(', ');
      console.log(`${((t.ts - c.ts) / 1000).toFixed(1).padStart(7)} +${(t.dur / 1000).toFixed(1).padStart(5)} ${String(th).slice(0, 18).padEnd(18)} ${parts}`);
    }
    const m = marks.find((x) => x.name === 'counters' && x.ts > c.ts);
    console.log('counters at', ((m.ts - c.ts) / 1000).toFixed(1));
  }
  await context.close();
} finally { await browser.close(); await server.close(); }
