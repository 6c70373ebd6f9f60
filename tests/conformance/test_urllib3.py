"""urllib3's own `Retry.get_backoff_time()` (src/urllib3/util/retry.py)
against `playground plan`, for the lib-urllib3 profile and variants."""

import random

from urllib3.util.retry import RequestHistory, Retry

from planning import SAMPLES, assert_same_distribution, plan


def backoff_ms(retry, failures):
    """The sleep urllib3 computes after `failures` consecutive errors, in ms."""
    history = tuple(RequestHistory("GET", "/", None, 503, None) for _ in range(failures))
    return retry.new(history=history).get_backoff_time() * 1000.0


def test_profile_matches_retry_default_with_the_docstring_factor():
    retry = Retry(3, backoff_factor=0.1)  # Retry.DEFAULT is Retry(3)
    ours = plan("lib-urllib3", samples=3)
    assert len(ours) == retry.total  # 3 retries, 4 attempts
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        theirs = backoff_ms(retry, n)
        assert samples == [round(theirs)] * 3, f"retry {n}: urllib3 {theirs} ms, ours {samples}"
        assert lo == hi == round(theirs)
    assert [s[2][0] for s in ours] == [0, 200, 400]


def test_backoff_max_caps_the_curve_exactly():
    retry = Retry(10, backoff_factor=0.5, backoff_max=3)
    ours = plan("lib-urllib3", sets=["attempts.max=11", "backoff.base_ms=500", "backoff.cap_ms=3000"])
    assert [s[2][0] for s in ours] == [round(backoff_ms(retry, n)) for n in range(1, 11)]


def test_backoff_jitter_is_added_before_the_cap():
    random.seed(20260)
    retry = Retry(6, backoff_factor=0.5, backoff_max=3, backoff_jitter=1.5)
    sets = [
        "attempts.max=7",
        "backoff.base_ms=500",
        "backoff.cap_ms=3000",
        "jitter.kind=additive",
        "jitter.additive_ms=1500",
    ]
    ours = plan("lib-urllib3", sets=sets, samples=SAMPLES)
    assert ours[0][:2] == (0, 0), "the first retry waits 0, jitter included"
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        theirs = [backoff_ms(retry, n) for _ in range(SAMPLES)]
        assert_same_distribution(samples, theirs, lo, hi, f"urllib3 retry {n}")
    # Before the cap: retry 3 is 2 s + U(0, 1.5 s) capped at 3 s, so a third of the mass sits at 3 s.
    at_cap = sum(1 for d in ours[2][2] if d == 3000) / SAMPLES
    assert 0.3 < at_cap < 0.37, at_cap
