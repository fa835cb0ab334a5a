"""The inbox: messages to creators, merge fields, retries, tracking links and coupons.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import datetime as dt
import re
import string

from lib.models import (
    MAX_COUPON_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_SUBJECT_CHARS,
    MERGE_FIELDS,
    STALE_QUEUE,
    AgreementState,
    AssetKind,
    CampaignStanding,
    CollabStatus,
    MessageChannel,
    MessageState,
)
from lib.rulebook.collaborations import as_collab_status
from lib.rulebook.common import RuleViolation, as_enum, shown
from lib.rulebook.fields import check_text, check_url

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
    state = as_enum(MessageState, state, "message state")
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
    kind = as_enum(AssetKind, kind, "asset kind")
    if kind is AssetKind.TRACKING_LINK:
        return kind, check_url(value)
    code = check_text(value, "The coupon code", MAX_COUPON_CHARS)
    if not _COUPON.match(code):
        raise RuleViolation(
            "A coupon code is letters, digits, dashes and underscores, without spaces."
        )
    return kind, code


def check_send_asset(collab_status: CollabStatus | str) -> None:
    if as_collab_status(collab_status) is CollabStatus.CANCELLED:
        raise RuleViolation("The collaboration is cancelled; it gets no tracking link or coupon.")


def sender_matches(sender: str | None, creator_email: str | None) -> bool:
    """Whether an incoming e-mail's From address is the creator's (case does not matter)."""
    return bool(sender and creator_email) and (
        sender.strip().lower() == (creator_email or "").strip().lower()
    )


def parse_channel(value: MessageChannel | str) -> MessageChannel:
    return as_enum(MessageChannel, value, "channel")


def check_received_at(received_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When an incoming message arrived: not in the future (a day's slack for time zones)."""
    if received_at is None:
        return now
    if received_at > now + dt.timedelta(days=1):
        raise RuleViolation(
            f"The message is dated {received_at:%Y-%m-%d %H:%M}, in the future; check the date."
        )
    return received_at
