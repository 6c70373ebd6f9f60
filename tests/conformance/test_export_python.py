"""`playground export --target tenacity|urllib3` runs with the real libraries
(the pinned tenacity and urllib3 of .venv), and the exported retry object's
own delays equal `playground plan` where they are deterministic, and match it
in distribution where they are random.

The tenacity export calls `requests`, which is not among the pinned
packages: a stand-in module with the same exception classes takes its place,
and the exported `attempt()` runs against it with tenacity's sleep recorded
(nothing sleeps, nothing goes on the network).
"""

import random
import subprocess
import sys
import types

import pytest
from urllib3.response import HTTPResponse
from urllib3.util.retry import RequestHistory

from planning import SAMPLES, assert_same_distribution, binary, plan


def export(target, preset=None, sets=()):
    args = [binary(), "export", "--target", target]
    if preset:
        args += ["--preset", preset]
    for s in sets:
        args += ["--set", s]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({out.returncode}): {out.stderr}")
    return out.stdout


def load(source, name):
    """Runs the exported module and returns its namespace."""
    module = types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)
    return module


# --- tenacity -------------------------------------------------------------


def requests_module():
    """What our exports use of `requests` (its exception classes, `Request`,
    `Response.raise_for_status`), without `request()`: each stand-in adds its own."""
    mod = types.ModuleType("requests")

    class RequestException(Exception):
        def __init__(self, *args, request=None, response=None):
            super().__init__(*args)
            self.request = request
            self.response = response

    class ConnectionError(RequestException):
        pass

    class Timeout(RequestException):
        pass

    class HTTPError(RequestException):
        pass

    class Request:
        def __init__(self, method, headers):
            self.method = method
            self.headers = headers

    class Response:
        def __init__(self, status, request, headers=None):
            self.status_code = status
            self.request = request
            self.headers = headers if headers is not None else {}

        def raise_for_status(self):
            if self.status_code >= 400:
                raise HTTPError(f"HTTP {self.status_code}", request=self.request, response=self)

    mod.RequestException = RequestException
    mod.ConnectionError = ConnectionError
    mod.Timeout = Timeout
    mod.HTTPError = HTTPError
    mod.Request = Request
    mod.Response = Response
    return mod


def fake_requests():
    """A stand-in for `requests`: the exception classes the export catches,
    and `request()` answering whatever status `fake.status` says."""
    fake = requests_module()

    def request(method, url, headers=None, timeout=None, **kwargs):
        fake.calls += 1
        req = fake.Request(method, dict(headers or {}))
        return fake.Response(fake.status, req)

    fake.request = request
    fake.status = 503
    fake.calls = 0
    return fake


@pytest.fixture
def requests_stand_in(monkeypatch):
    fake = fake_requests()
    monkeypatch.setitem(sys.modules, "requests", fake)
    return fake


def tenacity_sleeps(module, fake, status=503):
    """One failing call through the exported `attempt`: tenacity's sleeps, in ms."""
    sleeps = []
    attempt = module.attempt.retry_with(sleep=sleeps.append)
    fake.status = status
    with pytest.raises(fake.HTTPError):
        attempt("GET", "http://127.0.0.1:9/")
    return [s * 1000.0 for s in sleeps]


@pytest.mark.parametrize(
    "preset,sets",
    [
        (None, []),  # the seed's 1 s, 2 s
        ("lib-backon", []),  # exponential, no jitter: wait_exponential
        ("lib-urllib3", []),  # urllib3's immediate first retry: our formula
        ("lib-ky", []),
        (None, ["backoff.kind=linear", "attempts.max=5"]),
        (None, ["backoff.kind=constant", "backoff.base_ms=250"]),
        ("lib-resilience4j", ["jitter.kind=none", "attempts.max=6"]),  # exponential_floor, approximated
    ],
)
def test_tenacity_export_runs_and_sleeps_the_plan(requests_stand_in, preset, sets):
    source = export("tenacity", preset, sets)
    module = load(source, f"tenacity_export_{preset}")
    ours = plan(preset, sets=sets, samples=1)
    theirs = tenacity_sleeps(module, requests_stand_in)
    assert len(theirs) == len(ours), f"{len(theirs)} sleeps, plan has {len(ours)} retries"
    assert requests_stand_in.calls == len(ours) + 1
    tolerance = 3.0 if preset == "lib-resilience4j" else 0.5  # the noted closed-form floor
    for n, (t, (lo, hi, samples)) in enumerate(zip(theirs, ours), start=1):
        assert lo == hi, f"retry {n} is random in the plan"
        assert abs(t - samples[0]) <= tolerance, f"retry {n}: tenacity {t} ms, plan {samples[0]} ms"


def test_tenacity_export_does_not_retry_what_the_policy_does_not(requests_stand_in):
    module = load(export("tenacity", "lib-urllib3"), "tenacity_fatal")
    # lib-urllib3 retries 503 but not 500: one attempt, no sleep.
    assert tenacity_sleeps_or_none(module, requests_stand_in, 500) == []
    assert requests_stand_in.calls == 1


def tenacity_sleeps_or_none(module, fake, status):
    sleeps = []
    attempt = module.attempt.retry_with(sleep=sleeps.append)
    fake.status = status
    with pytest.raises(fake.HTTPError):
        attempt("GET", "http://127.0.0.1:9/")
    return sleeps


@pytest.mark.parametrize(
    "preset,sets",
    [
        ("full-jitter", []),  # wait_random_exponential
        ("lib-tenacity-exponential-jitter", ["attempts.max=4"]),  # wait_exponential_jitter
        (None, ["jitter.kind=equal", "attempts.max=4"]),  # our formula
        ("lib-grpc", []),  # ratio after the cap, our formula
    ],
)
def test_tenacity_export_draws_the_plans_distribution(requests_stand_in, preset, sets):
    random.seed(9)
    module = load(export("tenacity", preset, sets), "tenacity_random")
    status = 503
    ours = plan(preset, sets=sets, samples=SAMPLES)
    draws = [[] for _ in ours]
    for _ in range(SAMPLES):
        for n, ms in enumerate(tenacity_sleeps(module, requests_stand_in, status)):
            draws[n].append(ms)
    for n, ((lo, hi, samples), theirs) in enumerate(zip(ours, draws), start=1):
        assert_same_distribution(samples, theirs, lo, hi, f"tenacity {preset} {sets} retry {n}")


# --- urllib3 --------------------------------------------------------------


def backoffs_ms(retry, retries, status=503):
    """The sleeps urllib3 computes after 1, 2, ... failures of one request (ms)."""
    out = []
    for _ in range(retries):
        retry = retry.new(history=retry.history + (RequestHistory("GET", "/", None, status, None),))
        out.append(retry.get_backoff_time() * 1000.0)
    return out


@pytest.mark.parametrize(
    "preset,sets",
    [
        ("lib-urllib3", []),
        (None, []),
        ("lib-backon", []),
        (None, ["backoff.kind=linear", "attempts.max=6", "backoff.cap_ms=3500"]),
        ("lib-urllib3", ["attempts.max=11", "backoff.base_ms=500", "backoff.cap_ms=3000"]),
    ],
)
def test_urllib3_export_runs_and_backs_off_as_the_plan(preset, sets):
    module = load(export("urllib3", preset, sets), "urllib3_export")
    ours = plan(preset, sets=sets, samples=1)
    retry = module.RETRY
    assert retry.total == len(ours), f"total={retry.total}, plan has {len(ours)} retries"
    theirs = backoffs_ms(retry, len(ours))
    assert [round(t) for t in theirs] == [s[2][0] for s in ours]
    # A pool manager with the exported retry and timeout exists (nothing is sent).
    assert module.http.connection_pool_kw["retries"] is retry


def test_urllib3_export_retries_the_policys_statuses_and_caps_retry_after():
    module = load(export("urllib3", "lib-urllib3", ["retry_after.cap_ms=60000"]), "urllib3_rules")
    retry = module.RETRY
    assert retry.is_retry("GET", 503)
    assert not retry.is_retry("GET", 500), "lib-urllib3 retries 503, not every 5xx"
    assert not retry.is_retry("GET", 413, has_retry_after=True), "only the policy's statuses"
    assert not retry.is_retry("POST", 503), "a POST is not retried (require_key_for_unsafe)"
    response = HTTPResponse(body=b"", headers={"Retry-After": "120"}, status=503)
    assert retry.get_retry_after(response) == 60, "Retry-After capped at retry_after.cap_ms"


@pytest.mark.parametrize(
    "preset,sets",
    [
        (None, ["jitter.kind=full"]),
        ("lib-urllib3", ["jitter.kind=additive", "jitter.additive_ms=1500", "attempts.max=6"]),
        ("lib-cenkalti-backoff", ["attempts.max=5"]),
    ],
)
def test_urllib3_export_draws_the_plans_distribution(preset, sets):
    random.seed(11)
    module = load(export("urllib3", preset, sets), "urllib3_random")
    ours = plan(preset, sets=sets, samples=SAMPLES)
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        history = tuple(RequestHistory("GET", "/", None, 503, None) for _ in range(n))
        retry = module.RETRY.new(history=history)
        theirs = [retry.get_backoff_time() * 1000.0 for _ in range(SAMPLES)]
        assert_same_distribution(samples, theirs, lo, hi, f"urllib3 {preset} {sets} retry {n}")


def test_urllib3_export_keeps_the_decorrelated_delay_per_call():
    random.seed(5)
    sets = ["jitter.kind=decorrelated", "backoff.base_ms=100", "backoff.cap_ms=5000", "attempts.max=6"]
    module = load(export("urllib3", None, sets), "urllib3_decorrelated")
    ours = plan(None, sets=sets, samples=SAMPLES)
    draws = [[] for _ in ours]
    for _ in range(SAMPLES):
        # A new request starts from the configured RETRY: previous = base again.
        for n, ms in enumerate(backoffs_ms(module.RETRY, len(ours))):
            draws[n].append(ms)
    for n, ((lo, hi, samples), theirs) in enumerate(zip(ours, draws), start=1):
        assert_same_distribution(samples, theirs, lo, hi, f"urllib3 decorrelated retry {n}")
