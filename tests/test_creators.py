"""Creator tags and the validation badge's manual override."""

from __future__ import annotations

import pytest

from lib import collaborations as collabs
from lib import creators
from lib.collaborations import CollabFilter
from lib.db import Database
from lib.models import Role, ValidationStatus
from lib.rules import RuleViolation
from tests.conftest import World


def tagged(db: Database, tag: str) -> set[int]:
    return set(collabs.list_collaborations(db, CollabFilter(tag=tag)).rows["id"])


def test_tags_are_added_filtered_and_removed(db: Database, world: World, people: dict) -> None:
    staff, linus = people[Role.STAFF], world.creators["Linus"]
    assert creators.add_tag(db, staff, linus, "  Gaming ") == "Gaming"
    creators.add_tag(db, staff, linus, "Gaming")  # twice is once
    assert creators.tags_of(db, linus) == ["Gaming"]
    assert "Gaming" in creators.all_tags(db)
    assert tagged(db, "Gaming") == {world.collabs["linus_spring"], world.collabs["linus_launch"]}
    creators.remove_tag(db, staff, linus, "Gaming")
    assert creators.tags_of(db, linus) == [] and tagged(db, "Gaming") == set()
    with pytest.raises(RuleViolation, match="has no tag 'Gaming'"):
        creators.remove_tag(db, staff, linus, "Gaming")  # twice: the second is told


def test_a_viewer_cannot_tag(db: Database, world: World, people: dict) -> None:
    with pytest.raises(PermissionError):
        creators.add_tag(db, people[Role.VIEWER], world.creators["Ada"], "VIP")
    assert creators.tags_of(db, world.creators["Ada"]) == []


def test_the_override_wins_and_can_be_handed_back(db: Database, world: World, people: dict) -> None:
    staff, ada = people[Role.STAFF], world.creators["Ada"]
    assert creators.validation_badges(db, [ada])[ada] is ValidationStatus.FLAGGED  # shared handle
    creators.set_validation_override(db, staff, ada, "verified")
    assert creators.validation_badges(db, [ada])[ada] is ValidationStatus.VERIFIED
    rows = collabs.list_collaborations(db, CollabFilter(search="ada lovelace")).rows
    assert set(rows["validation"]) == {"verified"}
    creators.set_validation_override(db, staff, ada, None)
    assert creators.validation_badges(db, [ada])[ada] is ValidationStatus.FLAGGED
