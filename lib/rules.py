"""The domain rules: which status changes are allowed, what input is acceptable.

Pure functions, no I/O and no Streamlit. Services call these before they write;
pages may call them only to decide what to offer (the service checks again).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from lib import models
from lib.models import (
    COLLAB_FINAL,
    COLLAB_LIFECYCLE,
    CURRENCIES,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    MAX_SHORT_TEXT_CHARS,
    SIGNING_WINDOW,
    AgreementState,
    ApplicationSource,
    ApplicationStage,
    CampaignFields,
    CampaignStatus,
    CollabStatus,
    CreatorFacts,
    DeliveryStatus,
    Role,
    Terms,
    User,
    ValidationStatus,
)


class RuleViolation(ValueError):
    """A change the rules refuse; the message says what to do instead."""


def shown(value: object, limit: int = 60) -> str:
    """`value` quoted for a message: its repr, cut short so that hostile input is not echoed."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"


# --- roles -----------------------------------------------------------------


def require_role(user: User | None, role: Role, action: str) -> None:
    """Raise PermissionError unless `user` is an enabled user with at least `role`."""
    if user is None or user.disabled:
        raise PermissionError(f"You must be logged in to {action}.")
    if not user.can(role):
        raise PermissionError(
            f"Your role ({user.role.value}) may not {action}; it needs {role.value} or higher."
        )


# --- collaboration status --------------------------------------------------


def _as_collab(value: CollabStatus | str) -> CollabStatus:
    try:
        return CollabStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in CollabStatus)
        raise RuleViolation(
            f"Unknown collaboration status {shown(value)}; use one of {known}."
        ) from None


def _is_blank(reason: str | None) -> bool:
    return reason is None or not reason.strip()


def collab_reason_required(current: CollabStatus | str, target: CollabStatus | str) -> bool:
    """True when moving from `current` to `target` needs a written reason."""
    current, target = _as_collab(current), _as_collab(target)
    if target is CollabStatus.CANCELLED:
        return True
    if current in COLLAB_LIFECYCLE and target in COLLAB_LIFECYCLE:
        return COLLAB_LIFECYCLE.index(target) < COLLAB_LIFECYCLE.index(current)
    return False


def check_collab_transition(
    current: CollabStatus | str, target: CollabStatus | str, reason: str | None = None
) -> None:
    """Return None when the change is allowed; raise RuleViolation saying why not."""
    current, target = _as_collab(current), _as_collab(target)
    if current is target:
        raise RuleViolation(f"The collaboration is already {current.label}; nothing to change.")
    if current in COLLAB_FINAL:
        raise RuleViolation(
            f"The collaboration is {current.label}, which is final; it cannot change any more."
        )
    if collab_reason_required(current, target) and _is_blank(reason):
        what = "cancelling" if target is CollabStatus.CANCELLED else "moving back a stage"
        raise RuleViolation(f"Give a reason for {what} ({current.label} to {target.label}).")
    if not _is_blank(reason):
        check_reason(reason)  # an optional reason is stored too, so it has the same limit


def parse_collab_status(value: CollabStatus | str) -> CollabStatus:
    """The status `value` names; RuleViolation listing the known ones when it names none."""
    return _as_collab(value)


def allowed_collab_targets(current: CollabStatus | str) -> list[CollabStatus]:
    """The statuses a collaboration in `current` may move to (some need a reason)."""
    current = _as_collab(current)
    if current in COLLAB_FINAL:
        return []
    return [s for s in CollabStatus if s is not current]


# --- delivery status -------------------------------------------------------

_D = DeliveryStatus
# (from, to) -> True when allowed freely, "reason" when a reason is required.
_DELIVERY_ALLOWED: dict[tuple[DeliveryStatus, DeliveryStatus], bool | str] = {
    (_D.PENDING, _D.IN_TRANSIT): True,
    (_D.PENDING, _D.DELIVERED): True,
    (_D.PENDING, _D.EXCEPTION): "reason",
    (_D.IN_TRANSIT, _D.DELIVERED): True,
    (_D.IN_TRANSIT, _D.EXCEPTION): "reason",
    (_D.DELIVERED, _D.EXCEPTION): "reason",
    (_D.EXCEPTION, _D.PENDING): True,
    (_D.EXCEPTION, _D.IN_TRANSIT): True,
    (_D.EXCEPTION, _D.DELIVERED): True,
}


def _as_delivery(value: DeliveryStatus | str) -> DeliveryStatus:
    try:
        return DeliveryStatus(value)
    except ValueError:
        known = ", ".join(s.value for s in DeliveryStatus)
        raise RuleViolation(
            f"Unknown delivery status {shown(value)}; use one of {known}."
        ) from None


def check_delivery_transition(
    current: DeliveryStatus | str, target: DeliveryStatus | str, reason: str | None = None
) -> None:
    """Return None when the shipment may move; raise RuleViolation saying why not."""
    current, target = _as_delivery(current), _as_delivery(target)
    if current is target:
        raise RuleViolation(f"The shipment is already {current.label}; nothing to change.")
    allowed = _DELIVERY_ALLOWED.get((current, target))
    if not allowed:
        raise RuleViolation(
            f"A shipment cannot go from {current.label} back to {target.label}; "
            "record an exception first if something went wrong."
        )
    if allowed == "reason" and _is_blank(reason):
        raise RuleViolation("Give a reason for the exception (for example: returned, damaged).")
    if not _is_blank(reason):
        check_reason(reason)


def allowed_delivery_targets(current: DeliveryStatus | str) -> list[DeliveryStatus]:
    current = _as_delivery(current)
    return [t for (f, t) in _DELIVERY_ALLOWED if f is current]


# --- creator validation ----------------------------------------------------

ENGAGEMENT_TOO_HIGH = 20.0  # percent; above this the audience is likely bought
ENGAGEMENT_TOO_LOW = 0.2  # percent, for accounts of LOW_ENGAGEMENT_MIN_FOLLOWERS or more
LOW_ENGAGEMENT_MIN_FOLLOWERS = 10_000


def engagement_anomaly(followers: int, engagement_rate: float) -> bool:
    if engagement_rate > ENGAGEMENT_TOO_HIGH:
        return True
    return followers >= LOW_ENGAGEMENT_MIN_FOLLOWERS and engagement_rate < ENGAGEMENT_TOO_LOW


def creator_validation(
    facts: CreatorFacts, override: ValidationStatus | str | None = None
) -> ValidationStatus:
    """The badge shown beside a creator: a manual override wins over the computed one."""
    if override:
        return ValidationStatus(override)
    if facts.handle_shared or engagement_anomaly(facts.followers, facts.engagement_rate):
        return ValidationStatus.FLAGGED
    if _is_blank(facts.email) or _is_blank(facts.phone) or _is_blank(facts.address):
        return ValidationStatus.NEEDS_REVIEW
    return ValidationStatus.VERIFIED


# --- input -----------------------------------------------------------------

MAX_AMOUNT = Decimal("10000000")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_BYTES = 72  # bcrypt refuses longer passwords (bcrypt >= 5 raises ValueError)


def check_text(value: str | None, field: str, max_chars: int, required: bool = True) -> str:
    """Strip `value` and check it is present (when required) and not too long."""
    text = (value or "").strip()
    if required and not text:
        raise RuleViolation(f"{field} is required.")
    if len(text) > max_chars:
        raise RuleViolation(
            f"{field} is too long: {len(text):,} characters, at most {max_chars:,}."
        )
    return text


def check_reason(reason: str | None) -> str:
    return check_text(reason, "The reason", MAX_REASON_CHARS)


_AMOUNT = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")  # 1250.50 or 1,250.50
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")  # 12,50: ambiguous, refused


def check_amount(value: object, field: str = "The amount") -> Decimal:
    """A positive money amount with at most two decimals, written 1250.50 or 1,250.50."""
    text = str(value).strip()
    if _DECIMAL_COMMA.match(text):
        raise RuleViolation(f"{field}: use a dot for decimals, like 12.50 (not 12,50).")
    if not _AMOUNT.match(text):
        raise RuleViolation(f"{field} must be a number, like 250 or 99.50.")
    amount = Decimal(text.replace(",", ""))
    if amount <= 0:
        raise RuleViolation(f"{field} must be more than zero.")
    if amount > MAX_AMOUNT:
        raise RuleViolation(f"{field} is implausibly large (over {MAX_AMOUNT:,}).")
    if amount != amount.quantize(Decimal("0.01")):
        raise RuleViolation(f"{field} can have at most two decimals.")
    return amount


def check_compensation(value: object) -> Decimal:
    """Like check_amount, but zero is allowed (gifted collaborations)."""
    if str(value).strip() in {"0", "0.0", "0.00"}:
        return Decimal("0.00")
    return check_amount(value, "The compensation")


def check_currency(currency: str) -> str:
    if currency not in CURRENCIES:
        raise RuleViolation(
            f"Unknown currency {shown(currency)}; use one of {', '.join(CURRENCIES)}."
        )
    return currency


def check_date_order(start: dt.date | None, due: dt.date | None) -> None:
    if start and due and due < start:
        raise RuleViolation(f"The due date ({due}) is before the start date ({start}).")


def check_url(url: str | None) -> str:
    text = check_text(url, "The URL", 2_000)
    if not re.match(r"^https?://\S+$", text):
        raise RuleViolation("The URL must start with http:// or https:// and contain no spaces.")
    return text


def check_email(email: str | None, required: bool = True) -> str:
    text = check_text(email, "The e-mail address", 254, required)
    if text and not _EMAIL.match(text):
        raise RuleViolation(f"{shown(text)} is not an e-mail address.")
    return text


def check_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise RuleViolation(
            "A username is 2 to 40 characters: lowercase letters, digits, dot, dash, underscore."
        )
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_CHARS:
        raise RuleViolation(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise RuleViolation(
            f"A password can be at most {MAX_PASSWORD_BYTES} bytes long (bcrypt's limit)."
        )
    return password


def check_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise RuleViolation(
            f"Unknown role {shown(role)}; use one of {', '.join(r.value for r in Role)}."
        ) from None


# =============================================================================
# Campaign workflow: campaign status, applications, agreements, the one-time start.
# (DESIGN.md, "Campaign workflow".) Every function takes the facts it judges as arguments;
# the services in lib/campaigns.py read them inside the transaction that writes.
# =============================================================================

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


def _as_enum(enum: type, value: object, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(s.value for s in enum)
        raise RuleViolation(f"Unknown {what} {shown(value)}; use one of {known}.") from None


def parse_campaign_status(value: CampaignStatus | str) -> CampaignStatus:
    return _as_enum(CampaignStatus, value, "campaign status")


def parse_stage(value: ApplicationStage | str) -> ApplicationStage:
    return _as_enum(ApplicationStage, value, "application stage")


def parse_source(value: ApplicationSource | str) -> ApplicationSource:
    return _as_enum(ApplicationSource, value, "application source")


def parse_outcome(value: AgreementState | str) -> AgreementState:
    """An agreement's recorded answer: accepted or declined (expired is never recorded)."""
    outcome = _as_enum(AgreementState, value, "agreement outcome")
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
    if text.startswith("-") and _AMOUNT.match(text):
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
        state = _as_enum(AgreementState, existing, "agreement state")
        raise RuleViolation(
            f"This creator already has an agreement ({state.label.lower()}); there is one per "
            "application. Send another selected creator one instead."
        )


def check_agreement_response(state: AgreementState | str, started: bool = False) -> None:
    """Only a pending agreement (not past its deadline) can be accepted or declined."""
    state = _as_enum(AgreementState, state, "agreement state")
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
    state = None if agreement is None else _as_enum(AgreementState, agreement, "agreement state")
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


# =============================================================================
# Reports and imports (issue 8): ISO weeks, and the rows of imported files.
# =============================================================================

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


def parse_iso_week(text: str | None) -> dt.date:
    """The Monday that starts ISO week `text`, written like 2026-W47."""
    value = (text or "").strip().upper()
    match = _ISO_WEEK.match(value)
    if not match:
        raise RuleViolation(
            f"Write the week as year-W and week number, like 2026-W47, not {shown(text)}."
        )
    year, week = int(match[1]), int(match[2])
    try:
        return dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise RuleViolation(
            f"{year} has no week {week}: an ISO year has 52 or 53 weeks."
        ) from None


def iso_week_label(day: dt.date) -> str:
    """The ISO week `day` falls in, written like 2026-W47."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: empty for nothing, 12000 for the number 12000.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


_HANDLE = re.compile(r"^[^\s@]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{4,}$")
_WHOLE = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$")
_RATE = re.compile(r"^\d+(\.\d+)?%?$")


def check_handle(value: object) -> str:
    """A creator's handle without its leading @; no spaces."""
    handle = check_text(cell_text(value).lstrip("@"), "The handle", models.MAX_HANDLE_CHARS)
    if not _HANDLE.match(handle):
        raise RuleViolation(f"The handle {shown(handle)} cannot contain spaces or a second @.")
    return handle


def check_platform(value: object) -> str:
    platform = cell_text(value).lower()
    if platform not in models.PLATFORMS:
        raise RuleViolation(
            f"Unknown platform {shown(cell_text(value))}; "
            f"use one of {', '.join(models.PLATFORMS)}."
        )
    return platform


def check_phone(value: object) -> str | None:
    phone = check_text(
        cell_text(value), "The phone number", models.MAX_PHONE_CHARS, required=False
    )
    if phone and not _PHONE.match(phone):
        raise RuleViolation(f"{shown(phone)} is not a phone number (digits, spaces, + ( ) - .).")
    return phone or None


def check_count(value: object, field: str, maximum: int = models.MAX_FOLLOWERS) -> int:
    """A whole number of zero or more, written 12000 or 12,000; empty is 0."""
    text = cell_text(value)
    if not text:
        return 0
    if not _WHOLE.match(text):
        raise RuleViolation(f"{field} must be a whole number like 12000, not {shown(text)}.")
    count = int(text.replace(",", ""))
    if count > maximum:
        raise RuleViolation(f"{field} is implausibly large (over {maximum:,}).")
    return count


def check_rate(value: object, field: str = "The engagement rate") -> float:
    """A percentage from 0 to 100, written 3.5 or 3.5%; empty is 0."""
    text = cell_text(value).replace(" ", "")
    if not text:
        return 0.0
    if not _RATE.match(text):
        raise RuleViolation(f"{field} must be a percentage like 3.5, not {shown(text)}.")
    rate = float(text.rstrip("%"))
    if rate > 100:
        raise RuleViolation(f"{field} is a percentage: at most 100, not {rate:g}.")
    return rate


def check_tags(value: object) -> tuple[str, ...]:
    """Tags separated by semicolons: "Top Performer; Beauty"."""
    tags: list[str] = []
    for part in cell_text(value).split(";"):
        tag = check_text(part, "A tag", models.MAX_TAG_CHARS, required=False)
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > models.MAX_TAGS_PER_CREATOR:
        raise RuleViolation(
            f"At most {models.MAX_TAGS_PER_CREATOR} tags per creator, not {len(tags)}."
        )
    return tuple(tags)


def parse_day(value: object, field: str) -> dt.date | None:
    """A date written YYYY-MM-DD (or a spreadsheet date cell); None when empty."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RuleViolation(
            f"{field} must be a date written YYYY-MM-DD, like 2026-03-31, not {shown(text)}."
        ) from None


def check_creator_row(row: dict[str, object]) -> models.ImportedCreator:
    """One creator row of an import file (keys are the file's column names)."""
    email = check_email(cell_text(row.get("email")), required=False)
    return models.ImportedCreator(
        name=check_text(cell_text(row.get("name")), "The name", MAX_SHORT_TEXT_CHARS),
        handle=check_handle(row.get("handle")),
        platform=check_platform(row.get("platform")),
        email=email or None,
        phone=check_phone(row.get("phone")),
        address=check_text(cell_text(row.get("address")), "The address", MAX_SHORT_TEXT_CHARS,
                           required=False) or None,
        followers=check_count(row.get("followers"), "The followers"),
        engagement_rate=check_rate(row.get("engagement_rate")),
        tags=check_tags(row.get("tags")),
    )


def check_collaboration_row(
    row: dict[str, object], today: dt.date
) -> models.ImportedCollaboration:
    """One collaboration row of an import file; the campaign and creator are looked up later.

    Any status may be imported (it is history); cancelled needs its reason, as everywhere.
    """
    campaign_text = cell_text(row.get("campaign_id"))
    campaign_name = cell_text(row.get("campaign")) or None
    if not campaign_text and not campaign_name:
        raise RuleViolation("Name the campaign: fill in campaign_id or campaign.")
    campaign_id = None
    if campaign_text:
        if not campaign_text.isdigit() or len(campaign_text) > 18:
            raise RuleViolation(f"campaign_id must be a campaign's number, not "
                                f"{shown(campaign_text)}.")
        campaign_id = int(campaign_text)
    status = parse_collab_status(cell_text(row.get("status")).lower() or "pending")
    reason = cell_text(row.get("cancel_reason")) or None
    if status is CollabStatus.CANCELLED:
        reason = check_text(reason, "The cancel_reason (required for cancelled)",
                            MAX_REASON_CHARS)
    elif reason:
        raise RuleViolation("Only a cancelled collaboration has a cancel_reason.")
    created_on = parse_day(row.get("created_on"), "created_on")
    if created_on and created_on > today:
        raise RuleViolation(f"created_on ({created_on}) is in the future.")
    terms = Terms(
        deliverables=check_text(cell_text(row.get("deliverables")), "The deliverables",
                                MAX_NOTE_CHARS),
        compensation=check_compensation(cell_text(row.get("compensation"))),
        currency=check_currency(cell_text(row.get("currency")).upper() or "EUR"),
        start_date=parse_day(row.get("start_date"), "start_date"),
        due_date=parse_day(row.get("due_date"), "due_date"),
        conditions=check_text(cell_text(row.get("conditions")), "The conditions",
                              MAX_NOTE_CHARS, required=False),
    )
    check_date_order(terms.start_date, terms.due_date)
    return models.ImportedCollaboration(
        campaign_id, campaign_name, check_handle(row.get("handle")),
        check_platform(row.get("platform")), status, reason, terms, created_on,
    )
