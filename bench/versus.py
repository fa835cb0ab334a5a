"""A service's page against the same page written by hand in SQL, one scenario at a time
(deliveries, inbox): both are timed in the same rounds and must return the same rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.timing import Stats, compare

# (ids in order, total matching, the rows as shown): what a service and its hand SQL return.
Result = tuple[list[int], int, list[Any]]


@dataclass
class VersusOutcome:
    scenario: Any  # the item's Scenario: it has a name and a page number
    stats: dict[str, Stats]  # "service" and "sql"
    total: int
    agree: bool
    notes: list[str] = field(default_factory=list)


def versus_sql(
    scenario: Any,
    service: Callable[[], Result],
    hand_sql: Callable[[], Result],
    repeat: int,
    page_size: int,
    what: str,
) -> VersusOutcome:
    """Time `service` against `hand_sql` and check that they agree; `what` names the rows
    ("rows", "creators") in a note on a page past the last one."""
    stats, results = compare({"service": service, "sql": hand_sql}, repeat)
    ids, total, _ = results["service"]
    notes = []
    if scenario.page > 1 and total < (scenario.page - 1) * page_size + 1:
        notes.append(f"only {total:,} {what} match: page {scenario.page} does not exist")
    agree = results["sql"] == results["service"] and len(ids) > 0
    if not agree:
        notes.append("DISAGREE: " + "; ".join(f"{k}: {len(v[0])} ids, total {v[1]}"
                                              for k, v in results.items()))
    return VersusOutcome(scenario, stats, total, agree, notes)
