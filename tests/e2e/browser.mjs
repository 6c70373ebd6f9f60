// Shared helpers of the end-to-end tests: start Debian's Chromium through
// playwright-core (never a downloaded browser), open pages that record every
// console error, page error and off-machine request, and wait for conditions.

import fs from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const VIEWPORT = { width: 1280, height: 800 };

/** Launch Chromium (with a fresh temporary profile); fails loudly when it is missing. */
export async function launchChromium() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `e2e: Chromium not found at ${CHROMIUM}. Install it with \`cargo xtask setup\` ` +
        '(Debian packages chromium and chromium-driver), or set CHROMIUM_PATH.',
    );
  }
  try {
    return await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      timeout: 60_000,
    });
  } catch (err) {
    throw new Error(`e2e: cannot start Chromium at ${CHROMIUM}: ${err.message}`);
  }
}

/**
 * A failed load of a flaky mock endpoint (under <where the app is>/mock/, not
 * .../mock/_control/): the app may be hosted under a sub-path.
 */
export function isInjectedFault(text, url) {
  if (!text.startsWith('Failed to load resource') || !url) return false;
  const { pathname } = new URL(url);
  const at = pathname.indexOf('/mock/');
  return at >= 0 && !pathname.startsWith('/mock/_control/', at);
}

function isLocal(url) {
  if (!/^(https?|wss?):/.test(url)) return true; // data:, blob:, about:, chrome-extension:...
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/**
 * A new page in its own context (no shared storage, service workers or cache).
 * `problems` collects console errors, uncaught page errors and any request that
 * would leave this machine; `assertNoProblems(problems)` fails the test on any.
 */
export async function openPage(browser, { viewport = VIEWPORT } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  watchPage(page, problems);
  context.on('request', (req) => {
    if (!isLocal(req.url())) problems.push(`request off this machine: ${req.method()} ${req.url()}`);
  });
  return { context, page, problems };
}

/**
 * Another page (a second tab) in the context of an `openPage` result: it
 * shares the context's service worker and storage; its console errors, page
 * errors and crashes go to its own `problems` (off-machine requests of the
 * whole context are already caught by `openPage`).
 */
export async function openTab(context) {
  const page = await context.newPage();
  const problems = [];
  watchPage(page, problems);
  return { context, page, problems };
}

/** Records the page's console errors (but injected faults), page errors and crashes into `problems`. */
function watchPage(page, problems) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      // Chromium logs every failed request as a console error. The flaky mock
      // endpoints fail on purpose (503s, resets, hangs cut by a timeout): those
      // are the app working, not a problem. Its control endpoints must not fail.
      if (isInjectedFault(msg.text(), loc?.url)) return;
      problems.push(`console error: ${msg.text()}${loc?.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err.message}`));
  page.on('crash', () => problems.push('the page crashed'));
}

export function assertNoProblems(problems) {
  assert.deepEqual(problems, [], `the page reported problems:\n  ${problems.join('\n  ')}`);
}

/**
 * Poll `check` (sync or async, returns truthy when done) until it holds.
 * On timeout, fails with `what` and the last value seen.
 */
export async function waitUntil(what, check, { timeout = 30_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`e2e: timed out after ${timeout} ms waiting for ${what} (last seen: ${seen})`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Set a knob control the way a user would: pick an option of a <select>, type
 * into a number/text input, or drag a range input (value + input + change events).
 */
export async function setControl(page, testId, value) {
  const control = page.getByTestId(testId);
  await control.waitFor({ state: 'attached' });
  // A knob in a collapsed group: open the group, as a user clicks its title.
  const collapsed = control.locator('xpath=ancestor::details[not(@open)]/summary');
  if ((await collapsed.count()) > 0) await collapsed.first().click();
  await control.waitFor({ state: 'visible' });
  const kind = await control.evaluate((el) =>
    el.tagName === 'INPUT' ? el.type : el.tagName.toLowerCase(),
  );
  const text = String(value);
  if (kind === 'select') {
    await control.selectOption(text);
  } else if (kind === 'range') {
    await control.evaluate((el, v) => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
      setter.call(el, v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, text);
  } else if (kind === 'number' || kind === 'text' || kind === 'textarea') {
    await control.fill(text); // dispatches `input`
    await control.dispatchEvent('change');
  } else {
    throw new Error(`e2e: control [data-testid="${testId}"] is a ${kind}, not an input or select`);
  }
}

/**
 * `promise`, or a rejection naming `what` once `ms` have passed without it
 * settling (e.g. a page.evaluate while the page's main thread is busy).
 */
export async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`e2e: ${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `trigger` and resolves to the text of the file the page downloads
 * because of it (the context must accept downloads, as playwright's do by default).
 */
export async function downloadText(page, trigger, { timeout = 60_000 } = {}) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout }), trigger()]);
  const failure = await download.failure();
  if (failure) throw new Error(`e2e: the download ${download.suggestedFilename()} failed: ${failure}`);
  const file = await download.path();
  return { name: download.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
}
