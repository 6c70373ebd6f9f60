// End-to-end: the page as a viewer of a native mock server. The built
// `playground mock-server` (PLAYGROUND_BIN, else target/debug/playground)
// serves no-idempotency on 127.0.0.1; the page opens with `?server=`;
// requests made from outside the page (node's fetch: a naive retry loop)
// show on its timeline, one lane per call, with the server's duplicate count,
// on the dashboard and on the talk stage.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { serveDist, repoRoot } from './serve.mjs';
import { launchChromium, waitUntil, assertNoProblems } from './browser.mjs';
import { openApp, number } from './app.mjs';

const TIMEOUT = { timeout: 180_000 };
const BIN = process.env.PLAYGROUND_BIN ?? path.join(repoRoot, 'target', 'debug', 'playground');

let server;
let browser;
let mock;

/** A running `playground mock-server`: its origin and the process. */
async function startMock() {
  assert.ok(fs.existsSync(BIN), `${BIN} does not exist: build it (cargo build -p cli) or set PLAYGROUND_BIN`);
  const child = spawn(BIN, ['mock-server', '--preset', 'no-idempotency', '--port', '0', '--set', 'endpoint.latency.ms=10'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const port = /http:\/\/127\.0\.0\.1:(\d+)\/mock\//.exec(line)?.[1];
  assert.ok(port, `mock-server did not start: ${line}`);
  return { origin: `http://127.0.0.1:${port}`, child };
}

before(async () => {
  server = await serveDist();
  browser = await launchChromium();
  mock = await startMock();
});

after(async () => {
  mock?.child.kill('SIGINT');
  await browser?.close();
  await server?.close();
});

/** A naive client: POSTs each item until a 2xx, at most 4 tries; a reset is retried at once. */
async function naiveCreates(items) {
  for (const item of items) {
    for (let t = 0; t < 4; t++) {
      const ok = await fetch(`${mock.origin}/mock/items`, {
        method: 'POST',
        body: item,
        headers: { 'X-Client-Id': 'node-outside' },
      }).then((r) => r.ok, () => false);
      if (ok) break;
    }
  }
  const { counters } = await (await fetch(`${mock.origin}/mock/_control/counters`)).json();
  return counters;
}

const lanes = (page, scope) => page.locator(`${scope} [data-testid="timeline-panel-a"] [data-testid="timeline-lane"]`).count();
const bars = (page, scope) => page.locator(`${scope} [data-testid="timeline-panel-a"] [data-testid="attempt-bar"]`).count();

test('a page with ?server= shows the requests of a client outside it, with the server\'s duplicate count', TIMEOUT, async () => {
  await fetch(`${mock.origin}/mock/_control/reset`, { method: 'POST' });
  const { context, page, problems } = await openApp(browser, `${server.url}?server=${encodeURIComponent(mock.origin)}`);
  try {
    assert.match(page.url(), /server=http%3A%2F%2F127\.0\.0\.1%3A\d+/, 'the link keeps the server');
    const counters = await naiveCreates(Array.from({ length: 12 }, (_, i) => `item-${i}`));
    assert.ok(counters.duplicates > 0, `the naive loop made duplicates: ${JSON.stringify(counters)}`);
    await waitUntil('the page to show the server\'s duplicates', async () =>
      (await number(page, 'dup-count')) === counters.duplicates, { timeout: 20_000 });
    await waitUntil('one lane per call, one bar per request', async () =>
      (await lanes(page, '')) === 12 && (await bars(page, '')) === counters.requests_received, { timeout: 10_000 });
    // More requests arrive while the page watches.
    const more = await naiveCreates(['late-1', 'late-2']);
    await waitUntil('the later calls', async () => (await lanes(page, '')) === 14 && (await number(page, 'dup-count')) === more.duplicates);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('the talk stage shows the watched server too, the lesson\'s headline from its counts', TIMEOUT, async () => {
  await fetch(`${mock.origin}/mock/_control/reset`, { method: 'POST' });
  const { context, page, problems } = await openApp(browser, `${server.url}?server=${encodeURIComponent(mock.origin)}&preset=no-idempotency&talk=1`, {
    viewport: { width: 1280, height: 720 },
  });
  try {
    await page.getByTestId('stage').waitFor();
    const counters = await naiveCreates(['s-1', 's-2', 's-3']);
    await waitUntil('the stage to draw the calls', async () => (await lanes(page, '[data-testid="stage"]')) === 3, { timeout: 20_000 });
    // The lesson's headline figure is its duplicate creates: the server's.
    await waitUntil('the stage\'s headline duplicates', async () => (await number(page, 'headline-a')) === counters.duplicates);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
