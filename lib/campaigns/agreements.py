"""Agreements: sending them with a signing window, and recording the creator's answer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from lib import rules, users
from lib.batches import BatchResult
from lib.campaigns.applications import Application, judge_rows, read_applications
from lib.campaigns.common import (
    NO_APPLICATION,
    batch_ids,
    claim,
    current_time,
    log_event,
    record_message,
    refuse_if_nothing,
)
from lib.db import Cursor, Database
from lib.models import (
    AgreementState,
    Role,
    Terms,
    User,
)

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
    ids, moment = batch_ids(application_ids, "application"), current_time(now)
    deadline = rules.agreement_deadline(moment)

    def write(cur: Cursor) -> BatchResult:
        campaign = claim(cur, campaign_id, moment)
        found = read_applications(cur, campaign.id, ids)
        result = judge_rows(ids, found, lambda app: rules.check_send_agreement(
            app.stage, app.state(moment), campaign.started), NO_APPLICATION)
        refuse_if_nothing(result, "sent an agreement")
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
        record_message(cur, campaign.id, user, "agreement_sent",
                       [found[i].creator_id for i in result.done],
                       f"Your agreement for {campaign.name}", _terms_text(terms, deadline), moment)
        log_event(cur, campaign.id, user, "agreement_sent", moment, apps=result.done,
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
    outcome, moment = rules.parse_outcome(outcome), current_time(now)
    ids = batch_ids(application_ids, "application")

    def write(cur: Cursor) -> BatchResult:
        campaign = claim(cur, campaign_id, moment)

        def check(app: Application) -> None:
            state = app.state(moment)
            if state is None:
                raise rules.RuleViolation("No agreement was sent to this creator yet.")
            rules.check_agreement_response(state, campaign.started)

        result = judge_rows(ids, read_applications(cur, campaign.id, ids), check, NO_APPLICATION)
        refuse_if_nothing(result, f"recorded as {outcome.value}")
        cur.execute(
            "UPDATE agreements SET outcome = $o, responded_at = $now"
            " WHERE application_id IN (SELECT unnest($ids::BIGINT[]))",
            {"o": outcome.value, "now": moment, "ids": result.done},
        )
        log_event(cur, campaign.id, user, f"agreement_{outcome.value}", moment, apps=result.done,
                  from_value=AgreementState.PENDING.value, to_value=outcome.value)
        return result

    return db.write(users.recheck(grant, write))


def record_response(
    db: Database, user: User, campaign_id: int, application_id: int,
    outcome: AgreementState | str, now: dt.datetime | None = None,
) -> None:
    record_responses(db, user, campaign_id, [application_id], outcome, now)
