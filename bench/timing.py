"""Timing helpers: several runs after a warm-up, reported as median and spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Untimed runs before the timed ones, unless a caller says otherwise: `python -m bench --warmup`
# (0 at 10M, where a warm-up of a minute-long read costs more than it steadies).
DEFAULT_WARMUP = 1


@dataclass(frozen=True)
class Stats:
    """Seconds of each timed run (the warm-up is not among them)."""

    runs: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def low(self) -> float:
        return min(self.runs)

    @property
    def high(self) -> float:
        return max(self.runs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "median_s": round(self.median, 6),
            "min_s": round(self.low, 6),
            "max_s": round(self.high, 6),
            "runs_s": [round(r, 6) for r in self.runs],
        }


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def compare(
    candidates: dict[str, Callable[[], Any]],
    repeat: int,
    warmup: int | None = None,
    fewer: dict[str, int] | None = None,
) -> tuple[dict[str, Stats], dict[str, Any]]:
    """Time each candidate `repeat` times after `warmup` untimed runs, in interleaved rounds.

    Interleaving, in an order that rotates every round (a b c, b c a, c a b, ...), spreads
    the machine's background noise evenly over the candidates, and no candidate always runs
    just after the same other one (after the pandas reference has freed a gigabyte, the next
    query pays for it), so ratios stay meaningful even when absolute times wander. A slow
    reference can be given `fewer` timed runs (and no warm-up): it takes part in the last
    rounds only. Returns the stats and each candidate's last result.
    """
    fewer = fewer or {}
    warmup = DEFAULT_WARMUP if warmup is None else warmup
    rounds = warmup + repeat
    runs: dict[str, list[float]] = {name: [] for name in candidates}
    results: dict[str, Any] = {}
    names = list(candidates)
    for round_number in range(rounds):
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            action = candidates[name]
            first_timed = rounds - fewer[name] if name in fewer else warmup
            if name in fewer and round_number < first_timed:
                continue
            seconds, results[name] = timed(action)
            if round_number >= first_timed:
                runs[name].append(seconds)
    return {name: Stats(tuple(r)) for name, r in runs.items()}, results
