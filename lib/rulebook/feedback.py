"""Feedback from outside reviewers: addresses, links, feedback and replies, content approval.

Pure functions, no I/O (see lib/rules.py)."""

from __future__ import annotations

import re

from lib.models import (
    MAX_CAPTION_CHARS,
    MAX_EMAIL_CHARS,
    MAX_FEEDBACK_CHARS,
    MAX_INVITES,
    MAX_REASON_CHARS,
    MAX_REPLY_CHARS,
    ContentApproval,
    ContentType,
    ReplyKind,
    ReviewState,
    SubjectKind,
    Verdict,
)
from lib.rulebook.common import RuleViolation, as_enum, shown
from lib.rulebook.fields import check_text, check_url

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
    return as_enum(Verdict, value, "verdict")


def check_feedback(body: str | None, verdict: Verdict | str | None) -> tuple[str, Verdict | None]:
    """A reviewer's feedback: text (at most MAX_FEEDBACK_CHARS), an approve or decline, or
    both; an empty form is refused."""
    text = check_text(body, "The feedback", MAX_FEEDBACK_CHARS, required=False)
    chosen = parse_verdict(verdict)
    if not text and chosen is None:
        raise RuleViolation("Write your feedback, or choose approve or decline, then submit.")
    return text, chosen


def parse_reply_kind(value: ReplyKind | str) -> ReplyKind:
    return as_enum(ReplyKind, value, "kind of answer")


def check_reply(body: str | None, kind: ReplyKind | str) -> tuple[str, ReplyKind]:
    what = "The note" if parse_reply_kind(kind) is ReplyKind.INTERNAL_NOTE else "The reply"
    return check_text(body, what, MAX_REPLY_CHARS), parse_reply_kind(kind)


def parse_approval(value: ContentApproval | str) -> ContentApproval:
    return as_enum(ContentApproval, value, "approval")


def check_content_submission(
    url: str | None, kind: ContentType | str, caption: str | None
) -> tuple[str, ContentType, str]:
    """A content item a creator submitted: an http(s) link, a known type, an optional caption."""
    link = check_url(url)
    content_type = as_enum(ContentType, kind, "content type")
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
    if as_enum(SubjectKind, kind, "subject") is SubjectKind.CONTENT:
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
