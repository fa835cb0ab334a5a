"""Domain types: statuses, roles and the records the services hand to pages.

Pure: imports nothing from the rest of the project and does no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Labelled(StrEnum):
    """An enum whose values read as words: "in_transit" is labelled "In transit"."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class CollabStatus(Labelled):
    PENDING = "pending"
    NEGOTIATING = "negotiating"
    FULFILLING = "fulfilling"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# The lifecycle order; cancelled stands outside it.
COLLAB_LIFECYCLE: tuple[CollabStatus, ...] = (
    CollabStatus.PENDING,
    CollabStatus.NEGOTIATING,
    CollabStatus.FULFILLING,
    CollabStatus.COMPLETED,
)
COLLAB_FINAL: frozenset[CollabStatus] = frozenset({CollabStatus.COMPLETED, CollabStatus.CANCELLED})


class DeliveryStatus(Labelled):
    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


class Role(StrEnum):
    """Staff roles, weakest first; each role may do everything the ones before it may."""

    VIEWER = "viewer"
    STAFF = "staff"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Role).index(self)

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


class ValidationStatus(Labelled):
    VERIFIED = "verified"
    NEEDS_REVIEW = "needs_review"
    FLAGGED = "flagged"


class EventKind(StrEnum):
    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    PAYMENT = "payment"
    CONTENT_DELIVERED = "content_delivered"
    NOTE = "note"
    DELIVERY_CHANGED = "delivery_changed"
    TERMS_CHANGED = "terms_changed"
    CONTENT_SUBMITTED = "content_submitted"  # a content item sent in for approval (issue 5)
    CONTENT_REVIEWED = "content_reviewed"  # approved or changes requested (issue 5)
    SHIPMENT_CREATED = "shipment_created"  # issue 6
    ASSET_SENT = "asset_sent"  # a tracking link or coupon code sent from the inbox (issue 7)


class ContentType(StrEnum):
    POST = "post"
    STORY = "story"
    REEL = "reel"
    VIDEO = "video"
    SHORT = "short"
    OTHER = "other"


# --- campaign workflow -------------------------------------------------------


class CampaignStatus(StrEnum):
    """Where a campaign stands: draft, open for applications, closed, running, finished."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    RUNNING = "running"
    FINISHED = "finished"

    @property
    def label(self) -> str:
        return "Open for applications" if self is CampaignStatus.OPEN else self.value.capitalize()


class ApplicationStage(Labelled):
    """A creator's place in a campaign's pre-selection; nobody is told about it."""

    APPLIED = "applied"
    SELECTED = "selected"
    DECLINED = "declined"


class ApplicationSource(StrEnum):
    APPLIED = "applied"  # the creator applied
    INVITED = "invited"  # the agency invited them from its own creator base


class AgreementState(Labelled):
    """An agreement's state; `expired` is computed from the deadline, never stored."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


SIGNING_WINDOW = dt.timedelta(days=3)  # an agreement's deadline is this long after it is sent
EXPIRING_SOON = dt.timedelta(hours=24)  # "needs attention" warns this long before a deadline

CURRENCIES: tuple[str, ...] = ("EUR", "USD", "GBP", "CHF", "SEK")
PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube", "twitch", "pinterest")
_PLATFORM_LABELS = {"tiktok": "TikTok", "youtube": "YouTube"}


def platform_label(platform: str) -> str:
    """A platform as people write it: Instagram, TikTok, YouTube."""
    return _PLATFORM_LABELS.get(platform, platform.capitalize())


# Size limits for free text, enforced by lib/rules.py before anything is written.
MAX_NOTE_CHARS = 5_000
MAX_REASON_CHARS = 1_000
MAX_SHORT_TEXT_CHARS = 200
MAX_TAG_CHARS = 40
MAX_URL_CHARS = 2_000
MAX_SEARCH_CHARS = 100


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    email: str
    role: Role
    disabled: bool = False

    def can(self, role: Role) -> bool:
        return self.role.at_least(role)


@dataclass(frozen=True)
class Grant:
    """What rules.require_role allowed: `user` may `action`, which needs `role`. A write hands
    it to users.recheck, which asks the store again inside the write's transaction."""

    user: User
    role: Role
    action: str


@dataclass(frozen=True)
class Terms:
    deliverables: str
    compensation: Decimal
    currency: str
    start_date: dt.date | None
    due_date: dt.date | None
    conditions: str


@dataclass(frozen=True)
class CreatorFacts:
    """What the validation rule looks at for one creator."""

    email: str | None
    phone: str | None
    address: str | None
    followers: int
    engagement_rate: float
    # The same handle is on another platform under another name (lib.creators.FACTS_SQL); the
    # same platform cannot repeat a handle (the store refuses it).
    handle_shared: bool


@dataclass(frozen=True)
class CampaignFields:
    """What a person fills in for a campaign (its status moves separately, by the rules)."""

    name: str
    client_id: int | None  # None until a person chooses one; the rules refuse that
    owner_id: int | None
    brief: str
    start_date: dt.date
    end_date: dt.date
    budget: Decimal | str
    currency: str


# --- reports and imports (issue 8) -------------------------------------------

MAX_IMPORT_ROWS = 50_000  # rows per imported file; split bigger files
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_HANDLE_CHARS = 100
MAX_PHONE_CHARS = 40
MAX_TAGS_PER_CREATOR = 20
MAX_FOLLOWERS = 10_000_000_000


@dataclass(frozen=True)
class ImportedCreator:
    """One creator row of an import file, checked by lib.rules.check_creator_row."""

    name: str
    handle: str
    platform: str
    email: str | None
    phone: str | None
    address: str | None
    followers: int
    engagement_rate: float
    tags: tuple[str, ...]


@dataclass(frozen=True)
class ImportedCollaboration:
    """One collaboration row of an import file, checked by lib.rules.check_collaboration_row.
    The campaign and the creator are named, not yet looked up (lib.imports does that)."""

    campaign_id: int | None
    campaign_name: str | None
    handle: str
    platform: str
    status: CollabStatus
    cancel_reason: str | None
    terms: Terms
    created_on: dt.date | None  # when the collaboration began, for history; None: today
# --- deliveries (issue 6) ------------------------------------------------------

MAX_TRACKING_CHARS = 60
MAX_CARRIER_CHARS = 60
MAX_SHEET_BYTES = 5_000_000  # an imported spreadsheet (CSV or .xlsx)
MAX_SHEET_ROWS = 5_000  # data rows in one imported sheet


class ChangeOutcome(StrEnum):
    """What a requested shipment change does: written, nothing to write, or refused."""

    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"
# --- inbox (issue 7) ---------------------------------------------------------


class MessageState(Labelled):
    """Where a message to or from a creator stands."""

    RECORDED = "recorded"  # kept in the history only (workflow notices, replies recorded by hand)
    QUEUED = "queued"  # written down to be sent; still queued after a crash, and retryable then
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # the SMTP server refused it or could not be reached; retryable


@dataclass(frozen=True)
class ShipmentChange:
    """What a person (or one row of an imported sheet) asks for one shipment.

    None leaves a field as it is; `reason` is read only on a move into exception.
    """

    shipment_id: int
    status: DeliveryStatus | None = None
    reason: str | None = None
    tracking_number: str | None = None
    carrier: str | None = None
# --- feedback (issue 5) --------------------------------------------------------


class Verdict(StrEnum):
    """A reviewer's optional verdict on a creator or a content item."""

    APPROVE = "approve"
    DECLINE = "decline"

    @property
    def label(self) -> str:
        return {"approve": "Approve", "decline": "Decline"}[self.value]


class ContentApproval(StrEnum):
    """Where a submitted content item stands; staff decide it (reviewers only advise)."""

    PENDING = "pending"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"

    @property
    def label(self) -> str:
        return {
            "pending": "Waiting for approval",
            "approved": "Approved",
            "changes_requested": "Changes requested",
        }[self.value]


class ReplyKind(StrEnum):
    """A staff answer in a feedback thread: seen by the reviewer, or an internal note."""

    REPLY = "reply"
    INTERNAL_NOTE = "internal_note"


class ReviewState(StrEnum):
    """What the feedback page filters on: a content item by its approval; a creator by the
    reviewers' verdicts (see rules.review_state)."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class FeedbackFilter(StrEnum):
    ALL = "all"
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    UNANSWERED = "unanswered"

    @property
    def label(self) -> str:
        return {
            "all": "All",
            "pending": "Pending review",
            "approved": "Approved",
            "declined": "Declined",
            "unanswered": "With unanswered feedback",
        }[self.value]


class SubjectKind(StrEnum):
    CREATOR = "creator"
    CONTENT = "content"


REVIEW_TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits in 43 characters
MAX_FEEDBACK_CHARS = 2_000  # a reviewer's piece of feedback
MAX_REPLY_CHARS = 2_000  # a staff reply or internal note
MAX_CAPTION_CHARS = 2_200  # Instagram's caption limit
MAX_EMAIL_CHARS = 254
MAX_INVITES = 50  # addresses per invitation


@dataclass(frozen=True)
class ReviewerLink:
    """An open reviewer link: who it belongs to and the one campaign it shows. Made only by
    lib.reviewers.open_link, from a token whose hash matched a live link."""

    reviewer_id: int
    campaign_id: int
    email: str
    campaign: str
    client: str
    start_date: dt.date
    end_date: dt.date
class MessageChannel(StrEnum):
    """How a message travelled: e-mail (sent or recorded), chat (a DM pasted in) or other."""

    EMAIL = "email"
    CHAT = "chat"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"email": "E-mail", "chat": "Chat / DM", "other": "Other"}[self.value]


class AssetKind(Labelled):
    """What the inbox sends a creator for a collaboration (kept in the `assets` table)."""

    TRACKING_LINK = "tracking_link"
    COUPON_CODE = "coupon_code"


MERGE_FIELDS: tuple[str, ...] = ("first_name", "handle", "campaign")
MAX_SUBJECT_CHARS = 300
MAX_MESSAGE_CHARS = 50_000
# An uploaded .eml file (lib/eml.py checks these on the raw bytes before the email package
# reads it: that package's time grows faster than the input on some shapes).
MAX_EML_BYTES = 5_000_000
MAX_EML_LINES = 100_000  # a 5 MB mail with base64 attachments (76 per line) has ~66,000
MAX_EML_HEADER_BYTES = 64_000  # one header block: the message's own, or one part's
MAX_EML_FIELD_BYTES = 8_000  # one header field with all its folded lines
MAX_EML_MIME_PARAMS = 64  # parameters (";") in one Content-* field
MAX_EML_PARTS = 100  # the message and every part, enclosed message and report block in it
MAX_EML_DEPTH = 8  # parts inside parts (mixed > alternative > related is 3)
MAX_EML_TEXT_BYTES = 1_000_000  # the text part kept, once decoded (base64, quoted-printable)
MAX_COUPON_CHARS = 64
MAX_MASS_RECIPIENTS = 5_000  # "everyone matching the filter" beyond this: narrow the filter
STALE_QUEUE = dt.timedelta(minutes=5)  # a message queued this long ago was left by a crash


@dataclass(frozen=True)
class CampaignStanding:
    """What decides whether staff may write to a creator about a campaign."""

    campaign: str
    has_collaboration: bool
    application_stage: str | None  # None: never applied or invited
    agreement_state: str | None  # pending/accepted/declined/expired, None: no agreement
