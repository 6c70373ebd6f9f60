// End-to-end: which calls get a lane. The no-jitter lesson's tail (its p99)
// is in calls past the first 50, so start order does not draw it; "slowest
// first" does, on the dashboard and on the talk stage, and the choice is in
// the URL (`lanes=slowest`).

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

/** `{ call, took }` of each lane A's timeline draws, top to bottom. */
function lanes(page) {
  return page.locator('[data-testid="timeline-panel-a"] [data-testid="timeline-lane"]').evaluateAll((els) =>
    els.map((el) => ({ call: Number(el.dataset.call), took: Number(el.dataset.tookMs) })),
  );
}

test('slowest-first lanes show the tail that start order misses, and the URL keeps the choice', TIMEOUT, async () => {
  const { context, page } = await openApp(browser, `${server.url}?preset=no-jitter`);
  try {
    await fireAndWait(page);
    const p99 = await number(page, 'latency-p99');

    const first = await lanes(page);
    assert.equal(first.length, 50);
    assert.ok(first.every((l, i) => i === 0 || l.call > first[i - 1].call), 'start order: calls in id order');
    assert.match(await text(page, 'timeline-panel-a'), /the first 50 in detail/);
    const firstMax = Math.max(...first.map((l) => l.took));

    await page.getByTestId('lane-order').selectOption('slowest');
    await waitUntil('the URL to say lanes=slowest', async () => page.url().includes('lanes=slowest'));
    const slowest = await lanes(page);
    assert.equal(slowest.length, 50);
    assert.ok(
      slowest.every((l, i) => i === 0 || l.took <= slowest[i - 1].took),
      `slowest first: ${slowest.map((l) => l.took).join(' ')}`,
    );
    assert.ok(slowest[0].took >= p99, `the top lane (${slowest[0].took} ms) reaches the p99 (${p99} ms)`);
    assert.ok(slowest[0].took > firstMax, `start order missed the tail: ${firstMax} ms vs ${slowest[0].took} ms`);
    assert.match(await text(page, 'timeline-panel-a'), /the slowest 50 in detail/);

    // A link with the choice opens with it, on the talk stage too.
    await page.goto(`${server.url}?preset=no-jitter&lanes=slowest&talk=1`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    await waitUntil('the stage', async () => page.getByTestId('stage').isVisible());
    await fireAndWait(page);
    assert.equal(await page.getByTestId('lane-order').first().inputValue(), 'slowest');
    // The lesson compares A with B (full jitter): both sides' lanes are slowest first.
    for (const side of ['a', 'b']) {
      const staged = await page
        .locator(`[data-testid="stage"] [data-testid="timeline-panel-${side}"] [data-testid="timeline-lane"]`)
        .evaluateAll((els) => els.map((el) => Number(el.dataset.tookMs)));
      assert.equal(staged.length, 50, side);
      assert.ok(staged.every((t, i) => i === 0 || t <= staged[i - 1]), `${side}: ${staged.join(' ')}`);
      if (side === 'a') assert.equal(staged[0], slowest[0].took, 'same seed, same slowest call');
    }
  } finally {
    await context.close();
  }
});
