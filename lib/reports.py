"""The weekly client report: for a client (all of its campaigns) or one campaign and an ISO week,
what stood where at the week's end, what changed during it, and a summary beside the week
before. One .xlsx workbook with a sheet per section, or the same sections as CSV files in a zip.

Read side only. Every section is one SQL statement over the campaigns in scope, and runs
unchanged on the live database (lib.db.Database) or on a snapshot (lib.snapshots.open_snapshot:
one view per table), so the command line can report from a snapshot while the app holds the
database. Weeks run from Monday 00:00 to the next Monday 00:00, UTC, like every timestamp in
the database; a payment counts in the week of its `paid_on` day.

A client's campaigns are those it owns now (`campaign_ownership.client_id`, as on every other
page); `campaigns.client_id` is only the client at creation.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lib import exports, rules
from lib.db import NotFound, bind, utcnow
from lib.models import CollabStatus, Role, User

Progress = Callable[[str, float], None]


class Store(Protocol):
    """The live database or a snapshot: anything that hands out DuckDB cursors."""

    def cursor(self) -> duckdb.DuckDBPyConnection: ...


# --- what a report is ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the column in the section's SQL
    title: str  # its header in the workbook and the CSV file
    kind: str = "text"  # text, int, money, date, datetime, percent


@dataclass(frozen=True)
class SectionSpec:
    name: str  # the CSV file's name, without .csv
    title: str  # the sheet's name (at most 31 characters)
    sql: str  # after the shared WITH clauses (_SCOPE); parameters $start, $end, ...
    columns: tuple[Column, ...]


@dataclass
class Section:
    spec: SectionSpec
    frame: pd.DataFrame  # columns are the spec's titles

    @property
    def title(self) -> str:
        return self.spec.title


@dataclass(frozen=True)
class Week:
    monday: dt.date

    @property
    def label(self) -> str:
        return rules.iso_week_label(self.monday)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.monday, dt.time())

    @property
    def end(self) -> dt.datetime:
        """The next Monday at midnight: the week is everything before it."""
        return self.start + dt.timedelta(days=7)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def previous(self) -> Week:
        return Week(self.monday - dt.timedelta(days=7))

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "start_day": self.monday,
                "end_day": self.monday + dt.timedelta(days=7)}


@dataclass(frozen=True)
class ReportScope:
    """Exactly one of the two: a client's campaigns, or one campaign."""

    client_id: int | None = None
    campaign_id: int | None = None


@dataclass
class WeeklyReport:
    scope_label: str  # "Client Acme" or "Campaign Spring (Acme)"
    slug: str  # for file names
    week: Week
    source: str  # where the data came from: the database, or a snapshot and its time
    generated_at: dt.datetime
    generated_by: str
    summary: pd.DataFrame
    sections: list[Section] = field(default_factory=list)

    @property
    def file_stem(self) -> str:
        return f"weekly-report_{self.slug}_{self.week.label}"

    def header_lines(self) -> list[str]:
        week = self.week
        return [
            f"Weekly report: {self.scope_label}",
            f"Week {week.label}: Monday {week.monday:%d %B %Y} to Sunday {week.sunday:%d %B %Y}"
            " (UTC)",
            f"Data: {self.source}",
            f"Generated {self.generated_at:%Y-%m-%d %H:%M} UTC by {self.generated_by}",
        ]


# --- the sections --------------------------------------------------------------------------

# The campaigns in scope and their collaborations; {condition} picks the campaigns.
_SCOPE = """
scope AS (
    SELECT ca.id AS campaign_id, ca.name AS campaign
    FROM campaigns ca JOIN campaign_ownership o ON o.campaign_id = ca.id
    WHERE {condition}
), collabs AS (
    SELECT c.id, c.campaign_id, s.campaign, cr.name AS creator, cr.handle, cr.platform,
           c.status, c.created_at, c.compensation, c.currency, c.cancel_reason
    FROM collaborations c JOIN scope s ON s.campaign_id = c.campaign_id
    JOIN creators cr ON cr.id = c.creator_id
)"""

# Each collaboration that existed at $end, in the status it held then: the last status change
# before $end; before its first change, that change's from_status (or today's status, never
# changed). lib.progress rebuilds its weekly counts the same way, so the two pages agree.
_AT_END = """
, changes AS (
    SELECT e.collab_id, e.id, e.occurred_at, e.from_status, e.to_status
    FROM activity_events e JOIN collabs c ON c.id = e.collab_id
    WHERE e.kind = 'status_changed' AND e.to_status IS NOT NULL
), history AS (
    SELECT collab_id, min(occurred_at) AS first_at,
           arg_min(from_status, (occurred_at, id)) AS first_from,
           arg_max(to_status, (occurred_at, id)) FILTER (WHERE occurred_at < $end) AS last_to
    FROM changes GROUP BY collab_id
), at_end AS (
    SELECT c.*, coalesce(h.last_to, h.first_from, c.status) AS status_at_end
    FROM collabs c LEFT JOIN history h ON h.collab_id = c.id
    WHERE least(c.created_at, h.first_at) < $end
)"""

_STATUS_ORDER = ("CASE {s} WHEN 'pending' THEN 0 WHEN 'negotiating' THEN 1"
                 " WHEN 'fulfilling' THEN 2 WHEN 'completed' THEN 3 ELSE 4 END")

STATUS = SectionSpec(
    "status_at_week_end", "Status at week end",
    _AT_END + f"""
    SELECT id, campaign, creator, handle, platform, status_at_end, compensation, currency
    FROM at_end ORDER BY campaign, {_STATUS_ORDER.format(s="status_at_end")}, creator, id
    """,
    (Column("id", "Collaboration", "int"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"), Column("platform", "Platform"),
     Column("status_at_end", "Status at week end"),
     Column("compensation", "Compensation", "money"), Column("currency", "Currency")),
)

# New collaborations (created in the week) and every status change in it, classified:
# advanced (to a later stage before completed), moved back, completed, cancelled.
CHANGES = SectionSpec(
    "changes", "Changes",
    _AT_END + f"""
    , moves AS (
        SELECT e.occurred_at AS at, e.id AS seq, e.collab_id, e.from_status, e.to_status,
               CASE WHEN e.to_status = 'completed' THEN 'completed'
                    WHEN e.to_status = 'cancelled' THEN 'cancelled'
                    WHEN {_STATUS_ORDER.format(s="e.to_status")}
                         > {_STATUS_ORDER.format(s="e.from_status")} THEN 'advanced'
                    ELSE 'moved back' END AS change,
               coalesce(e.text, CASE WHEN e.to_status = 'cancelled'
                                     THEN c.cancel_reason END) AS reason,
               e.actor
        FROM activity_events e JOIN collabs c ON c.id = e.collab_id
        WHERE e.kind = 'status_changed' AND e.to_status IS NOT NULL
          AND e.occurred_at >= $start AND e.occurred_at < $end
        UNION ALL
        SELECT c.created_at, -1, c.id, NULL, coalesce(h.first_from, c.status), 'new', NULL,
               (SELECT arg_min(e.actor, e.id) FROM activity_events e
                WHERE e.collab_id = c.id AND e.kind = 'created')
        FROM collabs c LEFT JOIN history h ON h.collab_id = c.id
        WHERE c.created_at >= $start AND c.created_at < $end
    )
    SELECT m.at, c.campaign, c.creator, c.handle, m.change, m.from_status, m.to_status,
           m.reason, m.actor, m.collab_id
    FROM moves m JOIN collabs c ON c.id = m.collab_id
    ORDER BY m.at, m.seq, m.collab_id
    """,
    (Column("at", "When (UTC)", "datetime"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"), Column("change", "Change"),
     Column("from_status", "From"), Column("to_status", "To"), Column("reason", "Reason"),
     Column("actor", "By"), Column("collab_id", "Collaboration", "int")),
)

# Content delivered in the week, decided in the week, or awaiting approval at the week's end
# (issue 5's approval: a submission is pending until reviewed; content recorded outside the
# approval flow is approved from the start). The state at the week's end is the state now,
# unless the decision came after the week: then it was still pending.
CONTENT = SectionSpec(
    "content", "Content",
    """
    , items AS (
        SELECT ci.*, CASE WHEN ci.reviewed_at >= $end THEN 'pending' ELSE ci.approval END
                     AS approval_at_end
        FROM content_items ci JOIN collabs c ON c.id = ci.collab_id
        WHERE ci.delivered_on < $end_day
    )
    SELECT i.delivered_on, c.campaign, c.creator, c.handle, i.kind, i.url, i.version,
           i.approval_at_end, i.reviewed_at, i.reviewed_by, i.collab_id,
           i.delivered_on >= $start_day AS delivered_in_week,
           i.reviewed_at >= $start AND i.reviewed_at < $end AS decided_in_week
    FROM items i JOIN collabs c ON c.id = i.collab_id
    WHERE i.delivered_on >= $start_day OR (i.reviewed_at >= $start AND i.reviewed_at < $end)
       OR i.approval_at_end = 'pending'
    ORDER BY i.delivered_on, i.id
    """,
    (Column("delivered_on", "Delivered on", "date"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"), Column("kind", "Type"),
     Column("url", "Link"), Column("version", "Version", "int"),
     Column("approval_at_end", "Approval at week end"),
     Column("reviewed_at", "Decided (UTC)", "datetime"), Column("reviewed_by", "Decided by"),
     Column("collab_id", "Collaboration", "int"),
     Column("delivered_in_week", "Delivered in the week"),
     Column("decided_in_week", "Decided in the week")),
)

PAYMENTS = SectionSpec(
    "payments", "Payments",
    """
    SELECT p.paid_on, c.campaign, c.creator, c.handle, p.amount, p.currency, p.reference,
           p.created_by, p.collab_id
    FROM payments p JOIN collabs c ON c.id = p.collab_id
    WHERE p.paid_on >= $start_day AND p.paid_on < $end_day
    ORDER BY p.paid_on, p.id
    """,
    (Column("paid_on", "Paid on", "date"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"),
     Column("amount", "Amount", "money"), Column("currency", "Currency"),
     Column("reference", "Reference"), Column("created_by", "Recorded by"),
     Column("collab_id", "Collaboration", "int")),
)

# Compensation is owed once the terms are agreed: collaborations fulfilling or completed at the
# week's end, minus what was paid in their currency by then.
OWED = SectionSpec(
    "compensation_owed", "Compensation owed",
    _AT_END + f"""
    , paid AS (
        SELECT p.collab_id, sum(p.amount) AS paid
        FROM payments p JOIN at_end a ON a.id = p.collab_id AND p.currency = a.currency
        WHERE p.paid_on < $end_day GROUP BY p.collab_id
    )
    SELECT a.campaign, a.creator, a.handle, a.status_at_end, a.compensation,
           coalesce(p.paid, 0)::DECIMAL(14, 2) AS paid,
           (a.compensation - coalesce(p.paid, 0))::DECIMAL(14, 2) AS owed, a.currency, a.id
    FROM at_end a LEFT JOIN paid p ON p.collab_id = a.id
    WHERE a.status_at_end IN ('fulfilling', 'completed') AND a.compensation > coalesce(p.paid, 0)
    ORDER BY a.campaign, {_STATUS_ORDER.format(s="a.status_at_end")}, a.creator, a.id
    """,
    (Column("campaign", "Campaign"), Column("creator", "Creator"), Column("handle", "Handle"),
     Column("status_at_end", "Status at week end"),
     Column("compensation", "Compensation", "money"), Column("paid", "Paid by week end", "money"),
     Column("owed", "Owed", "money"), Column("currency", "Currency"),
     Column("id", "Collaboration", "int")),
)

# Shipments keep only their current status (and when it was set), so this sheet shows each
# as it stands when the report is made: every shipment that existed by the week's end and was
# not already delivered before the week began (open now, delivered in the week, or changed
# since the week began, so possibly still on its way then).
SHIPMENTS = SectionSpec(
    "shipments", "Shipments",
    """
    SELECT sh.status, c.campaign, c.creator, c.handle, sh.item, sh.carrier, sh.tracking_number,
           sh.exception_reason, sh.shipped_on, sh.delivered_on, sh.status_changed_at, sh.id
    FROM shipments sh JOIN collabs c ON c.id = sh.collab_id
    WHERE sh.created_at < $end
      AND (sh.status <> 'delivered' OR sh.delivered_on >= $start_day
           OR sh.status_changed_at >= $start)
    ORDER BY CASE sh.status WHEN 'exception' THEN 0 WHEN 'pending' THEN 1
                            WHEN 'in_transit' THEN 2 ELSE 3 END, c.campaign, c.creator, sh.id
    """,
    (Column("status", "Status now"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"), Column("item", "Item"),
     Column("carrier", "Carrier"), Column("tracking_number", "Tracking number"),
     Column("exception_reason", "Exception"), Column("shipped_on", "Shipped on", "date"),
     Column("delivered_on", "Delivered on", "date"),
     Column("status_changed_at", "Status since (UTC)", "datetime"),
     Column("id", "Shipment", "int")),
)

# Feedback the client's reviewers gave in the week, on a creator or on a content item.
FEEDBACK = SectionSpec(
    "feedback", "Feedback",
    """
    SELECT f.created_at, s.campaign, r.email AS reviewer,
           CASE WHEN f.content_item_id IS NULL THEN 'creator' ELSE 'content' END AS about,
           coalesce(cr.name, ccr.name) AS creator, ci.url, f.verdict, f.body, f.id
    FROM feedback f JOIN scope s ON s.campaign_id = f.campaign_id
    JOIN reviewers r ON r.id = f.reviewer_id
    LEFT JOIN creators cr ON cr.id = f.creator_id
    LEFT JOIN content_items ci ON ci.id = f.content_item_id
    LEFT JOIN collaborations cc ON cc.id = ci.collab_id
    LEFT JOIN creators ccr ON ccr.id = cc.creator_id
    WHERE f.created_at >= $start AND f.created_at < $end
    ORDER BY f.created_at, f.id
    """,
    (Column("created_at", "When (UTC)", "datetime"), Column("campaign", "Campaign"),
     Column("reviewer", "Reviewer"), Column("about", "On"), Column("creator", "Creator"),
     Column("url", "Content"), Column("verdict", "Verdict"), Column("body", "Feedback"),
     Column("id", "Feedback #", "int")),
)

# Every agreement the week touched: sent in it, answered in it (accepted, declined), or
# unsigned at its end: pending (deadline not passed; an agreement is pending up to and
# including its deadline) or expired during the week. The sheet used to hold only the
# unsigned ones, so a week whose agreements were all signed showed "Agreements (0)".
AGREEMENTS = SectionSpec(
    "agreements", "Agreements",
    """
    , touched AS (
        SELECT g.*, a.campaign_id, a.creator_id,
               CASE WHEN g.responded_at < $end THEN g.outcome
                    WHEN g.deadline >= $end THEN 'pending' ELSE 'expired' END AS state
        FROM agreements g JOIN applications a ON a.id = g.application_id
        WHERE g.sent_at < $end AND (
            g.sent_at >= $start
            OR (g.responded_at >= $start AND g.responded_at < $end)
            OR ((g.responded_at IS NULL OR g.responded_at >= $end) AND g.deadline >= $start))
    )
    SELECT g.state, s.campaign, cr.name AS creator, cr.handle, g.sent_at, g.deadline,
           g.responded_at, g.compensation, g.currency, g.id, g.sent_at >= $start AS sent_in_week
    FROM touched g JOIN scope s ON s.campaign_id = g.campaign_id
    JOIN creators cr ON cr.id = g.creator_id
    ORDER BY CASE g.state WHEN 'pending' THEN 0 WHEN 'expired' THEN 1 WHEN 'accepted' THEN 2
                          ELSE 3 END, g.deadline, g.id
    """,
    (Column("state", "State at week end"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"),
     Column("sent_at", "Sent (UTC)", "datetime"), Column("deadline", "Deadline (UTC)", "datetime"),
     Column("responded_at", "Answered (UTC)", "datetime"),
     Column("compensation", "Compensation", "money"), Column("currency", "Currency"),
     Column("id", "Agreement", "int"), Column("sent_in_week", "Sent in the week")),
)

# Tracking links and coupon codes sent to creators in the week (issue 7's assets), with the
# state of the e-mail that carried each.
ASSETS = SectionSpec(
    "assets", "Assets sent",
    """
    SELECT a.created_at, c.campaign, c.creator, c.handle, a.kind, a.value, m.state,
           a.created_by, a.collab_id
    FROM assets a JOIN collabs c ON c.id = a.collab_id JOIN messages m ON m.id = a.message_id
    WHERE a.created_at >= $start AND a.created_at < $end
    ORDER BY a.created_at, a.id
    """,
    (Column("created_at", "When (UTC)", "datetime"), Column("campaign", "Campaign"),
     Column("creator", "Creator"), Column("handle", "Handle"), Column("kind", "Kind"),
     Column("value", "Link or code"), Column("state", "E-mail"), Column("created_by", "By"),
     Column("collab_id", "Collaboration", "int")),
)

SECTIONS: tuple[SectionSpec, ...] = (STATUS, CHANGES, CONTENT, PAYMENTS, OWED, SHIPMENTS,
                                     FEEDBACK, AGREEMENTS, ASSETS)
SUMMARY_TITLE = "Summary"


def _sql(spec: SectionSpec, condition: str) -> str:
    return "WITH " + _SCOPE.format(condition=condition) + spec.sql


def _read(store: Store, spec: SectionSpec, condition: str, params: dict[str, Any]
          ) -> pd.DataFrame:
    """The section's rows with exact values (DECIMAL stays Decimal, for money), titled."""
    sql = _sql(spec, condition)
    with store.cursor() as cur:
        cur.execute(sql, bind(sql, params))
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    frame = pd.DataFrame.from_records(rows, columns=names)
    frame = frame[[c.key for c in spec.columns]]
    return frame.rename(columns={c.key: c.title for c in spec.columns})


# --- building a report ---------------------------------------------------------------------


def weekly_report(
    store: Store,
    user: User,
    scope: ReportScope,
    week: str,
    source: str = "the live database",
    progress: Progress | None = None,
) -> WeeklyReport:
    """The weekly report for `scope` and ISO `week` (like 2026-W47) from `store`."""
    rules.require_role(user, Role.VIEWER, "export reports")
    this_week = Week(rules.parse_iso_week(week))
    label, slug, condition, scope_params = _describe_scope(store, scope)
    steps = 2 * len(SECTIONS)
    frames: dict[str, dict[str, pd.DataFrame]] = {}
    for index, (when, spec) in enumerate(
        (w, s) for w in (this_week, this_week.previous) for s in SECTIONS
    ):
        if progress:
            which = "this week" if when is this_week else "the week before"
            progress(f"{spec.title}, {which}", index / steps)
        frames.setdefault(when.label, {})[spec.name] = _read(
            store, spec, condition, {**scope_params, **when.params()}
        )
    summary = summarize(frames[this_week.label], frames[this_week.previous.label],
                        this_week)
    if progress:
        progress("Summary", 1.0)
    return WeeklyReport(
        scope_label=label, slug=slug, week=this_week, source=source,
        generated_at=utcnow(), generated_by=user.username, summary=summary,
        sections=[Section(spec, frames[this_week.label][spec.name]) for spec in SECTIONS],
    )


def _describe_scope(store: Store, scope: ReportScope
                    ) -> tuple[str, str, str, dict[str, Any]]:
    """(label, file-name slug, SQL condition on `ca`/`o`, its parameters) for `scope`."""
    if (scope.client_id is None) == (scope.campaign_id is None):
        raise rules.RuleViolation("Choose a client or a campaign (one of the two).")
    with store.cursor() as cur:
        if scope.campaign_id is not None:
            row = cur.execute(
                "SELECT ca.name, cl.name FROM campaigns ca JOIN campaign_ownership o"
                " ON o.campaign_id = ca.id JOIN clients cl ON cl.id = o.client_id"
                " WHERE ca.id = ?",
                [_as_id(scope.campaign_id, "campaign")],
            ).fetchone()
            if row is None:
                raise NotFound(f"There is no campaign #{scope.campaign_id}.")
            return (f"Campaign {row[0]} ({row[1]})", f"campaign-{scope.campaign_id}",
                    "ca.id = $campaign", {"campaign": int(scope.campaign_id)})
        row = cur.execute("SELECT name FROM clients WHERE id = ?",
                          [_as_id(scope.client_id, "client")]).fetchone()
        if row is None:
            raise NotFound(f"There is no client #{scope.client_id}.")
        return (f"Client {row[0]}", f"client-{_slug(row[0])}",
                "o.client_id = $client", {"client": int(scope.client_id)})


def _as_id(value: object, what: str) -> int:
    try:
        number = int(str(value))
    except ValueError:
        raise rules.RuleViolation(f"A {what} is named by its number, not {rules.shown(value)}."
                                  ) from None
    if not 0 < number < 2**63:
        raise NotFound(f"There is no {what} #{value}.")
    return number


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "client"


def find_client(store: Store, name: str) -> int:
    """The id of the client called `name` (case and spaces ignored); NotFound says which exist."""
    wanted = " ".join((name or "").split()).lower()
    with store.cursor() as cur:
        clients = cur.execute("SELECT id, name FROM clients ORDER BY name").fetchall()
    for client_id, client_name in clients:
        if " ".join(client_name.split()).lower() == wanted:
            return client_id
    known = ", ".join(n for _, n in clients[:20]) or "none yet"
    raise NotFound(f"There is no client called {rules.shown(name)}. Clients: {known}.")


def clients(store: Store) -> list[tuple[int, str]]:
    with store.cursor() as cur:
        return cur.execute("SELECT id, name FROM clients ORDER BY name").fetchall()


def last_full_week(today: dt.date) -> str:
    """The ISO week before the one `today` is in: what a Monday-morning job reports on."""
    return rules.iso_week_label(today - dt.timedelta(days=7))


# --- the summary ---------------------------------------------------------------------------


def summarize(now: dict[str, pd.DataFrame], before: dict[str, pd.DataFrame], week: Week
              ) -> pd.DataFrame:
    """The week's figures beside the week before's, counted from the sections themselves
    (so the summary always agrees with the sheets). Figures that exist only as of now (the
    shipments' current status) have no value for the week before."""
    rows: list[tuple[str, Any, Any]] = []
    for label, count in _figures(now, before, week):
        rows.append((label, *count))
    columns = ["Figure", f"This week ({week.label})", f"Week before ({week.previous.label})"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["Change"] = [
        (a - b) if a is not None and b is not None else None
        for a, b in zip(frame[columns[1]], frame[columns[2]], strict=True)
    ]
    return frame


def _figures(now: dict[str, pd.DataFrame], before: dict[str, pd.DataFrame], week: Week
             ) -> list[tuple[str, tuple[Any, Any]]]:
    def both(count: Callable[[dict[str, pd.DataFrame]], Any]) -> tuple[Any, Any]:
        return count(now), count(before)

    def rows(section: str, column: str | None = None, value: object = None
             ) -> Callable[[dict[str, pd.DataFrame]], int]:
        def count(frames: dict[str, pd.DataFrame]) -> int:
            frame = frames[section]
            return len(frame) if column is None else int((frame[column] == value).sum())
        return count

    figures: list[tuple[str, tuple[Any, Any]]] = [
        ("Collaborations at week end", both(rows(STATUS.name))),
    ]
    for status in CollabStatus:
        figures.append((f"  {status.label} at week end",
                        both(rows(STATUS.name, "Status at week end", status.value))))
    for label, change in (("New collaborations", "new"), ("Advanced a stage", "advanced"),
                          ("Moved back a stage", "moved back"),
                          ("Completed in the week", "completed"),
                          ("Cancelled in the week", "cancelled")):
        figures.append((label, both(rows(CHANGES.name, "Change", change))))
    figures.append(("Content delivered", both(rows(CONTENT.name, "Delivered in the week", True))))
    figures.append(("Content approved in the week", both(_decided(CONTENT.name, "approved"))))
    figures.append(("Changes requested in the week",
                    both(_decided(CONTENT.name, "changes_requested"))))
    figures.append(("Content awaiting approval at week end",
                    both(rows(CONTENT.name, "Approval at week end", "pending"))))
    figures.append(("Payments made", both(rows(PAYMENTS.name))))
    figures += _money(now, before, PAYMENTS.name, "Amount", "Paid")
    figures += _money(now, before, OWED.name, "Owed", "Compensation owed at week end")
    figures.append(("Shipments delivered in the week",
                    (_delivered_in_week(now[SHIPMENTS.name], week),
                     _delivered_in_week(before[SHIPMENTS.name], week.previous))))
    figures.append(("Shipments with an open exception (now)",
                    (int((now[SHIPMENTS.name]["Status now"] == "exception").sum()), None)))
    figures.append(("Feedback received", both(rows(FEEDBACK.name))))
    figures.append(("  approving", both(rows(FEEDBACK.name, "Verdict", "approve"))))
    figures.append(("  declining", both(rows(FEEDBACK.name, "Verdict", "decline"))))
    figures.append(("Agreements sent in the week",
                    both(rows(AGREEMENTS.name, "Sent in the week", True))))
    figures.append(("Agreements accepted in the week",
                    both(rows(AGREEMENTS.name, "State at week end", "accepted"))))
    figures.append(("Agreements declined in the week",
                    both(rows(AGREEMENTS.name, "State at week end", "declined"))))
    figures.append(("Agreements pending at week end",
                    both(rows(AGREEMENTS.name, "State at week end", "pending"))))
    figures.append(("Agreements expired in the week",
                    both(rows(AGREEMENTS.name, "State at week end", "expired"))))
    figures.append(("Tracking links and coupon codes sent", both(rows(ASSETS.name))))
    return figures


def _decided(section: str, approval: str) -> Callable[[dict[str, pd.DataFrame]], int]:
    def count(frames: dict[str, pd.DataFrame]) -> int:
        frame = frames[section]
        return int((frame["Decided in the week"].astype(bool)
                    & (frame["Approval at week end"] == approval)).sum())
    return count


def _delivered_in_week(frame: pd.DataFrame, week: Week) -> int:
    days = frame["Delivered on"].dropna()
    return int(sum(week.monday <= day <= week.sunday for day in days))


def _money(now: dict[str, pd.DataFrame], before: dict[str, pd.DataFrame], section: str,
           column: str, label: str) -> list[tuple[str, tuple[Any, Any]]]:
    """One figure per currency that appears in either week (a sum of mixed currencies would
    mean nothing)."""
    def sums(frames: dict[str, pd.DataFrame]) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        frame = frames[section]
        for amount, currency in zip(frame[column], frame["Currency"], strict=True):
            totals[currency] = totals.get(currency, Decimal("0.00")) + Decimal(amount)
        return totals

    this, last = sums(now), sums(before)
    currencies = sorted(set(this) | set(last))
    if not currencies:
        return [(label, (Decimal("0.00"), Decimal("0.00")))]
    return [(f"{label} ({currency})",
             (this.get(currency, Decimal("0.00")), last.get(currency, Decimal("0.00"))))
            for currency in currencies]


# --- files ---------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
FORMATS = {"money": "#,##0.00", "int": "0", "date": "yyyy-mm-dd",
           "datetime": "yyyy-mm-dd hh:mm", "count": "#,##0"}
MAX_WIDTH = 60


def workbook_bytes(report: WeeklyReport) -> bytes:
    """The report as an .xlsx workbook: the summary first, then one sheet per section."""
    book = Workbook()
    summary = book.active
    summary.title = SUMMARY_TITLE
    _write_summary(summary, report)
    for section in report.sections:
        title = exports.sheet_title(section.title, taken=book.sheetnames)
        _write_sheet(book.create_sheet(title), section.frame, section.spec.columns)
    return exports.xlsx_bytes(book)


def _write_summary(sheet: Worksheet, report: WeeklyReport) -> None:
    for line, text in enumerate(report.header_lines(), start=1):
        exports.put(sheet, line, 1, text).font = Font(bold=line == 1,
                                                      size=14 if line == 1 else 11)
    first = len(report.header_lines()) + 2
    columns = tuple(Column(name, name, "text" if i == 0 else "figure")
                    for i, name in enumerate(report.summary.columns))
    _write_sheet(sheet, report.summary, columns, first_row=first)


def _write_sheet(sheet: Worksheet, frame: pd.DataFrame, columns: Sequence[Column],
                 first_row: int = 1) -> None:
    widths = [len(c.title) for c in columns]
    for index, column in enumerate(columns, start=1):
        cell = exports.put(sheet, first_row, index, column.title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
    for row_number, values in enumerate(frame.itertuples(index=False), start=first_row + 1):
        for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = exports.put(sheet, row_number, index, value)
            kind = column.kind
            if kind == "figure":  # the summary mixes counts and money
                kind = "money" if isinstance(value, Decimal) else "count"
            if kind in FORMATS and cell.value is not None:
                cell.number_format = FORMATS[kind]
            widths[index - 1] = max(widths[index - 1], _display_width(value, kind))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_WIDTH)
    sheet.freeze_panes = sheet.cell(first_row + 1, 1)
    if len(frame):
        sheet.auto_filter.ref = (f"A{first_row}:{get_column_letter(len(columns))}"
                                 f"{first_row + len(frame)}")


def _display_width(value: Any, kind: str) -> int:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return 0
    if kind == "date":
        return 10
    if kind == "datetime":
        return 16
    if kind in ("money", "count"):
        return len(f"{value:,.2f}") if kind == "money" else len(f"{int(value):,}")
    return len(str(value))


def csv_zip_bytes(report: WeeklyReport) -> bytes:
    """The same sections as CSV files (UTF-8, comma-separated) in a zip, with the summary and
    a short README saying what the report covers."""
    tables = {"summary": report.summary}
    tables.update((section.spec.name, section.frame) for section in report.sections)
    return exports.csv_zip(tables, {"README.txt": "\n".join(report.header_lines()) + "\n"},
                           datetime_format="%Y-%m-%d %H:%M:%S")


def write_files(report: WeeklyReport, out_dir: Path) -> list[Path]:
    """Write the workbook and the zip into `out_dir` (created if missing); return their paths.
    Each is written to a temporary name first, so a scheduled job never leaves half a file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, data in ((".xlsx", workbook_bytes(report)), (".zip", csv_zip_bytes(report))):
        target = out_dir / f"{report.file_stem}{suffix}"
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
        written.append(target)
    return written
