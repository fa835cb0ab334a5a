"""What the campaign services share: limits, the status and agreement-state SQL, pages,
the campaign event log and messages, the campaign a workflow write claims, batch ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lib import rules
from lib.batches import BatchResult
from lib.db import BIGINT_RANGE, Cursor, Database, NotFound, Page, as_id, bind, paged, utcnow
from lib.models import (
    CampaignStatus,
    User,
)

PAGE_SIZES = (25, 50, 100, 200)
MAX_BATCH = 1_000  # applications or creators per batch action
ATTENTION_LIMIT = 200  # rows per kind in the "needs attention" read

# The status a campaign has now, as rules.campaign_status computes it: open closes by itself on
# its start date. {t} is the campaigns alias.
STATUS_SQL = (
    "CASE WHEN {t}.status = 'open' AND {t}.start_date <= $today THEN 'closed' ELSE {t}.status END"
)
# An agreement's state, as rules.agreement_state computes it: pending up to and including the
# deadline, expired after it; NULL without an agreement. {t} is the agreements alias.
STATE_SQL = (
    "CASE WHEN {t}.id IS NULL THEN NULL WHEN {t}.outcome IS NOT NULL THEN {t}.outcome"
    " WHEN $now > {t}.deadline THEN 'expired' ELSE 'pending' END"
)


def current_time(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


# --- pages of rows -------------------------------------------------------------


def _check_page_size(page_size: int) -> None:
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(
            f"A page has 1 to {max(PAGE_SIZES)} rows, not {rules.shown(page_size)}."
        )


def paged_rows(
    db: Database, hits: str, order: str, params: dict[str, Any], page: int, page_size: int
) -> Page:
    """lib.db.paged, with this module's page sizes checked."""
    _check_page_size(page_size)
    return paged(db, hits, order, params, page, page_size)




# --- events and messages ---------------------------------------------------------


def log_event(
    cur: Cursor,
    campaign_id: int,
    user: User,
    kind: str,
    now: dt.datetime,
    *,
    apps: list[int] | None = None,
    from_values: list[str | None] | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
    text: str | None = None,
) -> None:
    """A campaign event, or one per application in `apps` (`from_values` lined up with them)."""
    if apps is None:
        apps_sql, apps, from_values = "NULL", [], [from_value]
    else:
        apps_sql = "unnest($apps::BIGINT[])"
        from_values = from_values or [from_value] * len(apps)
    sql = (
        "INSERT INTO campaign_events (campaign_id, application_id, occurred_at, actor, kind,"
        f" from_value, to_value, text) SELECT $c, {apps_sql}, $now, $actor, $kind,"
        " unnest($froms::VARCHAR[]), $to, $text"
    )
    cur.execute(sql, bind(
        sql, c=campaign_id, apps=apps, now=now, actor=user.username, kind=kind,
        froms=from_values, to=to_value, text=text,
    ))


def record_message(
    cur: Cursor, campaign_id: int, user: User, kind: str, creator_ids: list[int],
    subject: str, body: str, now: dt.datetime,
) -> None:
    """One outgoing message per creator, kept in their message history ("recorded": the inbox
    of a later issue decides how such notices are delivered)."""
    if not creator_ids:
        return
    cur.execute(
        "INSERT INTO messages (creator_id, campaign_id, direction, kind, subject, body, state,"
        " created_at, created_by) SELECT unnest($creators::BIGINT[]), $c, 'out', $kind,"
        " $subject, $body, 'recorded', $now, $actor",
        {"creators": creator_ids, "c": campaign_id, "kind": kind, "subject": subject,
         "body": body, "now": now, "actor": user.username},
    )




@dataclass(frozen=True)
class ClaimedCampaign:
    """A campaign as a write sees it inside its transaction."""

    id: int
    name: str
    status: CampaignStatus  # now, with the automatic close applied
    start_date: dt.date
    started_at: dt.datetime | None

    @property
    def started(self) -> bool:
        return rules.is_started(self.status, self.started_at)


def read_campaign(cur: Cursor, campaign_id: object, now: dt.datetime) -> ClaimedCampaign:
    cid = as_id(campaign_id, "campaign")
    row = cur.execute(
        "SELECT id, name, status, start_date, started_at FROM campaigns WHERE id = $id",
        {"id": cid},
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    status = rules.campaign_status(row[2], row[3], now.date())
    return ClaimedCampaign(row[0], row[1], status, row[3], row[4])


def claim(cur: Cursor, campaign_id: object, now: dt.datetime) -> ClaimedCampaign:
    """Read the campaign for a workflow write, after bumping its workflow_seq: a concurrent
    workflow write on the same campaign then conflicts (and Database.write retries it). DuckDB
    has no SELECT ... FOR UPDATE, and an UPDATE that changes nothing claims nothing."""
    cur.execute(
        "UPDATE campaigns SET workflow_seq = workflow_seq + 1 WHERE id = $id",
        {"id": as_id(campaign_id, "campaign")},
    )
    return read_campaign(cur, campaign_id, now)



def batch_ids(ids: Iterable[object], what: str) -> list[int]:
    try:
        found = list(dict.fromkeys(int(i) for i in ids))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise rules.RuleViolation(f"Every {what} must be given by its number.") from None
    if not found:
        raise rules.RuleViolation(f"Select at least one {what} first.")
    if len(found) > MAX_BATCH:
        raise rules.RuleViolation(f"A batch takes at most {MAX_BATCH:,} {what}s at a time.")
    return found


def sql_ids(ids: list[int]) -> list[int]:
    return [i for i in ids if i in BIGINT_RANGE]  # beyond BIGINT no row exists (nor casts)


def refuse_if_nothing(result: BatchResult, what: str) -> None:
    """Raise when every row was refused, so that nothing is written and the caller sees why."""
    if result.done:
        return
    reasons = list(dict.fromkeys(result.refused.values()))
    if len(reasons) == 1:
        raise rules.RuleViolation(reasons[0])
    raise rules.RuleViolation(f"None could be {what}: " + " ".join(reasons[:3]))


NO_APPLICATION = "No application #{} in this campaign."
