"""What the deliveries modules share: batch ids and the activity events of shipment changes."""

from __future__ import annotations

import datetime as dt

from lib import rules
from lib.db import Cursor, as_id
from lib.deliveries.listing import MAX_BATCH
from lib.models import (
    EventKind,
    User,
)


def batch_ids(ids: list[object], what: str) -> list[int]:
    unique = list(dict.fromkeys(as_id(i, what) for i in ids))
    if not unique:
        raise rules.RuleViolation(f"Choose at least one {what} first.")
    if len(unique) > MAX_BATCH:
        raise rules.RuleViolation(f"A batch takes at most {MAX_BATCH:,} at a time.")
    return unique




def log_events(
    cur: Cursor,
    user: User,
    kind: EventKind,
    collab_ids: list[int],
    from_statuses: list[str | None],
    to_statuses: list[str | None],
    texts: list[str],
    now: dt.datetime,
) -> None:
    """One activity event per row on its collaboration, which is marked as updated too (its
    version is left alone: it guards the collaboration's status and terms only). Touching the
    collaboration also makes two concurrent writes on its shipments conflict, so one of them
    is retried and sees the other's work."""
    cur.execute(
        "INSERT INTO activity_events"
        " (collab_id, occurred_at, actor, kind, from_status, to_status, text)"
        " SELECT unnest($collabs::BIGINT[]), $now, $actor, $kind, unnest($froms::VARCHAR[]),"
        " unnest($tos::VARCHAR[]), unnest($texts::VARCHAR[])",
        {"collabs": collab_ids, "now": now, "actor": user.username, "kind": kind.value,
         "froms": from_statuses, "tos": to_statuses, "texts": texts},
    )  # fmt: skip
    cur.execute(
        "UPDATE collaborations SET updated_at = $now"
        " WHERE id IN (SELECT unnest($collabs::BIGINT[]))",
        {"now": now, "collabs": sorted(set(collab_ids))},
    )
