"""Outside reviewers: invitations with a personal link, the link's token, and everything the
reviewer's page reads and writes through it.

A link is `<base URL>/review?token=<secrets.token_urlsafe(32)>`: 256 random bits. Only the
token's SHA-256 is stored (reviewer_tokens); a link is looked up by that hash and the stored
hash is compared again with hmac.compare_digest. Guessing is pointless: there are 2^256
tokens, a wrong one costs the guesser a page load and learns nothing, and a malformed one is
refused before the database is asked. The token itself is never stored, logged, put in a
message or an exception: after open_link only the ReviewerLink (ids and e-mail) travels.

Staff writes (manager and up) check the role first; every write runs in one `db.write` with
its reviewer_events row. Mail goes out after the commit, through lib.mail (SMTP); when no SMTP
server is configured, or sending fails, the page shows the link to copy instead.

Only the hash is kept, so an earlier link cannot be sent again: "re-send" mails a fresh link
for the same reviewer (earlier links keep working), "regenerate" deletes every earlier link
first (for a link that went astray). Removing a reviewer deletes their links and all their
feedback with its replies, notes and notifications, and keeps the reviewers row as the record
of who was removed (see migration 005 for why the row stays).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from lib import audit, config, mail, notifications, pdf, rules, users
from lib.db import Cursor, Database, NotFound, Page, as_id, bind, utcnow
from lib.feedback import (
    MEMBERS_SQL,
    OWNERSHIP_SQL,
    Piece,
    claim_reviewer,
    paged,
    read_threads,
)
from lib.models import (
    REVIEW_TOKEN_BYTES,
    ReviewerLink,
    Role,
    SubjectKind,
    User,
    Verdict,
)

PAGE_SIZE = 10


# --- tokens ------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(REVIEW_TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def review_url(token: str, base_url: str) -> str:
    return f"{base_url}/{config.REVIEW_PATH}?token={token}"


def link_base(base_url: str | None = None) -> str:
    """Where reviewer links point: `base_url` (the page passes the app's address, see
    web.app_base_url), else COLLABDESK_BASE_URL. Checked before anything is written, so a
    link never goes out to a malformed or missing address."""
    given = base_url or config.base_url()
    if given is None:
        raise rules.RuleViolation(
            f"Reviewer links need the app's address: set {config.BASE_URL_ENV} to the URL "
            "people open the app with, such as https://collabdesk.example.com."
        )
    checked = config.valid_base_url(given)
    if checked is None:
        where = config.BASE_URL_ENV if given == config.base_url() else "The app's address"
        raise rules.RuleViolation(
            f"{where} is not a usable address for reviewer links: it must be http:// or "
            "https://, a host name with an optional port and path, and nothing else "
            "(such as https://collabdesk.example.com)."
        )
    return checked


def _issue_token(cur: Cursor, reviewer_id: int, user: User, now: dt.datetime) -> str:
    token = new_token()
    cur.execute(
        "INSERT INTO reviewer_tokens (token_hash, reviewer_id, created_at, created_by)"
        " VALUES (?, ?, ?, ?)",
        [token_hash(token), reviewer_id, now, user.username],
    )
    return token


def _log(cur: Cursor, campaign_id: int, reviewer_id: int, actor: str, kind: str,
         text: str | None, now: dt.datetime) -> None:
    cur.execute(
        "INSERT INTO reviewer_events (campaign_id, reviewer_id, occurred_at, actor, kind, text)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [campaign_id, reviewer_id, now, actor, kind, text],
    )


def _audit_link(cur: Cursor, kind: str, user: User, email: str, campaign_id: int,
                now: dt.datetime, detail: str = "") -> None:
    """The audit trail's entry for a reviewer link created, re-sent, regenerated or removed
    (its text names the campaign, never the token)."""
    audit.record(cur, f"reviewer_{kind}", user.username, email,
                 f"campaign #{campaign_id}{detail}", now)


_LINK_SQL = f"""
    SELECT t.token_hash, r.id, r.campaign_id, r.email, ca.name, cl.name, ca.start_date,
           ca.end_date
    FROM reviewer_tokens t JOIN reviewers r ON r.id = t.reviewer_id
    JOIN campaigns ca ON ca.id = r.campaign_id
    JOIN ({OWNERSHIP_SQL}) own ON own.campaign_id = ca.id JOIN clients cl ON cl.id = own.client_id
    WHERE t.token_hash = ? AND r.removed_at IS NULL
"""


def _resolve(cur: Cursor, token: object) -> ReviewerLink | None:
    """The live link `token` opens, or None (malformed, unknown, revoked, removed)."""
    if not rules.review_token_well_formed(token):
        return None
    digest = token_hash(str(token))
    row = cur.execute(_LINK_SQL, [digest]).fetchone()
    if row is None or not hmac.compare_digest(row[0], digest):
        return None
    return ReviewerLink(*row[1:])


class InvalidLink(PermissionError):
    """The reviewer link is malformed, unknown, revoked, or its reviewer was removed. The
    message is the one thing such a visitor is told."""

    def __init__(self) -> None:
        super().__init__("This link is not valid.")


def open_link(db: Database, token: object, record_visit: bool = False) -> ReviewerLink | None:
    """The reviewer and campaign a link opens, or None when it opens nothing. With
    `record_visit`, the reviewer's last visit becomes now (the page asks once per session)."""
    with db.cursor() as cur:
        link = _resolve(cur, token)
    if link is None or not record_visit:
        return link

    def visit(cur: Cursor) -> ReviewerLink | None:
        again = _resolve(cur, token)  # removed in the meantime: no visit
        if again is not None:
            cur.execute(
                "UPDATE reviewers SET last_visit_at = ? WHERE id = ?", [utcnow(), again.reviewer_id]
            )
        return again

    return db.write(visit)


def _require_link(cur: Cursor, token: object) -> ReviewerLink:
    link = _resolve(cur, token)
    if link is None:
        raise InvalidLink()
    return link


# --- staff: invite, list, re-send, regenerate, remove -----------------------------------


@dataclass(frozen=True)
class Delivery:
    """A link going out to a reviewer. `link` holds the token: the page shows it only when
    `sent` is False (no SMTP configured, or the server refused), for someone to pass on."""

    reviewer_id: int
    email: str
    link: str = field(repr=False)
    sent: bool = False
    error: str | None = None  # None with sent=False: no mail server is configured

    def __repr__(self) -> str:  # never the link
        return f"Delivery(reviewer_id={self.reviewer_id}, sent={self.sent}, error={self.error!r})"


@dataclass
class InviteResult:
    deliveries: list[Delivery]
    refused: dict[str, str]  # e-mail -> why it was not invited


Settings = mail.MailSettings | None
SettingsSource = Callable[[], Settings]


def _campaign(cur: Cursor, campaign_id: int) -> tuple[str, str]:
    row = cur.execute(
        f"SELECT ca.name, cl.name FROM campaigns ca JOIN ({OWNERSHIP_SQL}) o"
        " ON o.campaign_id = ca.id JOIN clients cl ON cl.id = o.client_id WHERE ca.id = ?",
        [campaign_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no campaign #{campaign_id}.")
    return row


def invite(
    db: Database,
    user: User,
    campaign_id: int,
    emails: str | list[str],
    settings: SettingsSource = mail.MailSettings.from_env,
    base_url: str | None = None,
) -> InviteResult:
    """Invite each address to review the campaign: a reviewer row and a link each, in one
    transaction; then the invitations are mailed. Addresses that already review the campaign
    are refused (re-send their link instead); when every address is refused, nothing is
    written and RuleViolation says why. Links point at `base_url` (see link_base)."""
    grant = rules.require_role(user, Role.MANAGER, "invite reviewers")
    addresses = rules.check_reviewer_emails(emails)
    base = link_base(base_url)
    campaign_id = as_id(campaign_id, "campaign")

    def write(cur: Cursor) -> tuple[list[tuple[int, str, str]], dict[str, str], str, str]:
        campaign, client = _campaign(cur, campaign_id)
        active = {r[0] for r in cur.execute(
            "SELECT email FROM reviewers WHERE campaign_id = ? AND removed_at IS NULL",
            [campaign_id],
        ).fetchall()}
        refused = {
            a: "already reviews this campaign; re-send their link instead"
            for a in addresses if a in active
        }
        if len(refused) == len(addresses):
            raise rules.RuleViolation(
                f"{', '.join(addresses)} already {'reviews' if len(addresses) == 1 else 'review'}"
                " this campaign; re-send the link instead."
            )
        now = utcnow()
        created = []
        for address in (a for a in addresses if a not in refused):
            reviewer_id = cur.execute(
                "INSERT INTO reviewers (campaign_id, email, invited_at, invited_by)"
                " VALUES (?, ?, ?, ?) RETURNING id",
                [campaign_id, address, now, user.username],
            ).fetchone()[0]
            token = _issue_token(cur, reviewer_id, user, now)
            _log(cur, campaign_id, reviewer_id, user.username, "invited", address, now)
            _audit_link(cur, "invited", user, address, campaign_id, now)
            created.append((reviewer_id, address, token))
        return created, refused, campaign, client

    created, refused, campaign, client = db.write(users.recheck(grant, write))
    deliveries = _deliver(db, user, campaign_id, campaign, client, created, settings, base)
    return InviteResult(deliveries, refused)


def _message(campaign: str, client: str, link: str, fresh: bool) -> tuple[str, str]:
    subject = f"Your review link for {campaign} ({client})"
    opening = (
        f"Here is a new personal link to review the campaign {campaign} for {client}."
        if fresh else
        f"You are invited to review the campaign {campaign} for {client}: its creators and the "
        "content they submit. You need no account."
    )
    body = (
        f"Hello,\n\n{opening}\n\nOpen your personal link:\n{link}\n\n"
        "You will see the campaign's creators and content, and can leave feedback and approve "
        "or decline each of them. The link is yours alone: anyone who has it can leave "
        "feedback in your name, so please do not forward it.\n\n"
        "Kind regards,\nThe Collabdesk team\n"
    )
    return subject, body


def _deliver(
    db: Database,
    user: User,
    campaign_id: int,
    campaign: str,
    client: str,
    created: list[tuple[int, str, str]],
    settings: SettingsSource,
    base_url: str,
    fresh: bool = False,
) -> list[Delivery]:
    """Mail each (reviewer id, address, token) its link, after the commit that made the
    links; record what happened. Without SMTP, every link is returned to be shown."""
    links = {rid: review_url(token, base_url) for rid, _, token in created}
    try:
        smtp = settings()
    except mail.MailError as misconfigured:
        smtp, config_error = None, str(misconfigured)
    else:
        config_error = None
    results: dict[int, tuple[bool, str | None]] = {}
    if smtp is not None:
        by_address = {address: rid for rid, address, _ in created}
        outgoing = []
        for rid, address, _ in created:
            subject, body = _message(campaign, client, links[rid], fresh)
            outgoing.append(mail.Outgoing(address, subject, body))
        for message, _, error in mail.send_many(smtp, outgoing):
            results[by_address[message.to]] = (error is None, error)
    else:
        results = {rid: (False, config_error) for rid, _, _ in created}
    _record_mail(db, user, campaign_id, results)
    return [
        Delivery(rid, address, links[rid], *results[rid]) for rid, address, _ in created
    ]


def _record_mail(
    db: Database, user: User, campaign_id: int, results: dict[int, tuple[bool, str | None]]
) -> None:
    def write(cur: Cursor) -> None:
        now = utcnow()
        for reviewer_id, (sent, error) in results.items():
            kind = "mail_sent" if sent else "mail_failed"
            text = None if sent else (error or "no mail server configured: link shown to copy")
            _log(cur, campaign_id, reviewer_id, user.username, kind, text, now)
            cur.execute(
                "UPDATE reviewers SET link_sent_at = ? WHERE id = ?", [now, reviewer_id]
            )

    db.write(write)


def list_reviewers(db: Database, campaign_id: int) -> pd.DataFrame:
    """The campaign's current reviewers: address, invited (when, by whom), last link sent,
    last visit, how many pieces of feedback they left."""
    return db.frame(
        "SELECT r.id, r.email, r.invited_at, r.invited_by, r.link_sent_at, r.last_visit_at,"
        " (SELECT count(*) FROM feedback f WHERE f.reviewer_id = r.id) AS pieces,"
        " (SELECT count(*) FROM reviewer_tokens t WHERE t.reviewer_id = r.id) AS live_links"
        " FROM reviewers r WHERE r.campaign_id = ? AND r.removed_at IS NULL"
        " ORDER BY r.invited_at, r.id",
        [as_id(campaign_id, "campaign")],
    )


def _active_reviewer(cur: Cursor, reviewer_id: int) -> tuple[int, str, str, str]:
    """(campaign id, e-mail, campaign, client) of a reviewer not removed; claims the row."""
    row = cur.execute(
        "SELECT r.campaign_id, r.email, ca.name, cl.name FROM reviewers r"
        f" JOIN campaigns ca ON ca.id = r.campaign_id JOIN ({OWNERSHIP_SQL}) o"
        " ON o.campaign_id = ca.id JOIN clients cl ON cl.id = o.client_id"
        " WHERE r.id = ? AND r.removed_at IS NULL",
        [reviewer_id],
    ).fetchone()
    if row is None or not claim_reviewer(cur, reviewer_id):
        raise NotFound(f"There is no reviewer #{reviewer_id} (any more).")
    return row


def _new_link(
    db: Database, user: User, reviewer_id: int, regenerate: bool, settings: SettingsSource,
    base_url: str | None,
) -> Delivery:
    grant = rules.require_role(user, Role.MANAGER, "send reviewer links")
    reviewer_id = as_id(reviewer_id, "reviewer")
    base = link_base(base_url)

    def write(cur: Cursor) -> tuple[int, str, str, str, str]:
        campaign_id, email, campaign, client = _active_reviewer(cur, reviewer_id)
        now = utcnow()
        if regenerate:
            cur.execute("DELETE FROM reviewer_tokens WHERE reviewer_id = ?", [reviewer_id])
        token = _issue_token(cur, reviewer_id, user, now)
        kind = "link_regenerated" if regenerate else "link_resent"
        _log(cur, campaign_id, reviewer_id, user.username, kind, None, now)
        _audit_link(cur, kind, user, email, campaign_id, now)
        return campaign_id, email, campaign, client, token

    campaign_id, email, campaign, client, token = db.write(users.recheck(grant, write))
    [delivery] = _deliver(
        db, user, campaign_id, campaign, client, [(reviewer_id, email, token)], settings, base,
        fresh=True,
    )
    return delivery


def resend_link(
    db: Database, user: User, reviewer_id: int,
    settings: SettingsSource = mail.MailSettings.from_env,
    base_url: str | None = None,
) -> Delivery:
    """Mail the reviewer a fresh link (earlier ones keep working: only their hashes exist)."""
    return _new_link(db, user, reviewer_id, False, settings, base_url)


def regenerate_link(
    db: Database, user: User, reviewer_id: int,
    settings: SettingsSource = mail.MailSettings.from_env,
    base_url: str | None = None,
) -> Delivery:
    """Revoke every earlier link of the reviewer and mail a new one."""
    return _new_link(db, user, reviewer_id, True, settings, base_url)


def feedback_count(db: Database, reviewer_id: int) -> int:
    """How many pieces of feedback removing the reviewer would delete."""
    return int(db.value(
        "SELECT count(*) FROM feedback WHERE reviewer_id = ?", [as_id(reviewer_id, "reviewer")]
    ))


def remove_reviewer(db: Database, user: User, reviewer_id: int, confirmed_pieces: int) -> int:
    """Remove a reviewer: their links stop working at once, and all their feedback goes (with
    the replies, notes and notifications about it). `confirmed_pieces` is the count the
    person confirmed; when more came in since, nothing happens (RuleViolation). Returns how
    many pieces were deleted."""
    grant = rules.require_role(user, Role.MANAGER, "remove reviewers")
    reviewer_id = as_id(reviewer_id, "reviewer")

    def write(cur: Cursor) -> int:
        campaign_id, email, _, _ = _active_reviewer(cur, reviewer_id)
        ids = [r[0] for r in cur.execute(
            "SELECT id FROM feedback WHERE reviewer_id = ?", [reviewer_id]
        ).fetchall()]
        rules.check_remove_reviewer(int(confirmed_pieces), len(ids))
        now = utcnow()
        # Children first; none of these has a foreign key to feedback (migration 005).
        for table in ("feedback_replies", "notifications"):
            cur.execute(
                f"DELETE FROM {table} WHERE feedback_id IN (SELECT unnest(?::BIGINT[]))", [ids]
            )
        cur.execute("DELETE FROM feedback WHERE reviewer_id = ?", [reviewer_id])
        cur.execute("DELETE FROM reviewer_tokens WHERE reviewer_id = ?", [reviewer_id])
        cur.execute(
            "UPDATE reviewers SET removed_at = ?, removed_by = ? WHERE id = ?",
            [now, user.username, reviewer_id],
        )
        _log(cur, campaign_id, reviewer_id, user.username, "removed",
             f"{email}: {len(ids)} pieces of feedback deleted", now)
        _audit_link(cur, "removed", user, email, campaign_id, now,
                    f"; {len(ids)} pieces of feedback deleted")
        return len(ids)

    return db.write(users.recheck(grant, write))


# --- the reviewer's page ------------------------------------------------------------------

_CREATORS_SQL = f"""
    SELECT cr.id, cr.name, cr.handle, cr.platform, cr.followers, cr.engagement_rate,
        CASE WHEN EXISTS (SELECT 1 FROM collaborations c WHERE c.campaign_id = $campaign
                          AND c.creator_id = cr.id AND c.status <> 'cancelled')
             THEN 'collaborating'
             WHEN EXISTS (SELECT 1 FROM applications a WHERE a.campaign_id = $campaign
                          AND a.creator_id = cr.id AND a.stage = 'selected')
             THEN 'shortlisted' ELSE 'candidate' END AS standing
    FROM creators cr WHERE cr.id IN ({MEMBERS_SQL})
"""
_CONTENT_SQL = """
    SELECT ci.id, cr.name AS creator, cr.handle, ci.kind, ci.version, ci.caption, ci.url,
           ci.approval, ci.created_at AS submitted_at
    FROM content_items ci JOIN collaborations c ON c.id = ci.collab_id
    JOIN creators cr ON cr.id = c.creator_id
    WHERE c.campaign_id = $campaign
"""


def campaign_creators(
    db: Database, link: ReviewerLink, page: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    """One page of the creators the link's campaign shows its reviewers (MEMBERS_SQL), with
    their public profile only: no contact details, no internal badges or tags."""
    return paged(db, _CREATORS_SQL, "lower(name), id", {"campaign": link.campaign_id},
                 page, page_size)


def campaign_content(
    db: Database, link: ReviewerLink, page: int = 1, page_size: int = PAGE_SIZE
) -> Page:
    """One page of the campaign's content items, those waiting for approval first."""
    return paged(db, _CONTENT_SQL, "approval = 'pending' DESC, submitted_at DESC, id DESC",
                 {"campaign": link.campaign_id}, page, page_size)


def own_threads(
    db: Database, link: ReviewerLink, kind: SubjectKind | str, subject_ids: list[int]
) -> dict[int, list[Piece]]:
    """The reviewer's own feedback on these subjects with the staff replies to it; never
    another reviewer's feedback, never an internal note."""
    return read_threads(
        db, link.campaign_id, SubjectKind(kind), subject_ids, link.reviewer_id,
        include_notes=False,
    )


def _subject_in_campaign(cur: Cursor, campaign_id: int, kind: SubjectKind,
                         subject_id: int) -> str:
    """A name for the subject, when the campaign shows it to reviewers; else NotFound."""
    if kind is SubjectKind.CREATOR:
        sql = f"SELECT name FROM creators WHERE id = $subject AND id IN ({MEMBERS_SQL})"
    else:
        sql = (
            "SELECT ci.kind || ' v' || ci.version || ' by ' || cr.name FROM content_items ci"
            " JOIN collaborations c ON c.id = ci.collab_id JOIN creators cr"
            " ON cr.id = c.creator_id WHERE ci.id = $subject AND c.campaign_id = $campaign"
        )
    row = cur.execute(sql, bind(sql, subject=subject_id, campaign=campaign_id)).fetchone()
    if row is None:
        what = "creator" if kind is SubjectKind.CREATOR else "content item"
        raise NotFound(f"This campaign has no such {what}.")
    return row[0]


def submit_feedback(
    db: Database,
    token: object,
    kind: SubjectKind | str,
    subject_id: int,
    body: str,
    verdict: Verdict | str | None = None,
) -> int:
    """A reviewer's feedback on a creator or content item of their campaign; tells the
    campaign's owner. The link is checked again inside the transaction, so a link revoked a
    moment ago writes nothing. Returns the feedback's id."""
    text, chosen = rules.check_feedback(body, verdict)
    subject_kind = SubjectKind(kind) if kind in tuple(SubjectKind) else None
    if subject_kind is None:
        raise rules.RuleViolation("Feedback is on a creator or on a content item.")
    subject = as_id(subject_id, subject_kind.value)

    def write(cur: Cursor) -> int:
        link = _require_link(cur, token)
        if not claim_reviewer(cur, link.reviewer_id):  # a concurrent removal wins or waits
            raise InvalidLink()
        name = _subject_in_campaign(cur, link.campaign_id, subject_kind, subject)
        column = "creator_id" if subject_kind is SubjectKind.CREATOR else "content_item_id"
        feedback_id = cur.execute(
            f"INSERT INTO feedback (campaign_id, reviewer_id, {column}, body, verdict,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [link.campaign_id, link.reviewer_id, subject, text,
             chosen.value if chosen else None, utcnow()],
        ).fetchone()[0]
        verb = {None: "left feedback on", Verdict.APPROVE: "approved",
                Verdict.DECLINE: "declined"}[chosen]
        notifications.notify_owner(
            cur, link.campaign_id, feedback_id, f"{link.email} {verb} {name} ({link.campaign})"
        )
        return feedback_id

    return db.write(write)


def creator_report(db: Database, token: object, creator_id: int) -> bytes:
    """The printable profile (PDF) of a creator the link's campaign shows its reviewers."""
    creator = as_id(creator_id, "creator")
    with db.cursor() as cur:
        link = _require_link(cur, token)
        _subject_in_campaign(cur, link.campaign_id, SubjectKind.CREATOR, creator)
        name, handle, platform, followers, engagement = cur.execute(
            "SELECT name, handle, platform, followers, engagement_rate FROM creators"
            " WHERE id = ?", [creator]
        ).fetchone()
        content = cur.execute(
            "SELECT ci.kind, ci.version, ci.approval, ci.url FROM content_items ci"
            " JOIN collaborations c ON c.id = ci.collab_id"
            " WHERE c.campaign_id = ? AND c.creator_id = ? ORDER BY ci.created_at, ci.id",
            [link.campaign_id, creator],
        ).fetchall()
    profile = pdf.CreatorProfile(
        name, handle, platform, int(followers), float(engagement), link.campaign,
        link.client, tuple((k, int(v or 1), a or "", u) for k, v, a, u in content),
    )
    return pdf.creator_profile(profile, utcnow())
