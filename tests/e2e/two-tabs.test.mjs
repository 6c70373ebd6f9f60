// End-to-end: one mock service worker serves every tab of the origin. Two
// tabs of one browser context (so one worker) fire a live run at the same
// moment, with the same preset and seed; each run must keep its own server
// and counters (random run ids, many runs in the worker), so each tab shows
// exactly the server requests its own attempts made, and neither loses its run.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './serve.mjs';
import { launchChromium, openPage, openTab, assertNoProblems, waitUntil } from './browser.mjs';
import { timelinesDrawn } from './app.mjs';

const TIMEOUT = { timeout: 180_000 };
// 10 clients × 5 calls, naive POST with lost replies: retries, duplicates, a run of a second or two.
const QUERY = '?preset=no-idempotency';

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

async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

/** Loads the app in `tab` and waits until the worker controls it and Fire is enabled. */
async function load(tab) {
  await tab.page.goto(`${server.url}${QUERY}`, { waitUntil: 'load' });
  await waitUntil('the service worker to control the page', () =>
    tab.page.evaluate(() => !!navigator.serviceWorker.controller),
  );
  await waitUntil('Fire to be enabled', () => tab.page.getByTestId('fire-many').isEnabled());
  assert.equal(await tab.page.getByTestId('sw-status').getAttribute('data-kind'), 'service-worker');
}

/** What a tab shows after its run: its own attempt bars and the server requests it read. */
async function shown(page) {
  const bars = await page.locator('[data-testid="timeline-lane"] [data-testid="attempt-bar"]').count();
  const lanes = await page.locator('[data-testid="timeline-lane"]').count();
  const requests = Number((await text(page, 'server-requests')).replace(/[^0-9]/g, ''));
  const banner = (await page.getByTestId('error-banner').count()) > 0 ? await text(page, 'error-banner') : '';
  return { bars, lanes, requests, banner };
}

test('two tabs firing at the same moment keep separate runs in the one mock worker', TIMEOUT, async () => {
  const a = await openPage(browser);
  try {
    const b = await openTab(a.context);
    await load(a);
    await load(b);

    await Promise.all([a.page.getByTestId('fire-many').click(), b.page.getByTestId('fire-many').click()]);
    for (const [name, tab] of [['A', a], ['B', b]]) {
      await waitUntil(`tab ${name}'s run to finish`, async () => (await text(tab.page, 'run-status')) === 'done', {
        timeout: 90_000,
      });
      await timelinesDrawn(tab.page);
    }

    const health = await a.page.evaluate(async () => (await fetch('/mock/_control/health')).json());
    assert.ok(health.runs >= 2, `the worker keeps both runs: ${JSON.stringify(health)}`);

    for (const [name, tab] of [['A', a], ['B', b]]) {
      const seen = await shown(tab.page);
      console.log(`# tab ${name}: ${JSON.stringify(seen)}`);
      assert.doesNotMatch(seen.banner, /lost this run/, `tab ${name} lost its run`);
      assert.equal(seen.banner, '', `tab ${name} reports no problem`);
      assert.equal(seen.lanes, 50, `tab ${name}: 10 clients × 5 calls`);
      assert.ok(seen.bars >= 50, `tab ${name}: at least one attempt per call (${seen.bars})`);
      assert.equal(
        seen.requests,
        seen.bars,
        `tab ${name}: the server requests shown are its own attempts (a shared run would count both tabs')`,
      );
      assertNoProblems(tab.problems);
    }
  } finally {
    await a.context.close();
  }
});
