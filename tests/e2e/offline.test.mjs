// End-to-end: offline after one visit. The service worker caches the app's
// own files (app-files.js lists them with the build's version) and serves
// them cache-first; the mock endpoints are never cached. After one visit, with
// the server stopped and the browser offline, a reload shows the app and a
// live run completes. A new build replaces the cache as a whole.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { serveDist, distDir } from './serve.mjs';
import { launchChromium, openPage, assertNoProblems, waitUntil } from './browser.mjs';
import { appFiles, appCaches, waitForAppCache, waitUntilUsable, fireAndWait, number, text } from './app.mjs';

const TIMEOUT = { timeout: 240_000 };
// A live lesson: 10 clients × 5 calls, a run of a second or two.
const QUERY = '?preset=no-idempotency&mode=live';

let browser;

/** A subresource integrity value, as Trunk writes it into index.html. */
function sha384(bytes) {
  return `sha384-${crypto.createHash('sha384').update(bytes).digest('base64')}`;
}

before(async () => {
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

test('after one visit the app loads offline and a live run completes', TIMEOUT, async () => {
  const server = await serveDist();
  const { context, page, problems } = await openPage(browser);
  let serving = true;
  try {
    const app = appFiles(distDir);
    await page.goto(`${server.url}${QUERY}`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    const started = Date.now();
    await waitForAppCache(page, server.url, app);
    console.log(`# figure: the worker cached the app's ${app.files.length} files ${Date.now() - started} ms after Fire was enabled`);

    await server.close();
    serving = false;
    await context.setOffline(true);
    await page.reload({ waitUntil: 'load' });
    await waitUntilUsable(page);
    assert.equal(await page.getByTestId('sw-status').getAttribute('data-kind'), 'service-worker');
    await fireAndWait(page);
    const requests = await number(page, 'server-requests');
    const succeeded = await number(page, 'calls-succeeded');
    console.log(`# offline live run: ${requests} server requests, ${succeeded} calls succeeded`);
    assert.ok(requests >= 50, `at least one request per call (${requests})`);
    assert.equal(await text(page, 'run-status'), 'done');
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');

    // A simulated run needs the run worker's files: from the cache too.
    await page.goto(`${server.url}?preset=no-idempotency&mode=simulated`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    await fireAndWait(page);
    assert.ok((await number(page, 'server-requests')) >= 50);

    // The mock endpoints are never cached, and nothing but the listed files is.
    const caches = await appCaches(page);
    const urls = Object.values(caches).flat();
    assert.deepEqual(urls.filter((u) => u.includes('/mock/')), [], 'no mock request is cached');
    assert.equal(urls.length, app.files.length, `only the app's files: ${JSON.stringify(caches)}`);
    assertNoProblems(problems);
  } finally {
    await context.close();
    if (serving) await server.close();
  }
});

test('a new build replaces the cache as a whole; the stale one is deleted', TIMEOUT, async () => {
  // A copy of the build that can be changed as a new deploy would change it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-e2e-offline-'));
  fs.cpSync(distDir, dir, { recursive: true });
  const server = await serveDist(dir);
  const { context, page, problems } = await openPage(browser);
  try {
    const first = appFiles(dir);
    await page.goto(`${server.url}${QUERY}`, { waitUntil: 'load' });
    await waitUntilUsable(page);
    await waitForAppCache(page, server.url, first);

    // "Deploy" a build with other styles: index.html's integrity for them and
    // the version in app-files.js change with them, as in a real build.
    const css = path.join(dir, 'styles.css');
    const oldDigest = sha384(fs.readFileSync(css));
    fs.appendFileSync(css, '\n/* the next build */\n');
    const index = path.join(dir, 'index.html');
    const html = fs.readFileSync(index, 'utf8');
    assert.ok(html.includes(oldDigest), 'index.html names the styles by their digest');
    fs.writeFileSync(index, html.replace(oldDigest, sha384(fs.readFileSync(css))));
    const next = { ...first, version: `${first.version.slice(0, 12)}beef` };
    const file = path.join(dir, 'app-files.js');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(first.version, next.version));
    assert.notEqual(next.version, first.version);

    // The browser checks the worker at a navigation; the test asks at once.
    // The new worker deletes the stale cache as it takes over.
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await waitUntil('the stale cache to be deleted', async () =>
      Object.keys(await appCaches(page)).every((name) => !name.endsWith(` ${first.version}`)),
    );
    // The next load is the new build's; once usable, the page has the new worker fill its cache.
    await page.reload({ waitUntil: 'load' });
    await waitUntilUsable(page);
    const held = await waitForAppCache(page, server.url, next);
    assert.deepEqual(Object.keys(held), [`playground-app ${server.url} ${next.version}`], 'only the new cache');
    const styles = await page.evaluate(async (url) => (await (await caches.open(
      (await caches.keys()).find((n) => n.startsWith('playground-app ')),
    )).match(url)).text(), new URL('styles.css', server.url).href);
    assert.match(styles, /the next build/, "the new cache holds the new build's files");
    await waitUntil('the new styles to be served', () =>
      page.evaluate(async () => (await (await fetch('styles.css')).text()).includes('the next build')),
    );

    // A cache the browser (or the user) cleared falls through to the network,
    // and the worker fills it again.
    await page.evaluate(async () => {
      for (const name of await caches.keys()) await caches.delete(name);
    });
    await page.reload({ waitUntil: 'load' });
    await waitUntilUsable(page);
    await waitForAppCache(page, server.url, next);
    assertNoProblems(problems);
  } finally {
    await context.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
