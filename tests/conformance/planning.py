"""Runs `playground plan` (the binary named by PLAYGROUND_BIN) and compares
its delays with a library's: exactly where the library is deterministic, by
quantiles where it draws at random.

`cargo xtask test --only conformance` builds the binary and sets
PLAYGROUND_BIN; run by hand with
`PLAYGROUND_BIN=target/debug/playground .venv/bin/python -m pytest tests/conformance`.
"""

import json
import os
import subprocess

# Draws per retry for the distribution checks (the issue asks for >= 10,000).
SAMPLES = 20_000
QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def binary():
    path = os.environ.get("PLAYGROUND_BIN")
    if not path:
        raise RuntimeError(
            "PLAYGROUND_BIN is not set: run `cargo xtask test --only conformance`, "
            "or set it to a built `playground` binary"
        )
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"PLAYGROUND_BIN={path} is not an executable file")
    return path


def plan(preset=None, sets=(), samples=1, retries=None, seed=7, throttled=False):
    """[(envelope_lo_ms, envelope_hi_ms, [samples_ms...]), ...] for retries 1, 2, ..."""
    args = [binary(), "plan", "--format", "json", "--samples", str(samples), "--seed", str(seed)]
    if preset:
        args += ["--preset", preset]
    for s in sets:
        args += ["--set", s]
    if retries is not None:
        args += ["--retries", str(retries)]
    if throttled:
        args.append("--throttled")
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({out.returncode}): {out.stderr}")
    doc = json.loads(out.stdout)
    result = []
    for i, r in enumerate(doc["retries"]):
        assert r["retry"] == i + 1, r
        lo, hi = r["envelope_ms"]
        result.append((lo, hi, r["samples_ms"]))
    return result


def quantile(sorted_values, q):
    """The q-quantile by the nearest-rank method."""
    k = min(len(sorted_values) - 1, max(0, int(q * len(sorted_values))))
    return sorted_values[k]


def assert_same_distribution(ours_ms, theirs_ms, lo_ms, hi_ms, what):
    """Quantiles agree within 2% of the envelope's width (plus 1 ms: we floor
    to whole ms, the libraries keep fractions), and every draw of the
    library's lies in our envelope (within 1 ms)."""
    ours = sorted(ours_ms)
    theirs = sorted(theirs_ms)
    assert len(ours) >= 10_000 and len(theirs) >= 10_000, what
    assert theirs[0] >= lo_ms - 1 and theirs[-1] <= hi_ms + 1, (
        f"{what}: the library drew {theirs[0]:.1f}..{theirs[-1]:.1f} ms, "
        f"outside our envelope [{lo_ms}, {hi_ms}]"
    )
    tolerance = 0.02 * (hi_ms - lo_ms) + 1.0
    for q in QUANTILES:
        a, b = quantile(ours, q), quantile(theirs, q)
        assert abs(a - b) <= tolerance, (
            f"{what}: quantile {q}: ours {a} ms, the library's {b:.1f} ms "
            f"(tolerance {tolerance:.1f} ms)"
        )
