// End-to-end: the Sweep panel and the profiles chart against the release
// build. A linked sweep computes one point per value in the run workers; a
// click on a point sets that knob on A; the profiles chart shows every
// library profile, its front marked, and a click loads one as B; the views
// with a sweep pass axe-core; no CSP violation on the way.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serveDist } from './serve.mjs';
import { launchChromium, waitUntil, assertNoProblems } from './browser.mjs';
import { openApp, injectAxe } from './app.mjs';

const require = createRequire(import.meta.url);
const TIMEOUT = { timeout: 180_000 };
const SWEEP = '?preset=no-jitter&sweep=backoff.base_ms:10..1000:log:8';

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

/** The `data-value`s of side `side`'s points, in order. */
function pointValues(page, side) {
  return page.evaluate(
    (side) => [...document.querySelectorAll(`[data-testid="sweep-point"][data-side="${side}"]`)].map((p) => p.dataset.value),
    side,
  );
}

/** Waits until every point of the sweep is in. */
async function waitForPoints(page, side, n) {
  return waitUntil(`${n} sweep points for ${side}`, async () => {
    const values = await pointValues(page, side);
    return values.length === n && values;
  }, { timeout: 60_000 });
}

async function axeLines(page) {
  await injectAxe(page, require.resolve('axe-core/axe.min.js'));
  const violations = await page.evaluate(async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}: ${v.help}`)).flat());
  for (const line of violations) console.log(`# axe: ${line}`);
  return violations;
}

test('a linked sweep shows 8 points for A; a click sets A\'s backoff.base_ms', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(browser, `${server.url}${SWEEP}`);
  try {
    const chart = page.getByTestId('sweep-chart');
    await chart.waitFor({ state: 'visible' });
    const values = await waitForPoints(page, 'a', 8);
    assert.deepEqual(values, ['10', '19', '37', '72', '139', '268', '518', '1000']);
    // The lesson has a B (its "try next"): B's curve too, on the same values.
    assert.deepEqual(await waitForPoints(page, 'b', 8), values);
    assert.match(await page.getByTestId('sweep-progress').textContent(), /8 of 8/);
    // Each point's band: a whisker from lo to hi around the mean.
    const band = await page.locator('[data-testid="sweep-curve-a"] path.band').getAttribute('d');
    assert.ok(band?.startsWith('M') && band.endsWith('Z'), `band path ${band}`);

    await page.locator('[data-testid="sweep-point"][data-side="a"][data-value="139"]').click();
    const base = page.locator('[data-testid="side-a-knobs"] [data-testid="backoff.base_ms"]');
    await waitUntil('A\'s backoff.base_ms to be 139', async () => (await base.inputValue()) === '139');
    await waitUntil('the URL to say it', () => page.evaluate(() => location.search.includes('backoff.base_ms=139')));
    // A click does not recompute the sweep: its points stay.
    assert.equal((await pointValues(page, 'a')).length, 8);
    assert.equal(await axeLines(page).then((l) => l.length), 0, 'axe-core: the view with a sweep');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('comparing, both sides get a curve; a click on B sets B\'s knob', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(browser, `${server.url}${SWEEP}&b.jitter.kind=full&sweep.seeds=3`);
  try {
    await waitForPoints(page, 'a', 8);
    await waitForPoints(page, 'b', 8);
    await page.locator('[data-testid="sweep-point"][data-side="b"][data-value="37"]').click();
    const base = page.locator('[data-testid="side-b-knobs"] [data-testid="b.backoff.base_ms"]');
    await waitUntil('B\'s backoff.base_ms to be 37', async () => (await base.inputValue()) === '37');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

/** Each profile's dot: its id, where it is drawn and whether it is marked on the front. */
function profileDots(page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="profile-point"]')].map((p) => {
    const dot = p.querySelector('circle.dot');
    return { id: p.dataset.id, cx: Number(dot.getAttribute('cx')), cy: Number(dot.getAttribute('cy')), front: p.dataset.front === '1' };
  }));
}

/** The ids on the Pareto front of the drawn dots, computed here from their
 * positions: `xLower`/`yLower` say whether the measure is better lower (SVG's
 * y grows down, so a higher value is a smaller cy). */
function frontOf(dots, xLower, yLower) {
  const bx = (d) => (xLower ? -d.cx : d.cx);
  const by = (d) => (yLower ? d.cy : -d.cy);
  return dots.filter((d) => !dots.some((q) => bx(q) >= bx(d) && by(q) >= by(d) && (bx(q) > bx(d) || by(q) > by(d))))
    .map((d) => d.id).sort();
}

const marked = (dots) => dots.filter((d) => d.front).map((d) => d.id).sort();

// Every library profile: 11 when the sweep came, 12 since lib-aws-adaptive.
const PROFILES = 12;

test('the profiles chart shows every profile, the front of the picked pair marked; a click loads one as B', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(browser, `${server.url}?preset=no-jitter`);
  try {
    await page.getByTestId('profiles-run').click();
    const ids = await waitUntil(`${PROFILES} profile points`, async () => {
      const ids = await page.evaluate(() => [...document.querySelectorAll('[data-testid="profile-point"]')].map((p) => p.dataset.id));
      return ids.length === PROFILES && ids;
    }, { timeout: 90_000 });
    assert.ok(ids.every((id) => id.startsWith('lib-')), ids.join(', '));
    // By default p99 (lower is better) up against amplification (lower) across.
    const p99 = await profileDots(page);
    const p99Front = marked(p99);
    assert.ok(p99Front.length >= 1 && p99Front.length < PROFILES, `${p99Front} on the front`);
    assert.deepEqual(p99Front, frontOf(p99, true, true), 'the front of (amplification, p99)');

    // Success rate (higher is better) up: the same profiles, the front recomputed.
    await page.getByTestId('profiles-y').selectOption('success_rate');
    await waitUntil('the URL to keep the pair', () => page.evaluate(() => location.search.includes('profiles.y=success_rate')));
    await waitUntil('the chart to show success rate', async () => (await page.getByTestId('profiles-chart').getAttribute('aria-label')).includes('success rate against'));
    const success = await profileDots(page);
    assert.equal(success.length, PROFILES);
    const successFront = marked(success);
    console.log(`# front of (amplification, p99): ${p99Front.join(', ')}; of (amplification, success rate): ${successFront.join(', ')}`);
    assert.deepEqual(successFront, frontOf(success, true, false), 'the front of (amplification, success rate)');
    assert.notDeepEqual(successFront, p99Front, 'this world\'s two fronts differ');

    await page.locator('[data-testid="profile-point"][data-id="lib-grpc"] circle.hit').click();
    await page.getByTestId('side-b-knobs').waitFor({ state: 'visible' });
    await waitUntil('B in the URL', () => page.evaluate(() => location.search.includes('b.')));
    assert.equal(await axeLines(page).then((l) => l.length), 0, 'axe-core: the profiles chart');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('the talk stage shows the sweep in place of the timelines', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(browser, `${server.url}${SWEEP}&talk=1`);
  try {
    await page.getByTestId('stage').waitFor({ state: 'visible' });
    await waitForPoints(page, 'a', 8);
    assert.equal(await page.locator('[data-testid="stage"] [data-testid="sweep-chart"]').count(), 1);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
