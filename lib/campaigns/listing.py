"""Reads for the Campaigns page: the list, one campaign, pickers, the campaign's tabs, the
creator base and what needs attention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib import rules
from lib.campaigns.common import ATTENTION_LIMIT, STATE_SQL, STATUS_SQL, current_time, paged_rows
from lib.db import Database, NotFound, Page, as_id, bind
from lib.models import (
    MAX_SEARCH_CHARS,
    PLATFORMS,
)

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
    found = paged_rows(
        db, hits, "created_at DESC, id DESC", {**params, "today": current_time(now).date()}, page,
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
    row = db.one(_DETAIL_SQL, {"id": cid, "today": current_time(now).date()})
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
    params = {"c": cid, "now": current_time(now), "stages": chosen}
    return paged_rows(db, hits, "id", params, page, page_size)


def list_agreements(
    db: Database, campaign_id: int, page: int = 1, page_size: int = 100,
    now: dt.datetime | None = None,
) -> Page:
    """Selected creators and everyone with an agreement: the ones agreements are about."""
    cid = _require_campaign(db, campaign_id)
    hits = _APPLICATION_SQL + " AND (a.stage = 'selected' OR g.id IS NOT NULL)"
    return paged_rows(db, hits, "id", {"c": cid, "now": current_time(now)}, page, page_size)


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
    found = paged_rows(db, hits, "followers DESC, id", params, page, page_size)
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
    moment = current_time(now)
    scope = "" if campaign_id is None else "AND ca.id = $c"
    sql = _ATTENTION_SQL.format(scope=scope)
    params = {"now": moment, "today": moment.date()}
    if campaign_id is not None:
        params["c"] = _require_campaign(db, campaign_id)
    return db.frame(sql, bind(sql, **params))
