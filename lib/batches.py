"""One shape for every batch change: collaboration statuses, applications and agreements, the
start of a campaign's collaborations, new shipments and shipment changes.

A change runs in two steps. Its preview judges every row and writes nothing: a
`BatchPreview` whose rows are the domain's own (a collaboration's creator and status, a
shipment's item...), each saying whether it would change (`ok`) and why not, or what it will
do (`message`). The page shows it; the person confirms. The change then judges the rows again
inside its transaction (never trusting the preview: a row may have changed meanwhile), writes
the allowed ones and returns a `BatchResult`, keyed by the ids it was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar


class JudgedRow(Protocol):
    """A row of a preview, as the preview reads it."""

    @property
    def ok(self) -> bool: ...

    @property
    def message(self) -> str: ...


Row = TypeVar("Row", bound=JudgedRow)


@dataclass(frozen=True)
class BatchPreview(Generic[Row]):
    """What a batch change would do, row by row, before anything is written. The preview of
    each change adds what it was asked (the target status, the item shipped, ...) and what its
    change takes back (see their `valid`, `planned` or `application_ids`)."""

    rows: Sequence[Row]

    @property
    def accepted(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]


@dataclass
class BatchResult:
    """What a batch change did, keyed by the ids it was given (collaborations, applications,
    shipments). `verb` and `noun` are the change's words for its summary ("created",
    "shipment"); a caller may give other words to summary()."""

    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # id -> why not
    unchanged: list[int] = field(default_factory=list)  # asked for what they already were
    made: dict[int, int] = field(default_factory=dict)  # id -> the row made for it (a shipment)
    verb: str = "changed"
    noun: str = ""
    refused_as: str = "refused"  # an import's "failing rows left out"

    def summary(self, verb: str | None = None) -> str:
        """One line for the person who made the change: "3 shipments created; 1 refused.",
        or "3 moved to Completed." where the change names no noun."""
        count = len(self.done)
        verb = self.verb if verb is None else verb
        words = f"{self.noun}{'' if count == 1 else 's'} {verb}" if self.noun else verb
        text = f"{count:,} {words}"
        if self.unchanged:
            text += f"; {len(self.unchanged):,} unchanged"
        if self.refused:
            text += f"; {len(self.refused):,} {self.refused_as}"
        return text + "."
