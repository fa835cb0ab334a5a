"""A creator's standing in a campaign: which campaigns a message may be about."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from lib import rules
from lib.campaigns import STATE_SQL
from lib.db import Cursor, Database
from lib.inbox.common import campaign_name, current_time, read_creator
from lib.models import (
    ApplicationStage,
    CampaignStanding,
    CollabStatus,
)

# --- a creator's standing in a campaign --------------------------------------------------------

_STANDING_SQL = f"""
    SELECT x.id,
           (SELECT c.status FROM collaborations c
            WHERE c.campaign_id = $campaign AND c.creator_id = x.id
            ORDER BY c.id DESC LIMIT 1) AS collab_status,
           a.stage, {STATE_SQL.format(t="g")} AS agreement
    FROM (SELECT unnest($ids::BIGINT[]) AS id) x
    LEFT JOIN applications a ON a.campaign_id = $campaign AND a.creator_id = x.id
    LEFT JOIN agreements g ON g.application_id = a.id
"""


@dataclass(frozen=True)
class Standing(CampaignStanding):
    collab_status: str | None = None


def read_standings(
    cur: Cursor, campaign_id: int, creator_ids: list[int], now: dt.datetime
) -> dict[int, Standing]:
    """Each creator's place in the campaign: collaboration, agreement, application stage."""
    name = campaign_name(cur, campaign_id)
    rows = cur.execute(
        _STANDING_SQL, {"campaign": int(campaign_id), "ids": creator_ids, "now": now}
    ).fetchall()
    return {
        cid: Standing(name, status is not None, stage, agreement, status)
        for cid, status, stage, agreement in rows
    }


def standing_label(standing: Standing) -> str:
    """How a creator stands in a campaign, in words: the furthest step they reached."""
    if standing.collab_status:
        return f"Collaboration {CollabStatus(standing.collab_status).label.lower()}"
    if standing.agreement_state:
        return f"Agreement {standing.agreement_state}"
    if standing.application_stage:
        return ApplicationStage(standing.application_stage).label
    return "Not in this campaign"


def may_message_about(standing: Standing) -> bool:
    try:
        rules.check_message_about_campaign("", standing)
    except rules.RuleViolation:
        return False
    return True


def campaign_permission(
    db: Database, creator_id: int, campaign_id: int, now: dt.datetime | None = None
) -> str | None:
    """Why staff may not write to this creator about this campaign, or None when they may."""
    with db.cursor() as cur:
        _, name, _, _ = read_creator(cur, creator_id)
        cid = int(creator_id)
        standing = read_standings(cur, campaign_id, [cid], current_time(now))[cid]
    try:
        rules.check_message_about_campaign(name, standing)
    except rules.RuleViolation as why:
        return str(why)
    return None


def creator_campaigns(
    db: Database, creator_id: int, now: dt.datetime | None = None
) -> pd.DataFrame:
    """The campaigns a creator applied to, was invited to or collaborates in, newest first,
    with their standing and whether staff may write to them about it."""
    with db.cursor() as cur:
        read_creator(cur, creator_id)
        found = cur.execute(
            "SELECT ca.id, ca.name, cl.name FROM campaigns ca"
            " JOIN campaign_ownership co ON co.campaign_id = ca.id"
            " JOIN clients cl ON cl.id = co.client_id WHERE ca.id IN ("
            " SELECT campaign_id FROM applications WHERE creator_id = $cr UNION ALL"
            " SELECT campaign_id FROM collaborations WHERE creator_id = $cr)"
            " ORDER BY ca.start_date DESC, ca.id DESC",
            {"cr": int(creator_id)},
        ).fetchall()
        rows = []
        cid = int(creator_id)
        for campaign_id, name, client in found:
            standing = read_standings(cur, campaign_id, [cid], current_time(now))[cid]
            rows.append((campaign_id, name, client, standing_label(standing),
                         may_message_about(standing)))
    return pd.DataFrame(rows, columns=["id", "name", "client", "standing", "may_message"])
