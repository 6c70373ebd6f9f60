"""`playground mock-server` for the conformance tests: start it for a preset,
read its counters, stop it with Ctrl-C (SIGINT); and the same preset's
simulated counts (`playground run`), averaged over several seeds.

Real clients and the simulation meet the same endpoint model, but not the
same draws (a real client carries no `X-Mock-Call`: the server keys its
draws by arrival), so counts are compared within a tolerance: 10%, or three
standard deviations of a binomial count where 10% is less (a rare event such
as a call that gave up, ~50 in 2,000, varies by more than 10% between seeds).
"""

import contextlib
import json
import math
import re
import signal
import subprocess

from planning import binary


@contextlib.contextmanager
def mock_server(preset, sets=(), seed=1):
    """Yields the base URL (`http://127.0.0.1:PORT`) of a running mock server."""
    args = [binary(), "mock-server", "--preset", preset, "--seed", str(seed), "--port", "0"]
    for s in sets:
        args += ["--set", s]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/mock/", line)
        if not found:
            raise RuntimeError(f"mock-server did not start: {line!r} {proc.stderr.read()}")
        yield f"http://127.0.0.1:{found.group(1)}"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, f"mock-server exited {proc.returncode}: {err}"
    assert "mock-server: stopped; served" in out, out


def counters(base):
    import urllib.request

    with urllib.request.urlopen(f"{base}/mock/_control/counters", timeout=10) as r:
        return json.load(r)["counters"]


def simulated(preset, sets, clients, calls, seeds):
    """`playground run`'s mean requests, duplicates and calls given up over `seeds`."""
    totals = {"requests": 0.0, "duplicates": 0.0, "gave_up": 0.0}
    for seed in seeds:
        args = [binary(), "run", "--preset", preset, "--format", "json", "--seed", str(seed)]
        args += ["--clients", str(clients), "--calls", str(calls)]
        for s in sets:
            args += ["--set", s]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
        summary = json.loads(out.stdout)
        totals["requests"] += summary["server_requests"]
        totals["duplicates"] += summary["duplicates"]
        totals["gave_up"] += sum(summary["gave_up"].values())
    return {k: v / len(seeds) for k, v in totals.items()}


def assert_close(real, expected, calls, what):
    """`real` within 10% of `expected`, or 3 binomial standard deviations."""
    p = min(1.0, expected / calls) if calls else 0.0
    spread = max(0.10 * expected, 3.0 * math.sqrt(max(calls * p * (1.0 - p), 1.0)))
    assert abs(real - expected) <= spread, (
        f"{what}: real clients {real}, `playground run` {expected:.1f} (allowed ±{spread:.1f})"
    )
