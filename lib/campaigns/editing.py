"""Clients and campaigns: add, create, edit, and status changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lib import rules, users
from lib.campaigns.common import current_time, log_event, read_campaign
from lib.db import Cursor, Database, NotFound, as_id
from lib.models import (
    MAX_SHORT_TEXT_CHARS,
    CampaignFields,
    CampaignStatus,
    Role,
    User,
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
    moment = current_time(now)

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
        log_event(cur, campaign_id, user, "campaign_created", moment, to_value=status.value,
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
    cid, moment = as_id(campaign_id, "campaign"), current_time(now)
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
        log_event(cur, cid, user, "campaign_edited", moment, text="Changed " + ", ".join(changed))
        return changed

    return db.write(users.recheck(grant, write))





def set_campaign_status(
    db: Database,
    user: User,
    campaign_id: int,
    target: CampaignStatus | str,
    now: dt.datetime | None = None,
) -> None:
    """Open, close (early) or finish a campaign; running comes only from the start."""
    grant = rules.require_role(user, Role.MANAGER, "change a campaign's status")
    target, moment = rules.parse_campaign_status(target), current_time(now)

    def write(cur: Cursor) -> None:
        campaign = read_campaign(cur, campaign_id, moment)
        rules.check_campaign_transition(campaign.status, target)
        cur.execute(
            "UPDATE campaigns SET status = $to, version = version + 1, closed_at = CASE"
            " WHEN $to = 'closed' THEN $now ELSE closed_at END WHERE id = $id",
            {"to": target.value, "now": moment, "id": campaign.id},
        )
        early = target is CampaignStatus.CLOSED and moment.date() < campaign.start_date
        note = f"Closed early, before the start date {campaign.start_date}" if early else None
        log_event(cur, campaign.id, user, "campaign_status", moment,
                  from_value=campaign.status.value, to_value=target.value, text=note)

    db.write(users.recheck(grant, write))
