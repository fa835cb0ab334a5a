"""Domain types: statuses, roles and the records the services hand to pages.

Pure: imports nothing from the rest of the project and does no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class CollabStatus(StrEnum):
    PENDING = "pending"
    NEGOTIATING = "negotiating"
    FULFILLING = "fulfilling"
    COMPLETED = "completed"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# The lifecycle order; cancelled stands outside it.
COLLAB_LIFECYCLE: tuple[CollabStatus, ...] = (
    CollabStatus.PENDING,
    CollabStatus.NEGOTIATING,
    CollabStatus.FULFILLING,
    CollabStatus.COMPLETED,
)
COLLAB_FINAL: frozenset[CollabStatus] = frozenset({CollabStatus.COMPLETED, CollabStatus.CANCELLED})


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


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


class ValidationStatus(StrEnum):
    VERIFIED = "verified"
    NEEDS_REVIEW = "needs_review"
    FLAGGED = "flagged"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


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


class ApplicationStage(StrEnum):
    """A creator's place in a campaign's pre-selection; nobody is told about it."""

    APPLIED = "applied"
    SELECTED = "selected"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ApplicationSource(StrEnum):
    APPLIED = "applied"  # the creator applied
    INVITED = "invited"  # the agency invited them from its own creator base


class AgreementState(StrEnum):
    """An agreement's state; `expired` is computed from the deadline, never stored."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return self.value.capitalize()


SIGNING_WINDOW = dt.timedelta(days=3)  # an agreement's deadline is this long after it is sent
EXPIRING_SOON = dt.timedelta(hours=24)  # "needs attention" warns this long before a deadline

CURRENCIES: tuple[str, ...] = ("EUR", "USD", "GBP", "CHF", "SEK")
PLATFORMS: tuple[str, ...] = ("instagram", "tiktok", "youtube", "twitch", "pinterest")

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
