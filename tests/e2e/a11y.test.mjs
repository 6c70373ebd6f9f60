// End-to-end: accessibility of the main views, checked by axe-core (npm,
// pinned in package.json; its axe.min.js is injected into the page), and no
// sideways scrolling on a 375×812 phone. Every violation is reported with its
// rule id, impact, the elements (selectors) and axe's message.
//
// The views: the default view after a run (and in the dark theme after a live
// run); talk mode with the OS in light and in dark mode (theme auto); a phone,
// 375×812.
//
// Every view must pass: a violation fails the test and names the element.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serveDist } from './serve.mjs';
import { launchChromium } from './browser.mjs';
import { openApp, fireAndWait, injectAxe } from './app.mjs';

const require = createRequire(import.meta.url);
const TIMEOUT = { timeout: 180_000 };
const PHONE = { width: 375, height: 812 };

let server;
let browser;
let axePath;

before(async () => {
  try {
    axePath = require.resolve('axe-core/axe.min.js');
  } catch (e) {
    throw new Error(`e2e: axe-core is not installed (\`cargo xtask setup\` runs npm ci): ${e.message}`);
  }
  server = await serveDist();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Runs axe-core on the page; resolves to its violations (rule id, impact, help, the elements). */
async function axeViolations(page) {
  await injectAxe(page, axePath);
  return page.evaluate(async () => {
    // axe.min.js defines the global `axe`.
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.join(' '),
        summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim(),
      })),
    }));
  });
}

/** Checks one view: prints every violation (by rule), then fails if there is any. */
async function checkView(name, url, { viewport, colorScheme } = {}) {
  const { context, page } = await openApp(browser, url, { viewport, colorScheme });
  try {
    await fireAndWait(page);
    const violations = await axeViolations(page);
    const lines = [];
    for (const v of violations) {
      console.log(`# axe ${name}: ${v.id} (${v.impact}, ${v.nodes.length} element(s)): ${v.help}`);
      for (const n of v.nodes) {
        console.log(`#   ${n.target}: ${n.summary}`);
        lines.push(`${v.id} (${v.impact}): ${n.target}: ${v.help}. ${n.summary}`);
      }
    }
    assert.deepEqual(lines, [], `axe-core found ${lines.length} violation(s) in ${name}:\n  ${lines.join('\n  ')}`);
  } finally {
    await context.close();
  }
}

const SIMULATED = '?preset=full-jitter&mode=simulated';

test('axe: the default view after a run', TIMEOUT, async () => {
  await checkView('default view', `${server.url}${SIMULATED}`);
});

test('axe: the default view, dark theme, after a live run', TIMEOUT, async () => {
  await checkView('dark theme, live', `${server.url}?preset=no-idempotency&mode=live&theme=dark`);
});

test('axe: talk mode, OS in light mode', TIMEOUT, async () => {
  await checkView('talk mode, light OS', `${server.url}${SIMULATED}&talk=1`, { colorScheme: 'light' });
});

test('axe: talk mode, OS in dark mode', TIMEOUT, async () => {
  await checkView('talk mode, dark OS', `${server.url}${SIMULATED}&talk=1`, { colorScheme: 'dark' });
});

test('axe: a 375×812 phone', TIMEOUT, async () => {
  await checkView('375×812', `${server.url}${SIMULATED}`, { viewport: PHONE });
});

test('375×812: no sideways scrolling', TIMEOUT, async () => {
  const { context, page } = await openApp(browser, `${server.url}${SIMULATED}`, { viewport: PHONE });
  try {
    await fireAndWait(page);
    const { scrollWidth, wide } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      // What sticks out, so the failure says where to look.
      wide: [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > 375.5)
        .filter((el) => !el.parentElement || el.parentElement.getBoundingClientRect().right <= 375.5)
        .slice(0, 10)
        .map((el) => {
          const id = el.dataset.testid ? `[data-testid="${el.dataset.testid}"]` : '';
          const cls = el.classList.length ? `.${[...el.classList].join('.')}` : '';
          return `${el.tagName.toLowerCase()}${id}${cls} (right ${Math.round(el.getBoundingClientRect().right)} px)`;
        }),
    }));
    if (scrollWidth > 375) console.log(`# 375×812: scrollWidth ${scrollWidth}; wider than the screen: ${wide.join(', ')}`);
    assert.ok(scrollWidth <= 375, `the page is ${scrollWidth} px wide at 375×812: ${wide.join(', ')}`);
    // The lanes keep a readable width and scroll sideways in their own
    // region, which a keyboard can reach.
    const lanes = await page.evaluate(() => {
      const svg = document.querySelector('[data-testid="timeline-panel-a"] svg.timeline');
      const region = svg?.closest('.timeline-scroll');
      return { width: svg?.getBoundingClientRect().width ?? 0, tabindex: region?.getAttribute('tabindex') };
    });
    assert.ok(lanes.width >= 700, `the timeline is ${lanes.width} px wide on a phone`);
    assert.equal(lanes.tabindex, '0', 'the timeline region is focusable');
  } finally {
    await context.close();
  }
});
