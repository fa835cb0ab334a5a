"""The domain rules: which status changes are allowed, what input is acceptable.

Pure functions, no I/O and no Streamlit. Services call these before they write;
pages may call them only to decide what to offer (the service checks again).
"""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from decimal import Decimal
from typing import Any

from lib import models
from lib.models import (
    COLLAB_FINAL,
    COLLAB_LIFECYCLE,
    CURRENCIES,
    MAX_CAPTION_CHARS,
    MAX_CARRIER_CHARS,
    MAX_COUPON_CHARS,
    MAX_EMAIL_CHARS,
    MAX_FEEDBACK_CHARS,
    MAX_INVITES,
    MAX_MESSAGE_CHARS,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    MAX_REPLY_CHARS,
    MAX_SHORT_TEXT_CHARS,
    MAX_SUBJECT_CHARS,
    MAX_TRACKING_CHARS,
    MERGE_FIELDS,
    SIGNING_WINDOW,
    STALE_QUEUE,
    AgreementState,
    ApplicationSource,
    ApplicationStage,
    AssetKind,
    CampaignFields,
    CampaignStanding,
    CampaignStatus,
    ChangeOutcome,
    CollabStatus,
    ContentApproval,
    ContentType,
    CreatorFacts,
    DeliveryStatus,
    Grant,
    MessageChannel,
    MessageState,
    ReplyKind,
    ReviewState,
    Role,
    ShipmentChange,
    SubjectKind,
    Terms,
    User,
    ValidationStatus,
    Verdict,
)


class RuleViolation(ValueError):
    """A change the rules refuse; the message says what to do instead."""


def shown(value: object, limit: int = 60) -> str:
    """`value` quoted for a message: its repr, cut short so that hostile input is not echoed."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(str(value)):,} characters)"


# --- roles -----------------------------------------------------------------


def require_role(user: User | None, role: Role, action: str) -> Grant:
    """Raise PermissionError unless `user` is an enabled user with at least `role`.

    The Grant it returns goes to users.recheck, so the write asks the store the same question
    again inside its transaction (the User held in a session may be stale)."""
    if user is None or user.disabled:
        raise PermissionError(f"You must be logged in to {action}.")
    if not user.can(role):
        raise PermissionError(
            f"Your role ({user.role.value}) may not {action}; it needs {role.value} or higher."
        )
    return Grant(user, role, action)


def session_end_reason(
    now: dt.datetime,
    expires_at: dt.datetime,
    revoked_reason: str | None,
    role_at_sign_in: Role | str,
    role_now: Role | str,
    disabled: bool,
    password_changed: bool,
) -> str | None:
    """Why a login session no longer holds (a sentence for the login form), or None when it
    does. A raised role keeps the session (the user is re-read on every run); a lowered one,
    a disabled account, a new password, a revocation (logout) or the absolute expiry end it."""
    if revoked_reason is not None:
        return SESSION_ENDED.get(revoked_reason, SESSION_ENDED["revoked"])
    if disabled:
        return SESSION_ENDED["disabled"]
    if password_changed:
        return SESSION_ENDED["password"]
    if not Role(role_now).at_least(Role(role_at_sign_in)):
        return SESSION_ENDED["role"]
    if now >= expires_at:
        return SESSION_ENDED["expired"]
    return None


SESSION_ENDED: dict[str, str] = {
    "logout": "You logged out. Log in again.",
    "password": "Your password was changed. Log in with the new password.",
    "disabled": "This account is disabled. Ask an admin to enable it.",
    "role": "Your role was changed. Log in again.",
    "expired": "Your session has expired. Log in again.",
    "revoked": "Your session was ended. Log in again.",
}


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
    """The badge shown beside a creator: a manual override wins over the computed one.

    Flagged: the handle is also on another platform under another name (see
    CreatorFacts.handle_shared), or the engagement looks bought or dead."""
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
    """A creator's handle as it is kept: NFKC-normalised (full-width letters, ligatures and
    other compatibility forms become the plain characters, so that look-alike spellings are one
    handle), without surrounding whitespace or leading @; refused with a space, a second @ or
    an invisible character inside. The store compares handles by this form in lower case
    (lib.creators.HANDLE_KEY)."""
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    handle = check_text(text.lstrip("@").strip(), "The handle", models.MAX_HANDLE_CHARS)
    if not _HANDLE.match(handle):
        raise RuleViolation(f"The handle {shown(handle)} cannot contain spaces or a second @.")
    if any(unicodedata.category(ch)[0] in "CZ" for ch in handle):
        raise RuleViolation(
            f"The handle {shown(handle)} contains an invisible or control character;"
            " type it again."
        )
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
# --- deliveries: shipments (issue 6) -------------------------------------------------

# Letters and digits, with the separators carriers print (spaces, dots, slashes, dashes).
# Refusing the rest also keeps spreadsheet formulas ("=…") out of a cell the warehouse opens.
_TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]*$")


def parse_delivery_status(value: DeliveryStatus | str) -> DeliveryStatus:
    """The delivery status `value` names, written as a person writes it in a sheet too:
    "In transit", "in-transit" and "IN_TRANSIT" all name in_transit."""
    if isinstance(value, DeliveryStatus):
        return value
    try:
        return DeliveryStatus(re.sub(r"[\s-]+", "_", str(value).strip().lower()))
    except ValueError:
        known = ", ".join(s.label.lower() for s in DeliveryStatus)
        raise RuleViolation(
            f"Unknown delivery status {shown(value)}; use one of {known}."
        ) from None


def delivery_reason_required(current: DeliveryStatus | str, target: DeliveryStatus | str) -> bool:
    """True when moving a shipment from `current` to `target` needs a reason (an exception)."""
    return _DELIVERY_ALLOWED.get((_as_delivery(current), _as_delivery(target))) == "reason"


def check_item(value: str | None) -> str:
    return check_text(value, "The item", MAX_SHORT_TEXT_CHARS)


def check_carrier(value: str | None) -> str:
    return check_text(value, "The carrier", MAX_CARRIER_CHARS, required=False)


def check_tracking_number(value: str | None) -> str:
    """A tracking number as stored (blank allowed: tracking is optional)."""
    text = check_text(value, "The tracking number", MAX_TRACKING_CHARS, required=False)
    if text and not _TRACKING.match(text):
        raise RuleViolation(
            f"The tracking number {shown(text)} may hold only letters, digits, spaces and "
            "the signs . / _ - (and must start with a letter or digit)."
        )
    return text


def check_new_shipment(
    collab_status: CollabStatus | str,
    address: str | None,
    same_item: DeliveryStatus | str | None = None,
) -> None:
    """A collaboration may get a new shipment unless it is cancelled, its creator has no
    shipping address to copy, or it already has this item on its way (`same_item`: the
    status of such a shipment that is not an exception)."""
    if _as_collab(collab_status) is CollabStatus.CANCELLED:
        raise RuleViolation("The collaboration is cancelled; it gets no new shipment.")
    if _is_blank(address):
        raise RuleViolation(
            "The creator has no shipping address on file; add it to the creator first."
        )
    if same_item is not None:
        state = _as_delivery(same_item)
        raise RuleViolation(
            f"This collaboration already has a shipment of this item ({state.label.lower()}). "
            "To send it again, record an exception on that one and move it back to pending."
        )


def shipment_dates(
    target: DeliveryStatus | str,
    shipped_on: dt.date | None,
    delivered_on: dt.date | None,
    today: dt.date,
) -> tuple[dt.date | None, dt.date | None]:
    """The shipped and delivered dates after a move to `target` on `today`.

    In transit or delivered means it was shipped (the first such day is kept); only a
    delivered shipment has a delivery day; back to pending (a re-ship) forgets both.
    """
    target = _as_delivery(target)
    if target is _D.PENDING:
        return None, None
    if target is _D.IN_TRANSIT:
        return shipped_on or today, None
    if target is _D.DELIVERED:
        return shipped_on or today, today
    return shipped_on, None  # an exception: returned, damaged or lost, so not delivered now


def judge_shipment_change(
    current: DeliveryStatus | str, tracking_number: str, carrier: str, change: ShipmentChange
) -> tuple[ChangeOutcome, str]:
    """What `change` does to a shipment in `current` with this tracking number and carrier:
    (UPDATED, what changes), (UNCHANGED, why nothing) or (REFUSED, why). Never raises for a
    rule: a batch shows every row's outcome."""
    current = _as_delivery(current)
    changes: list[str] = []
    try:
        tracking = (
            None if change.tracking_number is None
            else check_tracking_number(change.tracking_number)
        )
        new_carrier = None if change.carrier is None else check_carrier(change.carrier)
        target = None if change.status is None else parse_delivery_status(change.status)
        if target is not None and target is not current:
            check_delivery_transition(current, target, change.reason)
            move = f"{current.label} → {target.label}"
            if target is _D.EXCEPTION:
                move += f" ({(change.reason or '').strip()})"
            changes.append(move)
    except RuleViolation as refusal:
        return ChangeOutcome.REFUSED, str(refusal)
    if new_carrier is not None and new_carrier != carrier:
        changes.append(f"carrier {new_carrier}" if new_carrier else "carrier cleared")
    if tracking is not None and tracking != tracking_number:
        changes.append(f"tracking {tracking}" if tracking else "tracking number cleared")
    if not changes:
        state = "an exception" if current is _D.EXCEPTION else current.label.lower()
        return ChangeOutcome.UNCHANGED, f"Already {state}; nothing to change."
    return ChangeOutcome.UPDATED, "; ".join(changes)
# =============================================================================
# Feedback (DESIGN.md, "Feedback"): reviewer addresses, feedback and replies, content approval,
# and the review state the feedback page filters on. lib/reviewers.py and lib/feedback.py read
# the facts inside the transaction that writes and ask these functions.
# =============================================================================

# No quotes, commas, angle brackets or spaces: an address goes into a To: header as it is.
_REVIEWER_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")
_REVIEW_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def check_reviewer_emails(text: str | list[str] | None) -> list[str]:
    """The addresses in `text` (separated by commas, semicolons, spaces or new lines),
    lower-cased, each once, in the order given. Refuses the whole list when one is malformed,
    so that a typo is fixed rather than silently left out."""
    raw = " ".join(text) if isinstance(text, list) else (text or "")
    if len(raw) > MAX_INVITES * (MAX_EMAIL_CHARS + 2):
        raise RuleViolation(f"Invite at most {MAX_INVITES} addresses at a time.")
    found = list(dict.fromkeys(a.lower() for a in _ADDRESS_SEPARATORS.split(raw) if a))
    if not found:
        raise RuleViolation("Enter at least one e-mail address.")
    if len(found) > MAX_INVITES:
        raise RuleViolation(
            f"{len(found)} addresses: invite at most {MAX_INVITES} at a time."
        )
    bad = [a for a in found if len(a) > MAX_EMAIL_CHARS or not _REVIEWER_EMAIL.match(a)]
    if bad:
        listed = ", ".join(shown(a, 40) for a in bad[:3]) + (" …" if len(bad) > 3 else "")
        raise RuleViolation(
            f"Not an e-mail address: {listed}. Fix it (or leave it out) and invite again."
        )
    return found


def review_token_well_formed(token: object) -> bool:
    """Whether `token` has the shape of a reviewer link's token (43 URL-safe characters).
    Anything else is refused before the database is asked."""
    return isinstance(token, str) and _REVIEW_TOKEN.match(token) is not None


def parse_verdict(value: Verdict | str | None) -> Verdict | None:
    if value is None or value == "":
        return None
    return _as_enum(Verdict, value, "verdict")


def check_feedback(body: str | None, verdict: Verdict | str | None) -> tuple[str, Verdict | None]:
    """A reviewer's feedback: text (at most MAX_FEEDBACK_CHARS), an approve or decline, or
    both; an empty form is refused."""
    text = check_text(body, "The feedback", MAX_FEEDBACK_CHARS, required=False)
    chosen = parse_verdict(verdict)
    if not text and chosen is None:
        raise RuleViolation("Write your feedback, or choose approve or decline, then submit.")
    return text, chosen


def parse_reply_kind(value: ReplyKind | str) -> ReplyKind:
    return _as_enum(ReplyKind, value, "kind of answer")


def check_reply(body: str | None, kind: ReplyKind | str) -> tuple[str, ReplyKind]:
    what = "The note" if parse_reply_kind(kind) is ReplyKind.INTERNAL_NOTE else "The reply"
    return check_text(body, what, MAX_REPLY_CHARS), parse_reply_kind(kind)


def parse_approval(value: ContentApproval | str) -> ContentApproval:
    return _as_enum(ContentApproval, value, "approval")


def check_content_submission(
    url: str | None, kind: ContentType | str, caption: str | None
) -> tuple[str, ContentType, str]:
    """A content item a creator submitted: an http(s) link, a known type, an optional caption."""
    link = check_url(url)
    content_type = _as_enum(ContentType, kind, "content type")
    text = check_text(caption, "The caption", MAX_CAPTION_CHARS, required=False)
    return link, content_type, text


def check_new_version(previous_collab: int, collab_id: int, has_successor: bool) -> None:
    """A new version replaces an item of the same collaboration that no other version has
    replaced yet (otherwise two people would both be submitting "version 2")."""
    if previous_collab != collab_id:
        raise RuleViolation("A new version must replace content of the same collaboration.")
    if has_successor:
        raise RuleViolation(
            "That item already has a newer version; submit the new one as a version of the "
            "newest item instead."
        )


def check_content_review(
    current: ContentApproval | str, target: ContentApproval | str, note: str | None
) -> str:
    """Staff approve a submitted item or request changes (saying which); either can be
    corrected later, but "pending" is where an item starts, not a decision. Returns the note,
    stripped."""
    current, target = parse_approval(current), parse_approval(target)
    if target is ContentApproval.PENDING:
        raise RuleViolation("Approve the item or request changes; pending is not a decision.")
    if current is target:
        raise RuleViolation(f"The item is already {target.label.lower()}; nothing to change.")
    if target is ContentApproval.CHANGES_REQUESTED:
        return check_text(note, "Which changes are needed", MAX_REASON_CHARS)
    return check_text(note, "The note", MAX_REASON_CHARS, required=False)


def review_state(
    kind: SubjectKind | str, approval: ContentApproval | str | None, approvals: int, declines: int
) -> ReviewState:
    """Where a subject of feedback stands, for the feedback page's filters.

    A content item: as staff decided it (pending, approved, changes requested = declined).
    A creator: by the reviewers' latest verdicts: declined when any reviewer declines (a
    client's objection needs attention first), approved when some approve and none decline,
    pending while no reviewer has given a verdict. (feedback.STATE_SQL says the same in SQL.)
    """
    if _as_enum(SubjectKind, kind, "subject") is SubjectKind.CONTENT:
        return {
            ContentApproval.PENDING: ReviewState.PENDING,
            ContentApproval.APPROVED: ReviewState.APPROVED,
            ContentApproval.CHANGES_REQUESTED: ReviewState.DECLINED,
        }[parse_approval(approval or ContentApproval.PENDING)]
    if declines > 0:
        return ReviewState.DECLINED
    if approvals > 0:
        return ReviewState.APPROVED
    return ReviewState.PENDING


def check_remove_reviewer(confirmed_pieces: int, pieces_now: int) -> None:
    """Removal deletes all of a reviewer's feedback: only as many pieces as the person
    confirmed (more may have come in since the confirmation was shown)."""
    if confirmed_pieces != pieces_now:
        raise RuleViolation(
            f"The reviewer now has {pieces_now} pieces of feedback, not the {confirmed_pieces} "
            "you confirmed; confirm the removal again."
        )
# =============================================================================
# Inbox (issue 7): messages to creators, merge fields, retries, assets.
# =============================================================================

_MERGE_HINT = ", ".join("{" + name + "}" for name in MERGE_FIELDS)


def check_subject(subject: str | None) -> str:
    text = check_text(subject, "The subject", MAX_SUBJECT_CHARS)
    if "\n" in text or "\r" in text:
        raise RuleViolation("The subject must be one line.")
    return text


def check_body(body: str | None) -> str:
    return check_text(body, "The message", MAX_MESSAGE_CHARS)


def merge_fields_in(template: str) -> set[str]:
    """The merge fields `template` uses; RuleViolation for an unknown or malformed one.
    {{ and }} stand for literal braces, as in Python's str.format."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise RuleViolation(
            f"A lone {{ or }} in the text: merge fields are written {_MERGE_HINT}; "
            "write {{ or }} for a brace itself."
        ) from None
    used = set()
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in MERGE_FIELDS or spec or conversion:
            shown_field = "{" + name + (f"!{conversion}" if conversion else "")
            shown_field += (f":{spec}" if spec else "") + "}"
            raise RuleViolation(
                f"Unknown merge field {shown(shown_field)}; use {_MERGE_HINT} "
                "(or {{ and }} for braces)."
            )
        used.add(name)
    return used


def render_merge(template: str, values: dict[str, str | None]) -> str:
    """`template` with its merge fields filled in. A field without a value (missing or blank)
    raises RuleViolation naming it: a message never goes out with a blank where a name was."""
    used = merge_fields_in(template)
    missing = sorted(f for f in used if not (values.get(f) or "").strip())
    if missing:
        raise RuleViolation(
            "No value for " + ", ".join("{" + f + "}" for f in missing) + "."
        )
    return template.format(**{f: str(values[f]).strip() for f in used})


def first_name(full_name: str | None) -> str | None:
    """The first word of a creator's name, or None when the name is blank."""
    words = (full_name or "").split()
    return words[0] if words else None


def check_message_about_campaign(creator: str, standing: CampaignStanding) -> None:
    """Staff may write to a creator about a campaign only once the creator has accepted: an
    accepted agreement, or a collaboration in that campaign (any status: it was agreed)."""
    if standing.has_collaboration or standing.agreement_state == AgreementState.ACCEPTED:
        return
    campaign = standing.campaign
    if standing.application_stage is None:
        why = f"{creator} is not part of {campaign} (no application, agreement or collaboration)"
    elif standing.agreement_state is None:
        why = (f"{creator} is {standing.application_stage} in {campaign} but has no agreement "
               "yet")
    elif standing.agreement_state == AgreementState.PENDING:
        why = f"{creator} has not signed the agreement for {campaign} yet (it is pending)"
    elif standing.agreement_state == AgreementState.DECLINED:
        why = f"{creator} declined the agreement for {campaign}"
    else:
        why = f"{creator}'s agreement for {campaign} expired unsigned"
    raise RuleViolation(
        f"{why}. Messages about a campaign go only to creators who accepted (an accepted "
        "agreement or a collaboration); write without a campaign instead."
    )


def check_retry(
    state: MessageState | str, queued_at: dt.datetime | None, now: dt.datetime
) -> None:
    """A failed message may be sent again; so may a queued one left by a crash (queued more
    than STALE_QUEUE ago). A fresh queued one is being sent right now; a sent one is done."""
    state = _as_enum(MessageState, state, "message state")
    if state is MessageState.FAILED:
        return
    if state is MessageState.QUEUED:
        if queued_at is None or now - queued_at > STALE_QUEUE:
            return
        minutes = int(STALE_QUEUE.total_seconds() // 60)
        raise RuleViolation(
            f"The message is being sent (queued at {queued_at:%H:%M:%S} UTC); if it is still "
            f"queued {minutes} minutes after that, retry it."
        )
    if state is MessageState.SENT:
        raise RuleViolation("The message was sent already; write a new one instead.")
    raise RuleViolation("This message is kept in the history only; it is not sent by e-mail.")


_COUPON = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def check_asset(kind: AssetKind | str, value: str | None) -> tuple[AssetKind, str]:
    """A tracking link is an http(s) URL; a coupon code is letters, digits, - and _."""
    kind = _as_enum(AssetKind, kind, "asset kind")
    if kind is AssetKind.TRACKING_LINK:
        return kind, check_url(value)
    code = check_text(value, "The coupon code", MAX_COUPON_CHARS)
    if not _COUPON.match(code):
        raise RuleViolation(
            "A coupon code is letters, digits, dashes and underscores, without spaces."
        )
    return kind, code


def check_send_asset(collab_status: CollabStatus | str) -> None:
    if _as_collab(collab_status) is CollabStatus.CANCELLED:
        raise RuleViolation("The collaboration is cancelled; it gets no tracking link or coupon.")


def sender_matches(sender: str | None, creator_email: str | None) -> bool:
    """Whether an incoming e-mail's From address is the creator's (case does not matter)."""
    return bool(sender and creator_email) and (
        sender.strip().lower() == (creator_email or "").strip().lower()
    )


def parse_channel(value: MessageChannel | str) -> MessageChannel:
    return _as_enum(MessageChannel, value, "channel")


def check_received_at(received_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When an incoming message arrived: not in the future (a day's slack for time zones)."""
    if received_at is None:
        return now
    if received_at > now + dt.timedelta(days=1):
        raise RuleViolation(
            f"The message is dated {received_at:%Y-%m-%d %H:%M}, in the future; check the date."
        )
    return received_at
