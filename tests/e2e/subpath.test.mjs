// End-to-end: a build hosted under a sub-path. `trunk build --release
// --public-url /playground/` (what `cargo xtask dist --public-url /playground/`
// runs) into a temporary directory, served under /playground/ only: the app
// loads with no 404, the service worker's scope is the sub-path, live requests
// go to /playground/mock/… and are answered by it, the run worker loads from
// the sub-path, and the offline cache holds the sub-path's files.
//
// The build takes a few minutes; E2E_SUBPATH_DIST=<dir> uses a build made
// beforehand with `--public-url /playground/` instead.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveDist, repoRoot } from './serve.mjs';
import { launchChromium, assertNoProblems } from './browser.mjs';
import { appFiles, openApp, fireAndWait, number, waitForAppCache } from './app.mjs';

const PREFIX = '/playground/';
const TIMEOUT = { timeout: 240_000 };

let dir;
let builtHere = false;
let server;
let browser;

/** Builds the app for `PREFIX` into a temporary directory. */
function build() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'playground-e2e-subpath-'));
  const started = Date.now();
  const run = spawnSync('trunk', ['build', '--release', '--public-url', PREFIX, '--dist', out], {
    cwd: repoRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (run.error) throw new Error(`e2e: cannot run trunk (is it on PATH? \`cargo xtask setup\` installs it): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`e2e: trunk build --public-url ${PREFIX} failed (${run.status})`);
  console.log(`# figure: trunk build --release --public-url ${PREFIX}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return out;
}

before(
  async () => {
    dir = process.env.E2E_SUBPATH_DIST ? path.resolve(process.env.E2E_SUBPATH_DIST) : build();
    builtHere = !process.env.E2E_SUBPATH_DIST;
    const index = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
    assert.ok(index.includes(`${PREFIX}resilience-playground.js`), `${dir} is a build for ${PREFIX}`);
    server = await serveDist(dir, { prefix: PREFIX });
    browser = await launchChromium();
  },
  { timeout: 900_000 },
);

after(async () => {
  await browser?.close();
  await server?.close();
  if (builtHere && dir) fs.rmSync(dir, { recursive: true, force: true });
});

test(`under ${PREFIX}: the app loads with no 404, live and simulated runs work`, TIMEOUT, async () => {
  assert.match(server.url, /\/playground\/$/);
  const { context, page, problems } = await openApp(browser, `${server.url}?preset=no-idempotency&mode=live`);
  try {
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).scope);
    assert.equal(scope, server.url, "the worker's scope is the sub-path");
    assert.equal(await page.getByTestId('sw-status').getAttribute('data-kind'), 'service-worker');

    // Live: real fetches to /playground/mock/…, answered by the worker.
    const mockUrls = new Set();
    context.on('request', (r) => {
      if (r.url().includes('/mock/')) mockUrls.add(new URL(r.url()).pathname.replace(/[^/]*$/, ''));
    });
    await fireAndWait(page);
    assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    const live = await number(page, 'server-requests');
    assert.ok(live >= 50, `at least one request per call (${live})`);
    const health = await page.evaluate(async () => (await fetch('mock/_control/health')).json());
    assert.ok(health.runs >= 1, `the worker under ${PREFIX} keeps the run: ${JSON.stringify(health)}`);
    assert.ok(mockUrls.size > 0, 'the live run was seen sending mock requests');
    for (const p of mockUrls) assert.ok(p.startsWith(`${PREFIX}mock/`), `a mock request went to ${p}`);
    console.log(`# mock requests went to ${[...mockUrls].join(', ')}`);

    // Simulated: the run worker loads from the sub-path.
    await page.goto(`${server.url}?preset=no-idempotency&mode=simulated`, { waitUntil: 'load' });
    await fireAndWait(page);
    assert.ok((await number(page, 'server-requests')) >= 50);

    // The offline cache holds the sub-path's files.
    await waitForAppCache(page, server.url, appFiles(dir));
    assert.deepEqual(server.misses, [], 'nothing was asked for outside the build or the sub-path');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
