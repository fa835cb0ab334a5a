"""The deliveries service against a real temporary DuckDB file: new shipments, status changes
with preview and confirm, the list and its filters, the summaries, and the migration."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from lib import campaigns, deliveries, users
from lib.db import ConcurrentEditError, Database, NotFound
from lib.deliveries import DeliveryFilter
from lib.models import ChangeOutcome, DeliveryStatus, Role, ShipmentChange, User
from lib.rules import RuleViolation
from tests.conftest import T0, World, event_count

D = DeliveryStatus


def shipment(db: Database, shipment_id: int) -> dict:
    with db.cursor() as cur:
        cur.execute("SELECT * FROM shipments WHERE id = ?", [shipment_id])
        row = cur.fetchone()
        names = [d[0] for d in cur.description]
    assert row is not None
    return dict(zip(names, row, strict=True))


def snapshot(db: Database) -> tuple:
    """Everything a delivery write may touch, to check that nothing was written."""
    return (
        db.rows("SELECT * FROM shipments ORDER BY id"),
        db.rows("SELECT * FROM activity_events ORDER BY id"),
        db.rows("SELECT id, updated_at, version FROM collaborations ORDER BY id"),
    )


def execute(db: Database, sql: str, params: list) -> None:
    """A set-up statement. (Not db.value with RETURNING: DuckDB refuses an UPDATE … RETURNING
    of a row that other tables reference, such as a creator's.)"""
    with db.cursor() as cur:
        cur.execute(sql, params)


def set_status(
    db: Database, shipment_id: int, status: str, since: dt.datetime, reason: str | None = None
) -> None:
    """Put a shipment in `status` since `since` directly (a test set-up, not a service call)."""
    execute(
        db,
        "UPDATE shipments SET status = ?, status_changed_at = ?, exception_reason = ?"
        " WHERE id = ?",
        [status, since, reason, shipment_id],
    )


@pytest.fixture
def staff(people: dict[Role, User]) -> User:
    return people[Role.STAFF]


@pytest.fixture
def ships(db: Database, world: World, staff: User) -> dict[str, int]:
    """One shipment for each collaboration that may get one (all but the cancelled one)."""
    w = world.collabs
    made = {}
    for key, carrier in (("ada_spring", "DHL"), ("grace_spring", "UPS"), ("linus_spring", "DHL"),
                         ("mary_spring", ""), ("grace_summer", "GLS"),
                         ("linus_launch", "DHL"), ("grace_launch", "UPS")):  # fmt: skip
        made[key] = deliveries.create_shipment(db, staff, w[key], "Serum kit", carrier)
    return made


# --- new shipments ----------------------------------------------------------------------


def test_a_batch_of_new_shipments_with_refusals(db: Database, world: World, staff: User) -> None:
    w = world.collabs
    execute(db, "UPDATE creators SET address = NULL WHERE id = ?", [world.creators["Mary"]])
    asked = [w["ada_spring"], w["linus_spring"], w["ada_summer"], w["mary_spring"], 999_999]
    before = snapshot(db)
    preview = deliveries.preview_new_shipments(db, staff, asked, " Serum kit ", "DHL")
    assert snapshot(db) == before  # a preview writes nothing
    assert preview.item == "Serum kit"
    assert preview.valid == [w["ada_spring"], w["linus_spring"]]
    refused = {r.collab_id: r.message for r in preview.refused}
    assert "cancelled" in refused[w["ada_summer"]]
    assert "no shipping address" in refused[w["mary_spring"]]
    assert refused[999_999] == "No collaboration #999999."

    result = deliveries.create_shipments(db, staff, asked, "Serum kit", "DHL")
    assert set(result.made) == {w["ada_spring"], w["linus_spring"]}
    assert result.refused.keys() == refused.keys()
    assert result.summary() == "2 shipments created; 3 refused."
    for collab_id, shipment_id in result.made.items():
        row = shipment(db, shipment_id)
        assert (row["collab_id"], row["item"], row["carrier"], row["status"]) == (
            collab_id, "Serum kit", "DHL", "pending")  # fmt: skip
        assert (row["address"], row["version"], row["tracking_number"]) == (
            "Main St 1, Berlin", 1, "")  # fmt: skip
        assert row["shipped_on"] is None and row["delivered_on"] is None
        assert event_count(db, collab_id, "shipment_created") == 1
    assert db.value("SELECT count(*) FROM shipments") == 2
    assert event_count(db, None, "shipment_created") == 2
    text = db.value("SELECT text FROM activity_events WHERE kind = 'shipment_created' LIMIT 1")
    assert text.startswith("Shipment #") and "Serum kit (DHL)" in text


def test_the_address_is_copied_at_creation(db: Database, world: World, staff: User) -> None:
    shipment_id = deliveries.create_shipment(db, staff, world.collabs["ada_spring"], "Kit")
    execute(db, "UPDATE creators SET address = 'Elsewhere 9' WHERE id = ?", [world.creators["Ada"]])
    assert shipment(db, shipment_id)["address"] == "Main St 1, Berlin"


def test_the_same_item_is_not_sent_twice_unless_the_first_went_wrong(
    db: Database, world: World, staff: User
) -> None:
    collab = world.collabs["linus_spring"]
    first = deliveries.create_shipment(db, staff, collab, "Serum kit")
    with pytest.raises(RuleViolation, match="already has a shipment of this item"):
        deliveries.create_shipment(db, staff, collab, "  SERUM KIT ")
    assert deliveries.create_shipment(db, staff, collab, "Lip balm")  # another item is fine
    set_status(db, first, "exception", T0, "lost")
    second = deliveries.create_shipment(db, staff, collab, "Serum kit")
    assert second != first


@pytest.mark.parametrize(
    ("item", "carrier", "message"),
    [("", "", "The item is required"), ("   ", "DHL", "The item is required"),
     ("x" * 201, "", "too long"), ("Kit", "x" * 61, "too long")],
)  # fmt: skip
def test_bad_new_shipments_write_nothing(
    db: Database, world: World, staff: User, item: str, carrier: str, message: str
) -> None:
    before = snapshot(db)
    with pytest.raises(RuleViolation, match=message):
        deliveries.create_shipments(db, staff, [world.collabs["ada_spring"]], item, carrier)
    assert snapshot(db) == before


def test_new_shipments_need_staff(db: Database, world: World, people: dict[Role, User]) -> None:
    before = snapshot(db)
    with pytest.raises(PermissionError, match="viewer"):
        deliveries.create_shipments(db, people[Role.VIEWER], [world.collabs["ada_spring"]], "Kit")
    with pytest.raises(PermissionError):
        deliveries.preview_new_shipments(db, people[Role.VIEWER], [1], "Kit")
    assert snapshot(db) == before
    assert deliveries.create_shipment(db, people[Role.MANAGER], world.collabs["ada_spring"], "K")


@pytest.mark.parametrize("ids", [[], ["abc"], [2**70], [None]])
def test_new_shipments_with_bad_ids(db: Database, world: World, staff: User, ids: list) -> None:
    before = snapshot(db)
    with pytest.raises((RuleViolation, NotFound)):
        deliveries.create_shipments(db, staff, ids, "Kit")
    assert snapshot(db) == before


def test_when_every_one_is_refused_nothing_is_written(
    db: Database, world: World, staff: User
) -> None:
    before = snapshot(db)
    result = deliveries.create_shipments(db, staff, [world.collabs["ada_summer"], 424242], "Kit")
    assert result.made == {} and len(result.refused) == 2
    assert snapshot(db) == before
    with pytest.raises(RuleViolation, match="cancelled"):
        deliveries.create_shipment(db, staff, world.collabs["ada_summer"], "Kit")


def test_shippable_lists_a_campaigns_collaborations(db: Database, world: World) -> None:
    found = deliveries.shippable(db, world.campaigns["Spring"])
    assert list(found["id"]) == [world.collabs["linus_spring"]]  # fulfilling, by default
    everyone = deliveries.shippable(db, world.campaigns["Spring"], ())
    assert len(everyone) == 4


def test_concurrent_new_shipments_of_one_item_make_one(
    db: Database, world: World, staff: User
) -> None:
    """Two people ship the same item to the same collaboration at the same moment: touching
    the collaboration makes the two transactions conflict, the retry sees the first one's
    shipment and refuses."""
    collab = world.collabs["linus_spring"]
    start = threading.Barrier(4)
    outcomes: list[object] = []

    def ship() -> None:
        start.wait()
        try:
            outcomes.append(deliveries.create_shipment(db, staff, collab, "Serum kit"))
        except (RuleViolation, ConcurrentEditError) as refusal:
            outcomes.append(refusal)

    threads = [threading.Thread(target=ship) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.value("SELECT count(*) FROM shipments WHERE collab_id = ?", [collab]) == 1
    assert sum(isinstance(o, int) for o in outcomes) == 1
    assert event_count(db, collab, "shipment_created") == 1


# --- status changes ------------------------------------------------------------------------


def test_a_batch_status_change_with_refusals(
    db: Database, ships: dict[str, int], staff: User
) -> None:
    set_status(db, ships["mary_spring"], "delivered", T0)
    ids = [ships["ada_spring"], ships["linus_spring"], ships["mary_spring"], 777]
    before = snapshot(db)
    preview = deliveries.preview_status_change(db, staff, ids, "in_transit")
    assert snapshot(db) == before
    outcomes = {r.shipment_id: (r.outcome, r.message) for r in preview.rows}
    assert outcomes[ships["ada_spring"]] == (ChangeOutcome.UPDATED, "Pending → In transit")
    assert outcomes[ships["mary_spring"]][0] is ChangeOutcome.REFUSED
    assert "cannot go from Delivered back to In transit" in outcomes[ships["mary_spring"]][1]
    assert outcomes[777] == (ChangeOutcome.REFUSED, "No shipment #777.")
    assert set(preview.planned) == {ships["ada_spring"], ships["linus_spring"]}

    result = deliveries.apply_changes(db, staff, preview.planned)
    assert sorted(result.done) == sorted(preview.planned)
    assert result.summary() == "2 shipments updated."
    today = dt.datetime.now(dt.UTC).date()
    for key in ("ada_spring", "linus_spring"):
        row = shipment(db, ships[key])
        assert (row["status"], row["version"], row["shipped_on"]) == ("in_transit", 2, today)
    assert shipment(db, ships["mary_spring"])["status"] == "delivered"
    events = db.rows(
        "SELECT collab_id, from_status, to_status, actor, text FROM activity_events"
        " WHERE kind = 'delivery_changed' ORDER BY collab_id"
    )
    assert [(e[1], e[2], e[3]) for e in events] == [("pending", "in_transit", "staff")] * 2
    assert "Serum kit: Pending → In transit" in events[0][4]


def test_an_exception_needs_a_reason_and_a_reship_clears_it(
    db: Database, ships: dict[str, int], staff: User
) -> None:
    sid = ships["linus_spring"]
    preview = deliveries.preview_status_change(db, staff, [sid], "exception", "  ")
    assert preview.rows[0].outcome is ChangeOutcome.REFUSED
    assert "Give a reason" in preview.rows[0].message
    assert preview.planned == {}
    deliveries.apply_changes(db, staff, deliveries.preview_status_change(
        db, staff, [sid], "delivered").planned)  # fmt: skip
    deliveries.apply_changes(db, staff, deliveries.preview_status_change(
        db, staff, [sid], "exception", " returned: wrong size ").planned)  # fmt: skip
    row = shipment(db, sid)
    assert (row["status"], row["exception_reason"], row["delivered_on"]) == (
        "exception", "returned: wrong size", None)  # fmt: skip
    assert row["shipped_on"] is not None
    deliveries.apply_changes(db, staff, deliveries.preview_status_change(
        db, staff, [sid], "pending").planned)  # fmt: skip
    row = shipment(db, sid)
    assert (row["status"], row["exception_reason"], row["shipped_on"], row["version"]) == (
        "pending", None, None, 4)  # fmt: skip
    kinds = db.rows(
        "SELECT from_status, to_status FROM activity_events"
        " WHERE kind = 'delivery_changed' ORDER BY id"
    )
    assert kinds == [("pending", "delivered"), ("delivered", "exception"),
                     ("exception", "pending")]  # fmt: skip


def test_a_change_made_since_the_preview_is_refused(
    db: Database, ships: dict[str, int], staff: User
) -> None:
    ids = [ships["ada_spring"], ships["grace_spring"]]
    preview = deliveries.preview_status_change(db, staff, ids, "in_transit")
    # Someone else adds a tracking number to the first one meanwhile.
    deliveries.update_shipment(db, staff, ids[0], 1, ShipmentChange(ids[0], None, None, "JJD9"))
    result = deliveries.apply_changes(db, staff, preview.planned)
    assert result.done == [ids[1]]
    assert result.refused == {ids[0]: "Changed since the preview by someone else; preview again."}
    assert shipment(db, ids[0])["status"] == "pending"


def test_one_shipment_updated_with_its_tracking_number(
    db: Database, ships: dict[str, int], staff: User
) -> None:
    sid = ships["grace_launch"]
    change = ShipmentChange(sid, D.IN_TRANSIT, None, "1Z 999 AA1", "UPS Express")
    message = deliveries.update_shipment(db, staff, sid, 1, change)
    assert message == "1 shipment updated."
    row = shipment(db, sid)
    assert (row["status"], row["tracking_number"], row["carrier"], row["version"]) == (
        "in_transit", "1Z 999 AA1", "UPS Express", 2)  # fmt: skip
    text = db.value("SELECT text FROM activity_events WHERE kind = 'delivery_changed'")
    assert text.endswith("Pending → In transit; carrier UPS Express; tracking 1Z 999 AA1")
    before = snapshot(db)
    with pytest.raises(RuleViolation, match="Nothing to change"):
        deliveries.update_shipment(db, staff, sid, 2, change)
    with pytest.raises(RuleViolation, match="Changed since the preview"):
        deliveries.update_shipment(db, staff, sid, 1, ShipmentChange(sid, D.DELIVERED))
    with pytest.raises(RuleViolation, match="tracking number"):
        deliveries.update_shipment(db, staff, sid, 2, ShipmentChange(sid, None, None, "=cmd|x"))
    with pytest.raises(NotFound):
        deliveries.update_shipment(db, staff, 123456, 1, ShipmentChange(0, D.DELIVERED))
    with pytest.raises(PermissionError):
        deliveries.update_shipment(db, User(99, "v", "V", "", Role.VIEWER), sid, 2,
                                   ShipmentChange(sid, D.DELIVERED))  # fmt: skip
    assert snapshot(db) == before


def test_status_changes_need_staff(
    db: Database, ships: dict[str, int], people: dict[Role, User]
) -> None:
    viewer = people[Role.VIEWER]
    with pytest.raises(PermissionError):
        deliveries.preview_status_change(db, viewer, [ships["ada_spring"]], "in_transit")
    planned = deliveries.preview_status_change(
        db, people[Role.STAFF], [ships["ada_spring"]], "in_transit").planned  # fmt: skip
    before = snapshot(db)
    with pytest.raises(PermissionError):
        deliveries.apply_changes(db, viewer, planned)
    disabled = User(viewer.id, "gone", "Gone", "", Role.ADMIN, disabled=True)
    with pytest.raises(PermissionError):
        deliveries.apply_changes(db, disabled, planned)
    assert snapshot(db) == before


def test_bad_batch_input(db: Database, ships: dict[str, int], staff: User) -> None:
    with pytest.raises(RuleViolation, match="Unknown delivery status"):
        deliveries.preview_status_change(db, staff, [ships["ada_spring"]], "lost")
    with pytest.raises(RuleViolation, match="at least one"):
        deliveries.preview_status_change(db, staff, [], "delivered")
    with pytest.raises(RuleViolation, match="at most"):
        deliveries.preview_status_change(db, staff, list(range(1, 5_002)), "delivered")
    with pytest.raises(RuleViolation, match="only once"):
        deliveries.preview_changes(db, staff, [ShipmentChange(1), ShipmentChange(1)])
    sid = ships["ada_spring"]
    preview = deliveries.preview_status_change(db, staff, [sid], "exception", "x" * 2_000)
    assert preview.rows[0].outcome is ChangeOutcome.REFUSED
    assert "too long" in preview.rows[0].message
    # A hand-made plan is judged again when applied: refused, nothing written.
    before = snapshot(db)
    result = deliveries.apply_changes(
        db, staff, {sid: (ShipmentChange(sid, D.EXCEPTION, "x" * 2_000), 1)}
    )
    assert result.done == [] and "too long" in result.refused[sid]
    assert snapshot(db) == before
    assert shipment(db, ships["ada_spring"])["status"] == "pending"


# --- the list -----------------------------------------------------------------------------


def listed(db: Database, now: dt.datetime | None = None, **filters: object) -> set[int]:
    page = deliveries.list_shipments(db, DeliveryFilter(**filters), page_size=200, now=now)
    assert page.total == len(page.rows)
    return set(page.rows["id"])


def test_filters(db: Database, world: World, ships: dict[str, int]) -> None:
    s = ships
    now = T0 + dt.timedelta(days=20)
    set_status(db, s["linus_spring"], "in_transit", T0 + dt.timedelta(days=2))  # 18 days
    set_status(db, s["grace_launch"], "in_transit", T0 + dt.timedelta(days=15))  # 5 days
    set_status(db, s["grace_summer"], "exception", T0, "damaged")
    assert listed(db) == set(s.values())
    assert listed(db, statuses=("in_transit",)) == {s["linus_spring"], s["grace_launch"]}
    assert listed(db, statuses=("In transit", "exception")) == {
        s["linus_spring"], s["grace_launch"], s["grace_summer"]}  # fmt: skip
    assert listed(db, campaign_id=world.campaigns["Launch"]) == {
        s["linus_launch"], s["grace_launch"]}  # fmt: skip
    assert listed(db, client_id=world.clients["Globex"]) == {
        s["linus_launch"], s["grace_launch"]}  # fmt: skip
    assert listed(db, carrier="DHL") == {s["ada_spring"], s["linus_spring"], s["linus_launch"]}
    assert listed(db, now, in_transit_days=10) == {s["linus_spring"]}
    assert listed(db, now, in_transit_days=4) == {s["linus_spring"], s["grace_launch"]}
    assert listed(db, now, in_transit_days=0) == {s["linus_spring"], s["grace_launch"]}
    assert listed(db, exceptions_open=True) == {s["grace_summer"]}
    assert listed(db, search="@GRACE") == {s["grace_spring"], s["grace_summer"], s["grace_launch"]}
    assert listed(db, search="serum", campaign_id=world.campaigns["Summer"]) == {
        s["grace_summer"]}  # fmt: skip
    assert listed(db, exceptions_open=True, carrier="DHL") == set()


def test_the_client_filter_follows_campaign_ownership(
    db: Database, world: World, ships: dict[str, int]
) -> None:
    """A campaign handed to another client (campaign_ownership) is listed under the new one."""
    db.value("UPDATE campaign_ownership SET client_id = ? WHERE campaign_id = ? RETURNING 1",
             [world.clients["Globex"], world.campaigns["Summer"]])  # fmt: skip
    assert listed(db, client_id=world.clients["Globex"]) == {
        ships["grace_summer"], ships["linus_launch"], ships["grace_launch"]}  # fmt: skip
    assert ships["grace_summer"] not in listed(db, client_id=world.clients["Acme"])
    page = deliveries.list_shipments(db, DeliveryFilter(campaign_id=world.campaigns["Summer"]))
    assert list(page.rows["client"]) == ["Globex"]
    summer = campaigns.campaign_choices(db, world.clients["Globex"])
    assert (world.campaigns["Summer"], "Summer", "Globex") in summer


def test_the_columns_and_days_in_status(
    db: Database, world: World, ships: dict[str, int]
) -> None:
    set_status(db, ships["linus_spring"], "in_transit", T0)
    now = T0 + dt.timedelta(days=6, hours=23)
    page = deliveries.list_shipments(
        db, DeliveryFilter(statuses=("in_transit",)), now=now
    )
    row = page.rows.iloc[0].to_dict()
    assert (row["creator"], row["campaign"], row["client"], row["collab_status"]) == (
        "Linus Field", "Spring", "Acme", "fulfilling")  # fmt: skip
    assert (row["item"], row["carrier"], row["status"], row["days_in_status"]) == (
        "Serum kit", "DHL", "in_transit", 6)  # fmt: skip


def test_sorting_and_paging(db: Database, world: World, ships: dict[str, int]) -> None:
    for offset, key in enumerate(("grace_launch", "ada_spring", "mary_spring")):
        set_status(db, ships[key], "pending", T0 + dt.timedelta(days=offset))
    by_wait = deliveries.list_shipments(db, DeliveryFilter(), "days_in_status", True,
                                        page_size=3)  # fmt: skip
    assert list(by_wait.rows["id"]) == [ships[k] for k in ("grace_launch", "ada_spring",
                                                           "mary_spring")]  # fmt: skip
    by_creator = deliveries.list_shipments(db, DeliveryFilter(), "creator", False, page_size=200)
    assert list(by_creator.rows["creator"]) == sorted(by_creator.rows["creator"])
    assert (by_wait.total, by_wait.pages) == (7, 3)
    last = deliveries.list_shipments(db, DeliveryFilter(), page=99, page_size=3)
    assert (last.page, len(last.rows)) == (3, 1)
    empty = deliveries.list_shipments(db, DeliveryFilter(carrier="Nobody"), page=5)
    assert (empty.total, empty.page, empty.pages) == (0, 1, 1)


def test_days_in_status_sorts_both_ways_with_ties_by_id(
    db: Database, world: World, ships: dict[str, int]
) -> None:
    """The longest wait first (its earliest change), the newest shipment first among equal
    waits; ascending, the exact opposite order."""
    for key in ships:
        set_status(db, ships[key], "pending", T0)  # every wait equal...
    for offset, key in enumerate(("grace_launch", "ada_spring")):
        set_status(db, ships[key], "in_transit", T0 - dt.timedelta(days=offset + 1))  # ...but two
    def paged(descending: bool) -> list[int]:  # pages of two: each page picks the right rows
        return [int(i) for page in range(1, 5) for i in deliveries.list_shipments(
            db, DeliveryFilter(), "days_in_status", descending, page, page_size=2).rows["id"]]

    tied = sorted((i for k, i in ships.items() if k not in ("grace_launch", "ada_spring")),
                  reverse=True)
    assert paged(True) == [ships["ada_spring"], ships["grace_launch"], *tied]
    assert paged(False) == list(reversed(paged(True)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"sort": "price"}, "Unknown sort"), ({"page_size": 0}, "A page has"),
     ({"page_size": 10_000}, "A page has")],
)  # fmt: skip
def test_bad_list_requests(db: Database, world: World, kwargs: dict, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        deliveries.list_shipments(db, DeliveryFilter(), **kwargs)


@pytest.mark.parametrize(
    ("filters", "message"),
    [({"statuses": ("lost",)}, "Unknown delivery status"),
     ({"in_transit_days": -1}, "In transit longer than"),
     ({"in_transit_days": 10**9}, "In transit longer than"),
     ({"search": "x" * 101}, "too long")],
)  # fmt: skip
def test_bad_filters(db: Database, world: World, filters: dict, message: str) -> None:
    with pytest.raises(RuleViolation, match=message):
        deliveries.list_shipments(db, DeliveryFilter(**filters))


def test_matching_ids_is_the_whole_filter(db: Database, ships: dict[str, int]) -> None:
    assert set(deliveries.matching_ids(db, DeliveryFilter(carrier="UPS"))) == {
        ships["grace_spring"], ships["grace_launch"]}  # fmt: skip


# --- summaries -----------------------------------------------------------------------------


def test_summary_tiles(db: Database, world: World, ships: dict[str, int]) -> None:
    now = T0 + dt.timedelta(days=10)
    set_status(db, ships["linus_spring"], "in_transit", T0 + dt.timedelta(days=1))
    set_status(db, ships["grace_spring"], "in_transit", T0 + dt.timedelta(days=3))
    set_status(db, ships["mary_spring"], "delivered", T0)
    set_status(db, ships["grace_launch"], "exception", T0, "lost")
    spring = deliveries.summary(db, world.campaigns["Spring"], now=now)
    assert (spring.pending, spring.in_transit, spring.delivered, spring.exception) == (1, 2, 1, 0)
    oldest = spring.oldest_in_transit
    assert oldest is not None
    assert (oldest.shipment_id, oldest.creator, oldest.item, oldest.days) == (
        ships["linus_spring"], "Linus Field", "Serum kit", 9)  # fmt: skip
    launch = deliveries.summary(db, world.campaigns["Launch"], now=now)
    assert (launch.pending, launch.exception, launch.oldest_in_transit) == (1, 1, None)
    everything = deliveries.summary(db, now=now)
    assert everything.total == 7
    acme = deliveries.summary(db, client_id=world.clients["Acme"], now=now)
    assert acme.total == 5

    per = deliveries.summary_by_campaign(db, now=now).rows
    assert list(per["campaign"]) == ["Launch", "Spring", "Summer"]  # most exceptions first
    spring_row = per[per["campaign"] == "Spring"].iloc[0]
    assert (spring_row["in_transit"], spring_row["longest_in_transit_days"]) == (2, 9)


# --- the migration -------------------------------------------------------------------------


def test_migration_006_on_a_database_with_demo_data(tmp_path) -> None:
    """The version column is added to shipments that are already there (demo data), and the
    services work on them: run 006 again on a demo database that has it undone."""
    from lib.demo import build_demo

    path = tmp_path / "demo.duckdb"
    db = Database(path)
    build_demo(db, 300)
    execute(db, "ALTER TABLE shipments DROP COLUMN version", [])  # the schema before 006
    execute(db, "DELETE FROM schema_version WHERE version = 6", [])
    count = db.value("SELECT count(*) FROM shipments")
    db.close()
    db = Database(path)  # migrates again
    try:
        assert count > 0
        assert db.rows("SELECT DISTINCT version FROM shipments") == [(1,)]
        # A real account: every write re-reads its actor in the store (issue 14.2).
        staff = users.get_user(db, "demo.manager1")
        pending = db.value("SELECT min(id) FROM shipments WHERE status = 'pending'")
        deliveries.update_shipment(db, staff, pending, 1, ShipmentChange(pending, D.IN_TRANSIT))
        assert shipment(db, pending)["version"] == 2
        assert deliveries.list_shipments(db, DeliveryFilter()).total == count
    finally:
        db.close()
