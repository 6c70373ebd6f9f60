// End-to-end: "Use this policy" in the release build, in headless Chromium.
//
// Contract (the app's side): in the panel "Use this policy", a select
// data-testid="export-target" (values: the `--target` names), the document in
// data-testid="export-document" and a copy button data-testid="export-copy";
// a select data-testid="import-format", a textarea data-testid="import-text",
// a button data-testid="import-apply" and the answer in
// data-testid="import-result". The run worker writes the document and reads
// a paste; the paste's knobs apply to the knob controls (data-testid = the
// knob's name).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveDist } from './serve.mjs';
import { launchChromium, openPage, assertNoProblems, waitUntil, setControl } from './browser.mjs';

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

/** Open `/` and the panel (a <details>, closed at first). */
async function openPanel() {
  const opened = await openPage(browser);
  const { page } = opened;
  await page.goto(server.url, { waitUntil: 'load' });
  const summary = page.locator('details.export > summary');
  await summary.waitFor({ state: 'visible', timeout: 60_000 });
  await summary.click();
  await page.getByTestId('export-document').waitFor({ state: 'visible' });
  return opened;
}

const GRPC = JSON.stringify({
  methodConfig: [
    {
      name: [{ service: 'payments.Payments' }],
      timeout: '7.5s',
      retryPolicy: {
        maxAttempts: 5,
        initialBackoff: '0.25s',
        maxBackoff: '4s',
        backoffMultiplier: 3,
        retryableStatusCodes: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'],
      },
    },
  ],
});

test('picking a target shows its document, and copy copies it', TIMEOUT, async () => {
  const { context, page, problems } = await openPanel();
  try {
    const doc = page.getByTestId('export-document');
    await waitUntil('the tenacity document (the first target)', async () =>
      (await doc.textContent()).includes('from tenacity import'),
    );
    await setControl(page, 'export-target', 'grpc');
    const grpc = await waitUntil('the gRPC service config', async () => {
      const text = await doc.textContent();
      return text.includes('"methodConfig"') && text;
    });
    const json = JSON.parse(grpc);
    assert.equal(json.methodConfig[0].retryPolicy.maxAttempts, 3, 'the defaults: 3 attempts');
    assert.equal(json.methodConfig[0].retryPolicy.initialBackoff, '1s');

    await setControl(page, 'export-target', 'envoy');
    await waitUntil('the Envoy route', async () => (await doc.textContent()).includes('retry_policy:'));
    await setControl(page, 'attempts.max', 4);
    await waitUntil('the document to follow the knobs', async () =>
      (await doc.textContent()).includes('num_retries: 3'),
    );

    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await page.getByTestId('export-copy').click();
    await waitUntil('the copy button to say Copied', async () =>
      (await page.getByTestId('export-copy').textContent()) === 'Copied',
    );
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clipboard, await doc.textContent(), 'the clipboard holds the document');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});

test('pasting a gRPC config changes the knobs; a bad one names its field', TIMEOUT, async () => {
  const { context, page, problems } = await openPanel();
  try {
    await setControl(page, 'import-format', 'grpc');
    await page.getByTestId('import-text').fill(GRPC);
    await page.getByTestId('import-apply').click();
    const result = page.getByTestId('import-result');
    await waitUntil('the import to be applied', async () => /Imported \d+ settings/.test((await result.textContent()) ?? ''));
    await waitUntil('attempts.max = 5', async () => (await page.getByTestId('attempts.max').inputValue()) === '5');
    assert.equal(await page.getByTestId('backoff.base_ms').inputValue(), '250');
    assert.equal(await page.getByTestId('jitter.kind').inputValue(), 'ratio_after_cap');
    await waitUntil('the imported knobs in the URL', async () => /attempts\.max=5/.test(page.url()));

    await page.getByTestId('import-text').fill(GRPC.replace('"0.25s"', '"soon"'));
    await page.getByTestId('import-apply').click();
    const error = await waitUntil('the error', async () => {
      const text = (await result.textContent()) ?? '';
      return text.startsWith('Not imported') && text;
    });
    assert.match(error, /line 1, field `methodConfig\[0\]\.retryPolicy\.initialBackoff`/);
    assert.equal(await page.getByTestId('attempts.max').inputValue(), '5', 'a refused paste keeps the knobs');
    assertNoProblems(problems);
  } finally {
    await context.close();
  }
});
