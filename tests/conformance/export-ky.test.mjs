// `playground export --target ky` runs with real ky (1.14.3, pinned in
// package.json): the exported `api` is used against a 127.0.0.1 server that
// fails, and the gaps between the requests ky sends are compared with
// `playground plan`. The document is written to a temporary file with its
// `'ky'` import pointed at the installed ky (a file outside the repository
// cannot resolve the bare name).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createServer} from 'node:http';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {performance} from 'node:perf_hooks';
import {pathToFileURL} from 'node:url';

function playground(args) {
	const bin = process.env.PLAYGROUND_BIN;
	assert.ok(bin, 'PLAYGROUND_BIN is not set: run `cargo xtask test --only conformance`');
	return execFileSync(bin, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
}

const dir = mkdtempSync(join(tmpdir(), 'export-ky-'));
let count = 0;

/** The exported module for these `playground` options. */
async function exported(options) {
	const text = playground(['export', '--target', 'ky', ...options]);
	const ky = import.meta.resolve('ky');
	const file = join(dir, `export-${count++}.mjs`);
	writeFileSync(file, text.replace(/from 'ky';/, `from '${ky}';`));
	return import(pathToFileURL(file).href);
}

function planned(options) {
	const out = playground(['plan', '--format', 'json', '--samples', '1', ...options]);
	return JSON.parse(out).retries.map(r => r.samples_ms[0]);
}

/** A server answering `fail` (a status) `failures` times, then 200; the arrival times. */
async function server(fail, failures) {
	const arrivals = [];
	const srv = createServer((request, response) => {
		arrivals.push(performance.now());
		const failing = arrivals.length <= failures;
		response.writeHead(failing ? fail : 200, {'content-type': 'text/plain'});
		response.end(failing ? 'no' : 'ok');
	});
	await new Promise(resolve => srv.listen(0, '127.0.0.1', resolve));
	return {url: `http://127.0.0.1:${srv.address().port}/`, arrivals, close: () => srv.close()};
}

for (const options of [
	['--preset', 'lib-ky'],
	['--set', 'backoff.kind=linear', '--set', 'backoff.base_ms=150', '--set', 'attempts.max=4', '--set', 'attempts.deadline_ms=10000'],
	['--preset', 'lib-urllib3', '--set', 'attempts.deadline_ms=10000'],
]) {
	test(`exported ky sleeps the plan: ${options.join(' ')}`, async () => {
		const {api} = await exported(options);
		const plan = planned(options);
		const s = await server(503, plan.length);
		try {
			assert.equal(await api.get(s.url).text(), 'ok');
			assert.equal(s.arrivals.length, plan.length + 1, 'every planned retry, then success');
			for (const [i, ms] of plan.entries()) {
				const gap = s.arrivals[i + 1] - s.arrivals[i];
				// A timer never fires early; the round trip and the event loop add a little.
				assert.ok(gap >= ms - 2 && gap <= ms + 250, `retry ${i + 1}: waited ${gap.toFixed(1)} ms, planned ${ms}`);
			}
		} finally {
			s.close();
		}
	});
}

test('exported ky does not retry what the policy does not', async () => {
	const {api} = await exported(['--preset', 'lib-ky']);
	const s = await server(404, 5);
	try {
		await assert.rejects(api.get(s.url).text());
		assert.equal(s.arrivals.length, 1, 'a 404 is not retried');
	} finally {
		s.close();
	}
});
