"""Creators: adding one, tags, the validation badge and its manual override.

A creator is one account: one platform and one handle. The store refuses a second creator
with the same platform and handle key (migration 011's unique index), whoever writes it; the
services here look first, and turn the store's refusal (two people adding the same creator at
the same moment) into the same message a person can act on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from lib import rules, users
from lib.db import Cursor, Database, DuplicateKey, NotFound, utcnow
from lib.models import (
    MAX_TAG_CHARS,
    CreatorFacts,
    ImportedCreator,
    Role,
    User,
    ValidationStatus,
    platform_label,
)

T = TypeVar("T")
CLASH_RETRIES = 8  # fresh attempts after the store refused a creator someone else was adding

# The store's handle key, as in migration 011's unique index (a test checks they agree): the
# handle in lower case without surrounding whitespace (Unicode spaces too) or leading @s.
# lib.rules.check_handle has already NFKC-normalised a handle and refused inner spaces.
HANDLE_KEY = r"lower(regexp_replace({}, '^[\s\p{{Z}}@]+|[\s\p{{Z}}]+$', '', 'g'))"
# A name as compared by the badge rule: case and runs of spaces ignored.
_NAME_KEY = r"lower(regexp_replace(trim({}), '\s+', ' ', 'g'))"


def handle_key(expr: str) -> str:
    """SQL: the handle key of the handle `expr` (a column or a parameter)."""
    return HANDLE_KEY.format(expr)


# The facts lib.rules.creator_validation looks at, for the creators whose ids `{ids}` (a
# subquery) selects. `handle_shared`: the same handle is on another platform under another
# name (one of the two records may carry the wrong handle, or someone poses as the other).
# The store keeps one creator per platform and handle, so the same platform cannot repeat.
# Handles are kept as lib.rules.check_handle left them (no @, no surrounding spaces), so
# lower(handle) is their key here: HANDLE_KEY's regular expression over every creator would
# make each page of the collaborations list several times slower, for a hint.
# The check compares with every creator, so it is made for one page of creators at a time:
# first the creators with one of the page's handles (`same_handle`: one pass over the handles),
# and only then their platforms and names. Joining every creator on all three conditions at
# once made DuckDB work out the name key of each of them: 6x slower at 250,000 creators.
FACTS_SQL = f"""
    WITH chosen AS (SELECT * FROM creators WHERE id IN ({{ids}})),
    same_handle AS MATERIALIZED (
        SELECT o.handle, o.platform, o.name FROM creators o
        WHERE lower(o.handle) IN (SELECT lower(handle) FROM chosen)
    ),
    shared AS (
        SELECT DISTINCT p.id FROM chosen p JOIN same_handle o
        ON lower(o.handle) = lower(p.handle) AND o.platform <> p.platform
           AND {_NAME_KEY.format("o.name")} <> {_NAME_KEY.format("p.name")}
    )
    SELECT p.id, p.email, p.phone, p.address, p.followers, p.engagement_rate,
           p.validation_override, s.id IS NOT NULL AS handle_shared
    FROM chosen p LEFT JOIN shared s ON s.id = p.id
"""
FACT_COLUMNS = (
    "email", "phone", "address", "followers", "engagement_rate", "validation_override",
    "handle_shared",
)


def badge_from_facts(
    email: str | None,
    phone: str | None,
    address: str | None,
    followers: int,
    engagement_rate: float,
    validation_override: str | None,
    handle_shared: bool,
) -> ValidationStatus:
    """The badge for one row of FACTS_SQL (in FACT_COLUMNS order)."""
    facts = CreatorFacts(email, phone, address, followers, engagement_rate, handle_shared)
    return rules.creator_validation(facts, validation_override)


def validation_badges(db: Database, creator_ids: list[int]) -> dict[int, ValidationStatus]:
    """The badge of each creator, from its facts and lib.rules.creator_validation.

    Meant for one page of rows: the duplicate-handle check looks only at these creators' handles.
    """
    if not creator_ids:
        return {}
    rows = db.rows(FACTS_SQL.format(ids="SELECT unnest(?::BIGINT[])"), [creator_ids])
    return {r[0]: badge_from_facts(*r[1:]) for r in rows}


def tags_of(db: Database, creator_id: int) -> list[str]:
    return [
        r[0]
        for r in db.rows(
            "SELECT tag FROM creator_tags WHERE creator_id = ? ORDER BY tag", [int(creator_id)]
        )
    ]


def all_tags(db: Database) -> list[str]:
    return [r[0] for r in db.rows("SELECT DISTINCT tag FROM creator_tags ORDER BY tag")]


# --- one creator per platform and handle -----------------------------------------------------


def duplicate_message(platform: str, name: str, creator_id: int) -> str:
    return (f"A creator with that handle on {platform_label(platform)} already exists: {name}"
            f" (#{creator_id}).")


def same_account(cur: Cursor, pairs: list[tuple[str, str]]
                 ) -> dict[tuple[str, str], tuple[int, str]]:
    """The creator (id, name) already holding each (handle, platform) of `pairs`, by the
    store's handle key; pairs nobody holds are left out."""
    if not pairs:
        return {}
    rows = cur.execute(f"""
        SELECT w.handle, w.platform, c.id, c.name
        FROM (SELECT unnest($handles::VARCHAR[]) AS handle,
                     unnest($platforms::VARCHAR[]) AS platform) w
        JOIN creators c ON c.platform = w.platform
                       AND {handle_key("c.handle")} = {handle_key("w.handle")}
    """, {"handles": [h for h, _ in pairs], "platforms": [p for _, p in pairs]}).fetchall()
    return {(handle, platform): (cid, name) for handle, platform, cid, name in rows}


def handle_keys(cur: Cursor, handles: list[str]) -> dict[str, str]:
    """Each handle's key as the store computes it (one definition: HANDLE_KEY)."""
    rows = cur.execute(
        f"SELECT h, {handle_key('h')} FROM unnest(?::VARCHAR[]) t(h)", [handles]
    ).fetchall()
    return dict(rows)


def is_handle_clash(error: BaseException) -> bool:
    """True when `error` is the store refusing a second creator with a platform and handle
    (lib.db.DuplicateKey, which both stores raise, names the key)."""
    return isinstance(error, DuplicateKey) and "handle" in str(error)


def write_adding_creators(db: Database, work: Callable[[Cursor], T]) -> T:
    """`db.write(work)` for a write that adds creators and looks for existing ones first.

    Someone may add the same creator between that look-up and the insert. When the other
    transaction is still open at our commit, DuckDB refuses the commit and db.write retries;
    when the other row is already in the index (committed, or written by a transaction not yet
    committed), the insert itself is refused with a DuplicateKey. Then `work` runs again
    a moment later on a fresh snapshot, where its look-up finds the creator once the other
    transaction committed, and refuses with a message (or inserts, if that one rolled back)."""
    for attempt in range(CLASH_RETRIES + 1):
        try:
            return db.write(work)
        except DuplicateKey as clash:
            if not is_handle_clash(clash):
                raise
        time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
    raise rules.RuleViolation(
        "Someone was adding a creator with one of these handles at the same moment; nothing"
        " was saved. Try again to see which."
    )


def insert_creator(cur: Cursor, record: ImportedCreator) -> int:
    creator_id = int(cur.execute(
        "INSERT INTO creators (name, handle, platform, email, phone, address, followers,"
        " engagement_rate, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [record.name, record.handle, record.platform, record.email, record.phone,
         record.address, record.followers, record.engagement_rate, utcnow()],
    ).fetchone()[0])
    for tag in record.tags:
        cur.execute("INSERT INTO creator_tags (creator_id, tag) VALUES (?, ?)", [creator_id, tag])
    return creator_id


def add_creator(db: Database, user: User, fields: Mapping[str, object]) -> int:
    """A new creator from a form (the same fields and checks as a row of a creators import);
    its id. Refused with the existing creator's name when the platform and handle are taken."""
    grant = rules.require_role(user, Role.STAFF, "add creators")
    record = rules.check_creator_row(dict(fields))

    def write(cur: Cursor) -> int:
        taken = same_account(cur, [(record.handle, record.platform)])
        if taken:
            creator_id, name = next(iter(taken.values()))
            raise rules.RuleViolation(duplicate_message(record.platform, name, creator_id))
        return insert_creator(cur, record)

    return write_adding_creators(db, users.recheck(grant, write))


# --- tags and the badge --------------------------------------------------------------------


def _require_creator(cur: Cursor, creator_id: int) -> None:
    if not cur.execute("SELECT 1 FROM creators WHERE id = ?", [int(creator_id)]).fetchone():
        raise NotFound(f"There is no creator #{creator_id}.")


def add_tag(db: Database, user: User, creator_id: int, tag: str) -> str:
    grant = rules.require_role(user, Role.STAFF, "tag creators")
    tag = rules.check_text(tag, "The tag", MAX_TAG_CHARS)

    def write(cur: Cursor) -> None:
        _require_creator(cur, creator_id)
        cur.execute(
            "INSERT INTO creator_tags (creator_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [int(creator_id), tag],
        )

    db.write(users.recheck(grant, write))
    return tag


def remove_tag(db: Database, user: User, creator_id: int, tag: str) -> None:
    grant = rules.require_role(user, Role.STAFF, "untag creators")

    def write(cur: Cursor) -> None:
        _require_creator(cur, creator_id)
        gone = cur.execute(
            "DELETE FROM creator_tags WHERE creator_id = ? AND tag = ? RETURNING tag",
            [int(creator_id), tag],
        ).fetchall()
        if not gone:  # a stale page, most likely: someone removed it already
            raise rules.RuleViolation(
                f"This creator has no tag {rules.shown(tag)} (any more); reload to see the tags."
            )

    db.write(users.recheck(grant, write))


def set_validation_override(
    db: Database, user: User, creator_id: int, status: ValidationStatus | str | None
) -> None:
    """Pin a creator's badge by hand, or hand it back to the rule with None."""
    grant = rules.require_role(user, Role.STAFF, "override a creator's validation")
    try:
        value = ValidationStatus(status).value if status else None
    except ValueError:
        known = ", ".join(s.value for s in ValidationStatus)
        raise rules.RuleViolation(
            f"Unknown validation status {rules.shown(status)}; use one of {known}."
        ) from None

    def write(cur: Cursor) -> None:
        _require_creator(cur, creator_id)
        cur.execute(
            "UPDATE creators SET validation_override = ? WHERE id = ?", [value, int(creator_id)]
        )

    db.write(users.recheck(grant, write))
