"""tenacity's own wait strategies (tenacity/wait.py) against `playground plan`."""

import random

import tenacity
from tenacity import wait_exponential, wait_exponential_jitter, wait_random_exponential

from planning import SAMPLES, assert_same_distribution, plan


def waits_ms(wait, retry, count=1):
    """What `wait` returns before retry `retry` (tenacity passes the attempt
    number that just failed, 1 before the first retry), in ms."""
    state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = retry
    return [wait(state) * 1000.0 for _ in range(count)]


def test_profile_matches_wait_exponential_jitter_defaults():
    random.seed(2026)
    wait = wait_exponential_jitter()
    ours = plan("lib-tenacity-exponential-jitter", samples=SAMPLES, retries=8)
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        assert (lo, hi) == (1000 * 2 ** (n - 1), 1000 * 2 ** (n - 1) + 1000)
        assert_same_distribution(samples, waits_ms(wait, n, SAMPLES), lo, hi, f"tenacity retry {n}")


def test_without_jitter_it_is_exact():
    wait = wait_exponential_jitter(jitter=0, max=20)
    ours = plan("lib-tenacity-exponential-jitter", sets=["jitter.additive_ms=0", "backoff.cap_ms=20000"], retries=8)
    assert [s[2][0] for s in ours] == [round(w) for n in range(1, 9) for w in waits_ms(wait, n)]


def test_wait_exponential_is_our_exponential():
    wait = wait_exponential(multiplier=0.25, exp_base=3, max=10)
    sets = ["backoff.base_ms=250", "backoff.multiplier=3", "backoff.cap_ms=10000", "jitter.kind=none"]
    ours = plan(sets=sets + ["attempts.max=7"])
    assert [s[2][0] for s in ours] == [round(waits_ms(wait, n)[0]) for n in range(1, 7)]


def test_wait_random_exponential_is_full_jitter():
    random.seed(7)
    wait = wait_random_exponential(multiplier=0.5, max=6)
    sets = ["backoff.base_ms=500", "backoff.cap_ms=6000", "jitter.kind=full", "attempts.max=7"]
    for n, (lo, hi, samples) in enumerate(plan(sets=sets, samples=SAMPLES), start=1):
        assert (lo, hi) == (0, min(6000, 500 * 2 ** (n - 1)))
        assert_same_distribution(samples, waits_ms(wait, n, SAMPLES), lo, hi, f"full jitter retry {n}")
