"""Creators: tags, the validation badge and its manual override."""

from __future__ import annotations

from lib import rules, users
from lib.db import Cursor, Database, NotFound
from lib.models import MAX_TAG_CHARS, CreatorFacts, Role, User, ValidationStatus

# The facts lib.rules.creator_validation looks at, for the creators whose ids `{ids}` (a
# subquery) selects. The shared-handle check is the costly part: it compares with every
# creator, so it is made for one page of creators at a time.
FACTS_SQL = """
    WITH chosen AS (SELECT * FROM creators WHERE id IN ({ids})),
    shared AS (
        SELECT lower(c.handle) AS handle, c.platform FROM creators c
        WHERE (lower(c.handle), c.platform) IN (SELECT (lower(handle), platform) FROM chosen)
        GROUP BY ALL HAVING count(*) > 1
    )
    SELECT p.id, p.email, p.phone, p.address, p.followers, p.engagement_rate,
           p.validation_override, s.handle IS NOT NULL AS handle_shared
    FROM chosen p LEFT JOIN shared s ON s.handle = lower(p.handle) AND s.platform = p.platform
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
