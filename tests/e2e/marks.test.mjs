// End-to-end: pictures that carry the lesson. Every call is visible (a lane
// per call up to 200, the density view whenever fewer lanes than calls are
// drawn); on the talk stage at 1280×720 the lanes are at least 12 px tall,
// bars and marks at least 4 px wide, the axis ends just past the data; and
// the mechanism is marked on the picture: duplicate creates, breaker bands,
// fail-fasts, layer brackets, outages and the server's capacity. Against the
// release build in headless Chromium; writes docs/stage-marks-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { serveDist, repoRoot } from './serve.mjs';
import { launchChromium, assertNoProblems } from './browser.mjs';
import { openApp, fireAndWait, number, injectAxe } from './app.mjs';

const TIMEOUT = { timeout: 240_000 };
const require = createRequire(import.meta.url);
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

const panel = (side, scope = '') => `${scope} [data-testid="timeline-panel-${side}"]`.trim();

/** What one side's timeline draws: lanes, their duplicates, marks, the axis. */
function timeline(page, side = 'a', scope = '') {
  return page.locator(panel(side, scope)).evaluate((el) => {
    const all = (sel) => [...el.querySelectorAll(sel)];
    const svg = el.querySelector('svg.timeline');
    const viewBoxHeight = svg.viewBox.baseVal.height;
    const lanes = all('[data-testid="timeline-lane"]');
    const times = [];
    for (const lane of lanes) {
      for (const key of ['startMs', 'endMs']) if (lane.dataset[key]) times.push(Number(lane.dataset[key]));
      // A call still unfinished is drawn (hung) until the run's end.
      if (!lane.dataset.endMs) times.push(Number(el.dataset.runEndMs));
    }
    for (const bar of all('[data-testid="attempt-bar"]')) {
      times.push(Number(bar.dataset.startMs));
      if (bar.dataset.endMs) times.push(Number(bar.dataset.endMs));
    }
    for (const sleep of all('[data-testid="sleep"]')) times.push(Number(sleep.dataset.untilMs));
    // An outage or spike the lesson is about is on the axis too (cut at the run's end).
    for (const band of all('[data-testid="outage-band"], [data-testid="spike-band"]')) {
      times.push(Math.min(Number(band.dataset.untilMs), Number(el.dataset.runEndMs)));
    }
    const widths = (sel) => all(sel).map((e) => e.getBoundingClientRect().width);
    return {
      lanes: lanes.length,
      lanesAttr: Number(el.dataset.lanes),
      laneTopsPx: lanes.map((l) => l.getBoundingClientRect().top),
      lanePx: Number(el.dataset.laneUnits) * (svg.getBoundingClientRect().height / viewBoxHeight),
      duplicatesOnLanes: lanes.reduce((n, l) => n + Number(l.dataset.duplicates ?? 0), 0),
      dupMarks: all('[data-testid="dup-mark"]').map((m) => ({
        title: m.querySelector('title')?.textContent ?? '',
        label: m.getAttribute('aria-label') ?? '',
        tabindex: m.getAttribute('tabindex'),
        laneDuplicates: Number(m.closest('[data-testid="timeline-lane"]')?.dataset.duplicates ?? 0),
        item: m.dataset.item,
      })),
      breakerBands: all('[data-testid="breaker-band"]').length,
      failFast: all('[data-testid="fail-fast-mark"]').map((m) => m.dataset.why),
      failFastWidths: widths('[data-testid="fail-fast-mark"]'),
      barWidths: widths('[data-testid="attempt-bar"]'),
      layerDepths: [...new Set(all('[data-testid="layer-row"]').map((r) => Number(r.dataset.depth)))].sort(),
      outageBands: all('[data-testid="outage-band"]').length,
      axisMs: Number(el.dataset.axisMs),
      lastEventMs: Math.max(0, ...times),
      density: !!el.querySelector('[data-testid="density"]'),
      caption: el.querySelector('h2')?.textContent ?? '',
    };
  });
}

/** axe-core finds nothing wrong with the marks in this theme (contrast, names of focusable marks). */
async function assertAxeClean(page, name) {
  await injectAxe(page, require.resolve('axe-core/axe.min.js'));
  const violations = await page.evaluate(async () => {
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${v.help}`));
  });
  assert.deepEqual(violations, [], `axe-core on ${name}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function openStage(query, colorScheme = 'light') {
  const opened = await openApp(browser, `${server.url}${query}&talk=1`, { viewport: STAGE, colorScheme });
  await opened.page.getByTestId('stage').waitFor({ state: 'visible' });
  return opened;
}

/** Both sides of a stage (B only when comparing). */
async function stageSides(page) {
  const sides = { a: await timeline(page, 'a', '[data-testid="stage"]') };
  if ((await page.locator(panel('b', '[data-testid="stage"]')).count()) > 0) {
    sides.b = await timeline(page, 'b', '[data-testid="stage"]');
  }
  return sides;
}

/** Readable from the back of the room: tall lanes, wide marks, a tight shared axis. */
function assertReadable(name, sides) {
  const last = Math.max(...Object.values(sides).map((s) => s.lastEventMs));
  for (const [side, s] of Object.entries(sides)) {
    assert.ok(s.lanes > 0, `${name} ${side}: lanes drawn`);
    assert.ok(s.lanePx >= 12, `${name} ${side}: lanes ${s.lanePx.toFixed(1)} px tall`);
    const gaps = s.laneTopsPx.slice(1).map((t, i) => t - s.laneTopsPx[i]).filter((g) => g > 0);
    if (gaps.length > 0) assert.ok(median(gaps) >= 11.5, `${name} ${side}: median lane pitch ${median(gaps)} px`);
    const narrow = [...s.barWidths, ...s.failFastWidths].filter((w) => w < 3.95);
    assert.deepEqual(narrow, [], `${name} ${side}: every bar and mark is at least 4 px wide`);
    assert.ok(s.axisMs >= last && s.axisMs <= last * 1.1 + 1,
      `${name} ${side}: the axis ends at ${s.axisMs} ms, the last event is at ${last} ms`);
    assert.equal(s.axisMs, sides.a.axisMs, `${name}: both sides share the axis`);
  }
}

test('the dashboard draws a lane per call up to 200, and the density view when it draws fewer', TIMEOUT, async () => {
  const { context, page, problems } = await openApp(browser,
    `${server.url}?mode=simulated&sim.clients=30&sim.calls=5&endpoint.fault.503=0.3&seed=42`);
  try {
    await fireAndWait(page);
    const small = await timeline(page);
    assert.equal(small.lanes, 150, '150 calls, 150 lanes');
    assert.equal(small.density, false, 'every call has its lane: no density view needed');

    await page.goto(`${server.url}?mode=simulated&sim.clients=1000&sim.calls=5&endpoint.fault.503=0.3&seed=42`, { waitUntil: 'load' });
    await page.getByTestId('fire-many').waitFor({ state: 'visible' });
    await fireAndWait(page);
    const big = await timeline(page);
    assert.equal(big.lanes, 200, 'the first 200 of 5,000 calls in detail');
    assert.ok(big.density, 'fewer lanes than calls: the density view of every attempt shows too');
    assert.match(big.caption, /the first 200 in detail/);
    const attempts = Number(await page.getByTestId('density').getAttribute('data-attempts'));
    assert.equal(attempts, await number(page, 'server-requests'));
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('blind retries: a diamond on each attempt that created an item again, named on hover and focus', TIMEOUT, async () => {
  // The dashboard draws all 100 calls: one mark per duplicate the server counted.
  for (const mode of ['simulated', 'live']) {
    const { context, page } = await openApp(browser, `${server.url}?preset=blind-retries&mode=${mode}&seed=3`);
    try {
      await fireAndWait(page);
      const a = await timeline(page);
      const duplicates = await number(page, 'dup-count');
      assert.equal(a.lanes, 100, mode);
      assert.ok(duplicates > 0, `${mode}: the lesson makes duplicates`);
      assert.equal(a.dupMarks.length, duplicates, `${mode}: a mark per duplicate create`);
      await assertAxeClean(page, `blind retries, ${mode}`);
    } finally {
      await context.close();
    }
  }
  // The stage: as many marks as duplicates among the lanes it draws.
  const { context, page, problems } = await openStage('?preset=blind-retries&mode=simulated&seed=3');
  try {
    await fireAndWait(page);
    const sides = await stageSides(page);
    const a = sides.a;
    assert.ok(a.duplicatesOnLanes >= 1, `A's drawn lanes hold duplicates (${a.duplicatesOnLanes})`);
    assert.equal(a.dupMarks.length, a.duplicatesOnLanes);
    for (const m of a.dupMarks) {
      assert.ok(m.laneDuplicates > 0, 'a mark sits on the lane of the call that created twice');
      assert.equal(m.tabindex, '0');
      assert.ok(m.title.includes(m.item) && m.label.includes(m.item), `the mark names the item: ${m.title}`);
    }
    assertReadable('blind-retries', sides);
    await page.locator('[data-testid="timeline-panel-a"] [data-testid="dup-mark"]').first().focus();
    await page.screenshot({ path: path.join(repoRoot, 'docs', 'stage-marks-blind-retries.png') });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('circuit breaker: bands while it is open, an X for each call that failed fast, a label where it opens', TIMEOUT, async () => {
  for (const colorScheme of ['light', 'dark']) {
    const { context, page, problems } = await openStage('?preset=circuit-breaker&seed=1', colorScheme);
    try {
      await fireAndWait(page);
      const sides = await stageSides(page);
      const a = sides.a;
      assert.ok(a.breakerBands >= 1, `A shows the breaker's bands (${a.breakerBands})`);
      assert.ok(a.failFast.length >= 1 && a.failFast.every((w) => w === 'breaker_open'),
        `A's lanes mark the calls that failed fast: ${a.failFast.join(' ')}`);
      assert.ok(a.outageBands >= 1, 'the outage shows behind the lanes');
      assert.ok(await page.getByTestId('breaker-open-label').isVisible(), 'the load chart says where a breaker opens');
      assert.ok((await page.locator('[data-testid="load-chart"] [data-testid="outage-band"]').count()) >= 1);
      assertReadable(`circuit-breaker (${colorScheme})`, sides);
      await assertKeysInside(page);
      await assertAxeClean(page, `circuit breaker stage, ${colorScheme}`);
      await page.screenshot({ path: path.join(repoRoot, 'docs', `stage-marks-circuit-breaker-${colorScheme}.png`) });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
});

test('layered retries: brackets at three depths, so 3 × 3 × 3 can be counted', TIMEOUT, async () => {
  const { context, page, problems } = await openStage('?preset=layered-retries&seed=1');
  try {
    await fireAndWait(page);
    const sides = await stageSides(page);
    assert.deepEqual(sides.a.layerDepths, [0, 1, 2]);
    assertReadable('layered-retries', sides);
    await page.screenshot({ path: path.join(repoRoot, 'docs', 'stage-marks-layered-retries.png') });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('a retry storm: the outage and the server capacity on the load chart, its key in rows of its own', TIMEOUT, async () => {
  const { context, page, problems } = await openStage('?preset=metastable-storm&seed=1');
  try {
    await fireAndWait(page, { timeout: 180_000 });
    const chart = page.locator('[data-testid="stage"] [data-testid="load-chart"]');
    assert.ok((await chart.locator('[data-testid="outage-band"]').count()) >= 1, 'the outage is banded');
    assert.equal(await chart.locator('[data-testid="capacity-line"]').count(), 1, "the server's capacity is a line");
    await assertKeysInside(page);
    assertReadable('metastable-storm', await stageSides(page));
    await page.screenshot({ path: path.join(repoRoot, 'docs', 'stage-marks-metastable-storm.png') });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

/** The load chart's keys lie inside the chart and above its plot (no curve under them). */
async function assertKeysInside(page) {
  const boxes = await page.locator('[data-testid="stage"] [data-testid="load-chart"]').evaluate((svg) => {
    const chart = svg.getBoundingClientRect();
    const plotTop = Math.min(...[...svg.querySelectorAll('path, rect.arrivals')]
      .map((e) => e.getBoundingClientRect())
      .filter((r) => r.height > 0)
      .map((r) => r.top));
    const keys = [...svg.querySelectorAll('text.key')].map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent, left: r.left, right: r.right, bottom: r.bottom };
    });
    return { chart: { left: chart.left, right: chart.right }, plotTop, keys };
  });
  assert.ok(boxes.keys.length >= 1);
  for (const k of boxes.keys) {
    assert.ok(k.left >= boxes.chart.left - 1 && k.right <= boxes.chart.right + 1, `key "${k.text}" runs off the chart`);
    assert.ok(k.bottom <= boxes.plotTop + 2, `key "${k.text}" sits on the curves (${k.bottom} > ${boxes.plotTop})`);
  }
}
