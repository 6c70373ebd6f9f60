// End-to-end: the playground against the release build, in headless Chromium,
// with real fetches answered by the Rust service worker. Every check reads
// what the page shows (data-testid hooks) and, where the issue asks, what the
// worker's own counters say.
//
// Figures (printed, not asserted): time from navigation to Fire enabled, time
// to render a timeline of 1,000 calls, and the p99 gap between planned and
// actual attempt start times in live mode.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serveDist, repoRoot } from './serve.mjs';
import { launchChromium, openPage, assertNoProblems, waitUntil, setControl } from './browser.mjs';
import { fireAndWait, timelinesDrawn } from './app.mjs';

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

/** Opens the app at `query`, waits until the service worker controls it and Fire is enabled. */
async function openApp(query = '', { viewport } = {}) {
  const opened = await openPage(browser, viewport ? { viewport } : {});
  const { page } = opened;
  const started = Date.now();
  await page.goto(`${server.url}${query}`, { waitUntil: 'load' });
  await waitUntil('the service worker to control the page', () => page.evaluate(() => !!navigator.serviceWorker.controller));
  await waitUntil('Fire to be enabled', () => page.getByTestId('fire-many').isEnabled());
  opened.fireEnabledMs = Date.now() - started;
  return opened;
}

async function text(page, testId) {
  return (await page.getByTestId(testId).first().textContent()).trim();
}

async function number(page, testId) {
  const t = await text(page, testId);
  const n = Number(t.replace(/[^0-9.]/g, ''));
  assert.ok(t !== '–' && Number.isFinite(n), `${testId} shows a number, not "${t}"`);
  return n;
}

async function workerCounters(page) {
  return page.evaluate(async () => (await fetch('/mock/_control/counters')).json());
}

/** Attempt bars with their outcome and times, per lane. */
async function lanes(page) {
  return page.locator('[data-testid="timeline-lane"]').evaluateAll((els) =>
    els.map((lane) => ({
      attempts: [...lane.querySelectorAll('[data-testid="attempt-bar"]')].map((b) => ({
        outcome: b.dataset.outcome,
        start: Number(b.dataset.startMs),
        end: b.dataset.endMs === '' ? null : Number(b.dataset.endMs),
      })),
      sleeps: [...lane.querySelectorAll('[data-testid="sleep"]')].map((s) => ({
        from: Number(s.dataset.fromMs),
        until: Number(s.dataset.untilMs),
      })),
    })),
  );
}

test('the page loads, the service worker controls it, Fire is enabled, no console errors', TIMEOUT, async () => {
  const { context, page, problems, fireEnabledMs } = await openApp();
  try {
    assert.equal(await page.getByTestId('sw-status').getAttribute('data-kind'), 'service-worker');
    assert.equal(await text(page, 'run-status'), 'idle');
    console.log(`# figure: navigation to Fire enabled: ${fireEnabledMs} ms`);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('an attempt, a sleep and a call name themselves on hover (their tooltips are written then)', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=full-jitter&mode=simulated&sim.clients=20');
  try {
    await fireAndWait(page);
    const panel = page.locator('[data-testid="timeline-panel-a"]');
    const lane = panel.locator('[data-testid="timeline-lane"]').filter({ has: page.locator('[data-testid="sleep"]') }).first();
    const tip = (el) => el.evaluate((e) => e.querySelector(':scope > title')?.textContent ?? null);
    const bar = lane.locator('[data-testid="attempt-bar"]').first();
    assert.equal(await tip(bar), null, 'no tooltip is written up front');
    await bar.hover();
    const barWords = (await tip(bar)) ?? '';
    assert.match(barWords, /^attempt 1: .+ → .+: .+ · (timeout|no timeout)/, barWords);
    assert.equal(await bar.getAttribute('data-attempt'), '1');
    const sleep = lane.locator('[data-testid="sleep"]').first();
    // A sleep is a dashed horizontal line (no height: Playwright's hover calls it
    // invisible): the pointer goes along it to a point on a dash.
    const onDash = await sleep.evaluate((e) => {
      const r = e.getBoundingClientRect();
      for (let i = 1; i < 40; i += 1) {
        const x = r.x + (r.width * i) / 40;
        if (document.elementFromPoint(x, r.y) === e) return { x, y: r.y };
      }
      return null;
    });
    assert.ok(onDash, 'the pointer can land on the sleep');
    await page.mouse.move(onDash.x, onDash.y);
    const sleepWords = (await tip(sleep)) ?? '';
    assert.match(sleepWords, /^sleep .+ → .+: \d+ ms backoff/, sleepWords);
    assert.equal(await tip(bar), null, 'the attempt\'s tooltip went when the pointer left it');
    await lane.locator('.lane-label').hover();
    const callWords = (await tip(lane)) ?? '';
    assert.match(callWords, new RegExp(`^call ${await lane.getAttribute('data-call')} \\(client \\d+\\) `), callWords);
    await page.locator('h1').first().hover();
    assert.equal(await panel.locator('title.tip').count(), 0, 'no tooltip stays behind');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('keyboard: a digit picks a preset, Space fires, R resets; T toggles talk mode', TIMEOUT, async () => {
  const { context, page, problems } = await openApp();
  try {
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('4');
    await waitUntil('preset 4 picked', async () => (await page.getByTestId('preset').inputValue()) === 'no-idempotency');
    await page.keyboard.press('Space');
    await waitUntil('the run to finish', async () => (await text(page, 'run-status')) === 'done');
    await timelinesDrawn(page);
    assert.equal(await page.locator('[data-testid="timeline-lane"]').count(), 50);
    await page.keyboard.press('r');
    await waitUntil('reset', async () => (await text(page, 'run-status')) === 'idle');
    assert.equal(await text(page, 'dup-count'), '–');
    await page.keyboard.press('t');
    await waitUntil('talk mode', async () => (await page.evaluate(() => document.documentElement.dataset.talk)) === '1');
    assert.ok(await page.getByTestId('stage').isVisible(), 'talk mode is the stage');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('without a service worker the same model runs in the page, and the page says so', TIMEOUT, async () => {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await page.goto(`${server.url}?preset=no-idempotency`, { waitUntil: 'load' });
    await waitUntil('the in-page fallback', async () => (await page.getByTestId('sw-status').getAttribute('data-kind')) === 'in-page', { timeout: 15_000 });
    assert.match(await text(page, 'sw-status'), /in-page/);
    await fireAndWait(page);
    assert.ok((await number(page, 'dup-count')) > 0, 'the in-page model duplicates too');
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('no-idempotency piles up duplicates (as the worker counts them); idempotency-key keeps them at 0', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=no-idempotency');
  try {
    await fireAndWait(page);
    const dup = await number(page, 'dup-count');
    const worker = await workerCounters(page);
    assert.ok(dup > 0, `commit-then-lose with naive POST must duplicate (dup-count ${dup})`);
    assert.equal(dup, worker.counters.duplicates, 'the page shows what the worker counted');

    // Lanes equal calls fired; attempt bars equal the server's request count.
    const shown = await lanes(page);
    assert.equal(shown.length, 50, '10 clients × 5 calls');
    const bars = shown.reduce((n, l) => n + l.attempts.length, 0);
    assert.equal(bars, worker.counters.requests_received, 'one bar per request the worker received');
    assert.equal(await number(page, 'server-requests'), worker.counters.requests_received);

    await page.getByTestId('preset').selectOption('idempotency-key');
    // The lesson comes with its B (no key); the worker's counters here are of one run: A's alone.
    await page.getByTestId('compare').click();
    await waitUntil('comparing to stop', async () => (await page.getByTestId('side-b').count()) === 0);
    await fireAndWait(page);
    assert.equal(await number(page, 'dup-count'), 0);
    const keyed = await workerCounters(page);
    assert.equal(keyed.counters.duplicates, 0);
    assert.ok(keyed.counters.replays > 0, 'lost replies were answered from the idempotency store');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('a mock worker that loses its run mid-run is reported, not miscounted', TIMEOUT, async () => {
  // Slow answers keep the run going long enough to pull the rug.
  const { context, page, problems } = await openApp('?endpoint.latency.ms=400&sim.clients=4&sim.calls=5');
  try {
    await page.getByTestId('fire-many').click();
    await waitUntil('the run to start', async () => (await text(page, 'run-status')) === 'running');
    // Requests go out only once the mock has started the run: a reset before
    // that would be met by a fresh run, with nothing to lose.
    await waitUntil('the first attempt on the timeline', async () => (await page.getByTestId('attempt-bar').count()) > 0);
    // What a browser restarting the idle worker does to its memory: the run is gone.
    await page.evaluate(() => fetch('/mock/_control/reset', { method: 'POST' }));
    await waitUntil('the run to stop', async () => (await text(page, 'run-status')) === 'done', { timeout: 15_000 });
    const banner = await page.getByTestId('error-banner').textContent();
    assert.match(banner, /lost this run/);
    assertNoProblems(problems.filter((p) => !p.includes('/mock/_control/counters')));
  } finally {
    await context.close();
  }
});

test('a hang with a 200 ms per-attempt timeout ends each attempt at 200 ms', TIMEOUT, async () => {
  const query = '?endpoint.fault.hang=1&attempts.timeout_ms=200&attempts.max=2&backoff.base_ms=50&sim.clients=4';
  const { context, page, problems } = await openApp(query);
  try {
    await fireAndWait(page);
    const attempts = (await lanes(page)).flatMap((l) => l.attempts);
    assert.equal(attempts.length, 8, '4 calls × 2 attempts');
    for (const a of attempts) {
      assert.equal(a.outcome, 'timed_out');
      const lasted = a.end - a.start;
      assert.ok(lasted >= 195 && lasted <= 260, `attempt lasted ${lasted} ms, expected 200 ms`);
    }
    assert.equal(await number(page, 'calls-gave-up'), 4);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('assignment-2-get-with-retry: a 404 is not retried, a 503 is, at most 3 attempts', TIMEOUT, async () => {
  // One call per client keeps the live run short (sleeps are the seed's 1 s and 2 s).
  const query = '?preset=assignment-2-get-with-retry&sim.calls=1&sim.clients=30&endpoint.fault.503=0.4&endpoint.fault.404=0.2&endpoint.fault.reset=0';
  const { context, page, problems } = await openApp(query);
  try {
    await fireAndWait(page);
    const shown = await lanes(page);
    let retried503 = 0;
    let ended404 = 0;
    for (const lane of shown) {
      assert.ok(lane.attempts.length <= 3, `a call made ${lane.attempts.length} attempts`);
      lane.attempts.forEach((a, i) => {
        const last = i === lane.attempts.length - 1;
        if (a.outcome === '4xx') {
          assert.ok(last, 'a 404 was followed by another attempt');
          ended404 += 1;
        }
        if (a.outcome === '5xx' && !last) retried503 += 1;
      });
    }
    assert.ok(retried503 > 0, 'some 503 was retried');
    assert.ok(ended404 > 0, 'some call ended on a 404');
    assert.match(await text(page, 'gave-up-reasons'), /answer not retryable \(4xx\): \d+ \(\d+\.\d%\)/);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('Share link copies the settings of the moment, even before the address bar says them', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=circuit-breaker');
  try {
    await page.evaluate(() => {
      window.__copied = [];
      navigator.clipboard.writeText = async (text) => {
        window.__copied.push(text);
      };
    });
    // The change and the click in one task: the address bar says the change a moment later.
    await page.evaluate(() => {
      const input = document.querySelector('input[data-testid="attempts.max"][type=number]');
      input.value = '4';
      input.dispatchEvent(new Event('change', { bubbles: true }));
      document.querySelector('[data-testid=share]').click();
    });
    await waitUntil('the link to be copied', () => page.evaluate(() => window.__copied.length === 1));
    const copied = new URL(await page.evaluate(() => window.__copied[0]));
    assert.equal(copied.origin, new URL(server.url).origin);
    assert.equal(copied.searchParams.get('attempts.max'), '4', copied.href);
    assert.equal(copied.searchParams.get('preset'), 'circuit-breaker', copied.href);
    await waitUntil('the address bar to say the same', async () => page.url() === copied.href);
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('a shared URL restores every control; a malformed URL shows the banner and the app still works', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=circuit-breaker');
  let shared;
  try {
    await setControl(page, 'backoff.base_ms', 250);
    await setControl(page, 'jitter.kind', 'equal');
    await setControl(page, 'endpoint.fault.429', 0.15);
    await page.getByTestId('retry.status_4xx').check();
    await setControl(page, 'seed', 7);
    await page.getByTestId('mode').selectOption('live');
    await page.getByTestId('slow').check();
    // The URL says a burst of changes a moment after it begins: wait for the last of them.
    await waitUntil('the URL to hold the settings', async () =>
      ['jitter.kind=equal', 'seed=7', 'mode=live', 'slow=1'].every((part) => page.url().includes(part)),
    );
    shared = page.url();
  } finally {
    await context.close();
  }
  const restored = await openPage(browser);
  try {
    await restored.page.goto(shared, { waitUntil: 'load' });
    const p = restored.page;
    await waitUntil('controls restored', async () => (await p.getByTestId('backoff.base_ms').inputValue()) === '250');
    assert.equal(await p.getByTestId('jitter.kind').inputValue(), 'equal');
    assert.equal(await p.getByTestId('endpoint.fault.429').inputValue(), '0.15');
    assert.equal(await p.getByTestId('breaker.kind').inputValue(), 'consecutive', 'the preset part is restored too');
    assert.equal(await p.getByTestId('mode').inputValue(), 'live');
    assert.equal(await p.getByTestId('seed').inputValue(), '7');
    assert.ok(await p.getByTestId('retry.status_4xx').isChecked());
    assert.equal(await p.getByTestId('preset').inputValue(), 'circuit-breaker');
    assert.ok(await p.getByTestId('slow').isChecked());
    assertNoProblems(restored.problems);
  } finally {
    await restored.context.close();
  }

  const bad = await openPage(browser);
  try {
    const p = bad.page;
    await p.goto(`${server.url}?attempts.max=lots&nonsense=1&backoff.base_ms=300&mode=simulated`, { waitUntil: 'load' });
    const banner = p.getByTestId('error-banner');
    await banner.waitFor({ state: 'visible' });
    const message = await banner.textContent();
    assert.match(message, /attempts\.max/);
    assert.match(message, /nonsense/);
    assert.equal(await p.getByTestId('backoff.base_ms').inputValue(), '300', 'good parameters are kept');
    assert.equal(await p.getByTestId('attempts.max').inputValue(), '3', 'the bad one falls back to its default');
    await fireAndWait(p);
    assert.equal(await p.locator('[data-testid="timeline-lane"]').count(), 10, 'the app still works');
    assertNoProblems(bad.problems);
  } finally {
    await bad.context.close();
  }
});

test('live and simulated modes give the same counters for a deterministic config', TIMEOUT, async () => {
  // No randomness: fixed latency, no jitter, no fault draws; the first 5 requests fail with 503.
  const query = '?endpoint.fail_first_n=5&endpoint.latency.ms=20&backoff.base_ms=50&sim.clients=5&sim.calls=2';
  const { context, page, problems } = await openApp(query);
  try {
    const read = async () => ({
      succeeded: await number(page, 'calls-succeeded'),
      gaveUp: await number(page, 'calls-gave-up'),
      requests: await number(page, 'server-requests'),
      dup: await number(page, 'dup-count'),
      lanes: await page.locator('[data-testid="timeline-lane"]').count(),
      bars: await page.locator('[data-testid="attempt-bar"]').count(),
    });
    await fireAndWait(page);
    const live = await read();
    await page.getByTestId('mode').selectOption('simulated');
    await fireAndWait(page);
    const simulated = await read();
    assert.deepEqual(live, simulated);
    assert.deepEqual(simulated, { succeeded: 10, gaveUp: 0, requests: 15, dup: 0, lanes: 10, bars: 15 });
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('figures: a timeline of 1,000 calls, and live sleep precision', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?mode=simulated&sim.clients=1000&endpoint.fault.503=0.2');
  try {
    const started = Date.now();
    await page.getByTestId('fire-many').click();
    await waitUntil('the run to finish', async () => (await text(page, 'run-status')) === 'done');
    await timelinesDrawn(page);
    console.log(`# figure: simulate and render a timeline of 1,000 calls: ${Date.now() - started} ms`);
    // Every attempt in the density view; the first lanes in detail, not one element per attempt.
    const attempts = Number(await page.getByTestId('density').getAttribute('data-attempts'));
    assert.equal(attempts, await number(page, 'server-requests'));
    const shown = await page.locator('[data-testid="timeline-lane"]').count();
    assert.ok(shown > 0 && shown <= 200, `${shown} lanes in detail`);

    await page.getByTestId('mode').selectOption('live');
    await setControl(page, 'calls-count', 100);
    await setControl(page, 'endpoint.fault.503', 0.5);
    await setControl(page, 'backoff.base_ms', 100);
    await setControl(page, 'jitter.kind', 'full');
    await fireAndWait(page);
    const gaps = [];
    for (const lane of await lanes(page)) {
      lane.sleeps.forEach((s, i) => {
        const next = lane.attempts[i + 1];
        if (next) gaps.push(next.start - s.until);
      });
    }
    gaps.sort((a, b) => a - b);
    assert.ok(gaps.length > 0, 'some calls slept');
    const p99 = gaps[Math.min(gaps.length - 1, Math.ceil(gaps.length * 0.99) - 1)];
    const p50 = gaps[Math.floor(gaps.length / 2)];
    console.log(`# figure: live mode, planned vs actual attempt start: p50 ${p50} ms, p99 ${p99} ms over ${gaps.length} retries (max ${gaps[gaps.length - 1]} ms)`);
    assert.ok(gaps[0] >= 0, 'no attempt starts before its sleep ends');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('screenshots of the main screen in normal and talk mode (the README shows them)', TIMEOUT, async () => {
  for (const [talk, file] of [[false, 'screenshot.png'], [true, 'screenshot-talk.png']]) {
    const { context, page, problems } = await openApp(`?preset=no-idempotency${talk ? '&talk=1' : ''}`, {
      viewport: { width: 1440, height: 1000 },
    });
    try {
      await fireAndWait(page);
      await page.screenshot({ path: path.join(repoRoot, 'docs', file) });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  }
});

test('talk mode is readable whatever the OS scheme and the theme', TIMEOUT, async () => {
  // Relative luminance (WCAG) of an `rgb(r, g, b)` string.
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  for (const scheme of ['dark', 'light']) {
    for (const theme of ['auto', 'light', 'dark']) {
      const { context, page, problems } = await openPage(browser);
      try {
        await page.emulateMedia({ colorScheme: scheme });
        await page.goto(`${server.url}?preset=no-idempotency&talk=1&theme=${theme}`, { waitUntil: 'load' });
        await page.getByTestId('fire-many').waitFor();
        const [bg, fg] = await page.evaluate(() => {
          const s = getComputedStyle(document.querySelector('.panel'));
          return [s.backgroundColor, s.color];
        });
        const [hi, lo] = [luminance(bg), luminance(fg)].sort((a, b) => b - a);
        const contrast = (hi + 0.05) / (lo + 0.05);
        assert.ok(contrast >= 7, `OS ${scheme}, theme ${theme}: text ${fg} on ${bg} has contrast ${contrast.toFixed(1)}`);
        assertNoProblems(problems);
      } finally {
        await context.close();
      }
    }
  }
});

test('shortcuts keep working after a mouse click, and a clicker walks the lessons', TIMEOUT, async () => {
  const { context, page, problems } = await openApp('?preset=no-idempotency&mode=simulated');
  try {
    // A checkbox clicked with the mouse: Space then fires, it does not toggle the box again.
    await page.getByTestId('slow').click();
    assert.equal(await page.getByTestId('slow').isChecked(), true);
    await page.keyboard.press('Space');
    await waitUntil('Space to fire', async () => (await text(page, 'run-status')) === 'done');
    assert.equal(await page.getByTestId('slow').isChecked(), true, 'Space did not toggle the checkbox');
    await page.getByTestId('slow').click();
    // A preset picked with the mouse: the clicker's PageDown/PageUp walk the deck from there.
    const ids = await page.getByTestId('preset').evaluate((s) => [...s.options].map((o) => o.value).filter(Boolean));
    const at = ids.indexOf('no-idempotency');
    assert.ok(at >= 0 && at + 1 < ids.length, `no-idempotency among ${ids}`);
    await page.keyboard.press('PageDown');
    await waitUntil('the next lesson', async () => (await page.getByTestId('preset').inputValue()) === ids[at + 1]);
    await page.keyboard.press('PageUp');
    await page.keyboard.press('PageUp');
    await waitUntil('the previous lesson', async () => (await page.getByTestId('preset').inputValue()) === ids[at - 1]);
    // R still resets after a mouse click on a button.
    await page.getByTestId('fire-many').click();
    await waitUntil('the run to finish', async () => (await text(page, 'run-status')) === 'done');
    await page.keyboard.press('r');
    await waitUntil('R to reset', async () => (await text(page, 'run-status')) === 'idle');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
