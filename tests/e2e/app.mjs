// Shared steps of the offline, sub-path and accessibility tests: open the app
// and wait until it is usable, fire and wait, read a test hook, and what the
// service worker's offline cache holds.

import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { openPage, waitUntil } from './browser.mjs';

/** A test hook's text (the first element with that data-testid). */
export async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

/** A test hook's number ("1,234" → 1234); fails when it shows none. */
export async function number(page, testId) {
  const t = await text(page, testId);
  const n = Number(t.replace(/[^0-9.]/g, ''));
  assert.ok(t !== '–' && t !== '' && Number.isFinite(n), `${testId} shows a number, not "${t}"`);
  return n;
}

/** The button that fires the scenario (`fire-many`; the visible one, on the talk stage too). */
export async function fireButton(page) {
  return page.locator('[data-testid="fire-many"]:visible').first();
}

/** Waits until the service worker controls `page` and Fire is enabled. */
export async function waitUntilUsable(page) {
  await waitUntil('the service worker to control the page', () =>
    page.evaluate(() => !!navigator.serviceWorker.controller),
  );
  await waitUntil('Fire to be enabled', async () => (await fireButton(page)).isEnabled({ timeout: 1_000 }));
}

/** Opens `url` in a new context (`openPage`) and waits until the app is usable. */
export async function openApp(browser, url, { viewport, colorScheme } = {}) {
  const opened = await openPage(browser, viewport ? { viewport } : {});
  if (colorScheme) await opened.page.emulateMedia({ colorScheme });
  await opened.page.goto(url, { waitUntil: 'load' });
  await waitUntilUsable(opened.page);
  return opened;
}

/**
 * Clicks Fire (the scenario's button), waits until the run is done and its
 * timelines are drawn, and resolves to the ms that took.
 */
export async function fireAndWait(page, { timeout = 90_000 } = {}) {
  const started = Date.now();
  await (await fireButton(page)).click();
  await waitUntil('the run to start', async () => (await text(page, 'run-status')) !== 'idle', {
    timeout: 5_000,
  }).catch(() => {});
  await waitUntil('the run to finish', async () => (await text(page, 'run-status')) === 'done', { timeout });
  await timelinesDrawn(page, timeout);
  return Date.now() - started;
}

/** A timeline still drawing: its lanes (a task at a time) or a new run's (at the next frame). */
export const TIMELINES_BUSY = 'svg.timeline[aria-busy="true"], .timeline-defer[aria-busy="true"]';

/**
 * Waits until every timeline has drawn all its lanes: many new lanes are
 * made a task at a time, and a new run's lanes a task after its counters
 * (the timeline is `aria-busy` meanwhile).
 */
export async function timelinesDrawn(page, timeout = 10_000) {
  await waitUntil('the timelines to be drawn', async () => (await page.locator(TIMELINES_BUSY).count()) === 0, {
    timeout,
  });
}

/** `{ version, files }` of a build's app-files.js (what the service worker caches). */
export function appFiles(dir) {
  const file = path.join(dir, 'app-files.js');
  const text = fs.readFileSync(file, 'utf8');
  const json = text.match(/^self\.APP_FILES = (.*);$/m)?.[1];
  assert.ok(json, `${file} assigns self.APP_FILES`);
  const parsed = JSON.parse(json);
  assert.ok(parsed, `${file} lists files (a release build)`);
  return parsed;
}

/** The service worker's app caches, as the page sees them: `{ name: [url, ...] }`. */
export function appCaches(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      if (!name.startsWith('playground-app ')) continue;
      const cache = await caches.open(name);
      out[name] = (await cache.keys()).map((r) => r.url).sort();
    }
    return out;
  });
}

/** Waits until the one app cache holds every file of `files` ({ version, files }) under `scope`. */
export async function waitForAppCache(page, scope, { version, files }) {
  const want = files.map((f) => new URL(f, scope).href).sort();
  return waitUntil(
    `the service worker to cache the app's ${want.length} files (build ${version})`,
    async () => {
      const caches = await appCaches(page);
      const names = Object.keys(caches);
      const ok =
        names.length === 1 &&
        names[0].endsWith(` ${version}`) &&
        JSON.stringify(caches[names[0]]) === JSON.stringify(want);
      // Thrown, so a timeout names what the caches held.
      if (!ok) throw new Error(`caches: ${JSON.stringify(caches)}`);
      return caches;
    },
    { timeout: 60_000 },
  );
}

/**
 * Loads axe-core into `page`. Through the DevTools protocol, not a <script>
 * tag: the page's Content-Security-Policy refuses inline scripts, as it should.
 */
export async function injectAxe(page, axePath) {
  const source = fs.readFileSync(axePath, 'utf8');
  await page.evaluate(source);
  assert.ok(await page.evaluate(() => typeof axe === 'object'), 'axe-core is loaded');
}
