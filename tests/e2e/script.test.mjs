// End-to-end: scripted replies (`endpoint.script`). A scripted run gives the
// same counts in live mode (the mock service worker plays the script) and in
// simulated mode (the simulator's server plays it); a bad script is refused
// with its bad part named and the previous value kept.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './serve.mjs';
import { launchChromium, assertNoProblems, waitUntil, setControl } from './browser.mjs';
import { openApp, fireAndWait, number } from './app.mjs';

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

// Each client's calls: 500,500,200 (3 requests); 503,200 (2); reset,200 (2); 404 (1, not retried).
const SCRIPT = '500,500,200;503,200;reset,200;404';

test('a scripted run gives the same counts in live and simulated mode', TIMEOUT, async () => {
  const query = new URLSearchParams({
    mode: 'live',
    'endpoint.script': SCRIPT,
    'endpoint.latency.ms': '20',
    'backoff.base_ms': '50',
    'sim.clients': '3',
    'sim.calls': '4',
  });
  const { context, page, problems } = await openApp(browser, `${server.url}?${query}`);
  try {
    const read = async () => ({
      succeeded: await number(page, 'calls-succeeded'),
      gaveUp: await number(page, 'calls-gave-up'),
      requests: await number(page, 'server-requests'),
      lanes: await page.locator('[data-testid="timeline-lane"]').count(),
      bars: await page.locator('[data-testid="attempt-bar"]').count(),
    });
    assert.equal(await page.getByTestId('mode').inputValue(), 'live');
    await fireAndWait(page);
    const live = await read();
    await page.getByTestId('mode').selectOption('simulated');
    await fireAndWait(page);
    const simulated = await read();
    assert.deepEqual(live, simulated);
    assert.deepEqual(simulated, { succeeded: 9, gaveUp: 3, requests: 24, lanes: 12, bars: 24 });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('a bad script is refused, its bad part named, the previous one kept', TIMEOUT, async () => {
  const { context, page } = await openApp(browser, `${server.url}?mode=simulated&endpoint.script=500,200`);
  try {
    await setControl(page, 'endpoint.script', '500,600;200');
    const banner = page.locator('.banner.error');
    await waitUntil('the knob error banner', async () => (await banner.count()) > 0);
    const message = await banner.innerText();
    assert.match(message, /endpoint\.script/);
    assert.match(message, /call 1 reply 2 `600`/);
    assert.match(message, /previous value is kept/);
    assert.ok(decodeURIComponent(page.url()).includes('endpoint.script=500,200'), page.url());
  } finally {
    await context.close();
  }
});
