// Screenshots for looking (not a test): node tests/e2e/look.mjs QUERY WIDTHxHEIGHT OUT.png [dark] [fire]
import { serveDist } from './serve.mjs';
import { launchChromium, waitUntil } from './browser.mjs';
const [query = '', size = '1280x720', out = '/work/shots/a.png', scheme = 'light', fire = ''] = process.argv.slice(2);
const [width, height] = size.split('x').map(Number);
const server = await serveDist();
const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
const page = await context.newPage();
page.on('pageerror', (e) => console.log('pageerror', e.message));
page.on('console', (m) => { if (m.type() === 'error') console.log('console', m.text()); });
await page.goto(server.url + query);
await page.waitForSelector(`[data-testid="${query.includes("talk=1") ? "fire" : "fire"}"]:not([disabled])`, { timeout: 30000 });
if (fire) {
  const many = query.includes('talk=1') ? 'fire' : 'fire-many';
  await page.click(`[data-testid="${many}"]`);
  await page.waitForTimeout(Number(fire) || 3000);
}
await page.waitForTimeout(500);
const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, sh: document.documentElement.scrollHeight }));
console.log(JSON.stringify(m));
await page.screenshot({ path: out, fullPage: process.env.FULL === '1' });
await browser.close();
await server.close();
