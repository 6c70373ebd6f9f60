// End-to-end: which calls get a lane. The dashboard draws all 100 calls of
// the no-jitter lesson; the talk stage draws as many tall lanes as fit, and
// the lesson's tail (its p99) is in calls past those, so start order does not
// draw it there. A lesson about a tail opens "slowest first", on the
// dashboard and on the talk stage; the picker switches to start order, and a
// link keeps the choice (`lanes=`).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './serve.mjs';
import { launchChromium, waitUntil } from './browser.mjs';
import { openApp, fireAndWait, number, text, waitUntilUsable } from './app.mjs';

const TIMEOUT = { timeout: 180_000 };

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

/** `{ call, took }` of each lane a side's timeline draws, top to bottom. */
function lanes(page, scope = '', side = 'a') {
  return page
    .locator(`${scope} [data-testid="timeline-panel-${side}"] [data-testid="timeline-lane"]`.trim())
    .evaluateAll((els) => els.map((el) => ({ call: Number(el.dataset.call), took: Number(el.dataset.tookMs) })));
}

const slowestFirst = (ls) => ls.every((l, i) => i === 0 || l.took <= ls[i - 1].took);

test('a lesson about its tail shows the slowest calls; start order misses them; links keep the choice', TIMEOUT, async () => {
  const { context, page } = await openApp(browser, `${server.url}?preset=no-jitter`);
  try {
    await fireAndWait(page);
    const p99 = await number(page, 'latency-p99');

    assert.equal(await page.getByTestId('lane-order').inputValue(), 'slowest');
    const slowest = await lanes(page);
    assert.equal(slowest.length, 100, 'a lane per call up to 200');
    assert.ok(slowestFirst(slowest), `slowest first: ${slowest.map((l) => l.took).join(' ')}`);
    assert.ok(slowest[0].took >= p99, `the top lane (${slowest[0].took} ms) reaches the p99 (${p99} ms)`);
    assert.match(await text(page, 'timeline-panel-a'), /slowest first/);
    assert.ok(!page.url().includes('lanes='), `the lesson's own order is not in its link: ${page.url()}`);

    await page.getByTestId('lane-order').selectOption('start');
    await waitUntil('the URL to say lanes=start', async () => page.url().includes('lanes=start'));
    const first = await lanes(page);
    assert.equal(first.length, 100);
    assert.ok(first.every((l, i) => i === 0 || l.call > first[i - 1].call), 'start order: calls in id order');

    // A link with the choice opens with it, on the talk stage too.
    await page.goto(`${server.url}?preset=no-jitter&lanes=start&talk=1`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    await waitUntil('the stage', async () => page.getByTestId('stage').isVisible());
    await fireAndWait(page);
    assert.equal(await page.getByTestId('lane-order').first().inputValue(), 'start');
    const staged = await lanes(page, '[data-testid="stage"]');
    assert.ok(staged.length > 0 && staged.length < 100, `the stage draws the lanes that fit (${staged.length})`);
    assert.deepEqual(staged.map((l) => l.call), first.slice(0, staged.length).map((l) => l.call), 'same seed, same first calls');
    assert.match(await text(page, 'timeline-panel-a'), new RegExp(`the first ${staged.length} in detail`));
    const firstMax = Math.max(...staged.map((l) => l.took));
    assert.ok(firstMax < slowest[0].took, `start order misses the tail: ${firstMax} ms vs ${slowest[0].took} ms`);

    // The lesson's own order on the stage: A and B (full jitter) both slowest first.
    await page.goto(`${server.url}?preset=no-jitter&talk=1`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    await fireAndWait(page);
    for (const side of ['a', 'b']) {
      const ls = await lanes(page, '[data-testid="stage"]', side);
      assert.equal(ls.length, staged.length, side);
      assert.ok(slowestFirst(ls), `${side}: ${ls.map((l) => l.took).join(' ')}`);
      if (side === 'a') assert.equal(ls[0].took, slowest[0].took, 'same seed, same slowest call');
    }
  } finally {
    await context.close();
  }
});
