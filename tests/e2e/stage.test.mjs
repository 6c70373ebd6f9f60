// End-to-end: comparing two policies on one world, the talk stage at
// 1280×720, the keyboard a speaker uses (a deck, a clicker, shortcuts after
// a mouse click), the replay, and honest numbers. Against the release build
// in headless Chromium; every check reads what the page shows.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serveDist, repoRoot } from './serve.mjs';
import { launchChromium, openPage, assertNoProblems, waitUntil, setControl } from './browser.mjs';
import { fireAndWait } from './app.mjs';

const TIMEOUT = { timeout: 180_000 };
const STAGE = { width: 1280, height: 720 };
let server;
let browser;

before(async () => {
  server = await serveDist();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openApp(query, { viewport, colorScheme } = {}) {
  const opened = await openPage(browser, viewport ? { viewport } : {});
  if (colorScheme) await opened.page.emulateMedia({ colorScheme });
  await opened.page.goto(`${server.url}${query}`, { waitUntil: 'load' });
  await waitUntil('Fire to be enabled', () => opened.page.getByTestId('fire-many').isEnabled());
  return opened;
}

const text = async (scope, testId) => (await scope.getByTestId(testId).first().textContent()).trim();

async function number(scope, testId) {
  const t = await text(scope, testId);
  const n = Number(t.replace(/[^0-9.]/g, ''));
  assert.ok(t !== '–' && Number.isFinite(n), `${testId} shows a number, not "${t}"`);
  return n;
}

test('a comparison from the URL shows both sets of counters and B\'s change, in simulated and live mode', TIMEOUT, async () => {
  for (const mode of ['simulated', 'live']) {
    const query = `?mode=${mode}&sim.clients=${mode === 'live' ? 8 : 60}&endpoint.fault.503=0.4&attempts.max=4&backoff.base_ms=20&b.attempts.max=1`;
    const { context, page, problems } = await openApp(query);
    try {
      // B's knob is marked where it differs from A, and only there.
      const marked = page.locator('[data-testid="side-b-knobs"] [data-differs="1"]');
      assert.equal(await marked.count(), 1);
      assert.match(await marked.textContent(), /attempts\.max/);
      assert.equal(await page.getByTestId('b.attempts.max').inputValue(), '1');
      await fireAndWait(page);
      const a = page.getByTestId('side-a');
      const b = page.getByTestId('side-b');
      const aRequests = await number(a, 'server-requests');
      const bRequests = await number(b, 'server-requests');
      const calls = mode === 'live' ? 8 : 60;
      assert.equal(bRequests, calls, `${mode}: B (one attempt) sends one request per call`);
      assert.ok(aRequests > bRequests, `${mode}: A retries (${aRequests} > ${bRequests})`);
      // The change says its direction and verdict in words, not only in colour.
      const change = await text(b, 'change-server-requests');
      assert.match(change, /lower than A, better/, change);
      assert.match(await text(b, 'change-calls-succeeded'), /lower than A, worse/);
      // Both timelines share one time axis, both load curves one chart.
      assert.equal(await page.locator('[data-testid^="timeline-panel-"]').count(), 2);
      assert.equal(await page.getByTestId('load-chart').getAttribute('data-sides'), '2');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
});

test('identical A and B give identical figures (same world), and B is edited like A', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?mode=simulated&sim.clients=40&endpoint.fault.503=0.3&jitter.kind=full&compare=1');
  try {
    await fireAndWait(page);
    const figures = ['calls-succeeded', 'server-requests', 'latency-p99', 'amplification'];
    for (const id of figures) {
      assert.equal(await text(page.getByTestId('side-b'), id), await text(page.getByTestId('side-a'), id), id);
      assert.equal(await text(page.getByTestId('side-b'), `change-${id}`), 'same as A');
    }
    // Jitter moves only timing: on the same world (each call's faults drawn by
    // its identity) the calls make the same attempts, so the requests stay equal.
    await setControl(page, 'b.jitter.kind', 'none');
    await waitUntil('the URL to carry B', async () => page.url().includes('b.jitter.kind=none'));
    await waitUntil('B rerun with its timing', async () => (await text(page.getByTestId('side-b'), 'change-latency-p99')) !== 'same as A');
    assert.equal(await text(page.getByTestId('side-b'), 'change-server-requests'), 'same as A');
    await setControl(page, 'b.attempts.max', 1);
    await waitUntil('B rerun with one attempt', async () => /lower than A/.test(await text(page.getByTestId('side-b'), 'change-server-requests')));
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

/** Font size in screen pixels of an SVG/HTML text element (its CSS size times the drawing's scale). */
async function screenFontPx(locator) {
  return locator.evaluate((el) => {
    const css = parseFloat(getComputedStyle(el).fontSize);
    const ctm = el.getScreenCTM ? el.getScreenCTM() : null;
    return css * (ctm ? Math.hypot(ctm.a, ctm.b) : 1);
  });
}

async function inside(page, locator, what) {
  const box = await locator.boundingBox();
  assert.ok(box, `${what} is shown`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= STAGE.width + 0.5 && box.y + box.height <= STAGE.height + 0.5,
    `${what} lies inside 1280×720: ${JSON.stringify(box)}`);
}

test('the talk stage fits 1280×720: title, headline numbers for A and B, timelines and load chart, big type', TIMEOUT, async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, page, problems } = await openApp('?preset=no-jitter&talk=1', { viewport: STAGE, colorScheme });
    try {
      await fireAndWait(page);
      await inside(page, page.getByTestId('stage-title'), 'the lesson title');
      const title = page.getByTestId('stage-title');
      assert.ok((await title.evaluate((el) => el.getClientRects().length)) === 1, 'the title is one line');
      for (const id of ['headline-a', 'headline-b']) {
        await inside(page, page.getByTestId(id), id);
        const px = await screenFontPx(page.getByTestId(id));
        assert.ok(px >= 48, `${id} is ${px} px (at least 48)`);
        assert.notEqual(await text(page, id), '–');
      }
      assert.match(await text(page, 'headline-change'), /lower than A, better/, 'full jitter lowers p99');
      for (const svg of await page.locator('[data-testid="stage"] svg.timeline').all()) await inside(page, svg, 'a timeline');
      // Each timeline fills its panel (the stage measures the room): its lanes end near the panel's bottom.
      for (const panel of await page.locator('[data-testid="stage"] .timeline-panel').all()) {
        const [svg, box] = [await panel.locator('svg.timeline').boundingBox(), await panel.boundingBox()];
        const gap = box.y + box.height - (svg.y + svg.height);
        assert.ok(gap >= 0 && gap <= 40, `a timeline ends ${gap.toFixed(0)} px above its panel's bottom (0 to 40)`);
      }
      await inside(page, page.getByTestId('load-chart'), 'the load chart');
      for (const t of await page.locator('[data-testid="stage"] svg text').all()) {
        const px = await screenFontPx(t);
        assert.ok(px >= 19.5, `chart text "${await t.textContent()}" is ${px.toFixed(1)} px (at least 20)`);
      }
      const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
      assert.deepEqual(scroll, [STAGE.width, STAGE.height], 'no scrolling');
      // The knobs wait in a drawer.
      assert.equal(await page.getByTestId('attempts.max').count(), 0);
      await page.getByTestId('drawer-toggle').click();
      assert.ok(await page.getByTestId('attempts.max').isVisible());
      await page.getByTestId('drawer-close').click();
      assert.equal(await page.getByTestId('drawer').count(), 0);
      await page.screenshot({ path: path.join(repoRoot, 'docs', `stage-${colorScheme}.png`) });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
});

test('shortcuts work whatever has focus except text entry; ←/→ walk the URL\'s deck and clear the old figures', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=no-jitter&deck=no-jitter,full-jitter,circuit-breaker');
  try {
    // A select clicked with the mouse, then Space: the run starts.
    await page.getByTestId('jitter.kind').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Space');
    await waitUntil('Space to fire', async () => (await text(page, 'run-status')) === 'done');
    assert.notEqual(await text(page, 'dup-count'), '–');
    // A number field keeps its keys: typing digits does not pick a lesson.
    await page.getByTestId('seed').click();
    await page.keyboard.press('End');
    await page.keyboard.type('3');
    assert.equal(await page.getByTestId('preset').inputValue(), 'no-jitter');
    await page.getByTestId('fire-many').click();
    // → walks the deck from the URL; the old lesson's figures go.
    await page.keyboard.press('ArrowRight');
    await waitUntil('the next lesson of the deck', async () => (await page.getByTestId('preset').inputValue()) === 'full-jitter');
    assert.equal(await text(page, 'run-status'), 'idle');
    assert.equal(await text(page.getByTestId('side-a'), 'calls-succeeded'), '–', 'no figures of the old lesson');
    await page.keyboard.press('ArrowRight');
    await waitUntil('the third lesson', async () => (await page.getByTestId('preset').inputValue()) === 'circuit-breaker');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByTestId('preset').inputValue(), 'circuit-breaker', 'the deck ends there');
    await page.keyboard.press('ArrowLeft');
    await waitUntil('back', async () => (await page.getByTestId('preset').inputValue()) === 'full-jitter');
    await waitUntil('the URL to keep the deck', async () => page.url().includes('deck=no-jitter%2Cfull-jitter%2Ccircuit-breaker'));
    // A lesson opens in the mode that shows it.
    assert.equal(await page.getByTestId('mode').inputValue(), 'simulated');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('replay: play, pause, speed and a cursor that the counters and the charts follow', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=no-jitter');
  try {
    await fireAndWait(page);
    const a = page.getByTestId('side-a');
    const total = await number(a, 'server-requests');
    await page.getByTestId('replay-speed').selectOption('1');
    await page.getByTestId('replay-play').click();
    await waitUntil('the cursor to move', async () => /\d/.test(await text(page, 'replay-time')) && !(await text(page, 'replay-time')).startsWith('0 ms'));
    await page.getByTestId('replay-play').click(); // pause
    const paused = await text(page, 'replay-time');
    const soFar = await number(a, 'server-requests');
    assert.ok(soFar < total, `server requests follow the cursor (${soFar} of ${total})`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await text(page, 'replay-time'), paused, 'a paused replay stays');
    // The cursor set by hand: the start shows nothing yet, the end everything.
    await setControl(page, 'replay-cursor', 0);
    await waitUntil('the counters at the start', async () => (await number(a, 'server-requests')) === 0);
    const span = Number(await page.getByTestId('replay-cursor').getAttribute('max'));
    await setControl(page, 'replay-cursor', span);
    await waitUntil('the counters at the end', async () => (await number(a, 'server-requests')) === total);
    await page.getByTestId('replay-stop').click();
    assert.equal(await text(page, 'replay-time'), 'whole run');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('honest numbers: hung calls drawn to the horizon, percentiles say what they include, give-ups in words with their share', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=no-timeout');
  try {
    await fireAndWait(page);
    const unfinished = await number(page, 'calls-unfinished');
    assert.ok(unfinished > 0);
    const hung = page.locator('[data-testid="attempt-bar"][data-outcome="hung"]');
    assert.ok((await hung.count()) > 0, 'hung attempts are drawn');
    const width = Number(await hung.first().getAttribute('width'));
    assert.ok(width > 100, `a hung attempt reaches the horizon (${width} units wide)`);
    assert.match(await text(page, 'latency-scope'), new RegExp(`${unfinished} unfinished not included`));
  } finally {
    await context.close();
  }
  const storm = await openApp('?preset=infinite-retries&attempts.max=5');
  try {
    await fireAndWait(storm.page);
    assert.match(await text(storm.page, 'gave-up-reasons'), /attempts exhausted: [\d,]+ \(\d+\.\d%\)/);
    assertNoProblems(storm.problems);
  } finally {
    await storm.context.close();
  }
});
