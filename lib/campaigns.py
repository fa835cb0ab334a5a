"""Campaigns: the list, create and edit, applications, agreements, the one-time start of
collaborations, and what needs attention.

Reads filter and page in SQL; only one page reaches pandas. Every write checks the role first
(manager and up: DESIGN.md "Roles"), validates its input, then inside one `db.write` re-reads
the facts, asks lib/rules.py, and writes the change together with its campaign event. Batch
actions judge each row on its own: the allowed rows are written, the refused ones come back
with the reason; when every row is refused the call raises and nothing is written.

Workflow writes first bump the campaign row's `workflow_seq` (see _claim), so two of them on
one campaign conflict and one is retried on a fresh snapshot: a stage change or an answer
recorded while collaborations start is either seen by the start or refused after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lib import rules, users
from lib.db import BIGINT_RANGE, Cursor, Database, NotFound, Page, as_id, bind, paged, utcnow
from lib.models import (
    MAX_NOTE_CHARS,
    MAX_SEARCH_CHARS,
    MAX_SHORT_TEXT_CHARS,
    PLATFORMS,
    AgreementState,
    ApplicationSource,
    ApplicationStage,
    CampaignFields,
    CampaignStatus,
    CollabStatus,
    Role,
    Terms,
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


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


# --- pages of rows -------------------------------------------------------------


def _check_page_size(page_size: int) -> None:
    if not isinstance(page_size, int) or not 1 <= page_size <= max(PAGE_SIZES):
        raise rules.RuleViolation(
            f"A page has 1 to {max(PAGE_SIZES)} rows, not {rules.shown(page_size)}."
        )


def _paged(
    db: Database, hits: str, order: str, params: dict[str, Any], page: int, page_size: int
) -> Page:
    """lib.db.paged, with this module's page sizes checked."""
    _check_page_size(page_size)
    return paged(db, hits, order, params, page, page_size)


# --- campaigns: reads ----------------------------------------------------------

_CAMPAIGN_SQL = f"""
    SELECT ca.id, ca.name, cl.name AS client, co.client_id, u.name AS owner, co.owner_id,
           {STATUS_SQL.format(t="ca")} AS status, ca.start_date, ca.end_date,
           ca.budget::DOUBLE AS budget, ca.currency, ca.created_at, ca.closed_at, ca.started_at,
           ca.version
    FROM campaigns ca JOIN campaign_ownership co ON co.campaign_id = ca.id
    JOIN clients cl ON cl.id = co.client_id
    LEFT JOIN users u ON u.id = co.owner_id
"""
# Per campaign: applications, selected creators, those of them who signed, collaborations.
_COUNTS_SQL = """
    SELECT ca.id,
        (SELECT count(*) FROM applications a WHERE a.campaign_id = ca.id) AS applications,
        (SELECT count(*) FROM applications a
         WHERE a.campaign_id = ca.id AND a.stage = 'selected') AS selected,
        (SELECT count(*) FROM applications a JOIN agreements g ON g.application_id = a.id
         WHERE a.campaign_id = ca.id AND a.stage = 'selected' AND g.outcome = 'accepted')
            AS signed,
        (SELECT count(*) FROM collaborations c WHERE c.campaign_id = ca.id) AS collaborations
    FROM campaigns ca WHERE ca.id IN (SELECT unnest($ids::BIGINT[]))
"""
COUNT_COLUMNS = ("applications", "selected", "signed", "collaborations")


@dataclass(frozen=True)
class CampaignFilter:
    search: str = ""
    client_id: int | None = None
    statuses: tuple[str, ...] = ()

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL over the columns of _CAMPAIGN_SQL, and its parameters."""
        text = rules.check_text(self.search, "The search", MAX_SEARCH_CHARS, required=False)
        clauses, params = ["true"], {}
        if text:
            clauses.append("contains(lower(name), $search)")
            params["search"] = text.lower()
        if self.client_id is not None:
            clauses.append("client_id = $client")
            params["client"] = as_id(self.client_id, "client")
        if self.statuses:
            clauses.append("list_contains($statuses, status)")
            params["statuses"] = [rules.parse_campaign_status(s).value for s in self.statuses]
        return " AND ".join(clauses), params


def list_campaigns(
    db: Database,
    filt: CampaignFilter | None = None,
    page: int = 1,
    page_size: int = 50,
    now: dt.datetime | None = None,
) -> Page:
    """Campaigns matching `filt`, newest first, with their workflow counts (this page only)."""
    where, params = (filt or CampaignFilter()).where()
    hits = f"SELECT * FROM ({_CAMPAIGN_SQL}) WHERE {where}"
    found = _paged(
        db, hits, "created_at DESC, id DESC", {**params, "today": _now(now).date()}, page,
        page_size,
    )
    counts = db.frame(_COUNTS_SQL, {"ids": [int(i) for i in found.rows["id"]]})
    found.rows = found.rows.merge(counts, on="id", how="left")
    return found


_DETAIL_COLUMNS = (
    "id", "name", "client", "client_id", "owner", "owner_id", "status", "stored_status",
    "start_date", "end_date", "budget", "currency", "brief", "created_at", "closed_at",
    "started_at", "version",
)
_DETAIL_SQL = f"""
    SELECT ca.id, ca.name, cl.name, co.client_id, u.name, co.owner_id,
           {STATUS_SQL.format(t="ca")}, ca.status, ca.start_date, ca.end_date, ca.budget,
           ca.currency, coalesce(ca.brief, ''), ca.created_at, ca.closed_at, ca.started_at,
           ca.version
    FROM campaigns ca JOIN campaign_ownership co ON co.campaign_id = ca.id
    JOIN clients cl ON cl.id = co.client_id
    LEFT JOIN users u ON u.id = co.owner_id
    WHERE ca.id = $id
"""


def get_campaign(db: Database, campaign_id: int, now: dt.datetime | None = None) -> dict:
    """One campaign: its fields (budget exact), status now and as stored, workflow counts."""
    cid = as_id(campaign_id, "campaign")
    row = db.one(_DETAIL_SQL, {"id": cid, "today": _now(now).date()})
    if row is None:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    record = dict(zip(_DETAIL_COLUMNS, row, strict=True))
    counts = db.one(_COUNTS_SQL, {"ids": [cid]})
    record.update(zip(COUNT_COLUMNS, counts[1:] if counts else (0, 0, 0, 0), strict=True))
    return record


def clients(db: Database) -> list[tuple[int, str]]:
    return db.rows("SELECT id, name FROM clients ORDER BY name")


def campaign_choices(db: Database, client_id: int | None = None) -> list[tuple[int, str, str]]:
    """What every campaign picker lists: (id, name, client now), of one client when given, by
    name then client. Two campaigns may share a name: pickers show both (web.campaign_options)."""
    return db.rows(
        "SELECT ca.id, ca.name, cl.name FROM campaigns ca"
        " JOIN campaign_ownership co ON co.campaign_id = ca.id"
        " JOIN clients cl ON cl.id = co.client_id WHERE $client IS NULL OR co.client_id = $client"
        " ORDER BY lower(ca.name), lower(cl.name), ca.id",
        {"client": None if client_id is None else as_id(client_id, "client")},
    )


def owners(db: Database) -> list[tuple[int, str]]:
    """People who may own a campaign: enabled managers and admins."""
    return db.rows(
        "SELECT id, name FROM users WHERE NOT disabled AND role IN ('manager', 'admin')"
        " ORDER BY name"
    )


# --- events and messages ---------------------------------------------------------


def _log(
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


def _message(
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


# --- campaigns: writes ---------------------------------------------------------


def add_client(db: Database, user: User, name: str) -> int:
    grant = rules.require_role(user, Role.MANAGER, "add clients")
    name = rules.check_text(name, "The client name", MAX_SHORT_TEXT_CHARS)

    def write(cur: Cursor) -> int:
        taken = "SELECT 1 FROM clients WHERE lower(name) = lower($n)"
        if cur.execute(taken, {"n": name}).fetchone():
            raise rules.RuleViolation(f"There is already a client called {rules.shown(name)}.")
        return cur.execute(
            "INSERT INTO clients (name) VALUES ($n) RETURNING id", {"n": name}
        ).fetchone()[0]

    return db.write(users.recheck(grant, write))


def _require_client_and_owner(cur: Cursor, fields: CampaignFields) -> None:
    client = as_id(fields.client_id, "client")
    if not cur.execute("SELECT 1 FROM clients WHERE id = $id", {"id": client}).fetchone():
        raise NotFound(f"There is no client #{fields.client_id}.")
    if fields.owner_id is None:
        return
    owner = as_id(fields.owner_id, "user")
    if not cur.execute("SELECT 1 FROM users WHERE id = $id", {"id": owner}).fetchone():
        raise NotFound(f"There is no user #{fields.owner_id} to own the campaign.")


def create_campaign(
    db: Database,
    user: User,
    fields: CampaignFields,
    status: CampaignStatus | str = CampaignStatus.DRAFT,
    now: dt.datetime | None = None,
) -> int:
    """A new campaign, as a draft or directly open for applications; returns its id."""
    grant = rules.require_role(user, Role.MANAGER, "create campaigns")
    fields = rules.check_campaign_fields(fields)
    status = rules.check_initial_campaign_status(status)
    moment = _now(now)

    def write(cur: Cursor) -> int:
        _require_client_and_owner(cur, fields)
        campaign_id = cur.execute(
            "INSERT INTO campaigns (client_id, name, owner_id, brief, start_date, end_date,"
            " budget, currency, status, created_at) VALUES ($client, $name, $owner, $brief,"
            " $start, $end, $budget, $currency, $status, $now) RETURNING id",
            {**_field_params(fields), "status": status.value, "now": moment},
        ).fetchone()[0]
        cur.execute(
            "INSERT INTO campaign_ownership VALUES ($id, $client, $owner)",
            {"id": campaign_id, "client": as_id(fields.client_id, "client"),
             "owner": None if fields.owner_id is None else as_id(fields.owner_id, "user")},
        )
        _log(cur, campaign_id, user, "campaign_created", moment, to_value=status.value,
             text=fields.name)
        return campaign_id

    return db.write(users.recheck(grant, write))


def _field_params(fields: CampaignFields) -> dict[str, Any]:
    return {
        "client": as_id(fields.client_id, "client"),
        "name": fields.name,
        "owner": None if fields.owner_id is None else as_id(fields.owner_id, "user"),
        "brief": fields.brief,
        "start": fields.start_date,
        "end": fields.end_date,
        "budget": fields.budget,
        "currency": fields.currency,
    }


_EDITABLE = (  # column, what the event calls it
    ("client_id", "client"), ("name", "name"), ("owner_id", "owner"), ("brief", "brief"),
    ("start_date", "start date"), ("end_date", "end date"), ("budget", "budget"),
    ("currency", "currency"),
)


def edit_campaign(
    db: Database,
    user: User,
    campaign_id: int,
    version: int,
    fields: CampaignFields,
    now: dt.datetime | None = None,
) -> list[str]:
    """Save the fields; refused when someone changed the campaign since it was loaded.
    Returns what changed (as the campaign_edited event names it)."""
    grant = rules.require_role(user, Role.MANAGER, "edit campaigns")
    fields = rules.check_campaign_fields(fields)
    cid, moment = as_id(campaign_id, "campaign"), _now(now)
    new = _field_params(fields)
    new_values = dict(zip((c for c, _ in _EDITABLE), new.values(), strict=True))

    def write(cur: Cursor) -> list[str]:
        columns = ", ".join(f"co.{c}" if c.endswith("_id") else f"ca.{c}" for c, _ in _EDITABLE)
        row = cur.execute(
            f"SELECT {columns}, ca.version FROM campaigns ca"
            " JOIN campaign_ownership co ON co.campaign_id = ca.id WHERE ca.id = $id",
            {"id": cid},
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no campaign #{campaign_id}.")
        if row[-1] != version:
            raise rules.RuleViolation(
                "Someone changed this campaign since you opened it; reload and edit again."
            )
        old = dict(zip((c for c, _ in _EDITABLE), row[:-1], strict=True))
        changed = [label for column, label in _EDITABLE if old[column] != new_values[column]]
        if not changed:
            raise rules.RuleViolation("Nothing changed; there is nothing to save.")
        if {"client", "owner"} & set(changed):
            _require_client_and_owner(cur, fields)
            # campaign_ownership, not campaigns: DuckDB cannot re-point a referenced row.
            cur.execute(
                "UPDATE campaign_ownership SET client_id = $client, owner_id = $owner"
                " WHERE campaign_id = $id",
                {"client": new["client"], "owner": new["owner"], "id": cid},
            )
        cur.execute(
            "UPDATE campaigns SET name = $name, brief = $brief, start_date = $start,"
            " end_date = $end, budget = $budget, currency = $currency, version = version + 1"
            " WHERE id = $id",
            {**{k: v for k, v in new.items() if k not in ("client", "owner")}, "id": cid},
        )
        _log(cur, cid, user, "campaign_edited", moment, text="Changed " + ", ".join(changed))
        return changed

    return db.write(users.recheck(grant, write))


@dataclass(frozen=True)
class _Campaign:
    """A campaign as a write sees it inside its transaction."""

    id: int
    name: str
    status: CampaignStatus  # now, with the automatic close applied
    start_date: dt.date
    started_at: dt.datetime | None

    @property
    def started(self) -> bool:
        return rules.is_started(self.status, self.started_at)


def _read_campaign(cur: Cursor, campaign_id: object, now: dt.datetime) -> _Campaign:
    cid = as_id(campaign_id, "campaign")
    row = cur.execute(
        "SELECT id, name, status, start_date, started_at FROM campaigns WHERE id = $id",
        {"id": cid},
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    status = rules.campaign_status(row[2], row[3], now.date())
    return _Campaign(row[0], row[1], status, row[3], row[4])


def _claim(cur: Cursor, campaign_id: object, now: dt.datetime) -> _Campaign:
    """Read the campaign for a workflow write, after bumping its workflow_seq: a concurrent
    workflow write on the same campaign then conflicts (and Database.write retries it). DuckDB
    has no SELECT ... FOR UPDATE, and an UPDATE that changes nothing claims nothing."""
    cur.execute(
        "UPDATE campaigns SET workflow_seq = workflow_seq + 1 WHERE id = $id",
        {"id": as_id(campaign_id, "campaign")},
    )
    return _read_campaign(cur, campaign_id, now)


def set_campaign_status(
    db: Database,
    user: User,
    campaign_id: int,
    target: CampaignStatus | str,
    now: dt.datetime | None = None,
) -> None:
    """Open, close (early) or finish a campaign; running comes only from the start."""
    grant = rules.require_role(user, Role.MANAGER, "change a campaign's status")
    target, moment = rules.parse_campaign_status(target), _now(now)

    def write(cur: Cursor) -> None:
        campaign = _read_campaign(cur, campaign_id, moment)
        rules.check_campaign_transition(campaign.status, target)
        cur.execute(
            "UPDATE campaigns SET status = $to, version = version + 1, closed_at = CASE"
            " WHEN $to = 'closed' THEN $now ELSE closed_at END WHERE id = $id",
            {"to": target.value, "now": moment, "id": campaign.id},
        )
        early = target is CampaignStatus.CLOSED and moment.date() < campaign.start_date
        _log(cur, campaign.id, user, "campaign_status", moment, from_value=campaign.status.value,
             to_value=target.value,
             text=f"Closed early, before the start date {campaign.start_date}" if early else None)

    db.write(users.recheck(grant, write))


# --- applications ----------------------------------------------------------------


@dataclass
class BatchResult:
    """What a batch action did: `done` and `refused` are keyed by the ids it was given."""

    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)

    def summary(self, verb: str) -> str:
        text = f"{len(self.done):,} {verb}"
        return text + (f"; {len(self.refused):,} refused." if self.refused else ".")


def _batch_ids(ids: Iterable[object], what: str) -> list[int]:
    try:
        found = list(dict.fromkeys(int(i) for i in ids))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise rules.RuleViolation(f"Every {what} must be given by its number.") from None
    if not found:
        raise rules.RuleViolation(f"Select at least one {what} first.")
    if len(found) > MAX_BATCH:
        raise rules.RuleViolation(f"A batch takes at most {MAX_BATCH:,} {what}s at a time.")
    return found


def _sql_ids(ids: list[int]) -> list[int]:
    return [i for i in ids if i in BIGINT_RANGE]  # beyond BIGINT no row exists (nor casts)


def _refuse_if_nothing(result: BatchResult, what: str) -> None:
    """Raise when every row was refused, so that nothing is written and the caller sees why."""
    if result.done:
        return
    reasons = list(dict.fromkeys(result.refused.values()))
    if len(reasons) == 1:
        raise rules.RuleViolation(reasons[0])
    raise rules.RuleViolation(f"None could be {what}: " + " ".join(reasons[:3]))


_NO_APPLICATION = "No application #{} in this campaign."


def _judge(
    ids: list[int], found: Mapping[int, Any], check: Callable[[Any], None], missing: str
) -> BatchResult:
    """Ask `check` about each row; its RuleViolation becomes that row's refusal. An id not in
    `found` is refused with `missing` (formatted with the id)."""
    result = BatchResult()
    for key in ids:
        if key not in found:
            result.refused[key] = missing.format(key)
            continue
        try:
            check(found[key])
        except rules.RuleViolation as refusal:
            result.refused[key] = str(refusal)
        else:
            result.done.append(key)
    return result


def _new_creators(cur: Cursor, campaign_id: int, ids: list[int]) -> dict[int, str | None]:
    """creator id -> None when it may join the campaign, else why not (absent: no creator)."""
    rows = cur.execute(
        "SELECT cr.id, a.id IS NOT NULL, c.id FROM creators cr"
        " LEFT JOIN applications a ON a.creator_id = cr.id AND a.campaign_id = $c"
        " LEFT JOIN (SELECT creator_id, min(id) AS id FROM collaborations WHERE campaign_id = $c"
        "            GROUP BY ALL) c ON c.creator_id = cr.id"
        " WHERE cr.id IN (SELECT unnest($ids::BIGINT[]))",
        {"c": campaign_id, "ids": _sql_ids(ids)},
    ).fetchall()
    found: dict[int, str | None] = {}
    for creator_id, applied, collab_id in rows:
        if applied:
            found[creator_id] = "This creator is already in the campaign."
        elif collab_id is not None:
            found[creator_id] = f"This creator already has collaboration #{collab_id} here."
        else:
            found[creator_id] = None
    return found


def _must_be_none(reason: str | None) -> None:
    if reason:
        raise rules.RuleViolation(reason)


def add_applications(
    db: Database,
    user: User,
    campaign_id: int,
    creator_ids: Iterable[int],
    source: ApplicationSource | str = ApplicationSource.APPLIED,
    pitch: str = "",
    now: dt.datetime | None = None,
) -> BatchResult:
    """Record creators who applied, or (source "invited") invite them from the agency's own
    creator base. Keyed by creator id; each new application gets an applied/invited event."""
    grant = rules.require_role(user, Role.MANAGER, "add creators to campaigns")
    source = rules.parse_source(source)
    pitch = rules.check_text(pitch, "The pitch", MAX_NOTE_CHARS, required=False)
    ids, moment = _batch_ids(creator_ids, "creator"), _now(now)

    def write(cur: Cursor) -> BatchResult:
        campaign = _claim(cur, campaign_id, moment)
        rules.check_add_application(campaign.status, source)
        result = _judge(
            ids, _new_creators(cur, campaign.id, ids), _must_be_none, "There is no creator #{}."
        )
        _refuse_if_nothing(result, "added")
        added = cur.execute(
            "INSERT INTO applications (campaign_id, creator_id, source, stage, pitch, created_at,"
            " updated_at) SELECT $c, unnest($ids::BIGINT[]), $source, 'applied', $pitch, $now,"
            " $now RETURNING id",
            {"c": campaign.id, "ids": result.done, "source": source.value, "pitch": pitch,
             "now": moment},
        ).fetchall()
        _log(cur, campaign.id, user, source.value, moment, apps=sorted(r[0] for r in added),
             to_value=ApplicationStage.APPLIED.value)
        return result

    return db.write(users.recheck(grant, write))


@dataclass(frozen=True)
class _App:
    """An application with its agreement, as a write judges it."""

    id: int
    creator_id: int
    creator: str
    handle: str
    stage: str
    version: int
    agreement_id: int | None
    sent_at: dt.datetime | None
    deadline: dt.datetime | None
    outcome: str | None

    def state(self, now: dt.datetime) -> AgreementState | None:
        if self.agreement_id is None or self.sent_at is None:
            return None
        return rules.agreement_state(self.sent_at, self.deadline, self.outcome, now)


def _applications(cur: Cursor, campaign_id: int, ids: list[int] | None = None) -> dict[int, _App]:
    """The campaign's applications (only `ids`, when given), by id."""
    only = "" if ids is None else " AND a.id IN (SELECT unnest($ids::BIGINT[]))"
    sql = (
        "SELECT a.id, a.creator_id, cr.name, cr.handle, a.stage, a.version, g.id, g.sent_at,"
        " g.deadline, g.outcome FROM applications a JOIN creators cr ON cr.id = a.creator_id"
        f" LEFT JOIN agreements g ON g.application_id = a.id WHERE a.campaign_id = $c{only}"
        " ORDER BY a.id"
    )
    rows = cur.execute(sql, bind(sql, c=campaign_id, ids=_sql_ids(ids or []))).fetchall()
    return {r[0]: _App(*r) for r in rows}


def _versions(applications: Mapping[int, int | None] | Iterable[int]) -> dict[int, int | None]:
    """id -> the version the caller saw (None: not checked)."""
    if isinstance(applications, Mapping):
        return {int(k): (None if v is None else int(v)) for k, v in applications.items()}
    return dict.fromkeys(_batch_ids(applications, "application"))


def change_stages(
    db: Database,
    user: User,
    campaign_id: int,
    applications: Mapping[int, int | None] | Iterable[int],
    target: ApplicationStage | str,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Move applications (id -> version seen, or just ids) to `target`, one stage_changed event
    each. A pre-selection notifies nobody, so no message is written."""
    grant = rules.require_role(user, Role.MANAGER, "change application stages")
    target, moment = rules.parse_stage(target), _now(now)
    versions = _versions(applications)
    ids = _batch_ids(versions, "application")

    def write(cur: Cursor) -> BatchResult:
        campaign = _claim(cur, campaign_id, moment)
        found = _applications(cur, campaign.id, ids)

        def check(app: _App) -> None:
            if versions[app.id] not in (None, app.version):
                raise rules.RuleViolation(
                    "Someone changed this application since you loaded it; reload and retry."
                )
            rules.check_stage_change(app.stage, target, campaign.started)

        result = _judge(ids, found, check, _NO_APPLICATION)
        _refuse_if_nothing(result, "changed")
        cur.execute(
            "UPDATE applications SET stage = $to, version = version + 1, updated_at = $now"
            " WHERE id IN (SELECT unnest($ids::BIGINT[]))",
            {"to": target.value, "now": moment, "ids": result.done},
        )
        _log(cur, campaign.id, user, "stage_changed", moment, apps=result.done,
             from_values=[found[i].stage for i in result.done], to_value=target.value)
        return result

    return db.write(users.recheck(grant, write))


def change_stage(
    db: Database, user: User, campaign_id: int, application_id: int, version: int | None,
    target: ApplicationStage | str, now: dt.datetime | None = None,
) -> None:
    """One application; RuleViolation saying why when refused."""
    change_stages(db, user, campaign_id, {application_id: version}, target, now)


# --- agreements ------------------------------------------------------------------


def _terms_text(terms: Terms, deadline: dt.datetime) -> str:
    dates = " to ".join(str(d) for d in (terms.start_date, terms.due_date) if d)
    lines = [
        f"Deliverables: {terms.deliverables}",
        f"Compensation: {terms.compensation} {terms.currency}",
        f"Dates: {dates}" if dates else "",
        f"Conditions: {terms.conditions}" if terms.conditions else "",
        f"Please sign by {deadline:%Y-%m-%d %H:%M} UTC.",
    ]
    return "\n".join(line for line in lines if line)


def send_agreements(
    db: Database,
    user: User,
    campaign_id: int,
    application_ids: Iterable[int],
    terms: Terms,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Send the same terms to selected creators: an agreement each, signable for three days,
    an 'agreement_sent' message in their history and a campaign event."""
    grant = rules.require_role(user, Role.MANAGER, "send agreements")
    terms = rules.check_agreement_terms(terms)
    ids, moment = _batch_ids(application_ids, "application"), _now(now)
    deadline = rules.agreement_deadline(moment)

    def write(cur: Cursor) -> BatchResult:
        campaign = _claim(cur, campaign_id, moment)
        found = _applications(cur, campaign.id, ids)
        result = _judge(ids, found, lambda app: rules.check_send_agreement(
            app.stage, app.state(moment), campaign.started), _NO_APPLICATION)
        _refuse_if_nothing(result, "sent an agreement")
        cur.execute(
            "INSERT INTO agreements (application_id, deliverables, compensation, currency,"
            " start_date, due_date, conditions, sent_at, deadline, sent_by)"
            " SELECT unnest($ids::BIGINT[]), $deliverables, $compensation, $currency, $start,"
            " $due, $conditions, $now, $deadline, $actor",
            {"ids": result.done, "deliverables": terms.deliverables,
             "compensation": terms.compensation, "currency": terms.currency,
             "start": terms.start_date, "due": terms.due_date, "conditions": terms.conditions,
             "now": moment, "deadline": deadline, "actor": user.username},
        )
        _message(cur, campaign.id, user, "agreement_sent",
                 [found[i].creator_id for i in result.done],
                 f"Your agreement for {campaign.name}", _terms_text(terms, deadline), moment)
        _log(cur, campaign.id, user, "agreement_sent", moment, apps=result.done,
             to_value=AgreementState.PENDING.value,
             text=f"Sign by {deadline:%Y-%m-%d %H:%M} UTC")
        return result

    return db.write(users.recheck(grant, write))


def send_agreement(
    db: Database, user: User, campaign_id: int, application_id: int, terms: Terms,
    now: dt.datetime | None = None,
) -> None:
    send_agreements(db, user, campaign_id, [application_id], terms, now)


def record_responses(
    db: Database,
    user: User,
    campaign_id: int,
    application_ids: Iterable[int],
    outcome: AgreementState | str,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Record that creators accepted or declined their (pending, unexpired) agreements."""
    grant = rules.require_role(user, Role.MANAGER, "record agreement answers")
    outcome, moment = rules.parse_outcome(outcome), _now(now)
    ids = _batch_ids(application_ids, "application")

    def write(cur: Cursor) -> BatchResult:
        campaign = _claim(cur, campaign_id, moment)

        def check(app: _App) -> None:
            state = app.state(moment)
            if state is None:
                raise rules.RuleViolation("No agreement was sent to this creator yet.")
            rules.check_agreement_response(state, campaign.started)

        result = _judge(ids, _applications(cur, campaign.id, ids), check, _NO_APPLICATION)
        _refuse_if_nothing(result, f"recorded as {outcome.value}")
        cur.execute(
            "UPDATE agreements SET outcome = $o, responded_at = $now"
            " WHERE application_id IN (SELECT unnest($ids::BIGINT[]))",
            {"o": outcome.value, "now": moment, "ids": result.done},
        )
        _log(cur, campaign.id, user, f"agreement_{outcome.value}", moment, apps=result.done,
             from_value=AgreementState.PENDING.value, to_value=outcome.value)
        return result

    return db.write(users.recheck(grant, write))


def record_response(
    db: Database, user: User, campaign_id: int, application_id: int,
    outcome: AgreementState | str, now: dt.datetime | None = None,
) -> None:
    record_responses(db, user, campaign_id, [application_id], outcome, now)


# --- starting collaborations -------------------------------------------------------


@dataclass(frozen=True)
class StartRow:
    application_id: int
    creator_id: int
    creator: str
    handle: str
    stage: str
    agreement: str | None
    why: str


@dataclass(frozen=True)
class StartPreview:
    """Who would go in and who not; `refusal` says why the start cannot happen now."""

    campaign_id: int
    going_in: tuple[StartRow, ...]
    left_out: tuple[StartRow, ...]
    refusal: str | None

    @property
    def application_ids(self) -> frozenset[int]:
        """What to hand back to start_collaborations, so it starts exactly this list."""
        return frozenset(r.application_id for r in self.going_in)


@dataclass(frozen=True)
class StartResult:
    collaborations: list[int]
    congratulated: int
    not_selected: int


def _start_lists(
    cur: Cursor, campaign: _Campaign, now: dt.datetime
) -> tuple[list[StartRow], list[StartRow]]:
    going, left = [], []
    for app in _applications(cur, campaign.id).values():
        state = app.state(now)
        goes, why = rules.start_verdict(app.stage, state)
        row = StartRow(app.id, app.creator_id, app.creator, app.handle, app.stage,
                       None if state is None else state.value, why)
        (going if goes else left).append(row)
    return going, left


def preview_start(db: Database, campaign_id: int, now: dt.datetime | None = None) -> StartPreview:
    """What starting collaborations would do now; writes nothing."""
    moment = _now(now)
    with db.cursor() as cur:
        campaign = _read_campaign(cur, campaign_id, moment)
        going, left = _start_lists(cur, campaign, moment)
    try:
        rules.check_start(campaign.status, campaign.started_at, len(going))
        refusal = None
    except rules.RuleViolation as why:
        refusal = str(why)
    return StartPreview(campaign.id, tuple(going), tuple(left), refusal)


def start_collaborations(
    db: Database,
    user: User,
    campaign_id: int,
    expected: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> StartResult:
    """Start collaborations, once: every selected creator with an accepted agreement becomes a
    collaboration in Fulfilling with the agreed terms and is congratulated; every other
    applicant is told they were not selected; the campaign is running. All in one transaction.

    `expected` is the preview's application_ids: when who goes in has changed since, the start
    is refused rather than starting a list nobody confirmed.
    """
    grant = rules.require_role(user, Role.MANAGER, "start collaborations")
    moment = _now(now)
    confirmed = None if expected is None else {int(i) for i in expected}

    def write(cur: Cursor) -> StartResult:
        campaign = _claim(cur, campaign_id, moment)
        going, left = _start_lists(cur, campaign, moment)
        rules.check_start(campaign.status, campaign.started_at, len(going))
        if confirmed is not None and confirmed != {r.application_id for r in going}:
            raise rules.RuleViolation(
                "Who goes in has changed since you looked (an answer or a stage was recorded "
                "meanwhile); check the list again and confirm."
            )
        cur.execute(
            "UPDATE campaigns SET status = 'running', started_at = $now, version = version + 1,"
            " closed_at = coalesce(closed_at, start_date::TIMESTAMP) WHERE id = $id",
            {"now": moment, "id": campaign.id},
        )
        collab_ids = _create_collaborations(cur, user, [r.application_id for r in going], moment)
        _tell(cur, campaign, user, going, left, moment)
        _log(cur, campaign.id, user, "collaborations_started", moment,
             from_value=campaign.status.value, to_value=CampaignStatus.RUNNING.value,
             text=f"{len(going)} collaborations started; {len(left)} not selected")
        return StartResult(collab_ids, len(going), len(left))

    return db.write(users.recheck(grant, write))


# A started collaboration gets its 'created' event and one status change pending → fulfilling,
# like every other collaboration's history: its status is then the last change's target and
# its version is 1 + its status changes (the invariants lib/demo.py keeps and its tests check).
_START_TEXT = "Agreement accepted; started with the campaign"


def _create_collaborations(
    cur: Cursor, user: User, application_ids: list[int], now: dt.datetime
) -> list[int]:
    rules.check_collab_transition(CollabStatus.PENDING, CollabStatus.FULFILLING)
    ids = [r[0] for r in cur.execute(
        "INSERT INTO collaborations (campaign_id, creator_id, status, deliverables, compensation,"
        " currency, start_date, due_date, conditions, version, created_at, updated_at)"
        " SELECT a.campaign_id, a.creator_id, 'fulfilling', g.deliverables, g.compensation,"
        " g.currency, g.start_date, g.due_date, g.conditions, 2, $now, $now"
        " FROM applications a JOIN agreements g ON g.application_id = a.id"
        " WHERE a.id IN (SELECT unnest($ids::BIGINT[])) ORDER BY a.id RETURNING id",
        {"now": now, "ids": application_ids},
    ).fetchall()]
    ids.sort()
    params = {"ids": ids, "now": now, "actor": user.username, "text": _START_TEXT}
    cur.execute(
        "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, text)"
        " SELECT unnest($ids::BIGINT[]), $now, $actor, 'created', $text", params,
    )
    cur.execute(
        "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, from_status,"
        " to_status, text) SELECT unnest($ids::BIGINT[]), $now, $actor, 'status_changed',"
        " 'pending', 'fulfilling', $text", params,
    )
    return ids


def _tell(
    cur: Cursor, campaign: _Campaign, user: User, going: list[StartRow], left: list[StartRow],
    now: dt.datetime,
) -> None:
    """A congratulations message to everyone going in, a not-selected one to the rest."""
    _message(cur, campaign.id, user, "congratulations", [r.creator_id for r in going],
             f"Congratulations: you are in {campaign.name}",
             "Your agreement is signed and the collaboration has started. "
             "We will be in touch about the next steps.", now)
    _message(cur, campaign.id, user, "not_selected", [r.creator_id for r in left],
             f"{campaign.name}: not selected this time",
             "Thank you for your interest. You were not selected for this campaign; "
             "we hope to work with you another time.", now)


# --- lists for the campaign's tabs -------------------------------------------------

_APPLICATION_SQL = f"""
    SELECT a.id, a.creator_id, cr.name AS creator, cr.handle, cr.platform, cr.followers,
           a.source, a.stage, {STATE_SQL.format(t="g")} AS agreement, g.deadline,
           CASE WHEN g.outcome IS NULL  -- negative: expired that long ago
                THEN round(date_diff('minute', $now, g.deadline) / 60.0, 1) END AS hours_left,
           g.compensation::DOUBLE AS compensation, g.currency, g.sent_at, g.responded_at,
           a.pitch, a.version, a.created_at
    FROM applications a JOIN creators cr ON cr.id = a.creator_id
    LEFT JOIN agreements g ON g.application_id = a.id
    WHERE a.campaign_id = $c
"""


def _require_campaign(db: Database, campaign_id: object) -> int:
    cid = as_id(campaign_id, "campaign")
    if db.value("SELECT count(*) FROM campaigns WHERE id = $id", {"id": cid}) == 0:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    return cid


def list_applications(
    db: Database,
    campaign_id: int,
    stages: Iterable[str] = (),
    page: int = 1,
    page_size: int = 100,
    now: dt.datetime | None = None,
) -> Page:
    """The campaign's applications (in the given stages), oldest first, with agreement state."""
    cid = _require_campaign(db, campaign_id)
    chosen = [rules.parse_stage(s).value for s in stages]
    hits = _APPLICATION_SQL + (" AND list_contains($stages, a.stage)" if chosen else "")
    params = {"c": cid, "now": _now(now), "stages": chosen}
    return _paged(db, hits, "id", params, page, page_size)


def list_agreements(
    db: Database, campaign_id: int, page: int = 1, page_size: int = 100,
    now: dt.datetime | None = None,
) -> Page:
    """Selected creators and everyone with an agreement: the ones agreements are about."""
    cid = _require_campaign(db, campaign_id)
    hits = _APPLICATION_SQL + " AND (a.stage = 'selected' OR g.id IS NOT NULL)"
    return _paged(db, hits, "id", {"c": cid, "now": _now(now)}, page, page_size)


# --- the creator base ------------------------------------------------------------


@dataclass(frozen=True)
class CreatorSearch:
    """Filters over the agency's creator base, for inviting or recording applicants."""

    text: str = ""  # in the name or the handle
    tag: str | None = None
    platform: str | None = None
    min_followers: int | None = None
    max_followers: int | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        text = rules.check_text(self.text, "The search", MAX_SEARCH_CHARS, required=False)
        clauses, params = ["true"], {}
        term = text.lstrip("@").lower()
        if term:
            clauses.append("(contains(lower(cr.name), $term) OR contains(lower(cr.handle), $term))")
            params["term"] = term
        if self.tag:
            clauses.append("cr.id IN (SELECT creator_id FROM creator_tags WHERE tag = $tag)")
            params["tag"] = self.tag
        if self.platform:
            if self.platform not in PLATFORMS:
                raise rules.RuleViolation(
                    f"Unknown platform {rules.shown(self.platform)}; use one of "
                    f"{', '.join(PLATFORMS)}."
                )
            clauses.append("cr.platform = $platform")
            params["platform"] = self.platform
        clauses.extend(self._followers(params))
        return " AND ".join(clauses), params

    def _followers(self, params: dict[str, Any]) -> list[str]:
        low, high = self.min_followers, self.max_followers
        for value in (low, high):
            if value is not None and not 0 <= value < 2**62:
                raise rules.RuleViolation("Follower counts are whole numbers of zero or more.")
        if low is not None and high is not None and high < low:
            raise rules.RuleViolation(
                f"The follower range ends ({high:,}) below where it starts ({low:,})."
            )
        clauses = []
        if low is not None:
            clauses.append("cr.followers >= $low")
            params["low"] = int(low)
        if high is not None:
            clauses.append("cr.followers <= $high")
            params["high"] = int(high)
        return clauses


def search_creators(
    db: Database,
    search: CreatorSearch,
    campaign_id: int | None = None,
    page: int = 1,
    page_size: int = 25,
) -> Page:
    """Creators matching `search`, most followed first; with `campaign_id`, only those not in
    that campaign yet. Tags are gathered for the page's creators only."""
    where, params = search.where()
    if campaign_id is not None:
        params["c"] = _require_campaign(db, campaign_id)
        where += (
            " AND cr.id NOT IN (SELECT creator_id FROM applications WHERE campaign_id = $c)"
            " AND cr.id NOT IN (SELECT creator_id FROM collaborations WHERE campaign_id = $c)"
        )
    hits = (
        "SELECT cr.id, cr.name, cr.handle, cr.platform, cr.followers, cr.engagement_rate"
        f" FROM creators cr WHERE {where}"
    )
    found = _paged(db, hits, "followers DESC, id", params, page, page_size)
    tags = db.frame(
        "SELECT creator_id AS id, string_agg(tag, ', ' ORDER BY tag) AS tags FROM creator_tags"
        " WHERE creator_id IN (SELECT unnest($ids::BIGINT[])) GROUP BY creator_id",
        {"ids": [int(i) for i in found.rows["id"]]},
    )
    found.rows = found.rows.merge(tags, on="id", how="left")
    found.rows["tags"] = found.rows["tags"].fillna("")
    return found


# --- needs attention ---------------------------------------------------------------

EXPIRING = "Expires within 24 h"
EXPIRED = "Expired unsigned"
NOBODY_SIGNED = "Past its start date, nobody signed"

_ATTENTION_SQL = f"""
    WITH open_agreements AS (
        SELECT ca.id AS campaign_id, ca.name AS campaign, cl.name AS client,
               cr.name AS creator, g.deadline, {STATE_SQL.format(t="g")} AS state
        FROM agreements g JOIN applications a ON a.id = g.application_id
        JOIN campaigns ca ON ca.id = a.campaign_id
        JOIN campaign_ownership co ON co.campaign_id = ca.id JOIN clients cl ON cl.id = co.client_id
        JOIN creators cr ON cr.id = a.creator_id
        WHERE g.outcome IS NULL AND ca.started_at IS NULL
          AND ca.status IN ('draft', 'open', 'closed') {{scope}}
    ), agreements_due AS (
        SELECT CASE state WHEN 'expired' THEN '{EXPIRED}' ELSE '{EXPIRING}' END AS issue,
               campaign_id, campaign, client, creator, deadline
        FROM open_agreements
        WHERE state = 'expired' OR deadline <= $now + INTERVAL 24 HOUR
        ORDER BY deadline DESC LIMIT {ATTENTION_LIMIT}
    ), unsigned AS (
        SELECT '{NOBODY_SIGNED}' AS issue, ca.id AS campaign_id, ca.name AS campaign,
               cl.name AS client, NULL::VARCHAR AS creator, NULL::TIMESTAMP AS deadline
        FROM campaigns ca JOIN campaign_ownership co ON co.campaign_id = ca.id
    JOIN clients cl ON cl.id = co.client_id
        WHERE ca.started_at IS NULL AND ca.status IN ('open', 'closed')
          AND ca.start_date < $today {{scope}}
          AND NOT EXISTS (
              SELECT 1 FROM applications a JOIN agreements g ON g.application_id = a.id
              WHERE a.campaign_id = ca.id AND a.stage = 'selected' AND g.outcome = 'accepted')
        ORDER BY ca.start_date DESC LIMIT {ATTENTION_LIMIT}
    )
    SELECT issue, campaign_id, campaign, client, creator, deadline,
           round(date_diff('minute', $now, deadline) / 60.0, 1) AS hours_left
    FROM (SELECT * FROM agreements_due UNION ALL SELECT * FROM unsigned)
    ORDER BY CASE issue WHEN '{EXPIRING}' THEN 0 WHEN '{NOBODY_SIGNED}' THEN 1 ELSE 2 END,
             -- the next deadline first; of the expired ones, the latest first
             CASE WHEN issue = '{EXPIRING}' THEN deadline END, deadline DESC, campaign_id
"""


def needs_attention(
    db: Database, campaign_id: int | None = None, now: dt.datetime | None = None
) -> pd.DataFrame:
    """Agreements expiring within 24 hours, agreements expired unsigned, and campaigns past
    their start date with nobody signed, in campaigns not started yet (or just `campaign_id`).
    At most ATTENTION_LIMIT rows of each kind, the most recent first."""
    moment = _now(now)
    scope = "" if campaign_id is None else "AND ca.id = $c"
    sql = _ATTENTION_SQL.format(scope=scope)
    params = {"now": moment, "today": moment.date()}
    if campaign_id is not None:
        params["c"] = _require_campaign(db, campaign_id)
    return db.frame(sql, bind(sql, **params))
