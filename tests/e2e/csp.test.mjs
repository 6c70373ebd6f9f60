// End-to-end: the page's Content-Security-Policy (a <meta http-equiv> in
// index.html; `cargo xtask app-files` adds the hashes of Trunk's inline
// scripts). The main flows run with a `securitypolicyviolation` listener
// installed before any script of the page, and the test fails on any
// violation: live and simulated runs, compare, the talk stage, export, a
// pasted config applied, the trace download, and an offline reload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist, distDir } from './serve.mjs';
import { launchChromium, openPage, assertNoProblems, waitUntil, setControl, downloadText } from './browser.mjs';
import { waitUntilUsable, fireAndWait, number, text, appFiles, waitForAppCache } from './app.mjs';

const TIMEOUT = { timeout: 300_000 };

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

/** A page that records every CSP violation (from its first script on) in `window.__csp`. */
async function openWatched() {
  const opened = await openPage(browser);
  await opened.context.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return opened;
}

async function violations(page) {
  return page.evaluate(() => window.__csp ?? ['the listener was not installed']);
}

test('the page declares a strict Content-Security-Policy', TIMEOUT, async () => {
  const { context, page, problems } = await openWatched();
  try {
    await page.goto(server.url, { waitUntil: 'load' });
    const policy = await page.evaluate(
      () => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? '',
    );
    const directive = (name) =>
      policy
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .find((d) => d[0] === name)
        ?.slice(1) ?? null;
    assert.deepEqual(directive('default-src'), ["'self'"], policy);
    const scripts = directive('script-src');
    assert.ok(scripts, `script-src is set: ${policy}`);
    assert.ok(scripts.includes("'self'") && scripts.includes("'wasm-unsafe-eval'"), policy);
    assert.ok(!scripts.includes("'unsafe-inline'") && !scripts.includes("'unsafe-eval'"), policy);
    assert.ok(scripts.some((s) => s.startsWith("'sha256-")), `Trunk's loader is allowed by its hash: ${policy}`);
    assert.deepEqual(directive('worker-src'), ["'self'"], policy);
    // This origin, and a native mock server on this machine (`?server=`): nowhere else.
    assert.deepEqual(directive('connect-src'), ["'self'", 'http://127.0.0.1:*', 'http://localhost:*'], policy);
    await waitUntilUsable(page);
    assert.deepEqual(await violations(page), []);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('live, simulated, compare, the stage, export, import, download and an offline reload break no rule', TIMEOUT, async () => {
  const { context, page, problems } = await openWatched();
  try {
    // Live.
    await page.goto(`${server.url}?preset=no-idempotency&mode=live`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    await fireAndWait(page);
    assert.ok((await number(page, 'server-requests')) > 0, 'the live run reached the mock');
    assert.deepEqual(await violations(page), [], 'live run');

    // Simulated, then compare (B in a second run worker).
    await setControl(page, 'mode', 'simulated');
    await fireAndWait(page);
    await page.getByTestId('compare').click();
    await fireAndWait(page);
    await page.getByTestId('side-b').waitFor({ state: 'visible' });
    assert.deepEqual(await violations(page), [], 'simulated and compare');

    // The trace download (a blob URL).
    const { text: json } = await downloadText(page, () => page.getByTestId('download-trace').click());
    assert.ok(JSON.parse(json).seed !== undefined, 'the download is a trace');

    // Export (written in the run worker) and a pasted config applied.
    await page.locator('details.export > summary').click();
    const doc = page.getByTestId('export-document');
    await waitUntil('an exported document', async () => (await doc.textContent()).trim().length > 0);
    await setControl(page, 'import-format', 'grpc');
    await page.getByTestId('import-text').fill(
      JSON.stringify({ methodConfig: [{ name: [{}], retryPolicy: { maxAttempts: 4, initialBackoff: '0.5s', maxBackoff: '2s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] } }] }),
    );
    await page.getByTestId('import-apply').click();
    await waitUntil('the paste to apply', async () => (await page.getByTestId('attempts.max').inputValue()) === '4');
    assert.deepEqual(await violations(page), [], 'download, export and import');

    // The talk stage.
    await page.keyboard.press('t');
    await page.getByTestId('stage').waitFor({ state: 'visible' });
    await fireAndWait(page);
    assert.deepEqual(await violations(page), [], 'the stage');

    // Offline reload once the app is cached.
    await waitForAppCache(page, server.url, appFiles(distDir));
    await context.setOffline(true);
    await page.reload({ waitUntil: 'load' });
    await waitUntilUsable(page);
    assert.equal(await text(page, 'run-status'), 'idle');
    assert.deepEqual(await violations(page), [], 'offline reload');
    await context.setOffline(false);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
