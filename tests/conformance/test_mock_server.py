"""The exported tenacity and urllib3 documents, run with the real libraries
against `playground mock-server` for the same preset: the server's counts
(requests, duplicate creates) and the calls that gave up are within the
tolerance of `mock_server.py` of `playground run` over the same number of
calls (the mean of several seeds).

The tenacity export calls `requests`, which is not among the pinned
packages: a stand-in module over the standard library's `http.client` takes
its place (real HTTP to the server, `requests`' exception classes).
"""

import http.client
import socket
import sys
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from mock_server import assert_close, counters, mock_server, simulated
from test_export_python import export, load, requests_module

CLIENTS = 20
CALLS = 100  # per client: 2,000 calls
SEEDS = range(1, 6)
# Quicker than the presets' 50 ms latency and 200 ms base; the same on both sides.
SETS = ["endpoint.latency.ms=10", "backoff.base_ms=20"]
PRESETS = ["no-idempotency", "idempotency-key"]


def http_requests():
    """`requests` over `http.client`: `request()`, the exception classes, `raise_for_status`."""
    mod = requests_module()

    def request(method, url, headers=None, timeout=None, data=None):
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        req = mod.Request(method, dict(headers or {}))
        try:
            conn.request(method, parts.path, body=data, headers=req.headers)
            resp = conn.getresponse()
            resp.read()
            return mod.Response(resp.status, req, resp.headers)
        except (socket.timeout, TimeoutError) as e:
            raise mod.Timeout(str(e), request=req) from e
        except (OSError, http.client.HTTPException) as e:
            raise mod.ConnectionError(str(e), request=req) from e
        finally:
            conn.close()

    mod.request = request
    return mod


def run_clients(one_call):
    """CLIENTS threads making CALLS calls each; returns how many gave up."""

    def client(c):
        gave_up = 0
        for n in range(CALLS):
            try:
                one_call(f"item-{c}-{n}")
            except Exception:  # the library gave up: its last error
                gave_up += 1
        return gave_up

    with ThreadPoolExecutor(CLIENTS) as pool:
        return sum(pool.map(client, range(CLIENTS)))


def compare(preset, real_gave_up, real_counters):
    expected = simulated(preset, SETS, CLIENTS, CALLS, SEEDS)
    print(f"{preset}: real {real_counters['requests_received']} requests, {real_counters['duplicates']} duplicates, {real_gave_up} gave up; simulated {expected}")
    calls = CLIENTS * CALLS
    assert_close(real_counters["requests_received"], expected["requests"], calls, "requests")
    assert_close(real_counters["duplicates"], expected["duplicates"], calls, "duplicate creates")
    assert_close(real_gave_up, expected["gave_up"], calls, "calls that gave up")


@pytest.mark.parametrize("preset", PRESETS)
def test_tenacity_against_the_mock_server_counts_as_the_simulation(monkeypatch, preset):
    monkeypatch.setitem(sys.modules, "requests", http_requests())
    module = load(export("tenacity", preset, SETS), f"tenacity_server_{preset}")
    with mock_server(preset, SETS, seed=11) as base:
        gave_up = run_clients(lambda item: module.call("POST", f"{base}/mock/items", data=item))
        got = counters(base)
    compare(preset, gave_up, got)


@pytest.mark.parametrize("preset", PRESETS)
def test_urllib3_against_the_mock_server_counts_as_the_simulation(preset):
    module = load(export("urllib3", preset, SETS), f"urllib3_server_{preset}")
    with mock_server(preset, SETS, seed=12) as base:

        def one_call(item):
            r = module.call("POST", f"{base}/mock/items", body=item)
            if r.status >= 400:  # retries exhausted on a status: urllib3 returns the last
                raise RuntimeError(f"HTTP {r.status}")

        gave_up = run_clients(one_call)
        got = counters(base)
    compare(preset, gave_up, got)
