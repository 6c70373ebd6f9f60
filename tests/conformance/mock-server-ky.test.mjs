// `playground export --target ky` runs with real ky against `playground
// mock-server` for the same preset: the server's counts (requests, duplicate
// creates) and the calls that gave up are within 10% (or three binomial
// standard deviations, for rare counts) of `playground run` over the same
// number of calls, the mean of several seeds (see mock_server.py).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {once} from 'node:events';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {pathToFileURL} from 'node:url';

const CLIENTS = 20;
const CALLS = 100;
const SEEDS = [1, 2, 3, 4, 5];
const SETS = ['endpoint.latency.ms=10', 'backoff.base_ms=20'].flatMap(s => ['--set', s]);

function bin() {
	const path = process.env.PLAYGROUND_BIN;
	assert.ok(path, 'PLAYGROUND_BIN is not set: run `cargo xtask test --only conformance`');
	return path;
}

const dir = mkdtempSync(join(tmpdir(), 'mock-server-ky-'));

async function exported(preset) {
	const text = execFileSync(bin(), ['export', '--target', 'ky', '--preset', preset, ...SETS], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
	const file = join(dir, `${preset}.mjs`);
	writeFileSync(file, text.replace(/from 'ky';/, `from '${import.meta.resolve('ky')}';`));
	return import(pathToFileURL(file).href);
}

/** A running `playground mock-server`: its base URL and a stop that returns its last words. */
async function mockServer(preset, seed) {
	const child = spawn(bin(), ['mock-server', '--preset', preset, '--seed', String(seed), '--port', '0', ...SETS], {stdio: ['ignore', 'pipe', 'inherit']});
	const lines = createInterface({input: child.stdout});
	const [first] = await once(lines, 'line');
	const port = /http:\/\/127\.0\.0\.1:(\d+)\/mock\//.exec(first)?.[1];
	assert.ok(port, `mock-server did not start: ${first}`);
	const rest = [];
	lines.on('line', line => rest.push(line));
	return {
		base: `http://127.0.0.1:${port}`,
		async stop() {
			const exited = once(child, 'exit');
			const closed = once(lines, 'close');  // its last line may come after its exit
			child.kill('SIGINT');
			const [code] = await exited;
			await closed;
			assert.equal(code, 0);
			return rest.join('\n');
		},
	};
}

function simulated(preset) {
	const sum = {requests: 0, duplicates: 0, gaveUp: 0};
	for (const seed of SEEDS) {
		const out = execFileSync(bin(), ['run', '--preset', preset, '--format', 'json', '--seed', String(seed), '--clients', String(CLIENTS), '--calls', String(CALLS), ...SETS], {encoding: 'utf8'});
		const s = JSON.parse(out);
		sum.requests += s.server_requests;
		sum.duplicates += s.duplicates;
		sum.gaveUp += Object.values(s.gave_up).reduce((a, b) => a + b, 0);
	}
	return Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, v / SEEDS.length]));
}

function assertClose(real, expected, what) {
	const calls = CLIENTS * CALLS;
	const p = Math.min(1, expected / calls);
	const spread = Math.max(0.1 * expected, 3 * Math.sqrt(Math.max(calls * p * (1 - p), 1)));
	assert.ok(Math.abs(real - expected) <= spread, `${what}: ky ${real}, playground run ${expected} (allowed ±${spread.toFixed(1)})`);
}

for (const [preset, seed] of [['no-idempotency', 13], ['idempotency-key', 14]]) {
	test(`exported ky against the mock server counts as the simulation: ${preset}`, async () => {
		const doc = await exported(preset);
		const post = doc.call ?? doc.api;
		const server = await mockServer(preset, seed);
		let gaveUp = 0;
		try {
			await Promise.all(Array.from({length: CLIENTS}, async (_, c) => {
				for (let n = 0; n < CALLS; n++) {
					try {
						await post(`${server.base}/mock/items`, {method: 'post', body: `item-${c}-${n}`});
					} catch {
						gaveUp++;
					}
				}
			}));
			const {counters} = await (await fetch(`${server.base}/mock/_control/counters`)).json();
			const expected = simulated(preset);
			assertClose(counters.requests_received, expected.requests, 'requests');
			assertClose(counters.duplicates, expected.duplicates, 'duplicate creates');
			assertClose(gaveUp, expected.gaveUp, 'calls that gave up');
		} finally {
			const said = await server.stop();
			assert.match(said, /mock-server: stopped; served \d+ requests/);
		}
	});
}
