"""The one-time start of collaborations: the preview and the start itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from lib import rules, users
from lib.batches import BatchPreview, BatchResult
from lib.campaigns.applications import read_applications
from lib.campaigns.common import (
    ClaimedCampaign,
    claim,
    current_time,
    log_event,
    read_campaign,
    record_message,
)
from lib.db import Cursor, Database
from lib.models import (
    CampaignStatus,
    CollabStatus,
    Role,
    User,
)

# --- starting collaborations -------------------------------------------------------


@dataclass(frozen=True)
class StartRow:
    application_id: int
    creator_id: int
    creator: str
    handle: str
    stage: str
    agreement: str | None
    ok: bool  # goes in
    why: str  # why it goes in or not

    @property
    def message(self) -> str:
        return self.why


@dataclass(frozen=True)
class StartPreview(BatchPreview[StartRow]):
    """Who would go in and who not; `refusal` says why the start cannot happen now."""

    campaign_id: int
    refusal: str | None

    @property
    def going_in(self) -> tuple[StartRow, ...]:
        return tuple(self.accepted)

    @property
    def left_out(self) -> tuple[StartRow, ...]:
        return tuple(self.refused)

    @property
    def application_ids(self) -> frozenset[int]:
        """What to hand back to start_collaborations, so it starts exactly this list."""
        return frozenset(r.application_id for r in self.going_in)


def _start_lists(
    cur: Cursor, campaign: ClaimedCampaign, now: dt.datetime
) -> tuple[list[StartRow], list[StartRow]]:
    going, left = [], []
    for app in read_applications(cur, campaign.id).values():
        state = app.state(now)
        goes, why = rules.start_verdict(app.stage, state)
        row = StartRow(app.id, app.creator_id, app.creator, app.handle, app.stage,
                       None if state is None else state.value, goes, why)
        (going if goes else left).append(row)
    return going, left


def preview_start(db: Database, campaign_id: int, now: dt.datetime | None = None) -> StartPreview:
    """What starting collaborations would do now; writes nothing."""
    moment = current_time(now)
    with db.cursor() as cur:
        campaign = read_campaign(cur, campaign_id, moment)
        going, left = _start_lists(cur, campaign, moment)
    try:
        rules.check_start(campaign.status, campaign.started_at, len(going))
        refusal = None
    except rules.RuleViolation as why:
        refusal = str(why)
    return StartPreview(tuple(going + left), campaign.id, refusal)


def start_collaborations(
    db: Database,
    user: User,
    campaign_id: int,
    expected: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Start collaborations, once: every selected creator with an accepted agreement becomes a
    collaboration in Fulfilling with the agreed terms and is congratulated; every other
    applicant is told they were not selected; the campaign is running. All in one transaction.
    The result is keyed by application: `done` went in (`made` holds their collaborations),
    `refused` did not, with the reason.

    `expected` is the preview's application_ids: when who goes in has changed since, the start
    is refused rather than starting a list nobody confirmed.
    """
    grant = rules.require_role(user, Role.MANAGER, "start collaborations")
    moment = current_time(now)
    confirmed = None if expected is None else {int(i) for i in expected}

    def write(cur: Cursor) -> BatchResult:
        campaign = claim(cur, campaign_id, moment)
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
        made = _create_collaborations(cur, user, going, moment)
        _tell(cur, campaign, user, going, left, moment)
        log_event(cur, campaign.id, user, "collaborations_started", moment,
                  from_value=campaign.status.value, to_value=CampaignStatus.RUNNING.value,
                  text=f"{len(going)} collaborations started; {len(left)} not selected")
        return BatchResult(done=[r.application_id for r in going], made=made,
                           refused={r.application_id: r.why for r in left}, verb="started")

    return db.write(users.recheck(grant, write))


# A started collaboration gets its 'created' event and one status change pending → fulfilling,
# like every other collaboration's history: its status is then the last change's target and
# its version is 1 + its status changes (the invariants lib/demo.py keeps and its tests check).
_START_TEXT = "Agreement accepted; started with the campaign"


def _create_collaborations(
    cur: Cursor, user: User, going: list[StartRow], now: dt.datetime
) -> dict[int, int]:
    """application id -> the collaboration made from it."""
    rules.check_collab_transition(CollabStatus.PENDING, CollabStatus.FULFILLING)
    application_of = {r.creator_id: r.application_id for r in going}  # one per creator
    made = {application_of[creator]: collab for collab, creator in cur.execute(
        "INSERT INTO collaborations (campaign_id, creator_id, status, deliverables, compensation,"
        " currency, start_date, due_date, conditions, version, created_at, updated_at)"
        " SELECT a.campaign_id, a.creator_id, 'fulfilling', g.deliverables, g.compensation,"
        " g.currency, g.start_date, g.due_date, g.conditions, 2, $now, $now"
        " FROM applications a JOIN agreements g ON g.application_id = a.id"
        " WHERE a.id IN (SELECT unnest($ids::BIGINT[])) ORDER BY a.id RETURNING id, creator_id",
        {"now": now, "ids": list(application_of.values())},
    ).fetchall()}
    ids = sorted(made.values())
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
    return made


def _tell(
    cur: Cursor, campaign: ClaimedCampaign, user: User, going: list[StartRow], left: list[StartRow],
    now: dt.datetime,
) -> None:
    """A congratulations message to everyone going in, a not-selected one to the rest."""
    record_message(cur, campaign.id, user, "congratulations", [r.creator_id for r in going],
                   f"Congratulations: you are in {campaign.name}",
                   "Your agreement is signed and the collaboration has started. "
                   "We will be in touch about the next steps.", now)
    record_message(cur, campaign.id, user, "not_selected", [r.creator_id for r in left],
                   f"{campaign.name}: not selected this time",
                   "Thank you for your interest. You were not selected for this campaign; "
                   "we hope to work with you another time.", now)
