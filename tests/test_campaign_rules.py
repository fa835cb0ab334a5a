"""The campaign workflow's rules, exhaustively: every stage pair, every campaign status pair,
the signing deadline to the second, who may get and answer an agreement, and the start."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from lib import rules
from lib.models import (
    SIGNING_WINDOW,
    AgreementState,
    ApplicationSource,
    ApplicationStage,
    CampaignFields,
    CampaignStatus,
    Terms,
)
from lib.rules import RuleViolation

CS, Stage, State = CampaignStatus, ApplicationStage, AgreementState
SENT = dt.datetime(2026, 3, 2, 9, 30, 15)
DEADLINE = SENT + dt.timedelta(days=3)
SECOND = dt.timedelta(seconds=1)
DAY = dt.timedelta(days=1)
TODAY = dt.date(2026, 3, 10)

# --- application stages ------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Stage, Stage)))
def test_every_stage_pair_before_the_start(current: Stage, target: Stage) -> None:
    if current is target:
        with pytest.raises(RuleViolation, match="already"):
            rules.check_stage_change(current, target, started=False)
    else:
        assert rules.check_stage_change(current, target, started=False) is None
        assert rules.check_stage_change(current.value, target.value, started=False) is None


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Stage, Stage)))
def test_every_stage_pair_is_refused_once_collaborations_started(
    current: Stage, target: Stage
) -> None:
    with pytest.raises(RuleViolation, match="have started"):
        rules.check_stage_change(current, target, started=True)


@pytest.mark.parametrize("bad", ["", "shortlisted", "SELECTED", None])
def test_unknown_stages_are_refused_with_the_known_ones(bad: object) -> None:
    with pytest.raises(RuleViolation, match="applied, selected, declined"):
        rules.check_stage_change(bad, "selected", started=False)  # type: ignore[arg-type]
    with pytest.raises(RuleViolation, match="Unknown application stage"):
        rules.parse_stage(bad)  # type: ignore[arg-type]


# --- campaign status ----------------------------------------------------------------

ALLOWED_BY_HAND = {(CS.DRAFT, CS.OPEN), (CS.OPEN, CS.CLOSED), (CS.RUNNING, CS.FINISHED)}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(CS, CS)))
def test_every_campaign_status_pair(current: CS, target: CS) -> None:
    if (current, target) in ALLOWED_BY_HAND:
        assert rules.check_campaign_transition(current, target) is None
        return
    with pytest.raises(RuleViolation) as refusal:
        rules.check_campaign_transition(current, target)
    message = str(refusal.value)
    if current is target:
        assert "already" in message
    elif current is CS.FINISHED:
        assert "final" in message
    elif target is CS.RUNNING:
        assert "Start collaborations" in message  # running only via the start
    else:
        assert "draft → open → closed → running → finished" in message


@pytest.mark.parametrize("current", list(CS))
def test_allowed_targets_agree_with_the_check(current: CS) -> None:
    expected = [t for t in CS if (current, t) in ALLOWED_BY_HAND]
    assert rules.allowed_campaign_targets(current) == expected


def test_an_open_campaign_closes_by_itself_on_its_start_date() -> None:
    start = TODAY
    assert rules.campaign_status("open", start, TODAY - dt.timedelta(days=1)) is CS.OPEN
    assert rules.campaign_status("open", start, TODAY) is CS.CLOSED
    assert rules.campaign_status("open", start, TODAY + dt.timedelta(days=30)) is CS.CLOSED


@pytest.mark.parametrize("stored", [s for s in CS if s is not CS.OPEN])
def test_other_statuses_do_not_move_with_the_calendar(stored: CS) -> None:
    for today in (TODAY - dt.timedelta(days=9), TODAY, TODAY + dt.timedelta(days=400)):
        assert rules.campaign_status(stored, TODAY, today) is stored


@pytest.mark.parametrize("status", list(CS))
def test_a_new_campaign_is_a_draft_or_open(status: CS) -> None:
    if status in (CS.DRAFT, CS.OPEN):
        assert rules.check_initial_campaign_status(status) is status
    else:
        with pytest.raises(RuleViolation, match="draft or open"):
            rules.check_initial_campaign_status(status)


def test_unknown_campaign_status() -> None:
    with pytest.raises(RuleViolation, match="draft, open, closed, running, finished"):
        rules.check_campaign_transition("paused", "open")


@pytest.mark.parametrize(
    ("status", "started_at", "started"),
    [
        (CS.DRAFT, None, False), (CS.OPEN, None, False), (CS.CLOSED, None, False),
        (CS.RUNNING, None, True), (CS.FINISHED, None, True), (CS.CLOSED, SENT, True),
    ],
)
def test_is_started(status: CS, started_at: dt.datetime | None, started: bool) -> None:
    assert rules.is_started(status, started_at) is started


# --- campaign fields ------------------------------------------------------------------


def fields(**changes: object) -> CampaignFields:
    base = dict(
        name="Spring", client_id=1, owner_id=2, brief="", start_date=TODAY,
        end_date=TODAY + dt.timedelta(days=30), budget="5000", currency="EUR",
    )
    return CampaignFields(**{**base, **changes})  # type: ignore[arg-type]


def test_good_fields_come_back_stripped_with_an_exact_budget() -> None:
    checked = rules.check_campaign_fields(fields(name="  Spring  ", brief=" b ", budget="1,250.50"))
    assert (checked.name, checked.brief, checked.budget) == ("Spring", "b", Decimal("1250.50"))
    assert rules.check_campaign_fields(fields(end_date=TODAY)).end_date == TODAY  # one day


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "   "}, "campaign name is required"),
        ({"name": "x" * 201}, "campaign name is too long"),
        ({"client_id": None}, "Choose the client"),
        ({"brief": "x" * 5001}, "brief is too long"),
        ({"end_date": TODAY - dt.timedelta(days=1)}, "ends .* before it starts"),
        ({"start_date": None}, "start date and an end date"),
        ({"budget": "-1"}, "cannot be negative"),
        ({"budget": "-0.01"}, "cannot be negative"),
        ({"budget": "12.345"}, "two decimals"),
        ({"budget": "lots"}, "must be a number"),
        ({"budget": "99999999999"}, "implausibly large"),
        ({"currency": "DOGE"}, "Unknown currency"),
    ],
)
def test_bad_fields_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        rules.check_campaign_fields(fields(**changes))


@pytest.mark.parametrize("zero", ["0", "0.00", 0, Decimal("0")])
def test_a_budget_may_be_zero(zero: object) -> None:
    assert rules.check_budget(zero) == Decimal("0.00")


# --- applications ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "source"), list(itertools.product(CS, ApplicationSource)))
def test_who_may_join_a_campaign_in_each_status(status: CS, source: ApplicationSource) -> None:
    if status in (CS.RUNNING, CS.FINISHED):
        with pytest.raises(RuleViolation, match="have started"):
            rules.check_add_application(status, source)
    elif source is ApplicationSource.APPLIED and status is not CS.OPEN:
        with pytest.raises(RuleViolation, match="not open for applications; invite"):
            rules.check_add_application(status, source)
    else:
        assert rules.check_add_application(status, source) is None


# --- the signing deadline ---------------------------------------------------------------


def test_the_deadline_is_three_days_after_sending() -> None:
    assert rules.agreement_deadline(SENT) == SENT + dt.timedelta(hours=72) == DEADLINE
    assert dt.timedelta(days=3) == SIGNING_WINDOW


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (SENT, State.PENDING),
        (SENT + dt.timedelta(days=2, hours=23, minutes=59, seconds=59), State.PENDING),
        (DEADLINE, State.PENDING),  # exactly three days: still signable
        (DEADLINE + SECOND, State.EXPIRED),  # one second later: expired
        (DEADLINE + dt.timedelta(days=300), State.EXPIRED),
    ],
)
def test_unanswered_agreement_state_at_the_edges(now: dt.datetime, state: State) -> None:
    assert rules.agreement_state(SENT, DEADLINE, None, now) is state
    assert rules.agreement_state(SENT, None, None, now) is state  # deadline computed


@pytest.mark.parametrize("outcome", [State.ACCEPTED, State.DECLINED])
@pytest.mark.parametrize("now", [SENT, DEADLINE, DEADLINE + SECOND, DEADLINE + 9 * DAY])
def test_an_answer_stands_whatever_the_clock_says(outcome: State, now: dt.datetime) -> None:
    assert rules.agreement_state(SENT, DEADLINE, outcome, now) is outcome
    assert rules.agreement_state(SENT, DEADLINE, outcome.value, now) is outcome


@pytest.mark.parametrize("bad", ["expired", "pending", "maybe"])
def test_only_accepted_or_declined_can_be_recorded(bad: str) -> None:
    with pytest.raises(RuleViolation):
        rules.parse_outcome(bad)


# --- sending and answering agreements -----------------------------------------------------

EXISTING = [None, *State]


@pytest.mark.parametrize(
    ("stage", "existing", "started"),
    list(itertools.product(Stage, EXISTING, [False, True])),
)
def test_send_agreement_for_every_stage_and_existing_agreement(
    stage: Stage, existing: State | None, started: bool
) -> None:
    if started:
        expected = "have started"
    elif stage is not Stage.SELECTED:
        expected = "Only selected creators"
    elif existing is not None:
        expected = "already has an agreement"
    else:
        assert rules.check_send_agreement(stage, existing, started) is None
        return
    with pytest.raises(RuleViolation, match=expected):
        rules.check_send_agreement(stage, existing, started)


@pytest.mark.parametrize(("state", "started"), list(itertools.product(State, [False, True])))
def test_answer_for_every_agreement_state(state: State, started: bool) -> None:
    if started:
        expected = "have started"
    elif state is State.EXPIRED:
        expected = "expired unsigned.*another selected creator"
    elif state is not State.PENDING:
        expected = f"already {state.value}"
    else:
        assert rules.check_agreement_response(state, started) is None
        return
    with pytest.raises(RuleViolation, match=expected):
        rules.check_agreement_response(state, started)


def test_an_answer_at_the_deadline_counts_one_second_later_does_not() -> None:
    at_deadline = rules.agreement_state(SENT, DEADLINE, None, DEADLINE)
    assert rules.check_agreement_response(at_deadline) is None
    too_late = rules.agreement_state(SENT, DEADLINE, None, DEADLINE + SECOND)
    with pytest.raises(RuleViolation, match="expired"):
        rules.check_agreement_response(too_late)


def terms(**changes: object) -> Terms:
    base = dict(deliverables="1 reel", compensation="400", currency="EUR",
                start_date=TODAY, due_date=TODAY + dt.timedelta(days=14), conditions="")
    return Terms(**{**base, **changes})  # type: ignore[arg-type]


def test_good_terms_come_back_checked() -> None:
    checked = rules.check_agreement_terms(terms(deliverables=" 1 reel ", compensation="0"))
    assert (checked.deliverables, checked.compensation) == ("1 reel", Decimal("0.00"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deliverables": " "}, "deliverables is required"),
        ({"deliverables": "x" * 5001}, "too long"),
        ({"conditions": "x" * 5001}, "too long"),
        ({"compensation": "-5"}, "more than zero"),
        ({"currency": "XYZ"}, "Unknown currency"),
        ({"due_date": TODAY - dt.timedelta(days=1)}, "before the start date"),
    ],
)
def test_bad_terms_are_refused(changes: dict, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        rules.check_agreement_terms(terms(**changes))


# --- who goes in at the start ---------------------------------------------------------------


@pytest.mark.parametrize(("stage", "state"), list(itertools.product(Stage, EXISTING)))
def test_start_verdict_for_every_stage_and_agreement(stage: Stage, state: State | None) -> None:
    goes, why = rules.start_verdict(stage, state)
    assert goes is (stage is Stage.SELECTED and state is State.ACCEPTED)
    assert why  # every creator left out is told why in the confirmation
    if state is State.EXPIRED and stage is Stage.SELECTED:
        assert "expired" in why
    if state is State.DECLINED and stage is Stage.SELECTED:
        assert "declined the agreement" in why


# --- the start itself --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "started_at", "signed"),
    list(itertools.product(CS, [None, SENT], [0, 1, 5])),
)
def test_check_start_for_every_status_and_count(
    status: CS, started_at: dt.datetime | None, signed: int
) -> None:
    if started_at is not None or status in (CS.RUNNING, CS.FINISHED):
        expected = "already started.*only once"
    elif status is not CS.CLOSED:
        expected = "close it first"
    elif signed == 0:
        expected = "Nobody has signed"
    else:
        assert rules.check_start(status, started_at, signed) is None
        return
    with pytest.raises(RuleViolation, match=expected):
        rules.check_start(status, started_at, signed)


def test_start_twice_is_refused_with_when() -> None:
    rules.check_start(CS.CLOSED, None, 2)  # the first time
    with pytest.raises(RuleViolation, match=r"already started on 2026-03-02 09:30 UTC"):
        rules.check_start(CS.RUNNING, SENT, 2)  # what the second press sees


def test_start_with_nobody_signed_says_what_to_do() -> None:
    with pytest.raises(RuleViolation) as refusal:
        rules.check_start(CS.CLOSED, None, 0)
    assert str(refusal.value) == (
        "Nobody has signed: no selected creator has an accepted agreement, so there is "
        "nobody to start with. Send agreements and record the acceptances first."
    )


def test_a_campaign_closed_by_its_start_date_may_start() -> None:
    status = rules.campaign_status("open", TODAY, TODAY)
    assert rules.check_start(status, None, 1) is None
    early = rules.campaign_status("open", TODAY, TODAY - dt.timedelta(days=1))
    with pytest.raises(RuleViolation, match="close it first"):
        rules.check_start(early, None, 1)
