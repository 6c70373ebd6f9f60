// The page's figures for `cargo xtask bench`, measured in headless Chromium
// against the release build in dist/ (`trunk build --release`):
//   - simulated mode: a knob change → updated counters (and → every timeline
//     drawn), at 1,000 and 30,000 calls, right after the first run and on a
//     settled page (PAGE_BENCH_VERBOSE=1: each change's times in order);
//   - the longest main-thread task during a 1,000,000-call simulated run;
//   - live mode: how late attempts start after the policy planned them;
//   - a first visit over a slow link (1.6 Mbit/s down, 150 ms round trip,
//     files gzipped as a host serves them): navigation → the first simulated result.
//   - a sweep of 20 values × 5 seeds × 1,000 calls (from the link, and a
//     range change with the workers loaded), and the longest main-thread task
//     during a sweep of 1,000,000 calls in all (from the sweep's start: a
//     range change once the page is up; the start-up's own beside it).
// Run with `node tests/e2e/bench/page.mjs` (PAGE_BENCH_ONLY=first-visit, knob,
// sweep, long-task or live for one group). Not a test (the e2e layer's
// `node --test tests/e2e/` only picks up *.test.mjs): it prints figures and
// asserts no timing; it fails only when the page cannot be measured.

import fs from 'node:fs';
import { launchChromium, openPage, waitUntil } from '../browser.mjs';
import { serveDist } from '../serve.mjs';
import { TIMELINES_BUSY } from '../app.mjs';

/** How many times the knob is changed per size (the values attempts.max takes). */
const KNOB_VALUES = [7, 6, 5, 4, 3];
/** How long the page is left alone before the second series of knob changes. */
const KNOB_SETTLE_MS = 3_000;
const KNOB_SIZES = [
  { calls: 1_000, target: 50 },
  { calls: 30_000, target: 300 },
];
const LIVE_SIZES = [
  { clients: 100, calls: 1, target: 'target p99 lateness ≤ 10 ms' },
  { clients: 500, calls: 3, target: 'no target' },
];
const LONG_TASK_TARGET_MS = 50;
/** A slow link, as CDP's Network.emulateNetworkConditions takes it (bytes/s). */
const SLOW_LINK = { offline: false, latency: 150, downloadThroughput: 1.6e6 / 8, uploadThroughput: 750e3 / 8 };
const FIRST_RESULT_TARGET_MS = 2500;
const FIRST_VISITS = 3;

const fmt = (n) => n.toLocaleString('en-US');
const plural = (n, word) => `${fmt(n)} ${word}${n === 1 ? '' : 's'}`;
/** Nearest-rank percentile of an ascending array. */
const rank = (sorted, p) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];

/** Click fire-many and wait until the run reads `done`; its duration in ms, timed in the page. */
async function fireAndWait(page, timeout) {
  return page.evaluate(
    (timeoutMs) =>
      new Promise((resolve, reject) => {
        const status = () => document.querySelector('[data-testid=run-status]')?.textContent;
        const start = performance.now();
        let left = false;
        const observer = new MutationObserver(() => {
          if (status() !== 'done') left = true;
          else if (left) finish();
        });
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`the run did not end in ${timeoutMs} ms (status: ${status()})`));
        }, timeoutMs);
        function finish() {
          observer.disconnect();
          clearTimeout(timer);
          resolve(performance.now() - start);
        }
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        left = status() !== 'done';
        document.querySelector('[data-testid=fire-many]').click();
      }),
    timeout,
  );
}

async function open(browser, server, query) {
  const opened = await openPage(browser);
  await opened.page.goto(server.url + query);
  await waitUntil(
    'fire-many to be enabled',
    async () => !(await opened.page.isDisabled('[data-testid=fire-many]')),
    { timeout: 60_000 },
  );
  return opened;
}

function reportProblems(what, problems) {
  for (const p of problems) console.log(`page (${what}): warning: ${p.slice(0, 300)}`);
}

/**
 * Sets attempts.max to `value` and resolves with `{ counters, drawn }`: the
 * ms until the counters showed the new run, and until every timeline had
 * drawn it too (no `aria-busy` left); `null` for one that did not come
 * within `timeoutMs`.
 */
async function knobChange(page, value, timeoutMs) {
  return page.evaluate(
    ({ value, timeoutMs, busySelector }) =>
      new Promise((resolve) => {
        const text = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent;
        const busy = () => document.querySelector(busySelector) !== null;
        const input = document.querySelector('input[data-testid="attempts.max"][type=number]');
        if (!input) throw new Error('no number input for attempts.max');
        const before = text('server-requests');
        let counters = null;
        let done = false;
        const finish = (drawn) => {
          if (done) return;
          done = true;
          observer.disconnect();
          clearTimeout(timer);
          resolve({ counters, drawn });
        };
        const check = () => {
          if (counters === null && text('server-requests') !== before && text('run-status') === 'done') {
            counters = performance.now() - start;
          }
          if (counters !== null && !busy()) finish(performance.now() - start);
        };
        const observer = new MutationObserver(check);
        const timer = setTimeout(() => finish(null), timeoutMs);
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        const start = performance.now();
        input.value = String(value);
        input.dispatchEvent(new Event('change', { bubbles: true }));
      }),
    { value, timeoutMs, busySelector: TIMELINES_BUSY },
  );
}

/** Five changes of attempts.max: `{ counters, drawn, missed }`, times ascending. */
async function knobSeries(page, values) {
  const counters = [];
  const drawn = [];
  let missed = 0;
  for (const value of values) {
    const t = await knobChange(page, value, 60_000);
    if (t.counters === null) missed += 1;
    else counters.push(t.counters);
    if (t.drawn !== null) drawn.push(t.drawn);
  }
  if (process.env.PAGE_BENCH_VERBOSE) {
    console.log(`  each change in order (ms): counters ${counters.map((t) => t.toFixed(0)).join(', ')}; drawn ${drawn.map((t) => t.toFixed(0)).join(', ')}`);
  }
  counters.sort((a, b) => a - b);
  drawn.sort((a, b) => a - b);
  return { counters, drawn, missed };
}

async function knobFigures(browser, server, { calls, target }) {
  const { page, context, problems } = await open(
    browser,
    server,
    `?preset=full-jitter&mode=simulated&sim.clients=${calls}`,
  );
  await fireAndWait(page, 300_000);
  // Right after the first run (the page is still starting its workers and
  // filling its offline cache), then on a page that has settled.
  const series = [['right after the first run', await knobSeries(page, KNOB_VALUES)]];
  await page.waitForTimeout(KNOB_SETTLE_MS);
  series.push(['settled', await knobSeries(page, KNOB_VALUES)]);
  for (const [when, { counters, drawn, missed }] of series) {
    if (counters.length === 0) throw new Error(`knob change at ${calls} calls: the counters never changed`);
    console.log(
      `page (simulated, ${fmt(calls)} calls, ${when}): knob change → updated counters, median ${rank(counters, 0.5).toFixed(0)} ms, ` +
        `max ${counters.at(-1).toFixed(0)} ms; timelines drawn median ${drawn.length ? rank(drawn, 0.5).toFixed(0) : '–'} ms; ` +
        `over ${counters.length} changes of attempts.max` +
        `${missed ? ` (${missed} more showed no new counter within 60 s)` : ''} (target ≤ ${target} ms)`,
    );
  }
  reportProblems(`${calls} calls`, problems);
  await context.close();
}

async function longTaskFigures(browser, server) {
  const clients = 100_000;
  const calls = 10;
  const { page, context, problems } = await open(
    browser,
    server,
    `?preset=full-jitter&mode=simulated&sim.clients=${clients}&sim.calls=${calls}`,
  );
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  const runMs = await fireAndWait(page, 600_000);
  // Long-task entries are delivered after the task; let the last ones arrive.
  await page.waitForTimeout(500);
  const tasks = await page.evaluate(() => window.__longTasks);
  const longest = tasks.length ? `${Math.max(...tasks).toFixed(0)} ms` : `none over 50 ms`;
  console.log(
    `page (simulated, ${fmt(clients * calls)} calls): run ${(runMs / 1000).toFixed(1)} s, ` +
      `longest main-thread task ${longest} (${plural(tasks.length, 'long task')}) (target ≤ ${LONG_TASK_TARGET_MS} ms)`,
  );
  reportProblems(`${fmt(clients * calls)} calls`, problems);
  await context.close();
}

async function liveFigures(browser, server, { clients, calls, target }) {
  const { page, context, problems } = await open(
    browser,
    server,
    `?preset=full-jitter&mode=live&sim.clients=${clients}&sim.calls=${calls}`,
  );
  const wallMs = await fireAndWait(page, 300_000);
  const download = page.waitForEvent('download');
  await page.click('[data-testid=download-trace]');
  const file = await (await download).path();
  const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  const late = trace.calls
    .flatMap((c) => c.attempts.map((a) => a.start_ms - a.planned_ms))
    .sort((a, b) => a - b);
  if (late.length === 0) throw new Error(`live ${clients} clients: the trace has no attempts`);
  const limited = await page.locator('[data-testid=browser-limit]').count();
  console.log(
    `page (live, ${fmt(clients)} clients × ${plural(calls, 'call')}): ${fmt(late.length)} attempts in ${(wallMs / 1000).toFixed(1)} s, ` +
      `lateness p50 ${rank(late, 0.5)} ms, p99 ${rank(late, 0.99)} ms, max ${late.at(-1)} ms; ` +
      `latency p99 ${trace.summary.latency_ms_p99} ms${limited ? '; the page says the browser limited the run' : ''} (${target})`,
  );
  reportProblems(`live ${clients}`, problems);
  await context.close();
}

/**
 * One first visit (a fresh context: no cache, no service worker) over
 * SLOW_LINK: Fire is clicked the moment it is enabled; the times, from
 * navigation, when it was enabled and when the first run read done.
 */
async function firstVisit(browser, url) {
  const { page, context, problems } = await openPage(browser);
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', SLOW_LINK);
    await page.addInitScript(() => {
      const status = () => document.querySelector('[data-testid=run-status]')?.textContent;
      const observer = new MutationObserver(() => {
        const fire = document.querySelector('[data-testid=fire-many]');
        if (window.__fireMs === undefined && fire && !fire.disabled) {
          window.__fireMs = performance.now();
          fire.click();
        } else if (window.__fireMs !== undefined && status() === 'done') {
          window.__doneMs = performance.now();
          observer.disconnect();
        }
      });
      addEventListener('DOMContentLoaded', () =>
        observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true }),
      );
    });
    await page.goto(url + '?preset=full-jitter&mode=simulated', { waitUntil: 'commit' });
    await waitUntil('the first run to be done', () => page.evaluate(() => window.__doneMs !== undefined), {
      timeout: 60_000,
    });
    const times = await page.evaluate(() => ({ fire: window.__fireMs, done: window.__doneMs }));
    reportProblems('first visit', problems);
    return times;
  } finally {
    await context.close();
  }
}

async function firstVisitFigures(browser) {
  const gzipServer = await serveDist(undefined, { gzip: true });
  try {
    const visits = [];
    for (let i = 0; i < FIRST_VISITS; i += 1) visits.push(await firstVisit(browser, gzipServer.url));
    const median = (key) => visits.map((v) => v[key]).sort((a, b) => a - b)[Math.floor(visits.length / 2)];
    console.log(
      `page (first visit, 1.6 Mbit/s down, 150 ms RTT, gzipped): Fire enabled ${(median('fire') / 1000).toFixed(2)} s, ` +
        `first simulated result ${(median('done') / 1000).toFixed(2)} s after navigation (median of ${visits.length}; ` +
        `target ≤ ${(FIRST_RESULT_TARGET_MS / 1000).toFixed(1)} s)`,
    );
  } finally {
    await gzipServer.close();
  }
}

/**
 * Resolves when the sweep's progress reads `n of n`: the ms since `change`
 * (a control set to a value, in the page) or, without one, since navigation.
 * (`PAGE_BENCH_ONLY=sweep` runs only the sweep's figures.)
 */
async function sweepDone(page, n, timeoutMs, { change = null } = {}) {
  return page.evaluate(
    ({ n, timeoutMs, change }) =>
      new Promise((resolve, reject) => {
        const done = () => (document.querySelector('[data-testid=sweep-progress]')?.textContent ?? '').includes(`${n} of ${n}`);
        const start = change ? performance.now() : 0;
        const timer = setTimeout(() => reject(new Error(`the sweep did not end in ${timeoutMs} ms`)), timeoutMs);
        let left = !change;
        const check = () => {
          if (!done()) left = true;
          else if (left) {
            observer.disconnect();
            clearTimeout(timer);
            resolve(performance.now() - start);
          }
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { subtree: true, childList: true, characterData: true });
        if (change) {
          const input = document.querySelector(`[data-testid=${change.testid}]`);
          input.value = change.value;
          input.dispatchEvent(new Event('change', { bubbles: true }));
        }
        check();
      }),
    { n, timeoutMs, change },
  );
}

async function sweepFigures(browser, server) {
  const world = 'preset=no-jitter&sim.clients=100&sim.calls=10';
  const { page, context, problems } = await open(browser, server, `?${world}&sweep=backoff.base_ms:10..2000:log:20&sweep.seeds=5`);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  // From navigation start: the run workers' wasm loads too.
  const coldMs = await sweepDone(page, 20, 120_000);
  const warmMs = await sweepDone(page, 20, 120_000, { change: { testid: 'sweep-to', value: '2001' } });
  console.log(
    `page (sweep 20 values × 5 seeds × 1,000 calls, ${cores} cores): ${(warmMs / 1000).toFixed(2)} s with the workers loaded, ` +
      `${(coldMs / 1000).toFixed(2)} s from opening the link (target ≤ 3 s)`,
  );
  reportProblems('sweep', problems);
  await context.close();

  // 20 × 5 × 10,000 = 1,000,000 calls: the main thread only draws points.
  // Long tasks count from the sweep's start: a CDP trace
  // (tests/e2e/bench/sweep-trace.mjs) shows the page's start-up (the app's
  // wasm start and first render, then the first layouts: 130 to 200 ms, as
  // long without a sweep in the link) as the only tasks over 50 ms, all before
  // the first point; so the link's sweep warms up, and the figure is a range
  // change's sweep of 1,000,000 calls, the start-up's longest task beside it.
  const big = await openPage(browser);
  await big.page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  await big.page.goto(`${server.url}?preset=no-jitter&sim.clients=1000&sim.calls=10&sweep=backoff.base_ms:10..2000:log:20`);
  const linkMs = await sweepDone(big.page, 20, 600_000);
  await big.page.waitForTimeout(500);
  const startup = await big.page.evaluate(() => window.__longTasks.splice(0));
  const millionMs = await sweepDone(big.page, 20, 600_000, { change: { testid: 'sweep-to', value: '2001' } });
  await big.page.waitForTimeout(500);
  const tasks = await big.page.evaluate(() => window.__longTasks);
  const longest = (tasks) => (tasks.length ? `${Math.max(...tasks).toFixed(0)} ms` : 'none over 50 ms');
  console.log(
    `page (sweep of 1,000,000 calls: 20 × 5 × 10,000): ${(millionMs / 1000).toFixed(1)} s from a range change, ` +
      `longest main-thread task ${longest(tasks)} (${plural(tasks.length, 'long task')}) (target ≤ ${LONG_TASK_TARGET_MS} ms); ` +
      `from the link ${(linkMs / 1000).toFixed(1)} s, the start-up's longest task ${longest(startup)}`,
  );
  reportProblems('sweep 1,000,000', big.problems);
  await big.context.close();
}

const server = await serveDist();
let browser;
try {
  browser = await launchChromium();
  // PAGE_BENCH_ONLY=first-visit|knob|long-task|live: one group of figures.
  const only = process.env.PAGE_BENCH_ONLY;
  const wanted = (group) => !only || only === group;
  if (wanted('first-visit')) await firstVisitFigures(browser);
  if (wanted('knob')) for (const size of KNOB_SIZES) await knobFigures(browser, server, size);
  if (wanted('sweep')) await sweepFigures(browser, server);
  if (wanted('long-task')) await longTaskFigures(browser, server);
  if (wanted('live')) for (const size of LIVE_SIZES) await liveFigures(browser, server, size);
} catch (err) {
  console.error(`page bench: ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser?.close();
  await server.close();
}
