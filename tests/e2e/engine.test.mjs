// End-to-end: the simulation worker and what rides on it, against the release
// build in headless Chromium. A million-call run finishes (and the page stays
// usable meanwhile), runs over the limit are refused where the user meets
// them, a knob moved during a long run replaces it, the trace download holds
// every call, and a big run is drawn as a bounded density view.
//
// Figures (printed, not asserted beyond generous bounds): the 1M-call run's
// duration, the slowest answer of the page during it, and how long a replaced
// run took to give way.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './serve.mjs';
import { fireAndWait } from './app.mjs';
import {
  launchChromium,
  openPage,
  assertNoProblems,
  waitUntil,
  setControl,
  withTimeout,
  downloadText,
} from './browser.mjs';

const TIMEOUT = { timeout: 300_000 };
/** The preset of the long runs: every one of its calls starts and ends within the horizon. */
const PRESET = 'no-idempotency';
const MILLION = `?preset=${PRESET}&mode=simulated&sim.clients=100000&sim.calls=10&seed=42`;
/** The longest a page may take to answer while the worker computes (generous). */
const RESPONSIVE_MS = 1_000;

let server;
let browser;
/** How long the page took for the whole 1M-call run (measured once, by whichever test needs it first). */
let millionRunMs;

before(async () => {
  server = await serveDist();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens the app at `query`; in live mode waits until the service worker controls it. */
async function openApp(query, { live = false } = {}) {
  const opened = await openPage(browser);
  const { page } = opened;
  await page.goto(`${server.url}${query}`, { waitUntil: 'load' });
  if (live) {
    await waitUntil('the service worker to control the page', () =>
      page.evaluate(() => !!navigator.serviceWorker.controller),
    );
  }
  await page.getByTestId('fire-many').waitFor({ state: 'visible' });
  return opened;
}

async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

async function number(page, testId) {
  const t = await text(page, testId);
  const n = Number(t.replace(/[^0-9.]/g, ''));
  assert.ok(t !== '–' && t !== '' && Number.isFinite(n), `${testId} shows a number, not "${t}"`);
  return n;
}

/** The counters as the page shows them. */
async function counters(page) {
  return {
    succeeded: await number(page, 'calls-succeeded'),
    gaveUp: await number(page, 'calls-gave-up'),
    unfinished: await number(page, 'calls-unfinished'),
    requests: await number(page, 'server-requests'),
    dup: await number(page, 'dup-count'),
    amplification: await number(page, 'amplification'),
    p99: await text(page, 'latency-p99'),
  };
}

const callsShown = (c) => c.succeeded + c.gaveUp + c.unfinished;

async function waitDone(page, timeout = 120_000) {
  await waitUntil('the run to finish', async () => (await text(page, 'run-status')) === 'done', { timeout, interval: 50 });
}

/** The full 1M-call run's duration in the page (measured in a page of its own if no test did yet). */
async function millionRun() {
  if (millionRunMs === undefined) {
    const { context, page, problems } = await openApp(MILLION);
    try {
      millionRunMs = await fireAndWait(page, { timeout: 240_000 });
      console.log(`# figure: a 1,000,000-call ${PRESET} run in the page: ${millionRunMs} ms`);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
  return millionRunMs;
}

test('a simulated run of 1,000,000 calls finishes, shows every call, and the page answers meanwhile', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(MILLION);
  try {
    // 100,000 × 10 is exactly the simulated limit, not over it: the page offers the run.
    assert.equal(await page.getByTestId('fire-limit').count(), 0, 'no limit message at the limit');
    assert.equal(await text(page, 'fire-many'), 'Fire 1000000 calls');
    assert.ok(await page.getByTestId('fire-many').isEnabled());

    const started = Date.now();
    await page.getByTestId('fire-many').click();
    let progressSeen = false;
    let slowest = 0;
    let probes = 0;
    let clicks = 0;
    let talk = false;
    for (;;) {
      const t0 = Date.now();
      const status = await withTimeout(
        page.getByTestId('run-status').textContent(),
        RESPONSIVE_MS,
        'reading run-status during the run',
      );
      slowest = Math.max(slowest, Date.now() - t0);
      if (status.trim() === 'done') break;
      assert.equal(status.trim(), 'running');
      if (await page.getByTestId('run-progress').count()) progressSeen = true;
      probes += 1;
      const t1 = Date.now();
      assert.ok(
        (await withTimeout(page.evaluate(() => document.title), RESPONSIVE_MS, 'document.title during the run')).length > 0,
      );
      slowest = Math.max(slowest, Date.now() - t1);
      if (probes % 5 === 0) {
        // A user toggles talk mode mid-run: the click lands and the page follows at once.
        const t2 = Date.now();
        // The header's checkbox opens the stage; the stage's button leaves it.
        await page.getByTestId(talk ? 'talk-exit' : 'talk').click({ timeout: RESPONSIVE_MS });
        talk = !talk;
        await waitUntil(
          'talk mode to follow the click',
          async () => (await page.evaluate(() => document.documentElement.dataset.talk)) === (talk ? '1' : '0'),
          { timeout: RESPONSIVE_MS, interval: 20 },
        );
        slowest = Math.max(slowest, Date.now() - t2);
        clicks += 1;
      }
      assert.ok(Date.now() - started < 240_000, 'the 1M-call run ended within 4 minutes');
      await new Promise((r) => setTimeout(r, 150));
    }
    const ran = Date.now() - started;
    millionRunMs ??= ran;
    // Back from the talk stage to the dashboard, whose counters are read below.
    if (talk) await page.getByTestId('talk-exit').click();
    console.log(
      `# figure: a 1,000,000-call ${PRESET} run in the page: ${ran} ms; ` +
        `${probes} probes and ${clicks} clicks meanwhile, slowest answer ${slowest} ms`,
    );
    assert.ok(probes >= 3, `the run lasted long enough to probe the page (${probes} probes)`);
    assert.ok(clicks >= 1, 'a control was clicked during the run');
    assert.ok(progressSeen, 'the progress bar showed during the run');
    assert.equal(await page.getByTestId('run-progress').count(), 0, 'the progress bar goes when the run ends');

    const shown = await counters(page);
    assert.equal(callsShown(shown), 1_000_000, `succeeded + gave up + unfinished = 1,000,000 (${JSON.stringify(shown)})`);
    assert.ok(shown.requests >= 1_000_000, `every call made a request (${shown.requests})`);
    assert.ok(shown.dup > 0, 'no-idempotency duplicates at a million calls too');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    assert.equal(await page.getByTestId('density').getAttribute('data-attempts'), String(shown.requests));
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('over the limit: Fire is disabled and says why; Space starts nothing', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(`?preset=${PRESET}&mode=simulated&sim.clients=100000&sim.calls=11&seed=42`);
  try {
    const fire = page.getByTestId('fire-many');
    assert.ok(await fire.isDisabled(), 'Fire is disabled over the limit');
    const label = await text(page, 'fire-many');
    assert.doesNotMatch(label, /\d/, `the button offers no run ("${label}")`);
    assert.match(label, /over the limit/);
    const limit = await text(page, 'fire-limit');
    assert.match(limit, /1,?100,?000 calls/, `the message names the run's size: "${limit}"`);
    assert.match(limit, /1,?000,?000/, `the message names the limit: "${limit}"`);

    // One call under the limit, the same page offers the run again; back over, it is refused again.
    await setControl(page, 'sim.calls', 10);
    await waitUntil('Fire to be offered again', async () => (await text(page, 'fire-many')) === 'Fire 1000000 calls');
    assert.ok(await fire.isEnabled());
    assert.equal(await page.getByTestId('fire-limit').count(), 0);
    await setControl(page, 'sim.calls', 11);
    await waitUntil('Fire to be refused again', async () => (await text(page, 'fire-many')) === 'Fire (over the limit)');
    assert.ok(await fire.isDisabled());

    // Space is Fire's shortcut: over the limit it must not start a run either.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Space');
    await new Promise((r) => setTimeout(r, 1_500));
    const after = { status: await text(page, 'run-status'), succeeded: await text(page, 'calls-succeeded'), dup: await text(page, 'dup-count') };
    assert.deepEqual(after, { status: 'idle', succeeded: '–', dup: '–' }, 'Space over the limit starts no run and shows no figures');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('moving knobs during a long run replaces it: the page ends on the new config, without finishing the old', TIMEOUT, async () => {
  const full = await millionRun();
  const { context, page, problems } = await openApp(MILLION);
  let changed;
  let replaced;
  try {
    await page.getByTestId('fire-many').click();
    await page.getByTestId('run-progress').waitFor({ state: 'visible', timeout: 30_000 });
    const progress = Number(await page.getByTestId('run-progress').getAttribute('value'));
    assert.ok(progress < 0.25, `the change comes early in the long run (progress ${progress})`);
    changed = Date.now();
    // Two changes in a row: the second replaces the first's (still 1M-call) rerun too.
    await setControl(page, 'attempts.max', 5);
    await setControl(page, 'calls-count', 30);
    await waitDone(page);
    replaced = await counters(page);
    const tookMs = Date.now() - changed;
    console.log(`# figure: knobs moved at ${(progress * 100).toFixed(1)}% of a 1M-call run; the new 300-call run was done ${tookMs} ms later (the full run takes ${full} ms)`);
    assert.ok(
      tookMs < full / 2,
      `the old runs were dropped: done ${tookMs} ms after the change; finishing the old run alone takes about ${Math.round(full * (1 - progress))} ms`,
    );
    assert.equal(callsShown(replaced), 300, `the counters are the 300-call run's (${JSON.stringify(replaced)})`);
    assert.ok(replaced.amplification <= 5, `amplification ${replaced.amplification} ≤ attempts.max 5`);
    assert.equal(await page.getByTestId('attempts.max').inputValue(), '5');
    assert.equal(await page.getByTestId('calls-count').inputValue(), '30');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }

  // The same config fired fresh gives the same figures (one seed, one run).
  const fresh = await openApp(`?preset=${PRESET}&mode=simulated&sim.clients=30&sim.calls=10&attempts.max=5&seed=42`);
  try {
    await fireAndWait(fresh.page, { timeout: 120_000 });
    assert.deepEqual(await counters(fresh.page), replaced);
    assertNoProblems(fresh.problems);
  } finally {
    await fresh.context.close();
  }
});

/** Checks a downloaded trace against the calls fired and the counters shown. */
function checkTrace(json, calls, shown) {
  const trace = JSON.parse(json);
  assert.ok(Array.isArray(trace.calls), 'the trace has a calls array');
  assert.equal(trace.calls.length, calls, 'one entry per logical call fired');
  const ids = new Set();
  let attempts = 0;
  for (const call of trace.calls) {
    assert.ok(Number.isInteger(call.id), `every call has an id (${JSON.stringify(call).slice(0, 120)})`);
    ids.add(call.id);
    assert.ok(Array.isArray(call.attempts) && call.attempts.length >= 1, `call ${call.id} lists its attempts`);
    for (const a of call.attempts) {
      assert.ok(Number.isInteger(a.planned_ms) && Number.isInteger(a.start_ms), `call ${call.id} attempt ${a.attempt} has planned_ms and start_ms`);
      assert.ok(a.planned_ms <= a.start_ms, `call ${call.id} attempt ${a.attempt} started before it was planned (${a.planned_ms} > ${a.start_ms})`);
    }
    attempts += call.attempts.length;
  }
  assert.equal(ids.size, calls, 'call ids are unique');
  const s = trace.summary;
  assert.equal(s.calls, calls);
  assert.equal(s.attempts, attempts, "the summary counts the file's attempts");
  const gaveUp = Object.values(s.gave_up).reduce((a, b) => a + b, 0);
  assert.deepEqual(
    { succeeded: s.succeeded, gaveUp, unfinished: s.unfinished, requests: s.server_requests, dup: s.duplicates },
    { succeeded: shown.succeeded, gaveUp: shown.gaveUp, unfinished: shown.unfinished, requests: shown.requests, dup: shown.dup },
    'the file says what the counters show',
  );
  return trace;
}

test('the trace download holds every call of a simulated run bigger than its lanes, and of a live run', TIMEOUT, async () => {
  const sim = await openApp(`?preset=${PRESET}&mode=simulated&sim.clients=30&sim.calls=10&seed=42`);
  try {
    const { page } = sim;
    await fireAndWait(page, { timeout: 120_000 });
    const lanes = await page.locator('[data-testid="timeline-lane"]').count();
    assert.ok(lanes > 0 && lanes < 300, `the page keeps fewer lanes (${lanes}) than the 300 calls`);
    const shown = await counters(page);
    assert.equal(callsShown(shown), 300);
    const { name, text: json } = await downloadText(page, () => page.getByTestId('download-trace').click());
    assert.match(name, /\.json$/);
    const trace = checkTrace(json, 300, shown);
    assert.equal(trace.seed, 42);
    console.log(`# figure: simulated trace download of 300 calls: ${json.length} bytes`);
    assertNoProblems(sim.problems);
  } finally {
    await sim.context.close();
  }

  const live = await openApp(`?preset=${PRESET}&mode=live&sim.clients=3&sim.calls=2&seed=42`, { live: true });
  try {
    const { page } = live;
    await waitUntil('Fire to be enabled', () => page.getByTestId('fire-many').isEnabled());
    await fireAndWait(page, { timeout: 60_000 });
    const shown = await counters(page);
    assert.equal(callsShown(shown), 6);
    const { text: json } = await downloadText(page, () => page.getByTestId('download-trace').click());
    checkTrace(json, 6, shown);
    assertNoProblems(live.problems);
  } finally {
    await live.context.close();
  }
});

test('a 30,000-call run shows every attempt in the density view and keeps the DOM bounded', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(`?preset=${PRESET}&mode=simulated&sim.clients=3000&sim.calls=10&seed=42`);
  try {
    const ms = await fireAndWait(page, { timeout: 120_000 });
    console.log(`# figure: a 30,000-call run in the page: ${ms} ms`);
    const shown = await counters(page);
    assert.equal(callsShown(shown), 30_000);
    const density = page.getByTestId('density');
    await density.waitFor({ state: 'visible' });
    const attempts = Number(await density.getAttribute('data-attempts'));
    assert.ok(attempts > 30_000, `the density view counts every attempt (${attempts}), retries included`);
    // Every attempt of this preset is one POST: attempts = server requests.
    assert.equal(attempts, shown.requests);
    assert.ok(Math.abs(attempts / 30_000 - shown.amplification) < 0.006, `amplification ${shown.amplification} = attempts / calls`);
    const lanes = await page.locator('[data-testid="timeline-lane"]').count();
    assert.ok(lanes <= 200, `at most 200 lanes in detail (${lanes})`);
    const elements = await page.evaluate(() => document.getElementsByTagName('*').length);
    console.log(`# figure: DOM elements after a 30,000-call run: ${elements}`);
    assert.ok(elements < 8_000, `the DOM stays bounded (${elements} elements)`);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
