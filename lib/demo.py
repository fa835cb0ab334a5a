"""Demo data: a plausible agency world (clients, campaigns, creators, collaborations and their
whole history), generated inside DuckDB so that a million collaborations take seconds.

Every table is filled by one INSERT ... SELECT over range(n). "Random" values come from
hash(key, seed, salt) rather than random(): hash gives the same answer however DuckDB splits
the work over threads, so the same (size, seed) always yields identical tables. Timestamps
come from a fixed anchor date, never from now(), for the same reason.

Ids are taken from each table's sequence up front (see _reserve_ids) and written explicitly,
so they are deterministic and the app's later inserts never collide with them.

Campaign statuses are read off the fixed day DEMO_TODAY: campaigns with collaborations are
running, or finished when they ended before it. The last four campaigns are in the middle of
the campaign workflow instead (open with applications; closed with agreements accepted,
declined, expired and one about to expire; past its start with nobody signed; a draft). They
sit around `today` (DEMO_TODAY unless build_demo is given another day: the command line gives
the real date, so that their agreements are still open to sign when someone looks).

The newer features get data too, in proportion (a handful of campaigns, a share of creators)
and written as their services write it: outside reviewers with feedback, staff replies and
internal notes, notifications for the campaign owners, content submitted for approval (see
_plan_reviews); and the inbox: conversations with creators by e-mail and chat, some e-mails
failed, tracking links and coupon codes, and each demo user's read state (see _plan_inbox).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields

from lib.db import Cursor, Database

Progress = Callable[[str, float], None]

ANCHOR = dt.date(2025, 1, 1)  # the first campaign may start on this day
LAST_DAY = dt.date(2026, 9, 1)  # last campaign end; its tail of events stays before mid-Nov 2026
SPAN_DAYS = (LAST_DAY - ANCHOR).days
DEMO_TODAY = dt.date(2026, 4, 1)  # the day the history is seen from (running vs finished)

# --- vocabulary ---------------------------------------------------------------

MANAGERS = (
    "Anna Lindqvist", "Jonas Weber", "Sofia Marques", "Lukas Brandt", "Emma Dubois", "Noah Fischer",
)
FIRST_NAMES = (
    "Anna", "Lena", "Mia", "Emma", "Sofia", "Laura", "Julia", "Lea", "Hannah", "Clara", "Marie",
    "Nora", "Elif", "Amira", "Chloé", "Zoe", "Inès", "Maja", "Freya", "Alva", "Lukas", "Jonas",
    "Leon", "Finn", "Noah", "Elias", "Paul", "Ben", "Felix", "Max", "Luca", "Matteo", "Mateo",
    "Yusuf", "Karim", "Oskar", "Emil", "Hugo", "Liam", "Milan",
)
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
    "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger",
    "Hartmann", "Lange", "Jansen", "de Vries", "Bakker", "Visser", "Dubois", "Martin", "Bernard",
    "Rossi", "Russo", "Ferrari", "García", "López", "Andersson", "Johansson", "Nielsen", "Hansen",
    "Kowalski", "Novak", "Yılmaz", "Öztürk",
)
# Client names are prefix + suffix. Client k takes prefix k % P and suffix (k // P + k) % S,
# which is a different pair for every k < P * S as long as gcd(P + 1, S) == 1 (31 and 20).
CLIENT_PREFIXES = (
    "Nordlicht", "Alpenglow", "Blue Harbor", "Lumen", "Verde", "Kestrel", "Polar", "Solstice",
    "Maple & Moss", "Brightwave", "Cobalt", "Fjord", "Golden Oak", "Harbor Lane", "Ivory",
    "Juniper", "Kinfolk", "Lark", "Meridian", "Nimbus", "Oakline", "Pinecrest", "Quartz",
    "Riverstone", "Saffron", "Tidal", "Urban Bloom", "Velvet", "Willow", "Zephyr",
)
CLIENT_SUFFIXES = (
    "Cosmetics", "Sportswear", "Coffee Roasters", "Foods", "Beauty", "Outdoor", "Games", "Audio",
    "Home", "Skincare", "Fashion", "Pet Care", "Travel", "Fitness", "Tea Co.", "Electronics",
    "Kids", "Jewelry", "Bikes", "Organics",
)
CURRENCY_SHARES = (("EUR", 0.50), ("USD", 0.20), ("GBP", 0.15), ("CHF", 0.08), ("SEK", 0.07))
CAMPAIGN_THEMES = (
    "Spring Launch", "Summer Glow", "Back to School", "Autumn Edit", "Holiday Gifting",
    "New Year Reset", "Brand Awareness", "Product Drop", "Always-On Ambassadors",
    "Festival Season", "Black Friday", "Valentine's Day", "Mother's Day", "Earth Day",
    "Wellness Week", "Gaming Night", "Road Trip", "Home Makeover", "Morning Routine",
    "Unboxing Series", "Limited Edition", "Anniversary", "Community Challenge", "Travel Diaries",
)
PLATFORMS = ("instagram", "tiktok", "youtube", "twitch", "pinterest")
# Per platform, in PLATFORMS order: what a collaboration asks for and what gets delivered.
DELIVERABLES = (
    ("1 Instagram post", "2 Instagram posts + 3 stories", "1 reel + 2 stories",
     "3 stories with link sticker", "1 Instagram post + 1 reel"),
    ("1 TikTok video", "2 TikTok videos", "3 TikTok videos + link in bio",
     "1 TikTok video + 1 live session"),
    ("1 YouTube integration (60-90 s)", "1 dedicated YouTube video", "2 YouTube shorts",
     "1 YouTube video + 2 shorts"),
    ("1 sponsored stream (2 h)", "2 streams with product placement", "1 stream + 3 clips"),
    ("3 Pinterest pins", "5 Pinterest pins + 1 idea pin", "2 idea pins"),
)
CONTENT_KINDS = (
    ("post", "story", "reel"), ("video", "short"), ("video", "short"), ("video", "other"),
    ("post", "other"),
)
CITIES = (  # city, postcode, dialling code
    ("Berlin", "10115", "+49"), ("Hamburg", "20095", "+49"), ("München", "80331", "+49"),
    ("Wien", "1010", "+43"), ("Zürich", "8001", "+41"), ("Amsterdam", "1012 AB", "+31"),
    ("Paris", "75002", "+33"), ("London", "EC1A 1BB", "+44"), ("Stockholm", "111 20", "+46"),
    ("København", "1050", "+45"), ("Milano", "20121", "+39"), ("Madrid", "28013", "+34"),
)
STREETS = (
    "Lindenstraße", "Hauptstraße", "Gartenweg", "Parkallee", "Market Street", "Rue de la Paix",
    "Via Roma", "Calle Mayor", "Kanaalweg", "Storgatan", "Mühlenweg", "High Street",
)
# Reserved example domains: demo creators must never receive real mail.
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example", "creators.example")
TAGS = (
    "Top Performer", "Fashion", "Beauty", "Gaming", "Food", "Travel", "Fitness", "Tech", "Family",
    "Eco",
)
CONDITIONS = (
    "", "Usage rights: 6 months organic", "Usage rights: 12 months incl. paid social",
    "Exclusivity: no competing brands for 30 days", "Draft approval 5 days before posting",
    "Disclosure (#ad) in the first line", "Product is gifted; the creator keeps it",
    "Link in bio for 7 days",
)
CANCEL_REASONS = (
    "Creator stopped answering", "Client cut the budget", "Creator declined the terms",
    "Brand-safety concerns after review", "Timeline no longer fits the campaign",
    "Creator signed with a competitor",
)
NOTES = (
    "Sent the brief and brand guidelines.", "Creator asked for a one-week extension; agreed.",
    "Draft received, forwarded to the client for approval.", "Client approved the draft.",
    "Reminded the creator of the #ad disclosure.", "Creator prefers payment by bank transfer.",
    "Usage rights extended to paid social on request.", "Follow-up call scheduled for Thursday.",
    "Audience insights received: mostly 18-34, DACH.", "Invoice requested.",
    "Posting date moved at the client's request.", "Great engagement on the first post.",
)
ITEMS = (
    "Skincare set", "Running shoes", "Wireless earbuds", "Coffee sampler box", "Gaming headset",
    "Spring collection (3 pieces)", "Yoga mat and bottle", "Smart watch", "Travel backpack",
    "Organic snack box", "Perfume (50 ml)", "Camping stove",
)
CARRIERS = ("DHL", "DPD", "UPS", "GLS", "Hermes", "FedEx", "PostNL")
TRACKING_PREFIXES = ("JJD", "0150", "1Z", "ZA", "H10", "77", "CD")  # in CARRIERS order
EXCEPTION_REASONS = (
    "Returned to sender", "Damaged in transit", "Address not found", "Lost by the carrier",
    "Held at customs",
)
LIFECYCLE = ("pending", "negotiating", "fulfilling", "completed")
STRIDE_PRIMES = (7919, 7927, 7933, 7937, 7949)
PITCHES = (
    "Love the brand, I use it daily.", "My audience asks about skincare every week.",
    "I can do a reel and stories within a week.", "Happy to share my media kit.",
    "Long-time fan; my followers trust my reviews.", "",
)

H = 3600  # seconds in an hour, for the workflow timings below
# The campaigns in the workflow, the last ones of the plan: (status, start in days from
# `today`, length in days, created how many days before `today`, closed at: seconds from
# `today` 00:00, or "start" for the start date itself, or None).
WORKFLOW: tuple[tuple[str, int, int, int, int | str | None], ...] = (
    ("open", 4, 30, 6, None),  # open for applications, one agreement out
    ("closed", 1, 42, 9, -32 * H),  # closed early yesterday 16:00, ready to start
    ("closed", -2, 28, 14, "start"),  # closed on its start date; nobody signed
    ("draft", 14, 45, 2, None),
)
# Their applicants: (campaign k, stage, source, agreement: None or (outcome or None, sent at,
# answered at), in seconds from `today` 00:00). Outcome None: unanswered, so pending until
# three days after sending and expired after that, computed when read.
_SENT_5D = -110 * H
WORKFLOW_APPLICATIONS: tuple[tuple[int, str, str, tuple | None], ...] = (
    (0, "selected", "applied", (None, -13 * H, None)),  # pending, 59 hours left
    (0, "selected", "applied", None), (0, "selected", "invited", None),
    (0, "selected", "applied", None), (0, "declined", "applied", None),
    (0, "declined", "invited", None), (0, "applied", "applied", None),
    (0, "applied", "applied", None), (0, "applied", "invited", None),
    (0, "applied", "applied", None),
    (1, "selected", "applied", ("accepted", _SENT_5D, _SENT_5D + 6 * H)),
    (1, "selected", "invited", ("accepted", _SENT_5D, _SENT_5D + 11 * H)),
    (1, "selected", "applied", ("accepted", _SENT_5D, _SENT_5D + 27 * H)),
    (1, "selected", "applied", ("accepted", _SENT_5D, _SENT_5D + 50 * H)),
    (1, "selected", "applied", ("declined", _SENT_5D, _SENT_5D + 24 * H)),
    (1, "selected", "invited", (None, -106 * H, None)),  # expired yesterday 14:00
    (1, "selected", "applied", (None, -48 * H - 1, None)),  # expires today 23:59:59
    (1, "declined", "applied", None), (1, "declined", "applied", None),
    (1, "applied", "applied", None), (1, "applied", "invited", None),
    (1, "applied", "applied", None),
    (2, "selected", "applied", ("declined", -170 * H, -150 * H)),
    (2, "selected", "applied", (None, -166 * H, None)),  # expired four days ago
    (2, "selected", "invited", (None, -165 * H, None)),
    (2, "applied", "applied", None), (2, "applied", "applied", None),
    (2, "applied", "invited", None),
)

# --- feedback and the inbox ---------------------------------------------------

# Campaigns whose client reviews creators and content: the running ones nearest DEMO_TODAY
# (most recently finished ones when fewer are running), and two campaigns in the workflow
# (WORKFLOW indexes: the open one and the one closed early), whose shortlists are reviewed.
FEEDBACK_HISTORY_CAMPAIGNS = 5
REVIEWED_WORKFLOW = (0, 1)
FEEDBACK_CREATORS = 8  # per campaign, the creators reviewers write about
SUBMISSIONS = 6  # per campaign, fulfilling collaborations with content submitted for approval
INBOX_SHARE = 0.15  # of the creators with an e-mail address: a conversation in the inbox
ASSET_SHARE = 0.6  # of those conversations about a fulfilling collaboration: an asset sent
AGENCY_SENDER = "hello@collabdesk.example"  # COLLABDESK_MAIL_FROM of the demo's e-mails

# Feedback texts in FEEDBACK_TEXTS / REPLY_TEXTS order: on a creator (approve, decline, no
# verdict), then on a content item (the same three).
FEEDBACK_TEXTS = (
    ("Great fit for the brand, the audience is exactly our target group.",
     "Love the style of the feed. Approved from our side.",
     "Very authentic, and strong engagement. Go ahead.",
     "We worked with them last year and the results were great."),
    ("The audience skews too young for this product, sorry.",
     "They posted for a direct competitor last month; please skip.",
     "The tone does not match our brand guidelines.",
     "Followers look inflated to us; we would rather not."),
    ("Could you share the audience demographics (age, countries)?",
     "What would an extra story cost?",
     "Is this creator available in the second week of the campaign?",
     "Has this creator worked with beauty brands before?"),
    ("Looks great, approved.", "Perfect, the product is clearly visible.",
     "Love it! Good to post.", "Nice shot and the caption is on point."),
    ("Please add the #ad disclosure in the first line.",
     "The logo is hardly visible; can the first seconds be reshot?",
     "The caption mentions last season's price.",
     "Music is not licensed for commercial use; please swap it."),
    ("Could we see an alternative cover image?",
     "Which day is this planned to go live?",
     "Can the discount code go in the caption too?",
     "Our legal team will have a quick look as well."),
)
REPLY_TEXTS = (
    ("Thanks! We will confirm the collaboration this week.",
     "Great to hear, we will send the agreement."),
    ("Understood, we will take them off the list.",
     "Thanks for flagging it; we will propose someone else."),
    ("Good question, I will check with the creator and come back to you.",
     "I have sent you the media kit by e-mail."),
    ("Thanks! We will let the creator know it can go live.",
     "Great, it is scheduled for the agreed date."),
    ("Thanks, we asked the creator for a new version.",
     "Agreed; the creator is already working on it."),
    ("I will check and come back to you today.",
     "Noted; we will plan it in."),
)
INTERNAL_NOTES = (
    "Client prefers bigger accounts; keep it in mind for the next shortlist.",
    "Check the creator's last sponsored posts before we answer.",
    "The rate is above budget; negotiate before confirming.",
    "This reviewer is the client's brand lead: their word counts.",
    "Asked the creator informally; a reshoot is no problem.",
)
CAPTIONS = (
    "Morning routine upgrade #ad", "Unboxing day! Link in bio #ad",
    "Three ways I use it every day #ad #sponsored", "Weekend essentials, honest review #ad",
    "Finally tried it, here is what I think #ad", "",
)
CHANGE_REQUESTS = (
    "Please add #ad in the first line of the caption.",
    "The product should be visible in the first three seconds.",
    "Use the new logo from the brand kit.",
    "Mention the discount code in the caption.",
)
# What a mail server answers when it refuses a message ({to}: the recipient).
SMTP_ERRORS = (
    "{to}: 550 5.1.1 Mailbox unavailable",
    "{to}: 552 5.2.2 Mailbox full",
    "Could not reach the mail server smtp.collabdesk.example:587: timed out",
)
# Conversations with a creator by the status of their latest collaboration: (status,
# direction, subject, body). A thread is the first one to all of its status's lines; an
# incoming line recorded from a chat has no subject. Placeholders are filled in SQL.
_INVITE = (
    "out", "{campaign}: would you like to join?",
    "Hi {first},\n\nwe are planning {campaign} for {client} and think your content would be "
    "a great fit: {deliverables}. Would you be interested? I can send dates and details.\n\n"
    "Best,\n{manager}",
)
_BRIEF = (
    "out", "Brief for {campaign}",
    "Hi {first},\n\nwelcome on board! Here is the brief for {campaign}: {deliverables}. "
    "Please send your drafts for approval before posting.\n\nBest,\n{manager}",
)
_BRIEF_THANKS = (
    "in", "Re: Brief for {campaign}",
    "Thanks {manager_first}, got it! The product arrived today and looks great. "
    "I will start shooting this week.\n\n{first}",
)
SCRIPTS: tuple[tuple[str, str, str, str], ...] = (
    ("pending", *_INVITE),
    ("pending", "in", "Re: {campaign}: would you like to join?",
     "Hi {manager_first},\n\nthanks for thinking of me! Sounds interesting. What is the "
     "timeline, and is it paid or gifted?\n\n{first}"),
    ("pending", "out", "Re: {campaign}: would you like to join?",
     "Hi {first},\n\nposting would be in the weeks after the start, paid plus the product. "
     "I will send the terms once the client confirms the shortlist.\n\n{manager}"),
    ("negotiating", *_INVITE),
    ("negotiating", "in", "Re: {campaign}: would you like to join?",
     "Hi! I would love to. My rate for this is usually a bit higher, can we talk about it?"),
    ("negotiating", "out", "Re: {campaign}: would you like to join?",
     "Of course. We could offer {fee} including usage rights for 6 months. Would that work "
     "for you?\n\n{manager}"),
    ("negotiating", "in", "Re: {campaign}: would you like to join?",
     "That works for me. Please send over the agreement!\n\n{first}"),
    ("fulfilling", *_BRIEF),
    ("fulfilling", *_BRIEF_THANKS),
    ("fulfilling", "out", "Re: Brief for {campaign}",
     "Wonderful! Remember the #ad disclosure in the first line. Looking forward to the "
     "drafts.\n\n{manager}"),
    ("fulfilling", "in", "Draft for {campaign}",
     "Hi {manager_first}, my first draft is ready. Let me know if the client wants any "
     "changes!\n\n{first}"),
    ("completed", *_BRIEF),
    ("completed", *_BRIEF_THANKS),
    ("completed", "in", "All live for {campaign}",
     "Hi {manager_first}, everything is live now! My invoice is attached.\n\n{first}"),
    ("completed", "out", "Re: All live for {campaign}",
     "Thank you {first}, the posts look fantastic and {client} is very happy. The invoice is "
     "with our accounting team.\n\n{manager}"),
    ("cancelled", *_INVITE),
    ("cancelled", "in", "Re: {campaign}: would you like to join?",
     "Hi, thanks for reaching out, but I am fully booked for the next weeks, so I have to "
     "pass this time. Maybe next time!\n\n{first}"),
)


# --- public API ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoSummary:
    """How many rows build_demo wrote to each table."""

    users: int
    clients: int
    campaigns: int
    creators: int
    creator_tags: int
    collaborations: int
    payments: int
    content_items: int
    shipments: int
    activity_events: int
    messages: int
    assets: int
    thread_reads: int
    reviewers: int
    reviewer_events: int
    feedback: int
    feedback_replies: int
    notifications: int

    @property
    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


def is_empty(db: Database) -> bool:
    """True when the database holds no campaigns and no collaborations (demo data may go in)."""
    return _existing_work(db.one(_EXISTING_SQL)) == ""


def build_demo(
    db: Database,
    collaborations: int = 1000,
    seed: int = 42,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> DemoSummary:
    """Fill an empty database with deterministic demo data, all in one transaction.

    Raises ValueError when the database already has campaigns or collaborations. Demo users
    and clients that already exist by name are reused; existing creators are left alone.
    `today` places the campaigns in the workflow (default DEMO_TODAY); the same size, seed
    and day always give the same tables.
    """
    if isinstance(collaborations, bool) or not isinstance(collaborations, int):
        raise ValueError(f"collaborations must be a whole number, not {collaborations!r}.")
    if collaborations < 1:
        raise ValueError(f"collaborations must be at least 1, not {collaborations}.")
    plan = _Plan.for_size(collaborations, int(seed), today or DEMO_TODAY)
    _refuse_unless_empty(db.one(_EXISTING_SQL))
    summary = db.write(lambda cur: _build(cur, plan, progress))
    if progress is not None:
        progress("Saved", 1.0)
    return summary


# --- plan ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    collaborations: int
    seed: int
    creators: int
    campaigns: int
    clients: int
    today: dt.date

    @classmethod
    def for_size(cls, collaborations: int, seed: int, today: dt.date) -> _Plan:
        campaigns = max(20, collaborations // 200)
        return cls(
            collaborations=collaborations,
            seed=seed,
            creators=max(300, collaborations // 4),
            campaigns=campaigns,
            clients=max(6, campaigns // 25),
            today=today,
        )

    @property
    def history(self) -> int:
        """Campaigns 0 .. history-1 have collaborations; the rest are in the workflow."""
        return self.campaigns - len(WORKFLOW)

    @property
    def stride(self) -> int:
        """A step coprime with the creator count: a campaign's j-th collaboration goes to
        creator (offset + j * stride) % creators, so no creator appears twice in a campaign."""
        return next((p for p in STRIDE_PRIMES if math.gcd(p, self.creators) == 1), 1)


@dataclass
class _Build:
    plan: _Plan
    base: dict[str, int] = field(default_factory=dict)  # first reserved id per table
    # Whether the schema has the feedback tables (migration 005) and the inbox's (007). A
    # database migrated only so far (as migration tests build one) gets the demo without them.
    feedback: bool = True
    inbox: bool = True


_EXISTING_SQL = "SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM collaborations)"


def _existing_work(row: tuple | None) -> str:
    """'3 campaigns and 1 collaboration', or '' when there are none."""
    counts = zip(("campaign", "collaboration"), row or (0, 0), strict=True)
    return " and ".join(f"{n:,} {word}{'' if n == 1 else 's'}" for word, n in counts if n)


def _refuse_unless_empty(row: tuple | None) -> None:
    found = _existing_work(row)
    if found:
        raise ValueError(
            f"Demo data goes only into an empty database, but this one already has {found}. "
            "Point COLLABDESK_DB at a new file to try the demo."
        )


# --- SQL helpers --------------------------------------------------------------


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def _nested(lists: Iterable[Sequence[str]]) -> str:
    return "[" + ", ".join(_list(v) for v in lists) + "]"


def _create_macros(cur: Cursor, seed: int) -> None:
    """Deterministic pseudo-random helpers; `k` is a row's number, `salt` names the use so
    that different columns of the same row are independent."""
    cur.execute(f"""
        CREATE OR REPLACE TEMP MACRO demo_u(k, salt) AS
            (hash(k, ({seed})::BIGINT, salt) % 1000000) / 1000000.0;
        CREATE OR REPLACE TEMP MACRO demo_n(k, salt, m) AS
            (hash(k, ({seed})::BIGINT, salt) % (m)::UBIGINT)::BIGINT;
        CREATE OR REPLACE TEMP MACRO demo_pick(l, k, salt) AS l[1 + demo_n(k, salt, len(l))];
        CREATE OR REPLACE TEMP MACRO demo_secs(k, salt, lo, hi) AS
            to_seconds(lo + demo_n(k, salt, hi - lo + 1));
        CREATE OR REPLACE TEMP MACRO demo_days(k, salt, m) AS demo_n(k, salt, m)::INTEGER;
    """)


_TEMP_TABLES = ("demo_user", "demo_manager", "demo_client", "demo_campaign", "demo_collab",
                "demo_pay", "demo_content", "demo_ship", "demo_event_first", "demo_wf_app",
                "demo_fb_campaign", "demo_sub", "demo_thread", "demo_script", "demo_msg",
                "demo_asset", "demo_reviewer", "demo_fb", "demo_fb_reply")
_TEMP_MACROS = ("demo_u", "demo_n", "demo_pick", "demo_secs", "demo_days")


def _drop_temporaries(cur: Cursor) -> None:
    for view in ("demo_event", "demo_wf_event"):
        cur.execute(f"DROP VIEW IF EXISTS temp.{view}")
    for table in _TEMP_TABLES:
        cur.execute(f"DROP TABLE IF EXISTS temp.{table}")
    for macro in _TEMP_MACROS:
        cur.execute(f"DROP MACRO IF EXISTS temp.{macro}")


def _reserve_ids(cur: Cursor, table: str, count: int) -> int:
    """Take `count` consecutive ids from the table's sequence and return the first.

    DuckDB numbers rows of a parallel INSERT ... SELECT nextval(...) in whatever order the
    threads run, so the demo writes ids explicitly (base + row number) instead. Drawing them
    from the sequence first keeps the sequence ahead of every demo id, so the app's own
    inserts (which use the column default) never collide with them, now or after a restart.
    """
    if count == 0:
        return 0
    low, high = cur.execute(
        f"SELECT min(v), max(v) FROM (SELECT nextval('{table}_id_seq') AS v FROM range({count}))"
    ).fetchone()
    if high - low + 1 != count:
        raise RuntimeError(
            f"Someone else was adding {table} while the demo was being built; "
            "nothing was saved. Run it again."
        )
    return low


def _count(cur: Cursor, sql: str) -> int:
    return int(cur.execute(sql).fetchone()[0])


def _has_column(cur: Cursor, table: str, column: str) -> bool:
    return bool(_count(cur, f"""
        SELECT count(*) FROM duckdb_columns()
        WHERE database_name <> 'temp' AND table_name = {_lit(table)}
              AND column_name = {_lit(column)}"""))


# --- the build ----------------------------------------------------------------


def _build(cur: Cursor, plan: _Plan, progress: Progress | None) -> DemoSummary:
    # Checked again inside the transaction: someone may have started work since.
    _refuse_unless_empty(cur.execute(_EXISTING_SQL).fetchone())
    build = _Build(plan, feedback=_has_column(cur, "content_items", "approval"),
                   inbox=_has_column(cur, "messages", "channel"))
    _create_macros(cur, plan.seed)
    counts: dict[str, int] = {}
    total = sum(weight for _, _, weight in _STEPS) + _COMMIT_WEIGHT
    done = 0
    for name, step, weight in _STEPS:
        for table, rows in step(cur, build).items():  # several steps may write one table
            counts[table] = counts.get(table, 0) + rows
        done += weight
        if progress is not None:
            progress(name, done / total)
    return DemoSummary(**counts)


def _users(cur: Cursor, build: _Build) -> dict[str, int]:
    """A handful of account managers who own the campaigns. Their password hash starts with
    '!', which the login code treats as unusable: nobody can log in as a demo user."""
    seed = build.plan.seed
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_user AS
        SELECT k, 'demo.manager' || (k + 1) AS username, {_list(MANAGERS)}[k + 1] AS name
        FROM range({len(MANAGERS)}) t(k)
    """)
    new = "FROM demo_user WHERE username NOT IN (SELECT username FROM users)"
    count = _count(cur, f"SELECT count(*) {new}")
    base = _reserve_ids(cur, "users", count)
    cur.execute(f"""
        INSERT INTO users (id, username, name, email, role, password_hash, created_at)
        SELECT {base} + row_number() OVER (ORDER BY k) - 1, username, name,
               username || '@collabdesk.example', 'manager',
               '!' || sha256('collabdesk-demo/{seed}/' || username),
               TIMESTAMP '2024-10-01 09:00:00' + to_seconds(k * 3600)
        {new} ORDER BY k
    """)
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE demo_manager AS
        SELECT d.k, u.id, u.username, u.name FROM demo_user d JOIN users u USING (username)
    """)
    return {"users": count}


def _clients(cur: Cursor, build: _Build) -> dict[str, int]:
    prefixes, suffixes = len(CLIENT_PREFIXES), len(CLIENT_SUFFIXES)
    pairs = prefixes * suffixes
    currency, share = [], 0.0
    for code, weight in CURRENCY_SHARES:
        share += weight
        currency.append(f"WHEN demo_u(k, 'cl.currency') < {share:.2f} THEN '{code}'")
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_client AS
        SELECT k,
               {_list(CLIENT_PREFIXES)}[1 + k % {prefixes}] || ' '
               || {_list(CLIENT_SUFFIXES)}[1 + (k // {prefixes} + k) % {suffixes}]
               || CASE WHEN k >= {pairs} THEN ' ' || (k // {pairs} + 1) ELSE '' END AS name,
               CASE {' '.join(currency)} ELSE 'EUR' END AS currency,
               NULL::BIGINT AS id
        FROM range({build.plan.clients}) t(k)
    """)
    new = "FROM demo_client WHERE name NOT IN (SELECT name FROM clients)"
    count = _count(cur, f"SELECT count(*) {new}")
    base = _reserve_ids(cur, "clients", count)
    cur.execute(f"""
        INSERT INTO clients (id, name)
        SELECT {base} + row_number() OVER (ORDER BY k) - 1, name {new} ORDER BY k
    """)
    cur.execute("UPDATE demo_client SET id = c.id FROM clients c WHERE c.name = demo_client.name")
    return {"clients": count}


def _campaigns(cur: Cursor, build: _Build) -> dict[str, int]:
    plan = build.plan
    base = build.base["campaigns"] = _reserve_ids(cur, "campaigns", plan.campaigns)
    # Every client gets at least one campaign; durations run from a week to four months,
    # most of them short; budgets are skewed towards the small end.
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_campaign AS
        WITH a AS (
            SELECT c,
                   CASE WHEN c < {plan.clients} THEN c
                        ELSE demo_n(c, 'ca.client', {plan.clients}) END AS client_k,
                   c % {len(MANAGERS)} AS owner_k,
                   (7 + floor(113 * pow(demo_u(c, 'ca.days'), 2)))::INTEGER AS days,
                   demo_pick({_list(CAMPAIGN_THEMES)}, c, 'ca.theme') AS theme,
                   round(5000 + 495000 * pow(demo_u(c, 'ca.budget'), 3), -2) AS budget
            FROM range({plan.campaigns}) t(c)
        ), b AS (
            SELECT *, DATE '{ANCHOR}' + demo_days(c, 'ca.start', {SPAN_DAYS} - days + 1)
                      AS start_date
            FROM a
        )
        SELECT b.c, {base} + b.c AS id, cl.id AS client_id, m.id AS owner_id,
               m.username AS owner, b.theme || ' ' || year(b.start_date) AS base_name,
               b.start_date, b.start_date + b.days AS end_date, b.budget, cl.currency,
               CAST(b.start_date AS TIMESTAMP) - to_days(7 + demo_days(b.c, 'ca.lead', 54))
                   + demo_secs(b.c, 'ca.time', 8 * 3600, 18 * 3600) AS created_at
        FROM b JOIN demo_client cl ON cl.k = b.client_k JOIN demo_manager m ON m.k = b.owner_k
    """)
    _place_workflow_campaigns(cur, plan)
    # A client's repeated theme in the same year gets a number, so names stay distinguishable.
    cur.execute("""
        INSERT INTO campaigns (id, client_id, name, owner_id, start_date, end_date, budget,
                               currency, created_at)
        SELECT id, client_id,
               base_name || CASE WHEN n > 1 THEN ' (' || n || ')' ELSE '' END,
               owner_id, start_date, end_date, budget, currency, created_at
        FROM (SELECT *, row_number() OVER (PARTITION BY client_id, base_name ORDER BY c) AS n
              FROM demo_campaign)
        ORDER BY id
    """)
    cur.execute(
        "INSERT INTO campaign_ownership SELECT id, client_id, owner_id FROM demo_campaign"
    )
    return {"campaigns": plan.campaigns}


def _place_workflow_campaigns(cur: Cursor, plan: _Plan) -> None:
    """Move the campaigns in the workflow (the plan's last ones) around `today`."""
    rows = ", ".join(
        f"({k}, {start}, {days}, {created})"
        for k, (_, start, days, created, _) in enumerate(WORKFLOW)
    )
    today = f"DATE '{plan.today}'"
    cur.execute(f"""
        UPDATE demo_campaign SET
            start_date = {today} + w.start_in,
            end_date = {today} + w.start_in + w.days,
            created_at = CAST({today} AS TIMESTAMP) - to_days(w.created_before)
                         + INTERVAL 9 HOUR,
            base_name = regexp_replace(base_name, '[0-9]{{4}}$',
                                       year({today} + w.start_in)::VARCHAR)
        FROM (VALUES {rows}) w(k, start_in, days, created_before)
        WHERE demo_campaign.c = {plan.history} + w.k
    """)


def _slug(expr: str) -> str:
    """SQL: lowercase ASCII letters only (for handles and e-mail addresses)."""
    return f"regexp_replace(lower(strip_accents({expr})), '[^a-z]', '', 'g')"


def _creators(cur: Cursor, build: _Build) -> dict[str, int]:
    count = build.plan.creators
    base = build.base["creators"] = _reserve_ids(cur, "creators", count)
    cities = len(CITIES)
    # ~0.5% take the handle of the creator before them on the next platform (the same handle
    # on another platform under another name flags both in the validation badge), unless that
    # one did so itself. Never the same platform: the store keeps one creator per handle there.
    dup = "(demo_u(i, 'cr.dup') < 0.005 AND demo_u(i - 1, 'cr.dup') >= 0.005 AND i > 0)"
    cur.execute(f"""
        INSERT INTO creators (id, name, handle, platform, email, phone, address, followers,
                              engagement_rate, validation_override, created_at)
        WITH a AS (
            SELECT i,
                   demo_pick({_list(FIRST_NAMES)}, i, 'cr.first') AS first,
                   demo_pick({_list(LAST_NAMES)}, i, 'cr.last') AS last,
                   1 + demo_n(i, 'cr.city', {cities}) AS city,
                   demo_pick({_list(PLATFORMS)}, i, 'cr.platform') AS platform,
                   {dup} AS dup,
                   demo_u(i, 'cr.anomaly') AS anomaly,
                   -- Pareto-like: median ~2.4k, 1% above 300k, capped at 50M
                   least(50000000, round(1000 * pow(1 - demo_u(i, 'cr.followers'), -1.25)))
                       ::BIGINT AS followers
            FROM range({count}) t(i)
        ), b AS (
            SELECT *,
                   CASE demo_n(i, 'cr.style', 3)
                       WHEN 0 THEN {_slug('first')} || '.' || {_slug('last')}
                       WHEN 1 THEN {_slug('first')} || '_' || {_slug('last')}
                       ELSE {_slug('first')} || {_slug('last')} END || (i + 1) AS own_handle
            FROM a
        )
        SELECT {base} + i,
               first || ' ' || last,
               CASE WHEN dup THEN lag(own_handle) OVER w ELSE own_handle END,
               CASE WHEN dup THEN {_list(PLATFORMS)}[
                   list_position({_list(PLATFORMS)}, lag(platform) OVER w) % {len(PLATFORMS)} + 1]
                    ELSE platform END,
               CASE WHEN demo_u(i, 'cr.email') >= 0.07
                    THEN {_slug('first')} || '.' || {_slug('last')} || (i + 1) || '@'
                         || demo_pick({_list(EMAIL_DOMAINS)}, i, 'cr.domain') END,
               CASE WHEN demo_u(i, 'cr.phone') >= 0.08
                    THEN {_list(c[2] for c in CITIES)}[city] || ' '
                         || (150 + demo_n(i, 'cr.ph1', 30)) || ' '
                         || lpad(demo_n(i, 'cr.ph2', 10000000)::VARCHAR, 7, '0') END,
               CASE WHEN demo_u(i, 'cr.address') >= 0.06
                    THEN demo_pick({_list(STREETS)}, i, 'cr.street') || ' '
                         || (1 + demo_n(i, 'cr.house', 180)) || ', '
                         || {_list(c[1] for c in CITIES)}[city] || ' '
                         || {_list(c[0] for c in CITIES)}[city] END,
               -- the anomalies have big followings, so the validation rule notices them
               CASE WHEN anomaly < 0.02
                    THEN greatest(followers, 20000 + demo_n(i, 'cr.big', 2000000))
                    ELSE followers END,
               CASE WHEN anomaly < 0.01 THEN round(0.02 + 0.17 * demo_u(i, 'cr.er'), 2)
                    WHEN anomaly < 0.02 THEN round(20.5 + 25 * demo_u(i, 'cr.er'), 2)
                    ELSE round(1 + 7 * (demo_u(i, 'cr.er') + demo_u(i, 'cr.er2')) / 2, 2) END,
               CASE WHEN demo_u(i, 'cr.override') < 0.005 THEN 'verified'
                    WHEN demo_u(i, 'cr.override') < 0.008 THEN 'needs_review'
                    WHEN demo_u(i, 'cr.override') < 0.012 THEN 'flagged' END,
               TIMESTAMP '2023-06-01 08:00:00' + demo_secs(i, 'cr.created', 0, 520 * 86400)
        FROM b
        WINDOW w AS (ORDER BY i)
        ORDER BY i
    """)
    return {"creators": count}


def _creator_tags(cur: Cursor, build: _Build) -> dict[str, int]:
    """A third of the creators get one or two distinct tags."""
    n_tags = len(TAGS)
    before = _count(cur, "SELECT count(*) FROM creator_tags")
    cur.execute(f"""
        INSERT INTO creator_tags (creator_id, tag)
        SELECT {build.base['creators']} + i,
               {_list(TAGS)}[1 + (first_tag + k * (1 + other)) % {n_tags}]
        FROM (SELECT *, unnest(range(tags)) AS k
              FROM (SELECT i,
                           demo_n(i, 'tg.first', {n_tags}) AS first_tag,
                           demo_n(i, 'tg.other', {n_tags - 1}) AS other,
                           CASE WHEN demo_u(i, 'tg.count') < 0.2 THEN 1
                                WHEN demo_u(i, 'tg.count') < 0.333 THEN 2 ELSE 0 END AS tags
                    FROM range({build.plan.creators}) t(i)))
        ORDER BY 1, 2
    """)
    return {"creator_tags": _count(cur, "SELECT count(*) FROM creator_tags") - before}


def _plan_collaborations(cur: Cursor, build: _Build) -> dict[str, int]:
    """Stage every collaboration with its whole timeline: created at t0, then each lifecycle
    step at t1, t2, t3 (as far as its status got), cancelled at tc, and notes in between."""
    plan = build.plan
    base = build.base["collaborations"] = _reserve_ids(cur, "collaborations", plan.collaborations)
    big = (plan.history + 3) // 4  # campaigns in the workflow have no collaborations yet
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_collab AS
        WITH a AS (
            -- 40% go to every fourth campaign, so campaign sizes vary (~0.6x to ~2.2x)
            SELECT i,
                   CASE WHEN demo_u(i, 'co.big') < 0.4 THEN 4 * demo_n(i, 'co.bigcamp', {big})
                        ELSE demo_n(i, 'co.camp', {plan.history}) END AS c,
                   CASE WHEN demo_u(i, 'co.status') < 0.15 THEN 'pending'
                        WHEN demo_u(i, 'co.status') < 0.30 THEN 'negotiating'
                        WHEN demo_u(i, 'co.status') < 0.60 THEN 'fulfilling'
                        WHEN demo_u(i, 'co.status') < 0.90 THEN 'completed'
                        ELSE 'cancelled' END AS status
            FROM range({plan.collaborations}) t(i)
        ), b AS (
            SELECT a.*, row_number() OVER (PARTITION BY c ORDER BY i) - 1 AS j,
                   CASE status WHEN 'pending' THEN 0 WHEN 'negotiating' THEN 1
                        WHEN 'fulfilling' THEN 2 WHEN 'completed' THEN 3
                        ELSE demo_n(i, 'co.reached', 3) END AS steps
            FROM a
        ), c AS (
            SELECT b.i, {base} + b.i AS id, ca.id AS campaign_id, ca.owner, ca.currency,
                   ca.start_date AS campaign_start, b.status, b.steps,
                   {build.base['creators']}
                       + (demo_n(b.c, 'co.creator', {plan.creators}) + b.j * {plan.stride})
                       % {plan.creators} AS creator_id,
                   -- added within four weeks of the campaign being set up
                   ca.created_at + demo_secs(b.i, 'co.added', 3600, 28 * 86400) AS t0,
                   demo_secs(b.i, 'co.g1', 6 * 3600, 10 * 86400) AS g1,
                   demo_secs(b.i, 'co.g2', 86400, 14 * 86400) AS g2,
                   demo_secs(b.i, 'co.g3', 7 * 86400, 45 * 86400) AS g3,
                   demo_secs(b.i, 'co.gc', 3600, 20 * 86400) AS gc
            FROM b JOIN demo_campaign ca ON ca.c = b.c
        ), d AS (
            SELECT c.* EXCLUDE (g1, g2, g3, gc),
                   t0 + g1 AS t1, t0 + g1 + g2 AS t2, t0 + g1 + g2 + g3 AS t3,
                   CASE WHEN status = 'cancelled'
                        THEN [t0, t0 + g1, t0 + g1 + g2][steps + 1] + gc END AS tc,
                   cr.platform, list_position({_list(PLATFORMS)}, cr.platform) AS p,
                   cr.handle, cr.followers
            FROM c JOIN creators cr ON cr.id = c.creator_id
        ), e AS (
            SELECT d.*,
                   coalesce(tc, [t0, t1, t2, t3][steps + 1]) AS last_status_at,
                   CASE WHEN demo_u(i, 'co.notes') < 0.2 THEN 1
                        WHEN demo_u(i, 'co.notes') < 0.3 THEN 2 ELSE 0 END AS notes
            FROM d
        )
        SELECT e.*,
               -- notes fall between creation and the last status change (or within 3 days)
               [t0 + demo_secs(i, 'co.note1', 3600, greatest(3 * 86400,
                                 date_diff('second', t0, last_status_at))),
                t0 + demo_secs(i, 'co.note2', 3600, greatest(3 * 86400,
                                 date_diff('second', t0, last_status_at)))][1:notes] AS note_at,
               CASE WHEN demo_u(i, 'co.gifted') < 0.05 THEN 0
                    ELSE round(least(60000, 150 + followers
                               * (0.004 + 0.012 * demo_u(i, 'co.pay'))), 2)
               END::DECIMAL(12, 2) AS compensation,
               demo_pick({_nested(DELIVERABLES)}[p], i, 'co.deliv') AS deliverables,
               campaign_start + demo_days(i, 'co.start', 15) AS start_date,
               demo_pick({_list(CONDITIONS)}, i, 'co.cond') AS conditions,
               CASE WHEN status = 'cancelled'
                    THEN demo_pick({_list(CANCEL_REASONS)}, i, 'co.reason') END AS cancel_reason
        FROM e
    """)
    return {}


def _plan_payments(cur: Cursor, build: _Build) -> dict[str, int]:
    """Paid collaborations: fulfilling ones half the time an advance (30-50%); completed ones
    either one full payment after completion or 40% upfront plus the rest afterwards."""
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE demo_pay AS
        WITH p AS (
            SELECT id AS collab_id, i, status, compensation, currency, owner, t2, t3,
                   CASE WHEN compensation = 0 THEN 0
                        WHEN status = 'completed' AND demo_u(i, 'pa.split') < 0.4 THEN 2
                        WHEN status = 'completed' THEN 1
                        WHEN demo_u(i, 'pa.advance') < 0.5 THEN 1 ELSE 0 END AS payments
            FROM demo_collab WHERE status IN ('fulfilling', 'completed')
        ), r AS (SELECT *, unnest(range(payments)) AS k FROM p)
        SELECT collab_id, k, currency, owner,
               CASE WHEN status = 'fulfilling'
                        THEN round(compensation * (0.3 + 0.2 * demo_u(i, 'pa.share')), 2)
                    WHEN payments = 1 THEN compensation
                    WHEN k = 0 THEN round(compensation * 0.4, 2)
                    ELSE compensation - round(compensation * 0.4, 2)
               END::DECIMAL(12, 2) AS amount,
               CASE WHEN status = 'completed' AND k = payments - 1
                    THEN t3 + demo_secs(i, 'pa.final', 2 * 86400, 20 * 86400)
                    ELSE t2 + demo_secs(i, 'pa.first', 86400, 10 * 86400) END AS paid_at,
               CASE WHEN demo_u(i * 2 + k, 'pa.noref') < 0.1 THEN ''
                    ELSE 'INV-' || strftime(paid_at, '%y%m') || '-'
                         || lpad(demo_n(i * 2 + k, 'pa.ref', 100000)::VARCHAR, 5, '0') END
                   AS reference
        FROM r
    """)
    return {}


def _content_url() -> str:
    """SQL: a plausible link for content item k of the collaboration in row i."""
    code = "substr(md5(i::VARCHAR || '/' || k), 1, 11)"
    digits = "lpad(demo_n(i * 4 + k, 'ct.id', 1000000000000000000)::VARCHAR, 18, '0')"
    return f"""CASE platform
        WHEN 'instagram' THEN 'https://instagram.com/' || CASE kind WHEN 'reel' THEN 'reel/'
                              WHEN 'story' THEN 'stories/' || handle || '/' ELSE 'p/' END || {code}
        WHEN 'tiktok' THEN 'https://tiktok.com/@' || handle || '/video/7' || {digits}
        WHEN 'youtube' THEN CASE kind WHEN 'short' THEN 'https://youtube.com/shorts/'
                            ELSE 'https://youtube.com/watch?v=' END || {code}
        WHEN 'twitch' THEN 'https://twitch.tv/videos/2' || substr({digits}, 1, 9)
        ELSE 'https://pinterest.com/pin/1' || substr({digits}, 1, 17) END"""


def _plan_content(cur: Cursor, build: _Build) -> dict[str, int]:
    """Content: 0-2 items while fulfilling, 1-3 for completed ones, spread between the start
    of fulfilment (t2) and completion (t3)."""
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_content AS
        WITH p AS (
            SELECT id AS collab_id, i, status, owner, platform, p, handle, t2, t3,
                   CASE status WHEN 'completed' THEN 1 + demo_n(i, 'ct.count', 3)
                        ELSE demo_n(i, 'ct.count', 3) END AS items
            FROM demo_collab WHERE status IN ('fulfilling', 'completed')
        ), r AS (
            SELECT *, unnest(range(items)) AS k FROM p
        ), s AS (
            SELECT *,
                   demo_pick({_nested(CONTENT_KINDS)}[p], i * 4 + k, 'ct.kind') AS kind,
                   CASE status
                       WHEN 'completed' THEN t2 + to_seconds(
                           date_diff('second', t2, t3) * (k + 1) // (items + 1))
                       ELSE t2 + to_seconds((k + 1) * (2 * 86400 + demo_n(i, 'ct.gap', 4 * 86400)))
                   END AS delivered_at
            FROM r
        )
        SELECT collab_id, k, owner, kind, delivered_at, {_content_url()} AS url FROM s
    """)
    return {}


def _plan_shipments(cur: Cursor, build: _Build) -> dict[str, int]:
    """Product shipments for ~40% of the collaborations that got past pending, sent after
    negotiation started; where they stand depends on how far the collaboration got."""
    n_carriers = len(CARRIERS)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_ship AS
        WITH s AS (
            SELECT c.id AS collab_id, c.i, c.owner, coalesce(cr.address, '') AS address,
                   demo_u(c.i, 'sh.status') AS u,
                   CASE c.status
                       WHEN 'negotiating' THEN CASE WHEN u < 0.70 THEN 'pending'
                           WHEN u < 0.95 THEN 'in_transit' ELSE 'exception' END
                       WHEN 'fulfilling' THEN CASE WHEN u < 0.10 THEN 'pending'
                           WHEN u < 0.35 THEN 'in_transit' WHEN u < 0.93 THEN 'delivered'
                           ELSE 'exception' END
                       WHEN 'completed' THEN CASE WHEN u < 0.92 THEN 'delivered'
                           ELSE 'exception' END
                       ELSE CASE WHEN u < 0.4 THEN 'pending' WHEN u < 0.7 THEN 'delivered'
                           ELSE 'exception' END
                   END AS status,
                   1 + demo_n(c.i, 'sh.carrier', {n_carriers}) AS carrier,
                   c.t1 + demo_secs(c.i, 'sh.created', 2 * 3600, 48 * 3600) AS created_at
            FROM demo_collab c JOIN creators cr ON cr.id = c.creator_id
            WHERE c.steps >= 1 AND demo_u(c.i, 'sh.has') < 0.4
        ), t AS (
            SELECT *,
                   created_at + demo_secs(i, 'sh.ship', 86400, 4 * 86400) AS shipped_at,
                   created_at + demo_secs(i, 'sh.ship', 86400, 4 * 86400)
                       + demo_secs(i, 'sh.final', 86400, 8 * 86400) AS final_at
            FROM s
        )
        SELECT collab_id, owner, address, status, created_at, shipped_at, final_at,
               demo_pick({_list(ITEMS)}, i, 'sh.item') AS item,
               {_list(CARRIERS)}[carrier] AS carrier,
               {_list(TRACKING_PREFIXES)}[carrier]
                   || lpad(demo_n(i, 'sh.track', 100000000000000)::VARCHAR, 14, '0')
                   AS tracking_number,
               CASE WHEN status = 'exception'
                    THEN demo_pick({_list(EXCEPTION_REASONS)}, i, 'sh.reason') END
                   AS exception_reason,
               CASE status WHEN 'pending' THEN created_at WHEN 'in_transit' THEN shipped_at
                    ELSE final_at END AS status_changed_at
        FROM t
    """)
    return {}


def _collaborations(cur: Cursor, build: _Build) -> dict[str, int]:
    """Insert the collaborations; updated_at is the time of each one's last event, which is
    why payments, content and shipments are planned before this step."""
    cur.execute("""
        INSERT INTO collaborations (id, campaign_id, creator_id, status, deliverables,
            compensation, currency, start_date, due_date, conditions, cancel_reason, version,
            created_at, updated_at)
        SELECT c.id, c.campaign_id, c.creator_id, c.status, c.deliverables, c.compensation,
               c.currency, c.start_date, c.start_date + 7 + demo_days(c.i, 'co.due', 39),
               c.conditions, c.cancel_reason,
               1 + c.steps + (c.status = 'cancelled')::INTEGER,
               c.t0,
               greatest(c.last_status_at, list_max(c.note_at), pay.at, content.at, ship.at,
                        sub.at, asset.at)
        FROM demo_collab c
        LEFT JOIN (SELECT collab_id, max(paid_at) AS at FROM demo_pay GROUP BY ALL) pay
            ON pay.collab_id = c.id
        LEFT JOIN (SELECT collab_id, max(delivered_at) AS at FROM demo_content GROUP BY ALL)
            content ON content.collab_id = c.id
        LEFT JOIN (SELECT collab_id, CASE WHEN status = 'pending' THEN NULL
                                          ELSE status_changed_at END AS at FROM demo_ship) ship
            ON ship.collab_id = c.id
        LEFT JOIN (SELECT collab_id, max(coalesce(reviewed_at, submitted_at)) AS at
                   FROM demo_sub GROUP BY ALL) sub ON sub.collab_id = c.id
        LEFT JOIN (SELECT collab_id, max(moment) AS at FROM demo_asset GROUP BY ALL) asset
            ON asset.collab_id = c.id
        ORDER BY c.id
    """)
    return {"collaborations": build.plan.collaborations}


def _children(cur: Cursor, build: _Build) -> dict[str, int]:
    """Payments, content items and shipments, each numbered by (collaboration, position)."""
    pay = _count(cur, "SELECT count(*) FROM demo_pay")
    base = _reserve_ids(cur, "payments", pay)
    cur.execute(f"""
        INSERT INTO payments (id, collab_id, amount, currency, paid_on, reference, created_at,
                              created_by)
        SELECT {base} + row_number() OVER (ORDER BY collab_id, k) - 1, collab_id, amount,
               currency, paid_at::DATE, reference, paid_at, owner
        FROM demo_pay ORDER BY 1
    """)
    content = _count(cur, "SELECT count(*) FROM demo_content")
    base = _reserve_ids(cur, "content_items", content)
    cur.execute(f"""
        INSERT INTO content_items (id, collab_id, url, kind, delivered_on, created_at, created_by)
        SELECT {base} + row_number() OVER (ORDER BY collab_id, k) - 1, collab_id, url, kind,
               delivered_at::DATE, delivered_at, owner
        FROM demo_content ORDER BY 1
    """)
    ships = _count(cur, "SELECT count(*) FROM demo_ship")
    base = _reserve_ids(cur, "shipments", ships)
    cur.execute(f"""
        INSERT INTO shipments (id, collab_id, item, carrier, tracking_number, address, status,
                               exception_reason, shipped_on, delivered_on, status_changed_at,
                               created_at)
        SELECT {base} + row_number() OVER (ORDER BY collab_id) - 1, collab_id, item, carrier,
               tracking_number, address, status, exception_reason,
               CASE WHEN status <> 'pending' THEN shipped_at::DATE END,
               CASE WHEN status = 'delivered' THEN final_at::DATE END,
               status_changed_at, created_at
        FROM demo_ship ORDER BY 1
    """)
    return {"payments": pay, "content_items": content, "shipments": ships}


_EVENTS_VIEW = f"""
CREATE OR REPLACE TEMP VIEW demo_event AS
-- ord breaks ties between events of one collaboration at the same moment
SELECT id AS collab_id, t0 AS occurred_at, 0 AS ord, owner AS actor, 'created' AS kind,
       NULL::VARCHAR AS from_status, NULL::VARCHAR AS to_status,
       NULL::DECIMAL(12, 2) AS amount, NULL::VARCHAR AS currency, NULL::VARCHAR AS text
FROM demo_collab
UNION ALL
SELECT id, [t1, t2, t3][k], k, owner, 'status_changed',
       {_list(LIFECYCLE)}[k], {_list(LIFECYCLE)}[k + 1], NULL, NULL, NULL
FROM (SELECT *, unnest(range(1, steps + 1)) AS k FROM demo_collab)
UNION ALL
SELECT id, tc, 4, owner, 'status_changed', {_list(LIFECYCLE)}[steps + 1], 'cancelled',
       NULL, NULL, cancel_reason
FROM demo_collab WHERE status = 'cancelled'
UNION ALL
SELECT id, note_at[k], 10 + k, demo_pick((SELECT list(username ORDER BY k) FROM demo_manager),
                                         i * 2 + k, 'ev.noter'),
       'note', NULL, NULL, NULL, NULL, demo_pick({_list(NOTES)}, i * 2 + k, 'ev.note')
FROM (SELECT *, unnest(range(1, notes + 1)) AS k FROM demo_collab)
UNION ALL
SELECT collab_id, paid_at, 20 + k, owner, 'payment', NULL, NULL, amount, currency,
       'Paid ' || amount || ' ' || currency || ' on ' || paid_at::DATE
       || CASE WHEN reference = '' THEN '' ELSE ' (ref ' || reference || ')' END
FROM demo_pay
UNION ALL
SELECT collab_id, delivered_at, 30 + k, owner, 'content_delivered', NULL, NULL, NULL, NULL,
       kind || ': ' || url
FROM demo_content
UNION ALL
SELECT collab_id, shipped_at, 40, owner, 'delivery_changed', 'pending', 'in_transit',
       NULL, NULL, 'Shipped ' || item || ' with ' || carrier || ', tracking ' || tracking_number
FROM demo_ship WHERE status <> 'pending'
UNION ALL
SELECT collab_id, final_at, 41, owner, 'delivery_changed', 'in_transit', status, NULL, NULL,
       coalesce(exception_reason, item || ' delivered')
FROM demo_ship WHERE status IN ('delivered', 'exception')
UNION ALL
-- as lib.feedback.submit_content and review_content word them
SELECT collab_id, submitted_at, 50 + 2 * version, owner, 'content_submitted', NULL, NULL, NULL,
       NULL, kind || ' v' || version || ' submitted for approval: ' || url
FROM demo_sub
UNION ALL
SELECT collab_id, reviewed_at, 51 + 2 * version, owner, 'content_reviewed', NULL, NULL, NULL,
       NULL, kind || ' v' || version || ': ' || CASE approval WHEN 'approved' THEN 'approved'
                                                ELSE 'changes requested (' || change_note || ')' END
FROM demo_sub WHERE reviewed_at IS NOT NULL
UNION ALL
-- as lib.inbox.send_asset words it
SELECT collab_id, moment, 60, owner, 'asset_sent', NULL, NULL, NULL, NULL,
       asset_label || ' sent: ' || value
FROM demo_asset
"""


def _events(cur: Cursor, build: _Build) -> dict[str, int]:
    """The activity history, numbered per collaboration in time order.

    One row_number() over all events would sort millions of wide rows on one thread, so each
    collaboration's events are numbered on their own (in parallel) and offset by how many
    events the collaborations before it have.
    """
    cur.execute(_EVENTS_VIEW)
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE demo_event_first AS
        SELECT collab_id, (sum(events) OVER (ORDER BY collab_id) - events)::BIGINT AS first
        FROM (SELECT collab_id, count(*) AS events FROM demo_event GROUP BY collab_id)
    """)
    count = _count(cur, "SELECT count(*) FROM demo_event")
    base = _reserve_ids(cur, "activity_events", count)
    cur.execute(f"""
        INSERT INTO activity_events (id, collab_id, occurred_at, actor, kind, from_status,
                                     to_status, amount, currency, text)
        SELECT {base} + f.first
                   + row_number() OVER (PARTITION BY e.collab_id ORDER BY e.occurred_at, e.ord)
                   - 1,
               e.collab_id, e.occurred_at, e.actor, e.kind, e.from_status, e.to_status,
               e.amount, e.currency, e.text
        FROM demo_event e JOIN demo_event_first f USING (collab_id)
    """)
    return {"activity_events": count}


# --- campaign workflow ----------------------------------------------------------


def _campaign_states(cur: Cursor, build: _Build) -> dict[str, int]:
    """Statuses as lib/rules.py allows them: a campaign with collaborations was started (when
    its first one was added) and is running, or finished when it ended before DEMO_TODAY; one
    that got none stays a draft; the campaigns in the workflow are as WORKFLOW says."""
    plan = build.plan
    statuses = _list(w[0] for w in WORKFLOW)
    closes = " ".join(
        f"WHEN {k} THEN {_closed_at(closed, plan.today)}"
        for k, (*_, closed) in enumerate(WORKFLOW)
    )
    cur.execute(f"""
        UPDATE campaigns SET status = s.status, started_at = s.started, closed_at = s.closed,
                             version = s.version
        FROM (
            SELECT ca.id, f.started,
                   CASE WHEN ca.c >= {plan.history} THEN {statuses}[ca.c - {plan.history} + 1]
                        WHEN f.started IS NULL THEN 'draft'
                        WHEN ca.end_date < DATE '{DEMO_TODAY}' THEN 'finished'
                        ELSE 'running' END AS status,
                   CASE WHEN ca.c >= {plan.history} THEN CASE ca.c - {plan.history} {closes} END
                        ELSE f.started END AS closed,
                   -- 1 + the status changes a manager made (draft -> open -> closed)
                   CASE WHEN ca.c < {plan.history} THEN 1
                        ELSE list_position(['draft', 'open', 'closed'], status) END AS version
            FROM demo_campaign ca
            LEFT JOIN (SELECT campaign_id, min(t0) AS started FROM demo_collab GROUP BY ALL) f
                ON f.campaign_id = ca.id
        ) s
        WHERE campaigns.id = s.id
    """)
    return {}


def _closed_at(closed: int | str | None, today: dt.date) -> str:
    """SQL for when a campaign in the workflow closed (see WORKFLOW)."""
    if closed is None:
        return "NULL::TIMESTAMP"
    if closed == "start":
        return "CAST(ca.start_date AS TIMESTAMP)"
    return f"CAST(DATE '{today}' AS TIMESTAMP) + to_seconds({closed})"


def _sql_or_null(value: object) -> str:
    if value is None:
        return "NULL"
    return _lit(value) if isinstance(value, str) else str(value)


def _workflow_values() -> str:
    """WORKFLOW_APPLICATIONS as SQL VALUES rows: (n, k, stage, source, outcome, sent, answered)."""
    rows = []
    for n, (k, stage, source, agreement) in enumerate(WORKFLOW_APPLICATIONS):
        outcome, sent, answered = agreement or (None, None, None)
        values = (n, k, stage, source, outcome, sent, answered)
        rows.append("(" + ", ".join(_sql_or_null(v) for v in values) + ")")
    return ", ".join(rows)


def _workflow(cur: Cursor, build: _Build) -> dict[str, int]:
    """The applications, agreements, agreement messages and campaign events of the campaigns
    in the workflow, timed around `today` as WORKFLOW_APPLICATIONS says."""
    plan = build.plan
    apps = _reserve_ids(cur, "applications", len(WORKFLOW_APPLICATIONS))
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_wf_app AS
        WITH v AS (
            SELECT n, k, stage, source, outcome, sent::BIGINT AS sent,
                   answered::BIGINT AS answered,
                   row_number() OVER (PARTITION BY k ORDER BY n) - 1 AS j
            FROM (VALUES {_workflow_values()}) v(n, k, stage, source, outcome, sent, answered)
        )
        SELECT v.*, {apps} + v.n AS app_id, ca.id AS campaign_id, ca.owner, ca.currency,
               ca.start_date,
               {build.base['creators']}
                   + (demo_n(ca.c, 'wf.creator', {plan.creators}) + v.j * {plan.stride})
                   % {plan.creators} AS creator_id,
               ca.created_at + to_seconds((2 + 5 * v.j) * 3600) AS applied_at,
               ca.created_at + to_seconds((14 + 5 * v.j) * 3600) AS staged_at,
               CAST(DATE '{plan.today}' AS TIMESTAMP) + to_seconds(v.sent) AS sent_at,
               CAST(DATE '{plan.today}' AS TIMESTAMP) + to_seconds(v.answered) AS answered_at,
               CASE WHEN v.source = 'applied'
                    THEN demo_pick({_list(PITCHES)}, v.n, 'wf.pitch') ELSE '' END AS pitch
        FROM v JOIN demo_campaign ca ON ca.c = {plan.history} + v.k
    """)
    cur.execute("""
        INSERT INTO applications (id, campaign_id, creator_id, source, stage, pitch, version,
                                  created_at, updated_at)
        SELECT app_id, campaign_id, creator_id, source, stage, pitch,
               CASE WHEN stage = 'applied' THEN 1 ELSE 2 END, applied_at,
               CASE WHEN stage = 'applied' THEN applied_at ELSE staged_at END
        FROM demo_wf_app ORDER BY app_id
    """)
    messages = _workflow_agreements(cur)
    _workflow_events(cur, build)
    return {"messages": messages}


def _workflow_agreements(cur: Cursor) -> int:
    """Agreements with terms like a collaboration's, and the message that sent each; returns
    how many messages."""
    sent = "FROM demo_wf_app WHERE sent_at IS NOT NULL"
    base = _reserve_ids(cur, "agreements", _count(cur, f"SELECT count(*) {sent}"))
    cur.execute(f"""
        INSERT INTO agreements (id, application_id, deliverables, compensation, currency,
                                start_date, due_date, conditions, sent_at, deadline, sent_by,
                                outcome, responded_at)
        SELECT {base} + row_number() OVER (ORDER BY a.n) - 1, a.app_id,
               demo_pick({_nested(DELIVERABLES)}[list_position({_list(PLATFORMS)}, cr.platform)],
                         a.n, 'wf.deliv'),
               round(least(60000, 150 + cr.followers * (0.004 + 0.012 * demo_u(a.n, 'wf.pay'))),
                     2),
               a.currency, a.start_date, a.start_date + 21,
               demo_pick({_list(CONDITIONS)}, a.n, 'wf.cond'),
               a.sent_at, a.sent_at + INTERVAL 3 DAY, a.owner, a.outcome, a.answered_at
        FROM demo_wf_app a JOIN creators cr ON cr.id = a.creator_id
        WHERE a.sent_at IS NOT NULL ORDER BY a.n
    """)
    messages = _count(cur, f"SELECT count(*) {sent}")
    base = _reserve_ids(cur, "messages", messages)
    cur.execute(f"""
        INSERT INTO messages (id, creator_id, campaign_id, direction, kind, subject, body, state,
                              created_at, created_by)
        SELECT {base} + row_number() OVER (ORDER BY a.n) - 1, a.creator_id, a.campaign_id,
               'out', 'agreement_sent', 'Your agreement for ' || ca.name,
               'Deliverables: ' || g.deliverables || chr(10) || 'Compensation: '
               || g.compensation || ' ' || g.currency || chr(10) || 'Dates: ' || g.start_date
               || ' to ' || g.due_date || chr(10)
               || CASE WHEN g.conditions = '' THEN ''
                       ELSE 'Conditions: ' || g.conditions || chr(10) END
               || 'Please sign by ' || strftime(g.deadline, '%Y-%m-%d %H:%M') || ' UTC.',
               'recorded', a.sent_at, a.owner
        FROM demo_wf_app a JOIN agreements g ON g.application_id = a.app_id
        JOIN campaigns ca ON ca.id = a.campaign_id
        ORDER BY a.n
    """)
    return messages


_WORKFLOW_EVENTS_VIEW = """
CREATE OR REPLACE TEMP VIEW demo_wf_event AS
-- ord keeps a campaign's events in their natural order when two share a moment
SELECT ca.id AS campaign_id, NULL::BIGINT AS application_id, ca.created_at AS occurred_at,
       0 AS ord, m.username AS actor, 'campaign_created' AS kind, NULL::VARCHAR AS from_value,
       'draft' AS to_value, ca.name AS text
FROM campaigns ca JOIN users m ON m.id = ca.owner_id WHERE ca.id >= {first}
UNION ALL
SELECT ca.id, NULL, ca.created_at + INTERVAL 1 HOUR, 1, m.username, 'campaign_status', 'draft',
       'open', NULL
FROM campaigns ca JOIN users m ON m.id = ca.owner_id
WHERE ca.id >= {first} AND ca.status <> 'draft'
UNION ALL
SELECT campaign_id, app_id, applied_at, 2, owner, source, NULL, 'applied', NULL FROM demo_wf_app
UNION ALL
SELECT campaign_id, app_id, staged_at, 3, owner, 'stage_changed', 'applied', stage, NULL
FROM demo_wf_app WHERE stage <> 'applied'
UNION ALL
SELECT campaign_id, app_id, sent_at, 4, owner, 'agreement_sent', NULL, 'pending',
       'Sign by ' || strftime(sent_at + INTERVAL 3 DAY, '%Y-%m-%d %H:%M') || ' UTC'
FROM demo_wf_app WHERE sent_at IS NOT NULL
UNION ALL
SELECT campaign_id, app_id, answered_at, 5, owner, 'agreement_' || outcome, 'pending', outcome,
       NULL
FROM demo_wf_app WHERE outcome IS NOT NULL
UNION ALL
SELECT ca.id, NULL, ca.closed_at, 6, m.username, 'campaign_status', 'open', 'closed',
       CASE WHEN ca.closed_at < ca.start_date
            THEN 'Closed early, before the start date ' || ca.start_date END
FROM campaigns ca JOIN users m ON m.id = ca.owner_id
WHERE ca.id >= {first} AND ca.status = 'closed'
"""


def _workflow_events(cur: Cursor, build: _Build) -> None:
    first = build.base["campaigns"] + build.plan.history
    cur.execute(_WORKFLOW_EVENTS_VIEW.format(first=first))
    base = _reserve_ids(cur, "campaign_events", _count(cur, "SELECT count(*) FROM demo_wf_event"))
    cur.execute(f"""
        INSERT INTO campaign_events (id, campaign_id, application_id, occurred_at, actor, kind,
                                     from_value, to_value, text)
        SELECT {base} + row_number() OVER (ORDER BY campaign_id, occurred_at, ord,
                                                    application_id) - 1,
               campaign_id, application_id, occurred_at, actor, kind, from_value, to_value, text
        FROM demo_wf_event
    """)


# --- feedback, content approval and the inbox -------------------------------------


def _domain(expr: str) -> str:
    """SQL: a reserved-TLD web domain for a client name ('Maple & Moss Home' ->
    'maple-moss-home.example'), so demo reviewers and links never reach a real one."""
    return (f"trim(regexp_replace(lower(strip_accents({expr})), '[^a-z0-9]+', '-', 'g'), '-')"
            " || '.example'")


def _plan_reviews_and_inbox(cur: Cursor, build: _Build) -> dict[str, int]:
    """What must be known before the collaborations are written (their updated_at) and
    before their history is (the events): content submitted for approval and assets sent."""
    _plan_reviews(cur, build)  # nothing planned without the tables (see _Build)
    _plan_inbox(cur, build)
    return {}


def _plan_reviews(cur: Cursor, build: _Build) -> None:
    """The campaigns under review, and content submitted for approval in them: per campaign
    up to SUBMISSIONS fulfilling collaborations, each with a v1 that waits, was approved or
    got changes requested (then a v2 that waits or was approved), as lib.feedback writes it."""
    plan = build.plan
    workflow = ", ".join(str(plan.history + k) for k in REVIEWED_WORKFLOW)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_fb_campaign AS
        WITH history AS (
            SELECT ca.id FROM campaigns ca JOIN demo_campaign d ON d.id = ca.id
            WHERE d.c < {plan.history} AND ca.status IN ('running', 'finished')
            ORDER BY ca.status = 'running' DESC,
                     abs(date_diff('day', ca.start_date, DATE '{DEMO_TODAY}')), ca.id
            LIMIT {FEEDBACK_HISTORY_CAMPAIGNS if build.feedback else 0}
        ), chosen AS (
            SELECT id, false AS workflow FROM history
            UNION ALL SELECT id, true FROM demo_campaign
            WHERE c IN ({workflow}) AND {build.feedback}
        )
        -- reviewers are invited once the campaign has creators: at its start (history) or
        -- when it was set up (workflow, whose applicants come in the hours after)
        SELECT ch.id AS campaign_id, ch.workflow, d.owner_id, d.owner, ca.name, cl.name AS client,
               CASE WHEN ch.workflow THEN ca.created_at ELSE ca.started_at END AS opened_at
        FROM chosen ch JOIN demo_campaign d ON d.id = ch.id JOIN campaigns ca ON ca.id = ch.id
        JOIN clients cl ON cl.id = d.client_id
    """)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_sub AS
        WITH picked AS (
            SELECT c.id AS collab_id, c.i, c.owner, c.platform, c.p, c.handle, c.t2,
                   row_number() OVER (PARTITION BY c.campaign_id
                                      ORDER BY demo_u(c.i, 'su.pick'), c.i) AS rank
            FROM demo_collab c
            WHERE c.status = 'fulfilling'
              AND c.campaign_id IN (SELECT campaign_id FROM demo_fb_campaign)
        ), chains AS (
            SELECT *, demo_u(i, 'su.chain') AS u,
                   CASE WHEN u < 0.35 THEN ['pending'] WHEN u < 0.65 THEN ['approved']
                        WHEN u < 0.85 THEN ['changes_requested', 'pending']
                        ELSE ['changes_requested', 'approved'] END AS approvals,
                   t2 + demo_secs(i, 'su.s1', 86400, 4 * 86400) AS s1,
                   demo_secs(i, 'su.r1', 6 * 3600, 48 * 3600) AS r1_gap,
                   demo_secs(i, 'su.s2', 86400, 3 * 86400) AS s2_gap,
                   demo_secs(i, 'su.r2', 4 * 3600, 30 * 3600) AS r2_gap,
                   demo_pick({_nested(CONTENT_KINDS)}[p], i, 'su.kind') AS kind
            FROM picked WHERE rank <= {SUBMISSIONS}
        ), versions AS (
            SELECT *, unnest(range(1, len(approvals) + 1)) AS version FROM chains
        ), v AS (
            SELECT *, approvals[version] AS approval, 8 + version AS k,
                   CASE version WHEN 1 THEN s1 ELSE s1 + r1_gap + s2_gap END AS submitted_at
            FROM versions
        )
        SELECT collab_id, i, owner, version, approval, kind, submitted_at,
               CASE WHEN approval <> 'pending'
                    THEN submitted_at + CASE version WHEN 1 THEN r1_gap ELSE r2_gap END
               END AS reviewed_at,
               {_content_url()} AS url,
               demo_pick({_list(CAPTIONS)}, i * 4 + version, 'su.caption') AS caption,
               CASE WHEN approval = 'changes_requested'
                    THEN demo_pick({_list(CHANGE_REQUESTS)}, i, 'su.change') END AS change_note,
               row_number() OVER (ORDER BY collab_id, version) - 1 AS n
        FROM v
    """)


def _fill(expr: str) -> str:
    """SQL: a SCRIPTS text with its placeholders filled from a demo_thread row."""
    for name, value in (
        ("{first}", "first"), ("{manager_first}", "manager_first"), ("{manager}", "manager"),
        ("{campaign}", "campaign"), ("{client}", "client"), ("{deliverables}", "deliverables"),
        ("{fee}", "compensation || ' ' || currency"),
    ):
        expr = f"replace({expr}, {_lit(name)}, {value})"
    return expr


def _plan_inbox(cur: Cursor, build: _Build) -> None:
    """Conversations with a share of the creators (those with an e-mail address) about their
    latest collaboration, and the tracking links and coupon codes sent in some of them, as
    lib.inbox writes them: e-mails sent (some failed, with the server's answer) and replies
    recorded by hand (e-mail, some from a .eml file with its Message-ID, or chat)."""
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_thread AS
        WITH latest AS (
            SELECT creator_id, arg_max(i, (t0, i)) AS i FROM demo_collab
            WHERE demo_u(creator_id, 'ib.has') < {INBOX_SHARE if build.inbox else 0}
            GROUP BY creator_id
        )
        SELECT c.i, c.id AS collab_id, c.creator_id, c.campaign_id, c.status, c.owner,
               c.platform, c.handle, c.t2, c.deliverables, c.compensation, c.currency,
               m.name AS manager, split_part(m.name, ' ', 1) AS manager_first,
               split_part(cr.name, ' ', 1) AS first, cr.email, ca.name AS campaign,
               cl.name AS client,
               CASE WHEN c.status IN ('fulfilling', 'completed') THEN c.t2 ELSE c.t0 END
                   + demo_secs(c.i, 'ib.start', 2 * 3600, 30 * 3600) AS start_at,
               2 * 3600 + demo_n(c.i, 'ib.gap', 70 * 3600) AS gap
        FROM latest l JOIN demo_collab c ON c.i = l.i
        JOIN creators cr ON cr.id = c.creator_id JOIN demo_manager m ON m.username = c.owner
        JOIN campaigns ca ON ca.id = c.campaign_id JOIN clients cl ON cl.id = ca.client_id
        WHERE cr.email IS NOT NULL
    """)
    lines = ", ".join(
        f"({_lit(status)}, {k}, {_lit(direction)}, {_lit(subject)}, {_lit(body)})"
        for k, (status, direction, subject, body) in enumerate(SCRIPTS)
    )
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_script AS
        SELECT status, (row_number() OVER (PARTITION BY status ORDER BY n) - 1)::INTEGER AS k,
               direction, subject, body
        FROM (VALUES {lines}) v(status, n, direction, subject, body)
    """)
    _plan_assets(cur)
    error = (f"replace(demo_pick({_list(SMTP_ERRORS)}, key, 'ib.error'), '{{to}}', email)")
    # Numbered in the order they were written (n), as the services' inserts would be.
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_msg AS
        WITH t AS (
            SELECT t.*, 1 + demo_n(t.i, 'ib.length', s.lines) AS thread_length
            FROM demo_thread t
            JOIN (SELECT status, count(*) AS lines FROM demo_script GROUP BY ALL) s USING (status)
        ), l AS (
            SELECT t.*, s.k, s.direction, {_fill('s.subject')} AS subject,
                   {_fill('s.body')} AS body, t.i * 8 + s.k AS key,
                   t.start_at + to_seconds(s.k * t.gap + demo_n(t.i * 8 + s.k, 'ib.jitter', 3600))
                       AS moment
            FROM t JOIN demo_script s ON s.status = t.status AND s.k < t.thread_length
        ), m AS (
            SELECT *,
                   CASE WHEN direction = 'out' THEN 'email'
                        WHEN demo_u(key, 'ib.channel') < 0.75 THEN 'email'
                        WHEN demo_u(key, 'ib.channel') < 0.95 THEN 'chat' ELSE 'other' END
                       AS channel,
                   direction = 'out' AND k = thread_length - 1 AND demo_u(key, 'ib.fail') < 0.1
                       AS failed
            FROM l
        ), written AS (
            SELECT creator_id, campaign_id, k, direction, 'message' AS kind,
                   CASE WHEN channel = 'email' THEN subject ELSE '' END AS subject, body,
                   CASE WHEN direction = 'in' THEN 'recorded' WHEN failed THEN 'failed'
                        ELSE 'sent' END AS state,
                   CASE WHEN failed THEN {error} END AS error,
                   -- a reply is recorded by hand a little after it arrived
                   CASE WHEN direction = 'in'
                        THEN moment + demo_secs(key, 'ib.recorded', 600, 6 * 3600)
                        ELSE moment END AS created_at,
                   owner AS created_by, channel,
                   CASE WHEN direction = 'out' THEN '{AGENCY_SENDER}'
                        WHEN channel = 'email' THEN email END AS sender,
                   CASE WHEN direction = 'out' THEN email END AS recipient,
                   CASE WHEN direction = 'out' AND NOT failed
                            THEN '<' || substr(md5(key::VARCHAR || '/out'), 1, 24)
                                 || '@collabdesk.example>'
                        WHEN channel = 'email' AND demo_u(key, 'ib.eml') < 0.5
                            THEN '<' || substr(md5(key::VARCHAR || '/in'), 1, 24) || '@'
                                 || split_part(email, '@', 2) || '>' END AS message_id_header,
                   CASE WHEN direction = 'out' THEN moment END AS queued_at,
                   CASE WHEN direction = 'out' AND NOT failed THEN moment + INTERVAL 2 SECOND END
                       AS sent_at,
                   CASE WHEN direction = 'in' THEN moment END AS received_at,
                   CASE WHEN direction = 'out' THEN 1 ELSE 0 END AS attempts
            FROM m
            UNION ALL
            SELECT creator_id, campaign_id, 100, 'out', 'asset', subject, body, state, error,
                   moment, owner, 'email', '{AGENCY_SENDER}', email,
                   CASE WHEN state = 'sent' THEN '<' || substr(md5(i::VARCHAR || '/asset'), 1, 24)
                                                 || '@collabdesk.example>' END,
                   moment, CASE WHEN state = 'sent' THEN moment + INTERVAL 2 SECOND END, NULL, 1
            FROM demo_asset
        )
        SELECT *, row_number() OVER (ORDER BY created_at, creator_id, k) - 1 AS n FROM written
    """)


def _plan_assets(cur: Cursor) -> None:
    """A tracking link or a coupon code for ASSET_SHARE of the fulfilling collaborations in a
    conversation, e-mailed to the creator (a tenth of those e-mails failed)."""
    error = f"replace(demo_pick({_list(SMTP_ERRORS)}, i, 'as.error'), '{{to}}', email)"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_asset AS
        WITH a AS (
            SELECT *, demo_u(i, 'as.kind') < 0.5 AS link,
                   CASE WHEN link THEN 'tracking_link' ELSE 'coupon_code' END AS asset_kind,
                   CASE WHEN link THEN 'Tracking link' ELSE 'Coupon code' END AS asset_label,
                   CASE WHEN link
                        THEN 'https://shop.' || {_domain('client')} || '/?utm_source=' || platform
                             || '&utm_medium=influencer&utm_campaign=c' || campaign_id
                             || '&utm_content=' || handle
                        ELSE upper({_slug('first')})
                             || demo_pick(['10', '15', '20'], i, 'as.off') END AS value,
                   t2 + demo_secs(i, 'as.at', 2 * 86400, 6 * 86400) AS moment,
                   CASE WHEN demo_u(i, 'as.fail') < 0.1 THEN 'failed' ELSE 'sent' END AS state
            FROM demo_thread WHERE status = 'fulfilling' AND demo_u(i, 'as.has') < {ASSET_SHARE}
        )
        SELECT *, 'Your ' || lower(asset_label) || ' for ' || campaign AS subject,
               'Here is your personal ' || lower(asset_label) || ' for ' || campaign
               || '. Thanks for being part of it!' || chr(10) || chr(10) || 'Your '
               || lower(asset_label) || ': ' || value AS body,
               CASE WHEN state = 'failed' THEN {error} END AS error
        FROM a
    """)


def _submissions(cur: Cursor, build: _Build) -> dict[str, int]:
    """The content submitted for approval (planned in _plan_reviews), after the delivered
    content; a new version points at the one it replaces."""
    if not build.feedback:
        return {"content_items": 0}
    count = _count(cur, "SELECT count(*) FROM demo_sub")
    base = build.base["submissions"] = _reserve_ids(cur, "content_items", count)
    cur.execute(f"""
        INSERT INTO content_items (id, collab_id, url, kind, delivered_on, created_at,
                                   created_by, approval, caption, version, previous_id,
                                   reviewed_at, reviewed_by)
        SELECT {base} + n, collab_id, url, kind, submitted_at::DATE, submitted_at, owner,
               approval, caption, version, CASE WHEN version > 1 THEN {base} + n - 1 END,
               reviewed_at, CASE WHEN reviewed_at IS NOT NULL THEN owner END
        FROM demo_sub ORDER BY n
    """)
    return {"content_items": count}


def _feedback(cur: Cursor, build: _Build) -> dict[str, int]:
    """Reviewers (1-3 per campaign under review, invited by its owner), their feedback on
    some of its creators and on its submitted content, staff replies and internal notes, and
    a notification to the owner for each piece, as lib.reviewers and lib.feedback write them.

    No reviewer_tokens rows: only a hash of a link's token is ever stored, so a demo link
    could not be handed to anyone. The demo's reviewers have no working link; a manager gives
    one a link with "Regenerate link" on the Feedback page.
    """
    if not build.feedback:
        return dict.fromkeys(("reviewers", "reviewer_events", "feedback", "feedback_replies",
                              "notifications"), 0)
    _plan_reviewers(cur)
    _plan_feedback(cur)
    counts = {
        "reviewers": _count(cur, "SELECT count(*) FROM demo_reviewer"),
        "feedback": _count(cur, "SELECT count(*) FROM demo_fb"),
        "feedback_replies": _count(cur, "SELECT count(*) FROM demo_fb_reply"),
    }
    base = {table: _reserve_ids(cur, table, n) for table, n in counts.items()}
    base["submissions"] = build.base["submissions"]
    counts["notifications"] = counts["feedback"]  # every demo campaign has an owner
    base["notifications"] = _reserve_ids(cur, "notifications", counts["notifications"])
    counts["reviewer_events"] = 2 * counts["reviewers"]
    base["reviewer_events"] = _reserve_ids(cur, "reviewer_events", counts["reviewer_events"])
    _insert_reviewers(cur, base)
    _insert_feedback(cur, base)
    return counts


def _plan_reviewers(cur: Cursor) -> None:
    n_first = len(FIRST_NAMES)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_reviewer AS
        WITH r AS (
            SELECT *, unnest(range(1 + demo_n(campaign_id, 'rv.count', 3))) AS r
            FROM demo_fb_campaign
        ), named AS (
            -- first names 7 apart: a campaign's reviewers have different addresses
            SELECT *,
                   {_list(FIRST_NAMES)}[1 + (demo_n(campaign_id, 'rv.first', {n_first}) + 7 * r)
                                        % {n_first}] AS first,
                   demo_pick({_list(LAST_NAMES)}, [campaign_id, r], 'rv.last') AS last,
                   opened_at + to_seconds(3600 + r * 12 * 3600
                                          + demo_n([campaign_id, r], 'rv.at', 8 * 3600))
                       AS invited_at
            FROM r
        )
        SELECT *, {_slug('first')} || '.' || {_slug('last')} || '@' || {_domain('client')}
                      AS email,
               row_number() OVER (ORDER BY invited_at, campaign_id, r) - 1 AS n
        FROM named
    """)


def _plan_feedback(cur: Cursor) -> None:
    """Feedback on up to FEEDBACK_CREATORS of each campaign's creators (those its reviewers
    see: applicants still in the running, collaborations not cancelled) and on its submitted
    content; a content item's feedback comes before staff decided it, and agrees with it."""
    verdict_index = "CASE verdict WHEN 'approve' THEN 1 WHEN 'decline' THEN 2 ELSE 3 END"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_fb AS
        WITH members AS (
            SELECT campaign_id, creator_id, min(since) AS since FROM (
                SELECT campaign_id, creator_id, created_at AS since FROM applications
                WHERE stage IN ('applied', 'selected')
                  AND campaign_id IN (SELECT campaign_id FROM demo_fb_campaign)
                UNION ALL
                SELECT campaign_id, creator_id, created_at FROM collaborations
                WHERE status <> 'cancelled'
                  AND campaign_id IN (SELECT campaign_id FROM demo_fb_campaign)
            ) GROUP BY ALL
        ), picked AS (
            SELECT *, row_number() OVER (PARTITION BY campaign_id
                                         ORDER BY demo_u(creator_id, 'fb.pick'), creator_id)
                          AS rank
            FROM members
        ), on_creators AS (
            SELECT r.campaign_id, r.n AS reviewer_n, r.email, p.creator_id,
                   NULL::BIGINT AS item_n, cr.name AS subject_name, 0 AS texts,
                   [r.campaign_id, p.creator_id, r.r] AS key,
                   greatest(r.invited_at, p.since)
                       + demo_secs([r.campaign_id, p.creator_id, r.r], 'fb.at', 2 * 3600,
                                   48 * 3600) AS created_at,
                   CASE WHEN demo_u(key, 'fb.verdict') < 0.5 THEN 'approve'
                        WHEN demo_u(key, 'fb.verdict') < 0.7 THEN 'decline' END AS verdict
            FROM picked p JOIN demo_reviewer r ON r.campaign_id = p.campaign_id
            JOIN creators cr ON cr.id = p.creator_id
            WHERE p.rank <= {FEEDBACK_CREATORS}
              AND demo_u([r.campaign_id, p.creator_id, r.r], 'fb.has') < 0.55
        ), on_content AS (
            SELECT r.campaign_id, r.n, r.email, NULL::BIGINT, s.n,
                   s.kind || ' v' || s.version || ' by ' || cr.name, 3,
                   [r.campaign_id, -1 - s.n, r.r] AS key,
                   CASE WHEN s.reviewed_at IS NULL
                        THEN s.submitted_at + demo_secs(key, 'fb.at', 2 * 3600, 40 * 3600)
                        ELSE s.submitted_at + to_seconds(
                            date_diff('second', s.submitted_at, s.reviewed_at)
                            * (20 + 25 * r.r) // 100) END,
                   CASE s.approval
                       WHEN 'approved' THEN CASE WHEN demo_u(key, 'fb.verdict') < 0.85
                                                 THEN 'approve' END
                       WHEN 'changes_requested' THEN CASE WHEN demo_u(key, 'fb.verdict') < 0.8
                                                          THEN 'decline' END
                       ELSE CASE WHEN demo_u(key, 'fb.verdict') < 0.4 THEN 'approve'
                                 WHEN demo_u(key, 'fb.verdict') < 0.65 THEN 'decline' END END
            FROM demo_sub s JOIN demo_collab c ON c.id = s.collab_id
            JOIN creators cr ON cr.id = c.creator_id
            JOIN demo_reviewer r ON r.campaign_id = c.campaign_id
            WHERE r.r = 0 OR demo_u([r.campaign_id, -1 - s.n, r.r], 'fb.has') < 0.35
        ), pieces AS (SELECT * FROM on_creators UNION ALL SELECT * FROM on_content)
        SELECT p.*, f.owner, f.name AS campaign,
               -- some reviewers only click approve or decline
               CASE WHEN verdict IS NOT NULL AND demo_u(key, 'fb.silent') < 0.15 THEN ''
                    ELSE demo_pick({_nested(FEEDBACK_TEXTS)}[texts + {verdict_index}], key,
                                   'fb.text') END AS body,
               {_nested(REPLY_TEXTS)}[texts + {verdict_index}] AS replies,
               row_number() OVER (ORDER BY created_at, reviewer_n, key) - 1 AS n
        FROM pieces p JOIN demo_fb_campaign f USING (campaign_id)
    """)
    managers = "(SELECT list(username ORDER BY k) FROM demo_manager)"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_fb_reply AS
        SELECT n AS feedback_n, 'reply' AS kind, owner AS author,
               demo_pick(replies, key, 'rp.text') AS body,
               created_at + demo_secs(key, 'rp.at', 2 * 3600, 30 * 3600) AS created_at
        FROM demo_fb WHERE demo_u(key, 'rp.has') < 0.5
        UNION ALL
        SELECT n, 'internal_note', demo_pick({managers}, key, 'rp.noter'),
               demo_pick({_list(INTERNAL_NOTES)}, key, 'rp.note'),
               created_at + demo_secs(key, 'rp.noted', 1800, 20 * 3600)
        FROM demo_fb WHERE demo_u(key, 'rp.noted') < 0.15
    """)


def _insert_reviewers(cur: Cursor, base: dict[str, int]) -> None:
    """Reviewers with their invitation and its e-mail (reviewer_events); last visit just
    before their last piece of feedback (some who wrote nothing looked once, others never),
    write_seq bumped by each write on their data, as lib.feedback.claim_reviewer does."""
    cur.execute(f"""
        INSERT INTO reviewers (id, campaign_id, email, invited_at, invited_by, last_visit_at,
                               link_sent_at, write_seq)
        SELECT {base['reviewers']} + r.n, r.campaign_id, r.email, r.invited_at, r.owner,
               CASE WHEN f.last IS NOT NULL
                        THEN f.last - demo_secs([r.campaign_id, r.r], 'rv.visit', 60, 1200)
                    WHEN demo_u([r.campaign_id, r.r], 'rv.looked') < 0.4
                        THEN r.invited_at + demo_secs([r.campaign_id, r.r], 'rv.visit', 3 * 3600,
                                                      30 * 3600) END,
               r.invited_at + INTERVAL 2 SECOND,
               coalesce(f.pieces, 0) + coalesce(a.answers, 0)
        FROM demo_reviewer r
        LEFT JOIN (SELECT reviewer_n, max(created_at) AS last, count(*) AS pieces FROM demo_fb
                   GROUP BY ALL) f ON f.reviewer_n = r.n
        LEFT JOIN (SELECT f.reviewer_n, count(*) AS answers FROM demo_fb_reply a
                   JOIN demo_fb f ON f.n = a.feedback_n GROUP BY ALL) a ON a.reviewer_n = r.n
        ORDER BY r.n
    """)
    cur.execute(f"""
        INSERT INTO reviewer_events (id, campaign_id, reviewer_id, occurred_at, actor, kind, text)
        SELECT {base['reviewer_events']} + 2 * n + e, campaign_id, {base['reviewers']} + n,
               invited_at + to_seconds(2 * e), owner, ['invited', 'mail_sent'][e + 1],
               CASE WHEN e = 0 THEN email END
        FROM (SELECT *, unnest([0, 1]) AS e FROM demo_reviewer)
        ORDER BY 1
    """)


def _insert_feedback(cur: Cursor, base: dict[str, int]) -> None:
    """Feedback, its replies and notes, and the owner's notification of each piece (the text
    lib.reviewers.submit_feedback writes). The owner read the notifications of what was
    answered before answering; of the rest, about half."""
    fb = base["feedback"]
    cur.execute(f"""
        INSERT INTO feedback (id, campaign_id, reviewer_id, creator_id, content_item_id, body,
                              verdict, created_at)
        SELECT {fb} + n, campaign_id, {base['reviewers']} + reviewer_n, creator_id,
               {base['submissions']} + item_n, body, verdict, created_at
        FROM demo_fb ORDER BY n
    """)
    cur.execute(f"""
        INSERT INTO feedback_replies (id, feedback_id, kind, author, body, created_at)
        SELECT {base['feedback_replies']}
                   + row_number() OVER (ORDER BY created_at, feedback_n, kind) - 1,
               {fb} + feedback_n, kind, author, body, created_at
        FROM demo_fb_reply ORDER BY 1
    """)
    verb = "CASE f.verdict WHEN 'approve' THEN 'approved' WHEN 'decline' THEN 'declined'" \
           " ELSE 'left feedback on' END"
    cur.execute(f"""
        INSERT INTO notifications (id, user_id, kind, campaign_id, feedback_id, text, created_at,
                                   read_at)
        SELECT {base['notifications']} + f.n, o.owner_id, 'feedback', f.campaign_id, {fb} + f.n,
               f.email || ' ' || {verb} || ' ' || f.subject_name || ' (' || f.campaign || ')',
               f.created_at,
               CASE WHEN a.first IS NOT NULL
                        THEN f.created_at + to_seconds(date_diff('second', f.created_at, a.first)
                                                       // 2)
                    WHEN demo_u(f.key, 'nt.read') < 0.5
                        THEN f.created_at + demo_secs(f.key, 'nt.at', 3600, 20 * 3600) END
        FROM demo_fb f JOIN campaign_ownership o ON o.campaign_id = f.campaign_id
        LEFT JOIN (SELECT feedback_n, min(created_at) AS first FROM demo_fb_reply
                   WHERE kind = 'reply' GROUP BY ALL) a ON a.feedback_n = f.n
        ORDER BY f.n
    """)


def _inbox(cur: Cursor, build: _Build) -> dict[str, int]:
    """The conversations' messages, the assets with their e-mails (their asset_sent events
    are in the history), and each demo user's read state."""
    if not build.inbox:
        return {"messages": 0, "assets": 0, "thread_reads": 0}
    messages = _count(cur, "SELECT count(*) FROM demo_msg")
    base = _reserve_ids(cur, "messages", messages)
    cur.execute(f"""
        INSERT INTO messages (id, creator_id, campaign_id, direction, kind, subject, body, state,
                              error, created_at, created_by, channel, sender, recipient,
                              message_id_header, queued_at, sent_at, received_at, attempts)
        SELECT {base} + n, creator_id, campaign_id, direction, kind, subject, body, state, error,
               created_at, created_by, channel, sender, recipient, message_id_header, queued_at,
               sent_at, received_at, attempts
        FROM demo_msg ORDER BY n
    """)
    assets = _count(cur, "SELECT count(*) FROM demo_asset")
    asset_base = _reserve_ids(cur, "assets", assets)
    cur.execute(f"""
        INSERT INTO assets (id, collab_id, kind, value, message_id, created_at, created_by)
        SELECT {asset_base} + row_number() OVER (ORDER BY m.n) - 1, a.collab_id, a.asset_kind,
               a.value, {base} + m.n, a.moment, a.owner
        FROM demo_asset a JOIN demo_msg m ON m.creator_id = a.creator_id AND m.k = 100
        ORDER BY 1
    """)
    return {"messages": messages, "assets": assets, "thread_reads": _thread_reads(cur)}


def _thread_reads(cur: Cursor) -> int:
    """Per demo user and conversation: read to the end (more often by the collaboration's
    owner; a few of those marked unread again), read up to the creator's last reply (which
    is then unread), or never opened (no row: everything incoming is unread), as
    lib.inbox.mark_read and mark_unread leave it."""
    before = _count(cur, "SELECT count(*) FROM thread_reads")
    cur.execute("""
        INSERT INTO thread_reads (user_id, creator_id, last_read_id, marked_unread, updated_at)
        WITH last AS (
            SELECT m.creator_id, max(m.id) AS last_id, max(m.created_at) AS last_at,
                   max(m.id) FILTER (WHERE m.direction = 'in') AS last_in
            FROM messages m WHERE m.creator_id IN (SELECT creator_id FROM demo_thread)
            GROUP BY ALL
        ), before_reply AS (
            SELECT l.creator_id, max(m.id) AS id, arg_max(m.created_at, m.id) AS moment
            FROM last l JOIN messages m ON m.creator_id = l.creator_id AND m.id < l.last_in
            GROUP BY ALL
        ), choice AS (
            SELECT u.id AS user_id, u.k, t.creator_id, l.last_id, l.last_at, b.id AS before_id,
                   b.moment AS before_at, demo_u([t.creator_id, u.k], 'tr.read') AS r,
                   CASE WHEN u.username = t.owner THEN 0.6 ELSE 0.3 END AS read_share
            FROM demo_thread t JOIN last l USING (creator_id) CROSS JOIN demo_manager u
            LEFT JOIN before_reply b USING (creator_id)
        )
        SELECT user_id, creator_id,
               CASE WHEN r < read_share THEN last_id ELSE before_id END,
               r < read_share AND demo_u([creator_id, k], 'tr.marked') < 0.08,
               CASE WHEN r < read_share
                    THEN last_at + demo_secs([creator_id, k], 'tr.at', 600, 6 * 3600)
                    ELSE before_at + demo_secs([creator_id, k], 'tr.at', 300, 3600) END
        FROM choice
        WHERE r < read_share OR (r < read_share + 0.25 AND before_id IS NOT NULL)
        ORDER BY user_id, creator_id
    """)
    return _count(cur, "SELECT count(*) FROM thread_reads") - before


def _clean_up(cur: Cursor, build: _Build) -> dict[str, int]:
    _drop_temporaries(cur)
    return {}


# (label for the progress bar, step, rough share of the running time). The commit that
# follows the last step writes everything to disk and takes about a sixth of the time.
_COMMIT_WEIGHT = 18
_STEPS: tuple[tuple[str, Callable[[Cursor, _Build], dict[str, int]], int], ...] = (
    ("Demo users", _users, 1),
    ("Clients", _clients, 1),
    ("Campaigns", _campaigns, 1),
    ("Creators", _creators, 3),
    ("Creator tags", _creator_tags, 1),
    ("Planning collaborations", _plan_collaborations, 5),
    ("Campaign statuses", _campaign_states, 1),
    ("Campaigns in the workflow", _workflow, 1),
    ("Planning payments", _plan_payments, 1),
    ("Planning content", _plan_content, 2),
    ("Planning shipments", _plan_shipments, 1),
    ("Planning reviews and the inbox", _plan_reviews_and_inbox, 1),
    ("Collaborations", _collaborations, 13),
    ("Payments, content and shipments", _children, 12),
    ("Content for approval", _submissions, 1),
    ("Reviewers and feedback", _feedback, 1),
    ("Inbox", _inbox, 1),
    ("Activity history", _events, 45),
    ("Cleaning up", _clean_up, 1),
)
