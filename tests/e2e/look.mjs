// A screenshot for looking at the release build (not a test): serves dist/ (or E2E_DIST), opens
// QUERY at WIDTHxHEIGHT, optionally fires and waits FIRE ms, and writes OUT.png (FULL=1: the whole page).
// node tests/e2e/look.mjs "?preset=no-jitter&talk=1" 1280x720 out.png dark 3000
import fs from 'node:fs/promises';
import path from 'node:path';
import { serveDist } from './serve.mjs';
import { launchChromium } from './browser.mjs';
const [query = '', size = '1280x720', out = 'tests/e2e/artifacts/look.png', scheme = 'light', fire = ''] = process.argv.slice(2);
const [width, height] = size.split('x').map(Number);
const server = await serveDist();
const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
const page = await context.newPage();
page.on('pageerror', (e) => console.log('pageerror', e.message));
page.on('console', (m) => { if (m.type() === 'error') console.log('console', m.text()); });
await page.goto(server.url + query);
await page.waitForSelector(`[data-testid="fire-many"]:not([disabled])`, { timeout: 30000 });
if (fire) {
  await page.click('[data-testid="fire-many"]');
  await page.waitForTimeout(Number(fire) || 3000);
}
await page.waitForTimeout(500);
const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight }));
console.log(JSON.stringify(m));
await fs.mkdir(path.dirname(out), { recursive: true });
await page.screenshot({ path: out, fullPage: process.env.FULL === '1' });
await browser.close();
await server.close();
