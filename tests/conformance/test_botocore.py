"""botocore's own standard-mode delay (botocore/retries/standard.py,
ExponentialBackoff.delay_amount) against `playground plan` for the two AWS
profiles."""

import random

from botocore.retries.standard import ExponentialBackoff, RetryContext

from planning import SAMPLES, assert_same_distribution, plan


class Throttling:
    """A throttling detector that says yes: botocore then uses its 1 s base."""

    def is_throttling_error_from_context(self, context):
        return True


def delays_ms(backoff, retry):
    context = RetryContext(attempt_number=retry)  # no http_response: no x-amz-retry-after
    return [backoff.delay_amount(context) * 1000.0 for _ in range(SAMPLES)]


def test_2026_standard_mode_non_throttling():
    rng = random.Random(14)
    backoff = ExponentialBackoff(random=rng.random)
    ours = plan("lib-aws-standard-2026", samples=SAMPLES, retries=12)
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        assert (lo, hi) == (0, min(20_000, 50 * 2 ** (n - 1)))
        assert_same_distribution(samples, delays_ms(backoff, n), lo, hi, f"AWS 2026 retry {n}")


def test_2026_standard_mode_throttling():
    rng = random.Random(5)
    backoff = ExponentialBackoff(random=rng.random, throttling_detector=Throttling())
    ours = plan("lib-aws-standard-2026", samples=SAMPLES, retries=7, throttled=True)
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        assert (lo, hi) == (0, min(20_000, 1000 * 2 ** (n - 1)))
        assert_same_distribution(samples, delays_ms(backoff, n), lo, hi, f"AWS 2026 throttled retry {n}")


def test_before_2026_the_curve_was_the_throttling_one():
    # Until 2025 botocore computed rand·min(2 ** (attempt - 1), 20) s for every
    # error: today's throttling curve, which we compare the old profile with.
    rng = random.Random(2019)
    backoff = ExponentialBackoff(random=rng.random, throttling_detector=Throttling())
    ours = plan("lib-aws-standard", samples=SAMPLES, retries=7)
    for n, (lo, hi, samples) in enumerate(ours, start=1):
        assert_same_distribution(samples, delays_ms(backoff, n), lo, hi, f"AWS before 2026 retry {n}")


def test_fixed_random_gives_exact_delays():
    # rand = 0.5 exactly: t_i = 0.5 · min(0.05 · 2 ** (n - 1), 20) s; ours at the envelope's midpoint.
    backoff = ExponentialBackoff(random=lambda: 0.5)
    ours = plan("lib-aws-standard-2026", retries=12)
    for n, (lo, hi, _) in enumerate(ours, start=1):
        theirs = backoff.delay_amount(RetryContext(attempt_number=n)) * 1000.0
        assert theirs == (lo + hi) / 2, f"retry {n}: {theirs} vs [{lo}, {hi}]"
