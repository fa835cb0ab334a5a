"""The campaign workflow (DESIGN.md, "Campaign workflow"): campaign status, applications,
agreements and the one-time start. Every function takes the facts it judges as arguments;
the services in lib/campaigns.py read them inside the transaction that writes.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lib.models import (
    MAX_NOTE_CHARS,
    MAX_SHORT_TEXT_CHARS,
    SIGNING_WINDOW,
    AgreementState,
    ApplicationSource,
    ApplicationStage,
    CampaignFields,
    CampaignStatus,
    Terms,
)
from lib.rulebook.common import RuleViolation, as_enum
from lib.rulebook.fields import (
    AMOUNT_TEXT,
    check_amount,
    check_compensation,
    check_currency,
    check_date_order,
    check_text,
)

_CS = CampaignStatus
# The one path through a campaign's life. "running" is reached only by starting collaborations,
# which also creates them; a status change alone would leave a running campaign without any.
_CAMPAIGN_NEXT: dict[CampaignStatus, CampaignStatus] = {
    _CS.DRAFT: _CS.OPEN,
    _CS.OPEN: _CS.CLOSED,
    _CS.CLOSED: _CS.RUNNING,
    _CS.RUNNING: _CS.FINISHED,
}
_NOT_YET_STARTED = frozenset({_CS.DRAFT, _CS.OPEN, _CS.CLOSED})



def parse_campaign_status(value: CampaignStatus | str) -> CampaignStatus:
    return as_enum(CampaignStatus, value, "campaign status")


def parse_stage(value: ApplicationStage | str) -> ApplicationStage:
    return as_enum(ApplicationStage, value, "application stage")


def parse_source(value: ApplicationSource | str) -> ApplicationSource:
    return as_enum(ApplicationSource, value, "application source")


def parse_outcome(value: AgreementState | str) -> AgreementState:
    """An agreement's recorded answer: accepted or declined (expired is never recorded)."""
    outcome = as_enum(AgreementState, value, "agreement outcome")
    if outcome not in (AgreementState.ACCEPTED, AgreementState.DECLINED):
        raise RuleViolation("Record an agreement as accepted or declined; expiry is automatic.")
    return outcome


# --- campaign status ---------------------------------------------------------


def campaign_status(
    stored: CampaignStatus | str, start_date: dt.date, today: dt.date
) -> CampaignStatus:
    """What a campaign is now. An open campaign closes by itself on its start date, computed
    here when read (no background job), so "closed" needs no one to press a button."""
    status = parse_campaign_status(stored)
    if status is _CS.OPEN and today >= start_date:
        return _CS.CLOSED
    return status


def check_campaign_transition(
    current: CampaignStatus | str, target: CampaignStatus | str
) -> None:
    """Allowed: draft → open → closed (a manager may close early) → running → finished,
    where running is reached only through start_collaborations."""
    current, target = parse_campaign_status(current), parse_campaign_status(target)
    if current is target:
        raise RuleViolation(f"The campaign is already {current.label.lower()}; nothing to change.")
    if current is _CS.FINISHED:
        raise RuleViolation("The campaign is finished, which is final; it cannot change any more.")
    if target is _CS.RUNNING:
        raise RuleViolation(
            "A campaign starts running only through “Start collaborations”, which also "
            "creates the collaborations."
        )
    if _CAMPAIGN_NEXT.get(current) is not target:
        raise RuleViolation(
            f"A campaign goes draft → open → closed → running → finished; "
            f"{current.label.lower()} cannot become {target.label.lower()}."
        )


def allowed_campaign_targets(current: CampaignStatus | str) -> list[CampaignStatus]:
    """The statuses a campaign in `current` may be moved to by hand (never running)."""
    found = []
    for target in CampaignStatus:
        try:
            check_campaign_transition(current, target)
        except RuleViolation:
            continue
        found.append(target)
    return found


def check_initial_campaign_status(status: CampaignStatus | str) -> CampaignStatus:
    """A new campaign starts as a draft or directly open for applications."""
    status = parse_campaign_status(status)
    if status not in (_CS.DRAFT, _CS.OPEN):
        raise RuleViolation(
            f"A new campaign is a draft or open for applications, not {status.label.lower()}."
        )
    return status


def check_budget(value: object) -> Decimal:
    """A budget of zero or more with at most two decimals (zero: not decided yet)."""
    text = str(value).strip()
    if text.startswith("-") and AMOUNT_TEXT.match(text):
        raise RuleViolation("The budget cannot be negative.")
    if text in {"0", "0.0", "0.00"}:
        return Decimal("0.00")
    return check_amount(text, "The budget")


def check_campaign_fields(fields: CampaignFields) -> CampaignFields:
    """The fields, stripped and checked; RuleViolation naming the first bad one."""
    name = check_text(fields.name, "The campaign name", MAX_SHORT_TEXT_CHARS)
    if fields.client_id is None:
        raise RuleViolation("Choose the client the campaign is for.")
    brief = check_text(fields.brief, "The brief", MAX_NOTE_CHARS, required=False)
    if fields.start_date is None or fields.end_date is None:
        raise RuleViolation("A campaign needs a start date and an end date.")
    if fields.end_date < fields.start_date:
        raise RuleViolation(
            f"The campaign ends ({fields.end_date}) before it starts ({fields.start_date})."
        )
    budget = check_budget(fields.budget)
    check_currency(fields.currency)
    return CampaignFields(
        name, fields.client_id, fields.owner_id, brief, fields.start_date, fields.end_date,
        budget, fields.currency,
    )


# --- applications ------------------------------------------------------------

_STARTED = "Collaborations for this campaign have started; {what} can no longer change."


def is_started(status: CampaignStatus | str, started_at: dt.datetime | None) -> bool:
    """True once collaborations were started (or the campaign ran before this workflow)."""
    return started_at is not None or parse_campaign_status(status) not in _NOT_YET_STARTED


def check_add_application(status: CampaignStatus | str, source: ApplicationSource | str) -> None:
    """Creators apply while the campaign is open; the agency may invite from its own base at
    any time before collaborations start (even to a draft or a closed campaign)."""
    status, source = parse_campaign_status(status), parse_source(source)
    if status not in _NOT_YET_STARTED:
        raise RuleViolation(_STARTED.format(what="who takes part"))
    if source is ApplicationSource.APPLIED and status is not _CS.OPEN:
        raise RuleViolation(
            f"The campaign is {status.label.lower()}, not open for applications; "
            "invite the creator instead."
        )


def check_stage_change(
    current: ApplicationStage | str, target: ApplicationStage | str, started: bool
) -> None:
    """applied, selected and declined may follow each other in any order until collaborations
    start (a pre-selection notifies nobody, so it may be changed freely)."""
    current, target = parse_stage(current), parse_stage(target)
    if started:
        raise RuleViolation(_STARTED.format(what="the pre-selection"))
    if current is target:
        raise RuleViolation(f"The creator is already {current.label.lower()}; nothing to change.")


# --- agreements --------------------------------------------------------------


def agreement_deadline(sent_at: dt.datetime) -> dt.datetime:
    return sent_at + SIGNING_WINDOW


def agreement_state(
    sent_at: dt.datetime,
    deadline: dt.datetime | None,
    outcome: AgreementState | str | None,
    now: dt.datetime,
) -> AgreementState:
    """Accepted or declined once answered; otherwise pending up to and including the deadline
    itself, expired from the moment after it. (campaigns.STATE_SQL says the same in SQL.)"""
    if outcome:
        return parse_outcome(outcome)
    if now > (deadline or agreement_deadline(sent_at)):
        return AgreementState.EXPIRED
    return AgreementState.PENDING


def check_agreement_terms(terms: Terms) -> Terms:
    """The terms, stripped and checked, as they will be stored and copied to the collaboration."""
    deliverables = check_text(terms.deliverables, "The deliverables", MAX_NOTE_CHARS)
    conditions = check_text(terms.conditions, "The conditions", MAX_NOTE_CHARS, required=False)
    compensation = check_compensation(terms.compensation)
    check_currency(terms.currency)
    check_date_order(terms.start_date, terms.due_date)
    return Terms(
        deliverables, compensation, terms.currency, terms.start_date, terms.due_date, conditions
    )


def check_send_agreement(
    stage: ApplicationStage | str, existing: AgreementState | str | None, started: bool
) -> None:
    """Only selected creators get an agreement, one per application, before the start."""
    stage = parse_stage(stage)
    if started:
        raise RuleViolation(_STARTED.format(what="agreements"))
    if stage is not ApplicationStage.SELECTED:
        raise RuleViolation(
            f"Only selected creators get an agreement; this one is {stage.label.lower()}. "
            "Select them first."
        )
    if existing is not None:
        state = as_enum(AgreementState, existing, "agreement state")
        raise RuleViolation(
            f"This creator already has an agreement ({state.label.lower()}); there is one per "
            "application. Send another selected creator one instead."
        )


def check_agreement_response(state: AgreementState | str, started: bool = False) -> None:
    """Only a pending agreement (not past its deadline) can be accepted or declined."""
    state = as_enum(AgreementState, state, "agreement state")
    if started:
        raise RuleViolation(_STARTED.format(what="agreements"))
    if state is AgreementState.EXPIRED:
        raise RuleViolation(
            "The agreement expired unsigned; it can no longer be accepted or declined. "
            "Send another selected creator an agreement instead."
        )
    if state is not AgreementState.PENDING:
        raise RuleViolation(f"The agreement was already {state.value}; it cannot change.")


# --- start collaborations ----------------------------------------------------


def check_start(
    status: CampaignStatus | str, started_at: dt.datetime | None, signed: int
) -> None:
    """Start collaborations once, for a closed campaign (by its start date, or closed early by
    a manager), with at least one selected creator whose agreement is accepted.
    `status` is the campaign's status now (see campaign_status)."""
    status = parse_campaign_status(status)
    if is_started(status, started_at):
        when = f" on {started_at:%Y-%m-%d %H:%M} UTC" if started_at else ""
        raise RuleViolation(
            f"Collaborations for this campaign were already started{when}; "
            "that happens only once."
        )
    if status is not _CS.CLOSED:
        raise RuleViolation(
            f"The campaign is {status.label.lower()}; close it first (it closes by itself on "
            "its start date, or a manager can close it early)."
        )
    if signed < 1:
        raise RuleViolation(
            "Nobody has signed: no selected creator has an accepted agreement, so there is "
            "nobody to start with. Send agreements and record the acceptances first."
        )


def start_verdict(
    stage: ApplicationStage | str, agreement: AgreementState | str | None
) -> tuple[bool, str]:
    """Whether a creator becomes a collaboration at the start, and why (or why not): only a
    selected creator whose agreement is accepted goes in; a declined or expired one never."""
    stage = parse_stage(stage)
    state = None if agreement is None else as_enum(AgreementState, agreement, "agreement state")
    selected = stage is ApplicationStage.SELECTED
    if selected and state is AgreementState.ACCEPTED:
        return True, "Selected, agreement accepted"
    if not selected:
        why = "Not selected" if stage is ApplicationStage.APPLIED else "Declined in pre-selection"
        return False, why + (f" (agreement {state.value})" if state else "")
    return False, {
        None: "Selected, but no agreement was sent",
        AgreementState.PENDING: "Selected, agreement not signed yet",
        AgreementState.EXPIRED: "Selected, agreement expired unsigned",
        AgreementState.DECLINED: "Selected, but declined the agreement",
    }[state]
