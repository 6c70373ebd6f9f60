// End-to-end: the deck walk and the gallery. A speaker's talk: open the
// stage at 1280×720 on the deck's first lesson, fire it, wait until it is
// done, and → to the next, through every lesson of the deck (the chapter's
// lessons, then the lessons beyond it; not the library profiles). No lesson
// may keep the speaker waiting: each run, in the lesson's own mode (live
// ones through the mock service worker), is done within 10 s of Fire.
// Each finished lesson is written to docs/lessons/<id>.png, and
// docs/lessons/README.md indexes them with the times measured.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serveDist, repoRoot } from './serve.mjs';
import { launchChromium, assertNoProblems, waitUntil } from './browser.mjs';
import { openApp, fireButton, text } from './app.mjs';

const STAGE = { width: 1280, height: 720 };
/** The longest a lesson may run, Fire to done (issue 15). */
const RUN_MS_MAX = 10_000;
const OUT = path.join(repoRoot, 'docs', 'lessons');

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

/** The deck as the page walks it by default: the chapter, then beyond it. */
function deck() {
  const all = JSON.parse(fs.readFileSync(path.join(repoRoot, 'crates', 'flaky', 'presets.json'), 'utf8'));
  const of = (d) => all.filter((p) => (p.deck ?? 'chapter') === d);
  return [...of('chapter'), ...of('beyond')].map((p) => ({
    id: p.id,
    title: p.title,
    mode: p.mode ?? 'simulated',
  }));
}

const shownPreset = (page) => new URL(page.url()).searchParams.get('preset');

/** Waits for the page to draw what it has (two animation frames). */
const settled = (page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

/** Fires the shown lesson and waits until it is done; the time from Fire to done, ms. */
async function fireAndTime(page) {
  const fire = await fireButton(page);
  await waitUntil('Fire to be enabled', () => fire.isEnabled({ timeout: 1_000 }), { timeout: 30_000 });
  const started = Date.now();
  await fire.click();
  await waitUntil('the run to start', async () => (await text(page, 'run-status')) !== 'idle', {
    timeout: 5_000,
    interval: 20,
  });
  await waitUntil('the run to be done', async () => (await text(page, 'run-status')) === 'done', {
    timeout: 90_000,
    interval: 20,
  });
  return Date.now() - started;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** docs/lessons/README.md: the gallery's index, with each lesson's time. */
function writeIndex(rows) {
  const lines = [
    '# The deck, lesson by lesson',
    '',
    'Every lesson of the deck on the talk stage at 1280×720, fired and done,',
    'in the order → walks it (the chapter, then the lessons beyond it).',
    'Written by `tests/e2e/gallery.test.mjs` (`node --test tests/e2e/gallery.test.mjs`',
    'after `cargo xtask dist`); "Fire → done" is the time it measured from the',
    `click on Fire to the run being done (at most ${seconds(RUN_MS_MAX)}: no lesson keeps a speaker waiting).`,
    '',
    '| # | lesson | id | mode | Fire → done |',
    '| ---: | --- | --- | --- | ---: |',
    ...rows.map((r, i) => `| ${i + 1} | [${r.title}](${r.id}.png) | \`${r.id}\` | ${r.mode} | ${seconds(r.ms)} |`),
    '',
    ...rows.flatMap((r, i) => [`## ${i + 1}. ${r.title}`, '', `![${r.title}: the talk stage, fired and done](${r.id}.png)`, '']),
  ];
  fs.writeFileSync(path.join(OUT, 'README.md'), lines.join('\n'));
}

test('the deck walk: → through every lesson on the stage, each fired and done within 10 s, into the gallery', { timeout: 900_000 }, async () => {
  const lessons = deck();
  assert.equal(lessons.length, 24, 'the deck: 14 chapter lessons and 10 beyond it');
  fs.mkdirSync(OUT, { recursive: true });
  const { context, page, problems } = await openApp(browser, `${server.url}?talk=1&preset=${lessons[0].id}`, {
    viewport: STAGE,
  });
  const rows = [];
  try {
    for (const [i, lesson] of lessons.entries()) {
      if (i > 0) {
        await page.keyboard.press('ArrowRight');
        await waitUntil(`→ to open ${lesson.id}`, () => shownPreset(page) === lesson.id);
      }
      assert.equal(await text(page, 'deck-position'), `${i + 1} / ${lessons.length}`, lesson.id);
      assert.equal(await text(page, 'run-status'), 'idle', `${lesson.id} opens without the old figures`);
      const ms = await fireAndTime(page);
      console.log(`deck walk: ${String(i + 1).padStart(2)} ${lesson.id.padEnd(32)} ${lesson.mode.padEnd(9)} Fire → done ${seconds(ms)}`);
      rows.push({ ...lesson, ms });
      if (lesson.id === 'assignment-1-timeout') {
        // The stage says what B left hanging: its p99 leaves those calls out.
        const line = await text(page.getByTestId('side-b'), 'hanging-line');
        assert.match(line, /^B: \d+ calls? still hanging at 8 s/, `the stage: ${line}`);
      }
      await settled(page);
      await page.screenshot({ path: path.join(OUT, `${lesson.id}.png`) });
    }
    assert.equal(await text(page, 'deck-position'), `${lessons.length} / ${lessons.length}`);
    assertNoProblems(problems);
  } finally {
    if (rows.length === lessons.length) writeIndex(rows);
    await context.close();
  }
  const slow = rows.filter((r) => r.ms > RUN_MS_MAX).map((r) => `${r.id} (${r.mode}): ${seconds(r.ms)}`);
  assert.deepEqual(slow, [], `lessons that keep a speaker waiting over ${seconds(RUN_MS_MAX)}`);
});

test('a lesson whose B would hang forever stops at its horizon and says what was still hanging, per side', { timeout: 120_000 }, async () => {
  const { context, page, problems } = await openApp(browser, `${server.url}?preset=assignment-1-timeout`);
  try {
    const ms = await fireAndTime(page);
    assert.ok(ms <= RUN_MS_MAX, `done in ${seconds(ms)}`);
    assert.equal(await page.getByTestId('side-a').getByTestId('hanging-line').count(), 0, 'every call of A ended');
    const line = await text(page.getByTestId('side-b'), 'hanging-line');
    assert.match(line, /^B: \d+ calls? still hanging at 8 s/, line);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
