"""Monte Carlo speed: 100,000 trials of a 10-threat raid against the Poland battery.

Run: ``.venv/bin/python benchmarks/bench_monte_carlo.py``. Prints the best of several
repeats per case (seconds) and the raid figures, so a regression in speed or in the
numbers shows. Cases: salvo of 2 and shoot-look-shoot (2 looks) against 10 interceptors
in one battery (the 2007 plan), and a layered defence (GBI + SM-3 battery) with decoys.
"""

from __future__ import annotations

import time

import numpy as np

from shieldsim.doctrine import Doctrine, simulate

TRIALS = 100_000
REPEATS = 5


def _best_time(fn, repeats: int = REPEATS) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    cases = {
        "salvo 2, 1 battery x 10 GBI": (np.ones((10, 1), dtype=int), [10], Doctrine("salvo", 2, 0.8), 0),
        "shoot-look-shoot, 2 looks, 10 GBI": (np.full((10, 1), 2), [10], Doctrine("shoot-look-shoot", 1, 0.8), 0),
        "layered GBI+SM-3, 4 decoys, p_d 0.8": (
            np.tile([2, 3], (10, 1)), [10, 24],
            Doctrine("shoot-look-shoot", 1, 0.8, p_discriminate=0.8), 4,
        ),
    }
    print(f"Monte Carlo: {TRIALS:,} trials, 10-threat raid, best of {REPEATS}")
    for label, (opp, inv, doctrine, decoys) in cases.items():
        seconds, out = _best_time(lambda: simulate(opp, inv, doctrine, TRIALS, np.random.default_rng(2007), decoys))
        print(f"  {label:<40s} {seconds * 1e3:8.1f} ms   p_no_leak {out.p_no_leak:.4f}   "
              f"expected_leakers {out.expected_leakers:.3f}   "
              f"interceptors/threat {out.interceptors_used_mean.mean():.3f}")
    big = 1_000_000
    seconds, _ = _best_time(lambda: simulate(np.full((10, 1), 2), [10], Doctrine("shoot-look-shoot", 1, 0.8), big,
                                             np.random.default_rng(1)), repeats=2)
    print(f"  {'shoot-look-shoot, 1,000,000 trials':<40s} {seconds * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
