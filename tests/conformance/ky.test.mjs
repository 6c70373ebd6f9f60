// ky's own retry timing (ky 1.14.3, pinned in package.json) against
// `playground plan --preset lib-ky`.
//
// ky's delay function is not exported (package.json "exports" has only "."),
// so we do two things, copying nothing of ky:
// 1. import its default retry options from the installed file
//    (distribution/utils/normalize.js, found through import.meta.resolve('ky'))
//    and call its own `delay(attemptCount)`;
// 2. run real ky against a 127.0.0.1 server that fails twice with 503, and
//    measure the gaps between the requests it receives: ky's own sleeps.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createServer} from 'node:http';
import {performance} from 'node:perf_hooks';
import ky from 'ky';

function plan(args) {
	const bin = process.env.PLAYGROUND_BIN;
	assert.ok(bin, 'PLAYGROUND_BIN is not set: run `cargo xtask test --only conformance`');
	const out = execFileSync(bin, ['plan', '--format', 'json', ...args], {encoding: 'utf8'});
	return JSON.parse(out).retries;
}

const {normalizeRetryOptions} = await import(new URL('utils/normalize.js', import.meta.resolve('ky')));

test('ky default delay and limit equal the lib-ky plan', () => {
	const defaults = normalizeRetryOptions({});
	const ours = plan(['--preset', 'lib-ky', '--samples', '3']);
	assert.equal(ours.length, defaults.limit, 'retries = ky retry.limit');
	for (const [i, r] of ours.entries()) {
		const theirs = defaults.delay(i + 1);
		assert.deepEqual(r.samples_ms, [theirs, theirs, theirs], `retry ${i + 1}`);
		assert.deepEqual(r.envelope_ms, [theirs, theirs]);
	}
	assert.equal(defaults.backoffLimit, Number.POSITIVE_INFINITY, 'no cap (ours: one day)');
	assert.equal(defaults.jitter, undefined, 'no jitter');
	assert.equal(defaults.retryOnTimeout, false, 'lib-ky sets retry.timeout=false');
	assert.deepEqual(defaults.statusCodes, [408, 413, 429, 500, 502, 503, 504]);
	assert.ok(!defaults.methods.includes('post'), 'POST is not retried');
});

test('real ky sleeps the planned delays between its requests', async () => {
	const arrivals = [];
	const server = createServer((request, response) => {
		arrivals.push({at: performance.now(), method: request.method});
		const failing = request.method === 'POST' || arrivals.length <= 2;
		response.writeHead(failing ? 503 : 200, {'content-type': 'text/plain'});
		response.end(failing ? 'unavailable' : 'ok');
	});
	await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
	try {
		const url = `http://127.0.0.1:${server.address().port}/`;
		assert.equal(await ky.get(url).text(), 'ok');
		assert.equal(arrivals.length, 3, 'two retries, then success');
		const ours = plan(['--preset', 'lib-ky', '--samples', '1']).map(r => r.samples_ms[0]);
		for (const [i, planned] of ours.entries()) {
			const gap = arrivals[i + 1].at - arrivals[i].at;
			// A timer never fires early; the request's own round trip and the
			// event loop add a little.
			assert.ok(gap >= planned - 2 && gap <= planned + 250, `retry ${i + 1}: waited ${gap.toFixed(1)} ms, planned ${planned}`);
		}
		arrivals.length = 0;
		await assert.rejects(ky.post(url, {body: 'x'}).text());
		assert.equal(arrivals.length, 1, 'POST is not retried');
	} finally {
		server.close();
	}
});
