"""A fixed piece of CPU work, timed: how fast this shared machine is right now.

The VM's speed changes with what its neighbours do (almost the same code measured 2.5 times slower
on one day than on another), so each run prints this probe before and after its pages.
Compare figures between runs only when their probes agree."""

from __future__ import annotations

import hashlib
import statistics
import time


def _work() -> int:
    total = 0
    for n in range(20_000):
        total ^= hashlib.sha256(str(n).encode()).digest()[0]
    words = sorted(str(n * 7919 % 10_007) for n in range(20_000))
    return total + len(words)


def probe_ms(rounds: int = 7) -> float:
    """The median time of the fixed work, in ms (lower is a faster machine)."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        _work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    print(f"machine probe: {probe_ms():.1f} ms")
