// End-to-end: the first page of the release build, in headless Chromium.
//
// Contract (the app's side): `/` renders a heading; controls whose data-testid is
// their knob name: `attempts.max` (input range/number), `backoff.base_ms`,
// `backoff.cap_ms` (inputs), `jitter.kind` (select: none, full, equal,
// decorrelated, ratio, additive); a table data-testid="schedule" with one
// <tr data-testid="schedule-row"> per planned retry, with cells `retry`,
// `envelope` and `drawn`. Default attempts.max = 3, so 2 rows.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './serve.mjs';
import {
  launchChromium,
  openPage,
  assertNoProblems,
  waitUntil,
  setControl,
} from './browser.mjs';

const JITTER_KINDS = ['none', 'full', 'equal', 'decorrelated', 'ratio', 'additive'];
const TIMEOUT = { timeout: 120_000 };

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

const ROWS = '[data-testid="schedule"] [data-testid="schedule-row"]';

/** Open `/` and wait for the app to render the default schedule (2 rows). */
async function openApp() {
  const opened = await openPage(browser);
  await opened.page.goto(server.url, { waitUntil: 'load' });
  let rows;
  await waitUntil('the schedule table to show 2 rows (default attempts.max = 3)', async () => {
    rows = await rowCount(opened.page);
    return rows === 2;
  }).catch((err) => {
    throw new Error(`${err.message}; schedule rows seen: ${rows}; problems: ${opened.problems.join('; ') || 'none'}`);
  });
  return opened;
}

async function rowCount(page) {
  return page.locator(ROWS).count();
}

async function cellTexts(page, testId) {
  return page.locator(`${ROWS} [data-testid="${testId}"]`).allTextContents();
}

test('first page renders a heading, the knob controls and the default schedule', TIMEOUT, async () => {
  const { context, page, problems } = await openApp();
  try {
    const heading = page.getByRole('heading').first();
    await heading.waitFor({ state: 'visible' });
    assert.ok((await heading.textContent()).trim().length > 0, 'the heading has no text');

    for (const knob of ['attempts.max', 'backoff.base_ms', 'backoff.cap_ms', 'jitter.kind']) {
      assert.equal(await page.getByTestId(knob).count(), 1, `exactly one control data-testid="${knob}"`);
    }
    const attemptsType = await page.getByTestId('attempts.max').evaluate((el) => `${el.tagName}/${el.type}`);
    assert.ok(
      ['INPUT/range', 'INPUT/number'].includes(attemptsType),
      `attempts.max must be an <input type=range|number>, is ${attemptsType}`,
    );
    for (const knob of ['backoff.base_ms', 'backoff.cap_ms']) {
      assert.equal(await page.getByTestId(knob).evaluate((el) => el.tagName), 'INPUT', `${knob} is an <input>`);
    }
    const jitter = page.getByTestId('jitter.kind');
    assert.equal(await jitter.evaluate((el) => el.tagName), 'SELECT', 'jitter.kind is a <select>');
    const options = await jitter.locator('option').evaluateAll((os) => os.map((o) => o.value));
    for (const kind of JITTER_KINDS) {
      assert.ok(options.includes(kind), `jitter.kind offers "${kind}" (options: ${options.join(', ')})`);
    }

    assert.equal(await rowCount(page), 2);
    for (const cell of ['retry', 'envelope', 'drawn']) {
      const texts = await cellTexts(page, cell);
      assert.equal(texts.length, 2, `each schedule row has a "${cell}" cell`);
      for (const t of texts) assert.ok(t.trim().length > 0, `a "${cell}" cell is empty`);
    }
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('attempts.max = 6 plans 5 retries', TIMEOUT, async () => {
  const { context, page, problems } = await openApp();
  try {
    await setControl(page, 'attempts.max', 6);
    await waitUntil('5 schedule rows after attempts.max = 6', async () => (await rowCount(page)) === 5);
    const retries = await cellTexts(page, 'retry');
    assert.equal(retries.length, 5);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('changing backoff.base_ms changes the envelope', TIMEOUT, async () => {
  const { context, page, problems } = await openApp();
  try {
    const before = (await cellTexts(page, 'envelope')).join(' | ');
    const base = page.getByTestId('backoff.base_ms');
    const { value, min, max } = await base.evaluate((el) => ({
      value: Number(el.value),
      min: el.min === '' ? 1 : Number(el.min),
      max: el.max === '' ? Number.MAX_SAFE_INTEGER : Number(el.max),
    }));
    // A clearly different base that the control accepts.
    let next = value * 2 <= max ? value * 2 : Math.floor(value / 2);
    if (!(next >= min && next <= max) || next === value) next = value + 1 <= max ? value + 1 : value - 1;
    assert.notEqual(next, value, `cannot pick another backoff.base_ms in [${min}, ${max}]`);

    await setControl(page, 'backoff.base_ms', next);
    const after = await waitUntil(
      `the envelope to change after backoff.base_ms ${value} -> ${next}`,
      async () => {
        const now = (await cellTexts(page, 'envelope')).join(' | ');
        return now !== before && now;
      },
    );
    assert.notEqual(after, before);
    assert.equal(await rowCount(page), 2, 'changing the base does not change the number of retries');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
