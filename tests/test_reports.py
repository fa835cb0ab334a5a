"""The weekly client report (lib.reports) on a small hand-built week, its files, and the
`python -m lib report weekly` command, also while another process holds the database.

The report week is 2026-W11: Monday 9 March 2026 00:00 to Monday 16 March 00:00 (UTC); the
week before is 2026-W10 (2-8 March). Every expected figure below is worked out by hand from
the `week` fixture's docstring.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from lib import collaborations as collabs
from lib import progress, reports, snapshots
from lib.db import Database, NotFound
from lib.models import Role, User
from lib.reports import ReportScope
from lib.rules import RuleViolation
from tests.conftest import World, add_collab, assert_ok, labelled, login, texts

ROOT = Path(__file__).resolve().parent.parent
WEEK = "2026-W11"


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second)


def change(db: Database, collab_id: int, when: dt.datetime, old: str, new: str,
           reason: str | None = None) -> None:
    db.value(
        "INSERT INTO activity_events (collab_id, occurred_at, actor, kind, from_status,"
        " to_status, text) VALUES (?, ?, 'manager', 'status_changed', ?, ?, ?) RETURNING id",
        [collab_id, when, old, new, reason],
    )


def pay(db: Database, collab_id: int, amount: str, currency: str, day: dt.date,
        recorded: dt.datetime) -> None:
    db.value(
        "INSERT INTO payments (collab_id, amount, currency, paid_on, reference, created_at,"
        " created_by) VALUES (?, ?, ?, ?, 'INV', ?, 'staff') RETURNING id",
        [collab_id, amount, currency, day, recorded],
    )


def content(db: Database, collab_id: int, kind: str, day: dt.date) -> None:
    db.value(
        "INSERT INTO content_items (collab_id, url, kind, delivered_on, created_at, created_by)"
        " VALUES (?, 'https://example.com/p', ?, ?, ?, 'staff') RETURNING id",
        [collab_id, kind, day, dt.datetime.combine(day, dt.time(12))],
    )


def submit(db: Database, collab_id: int, kind: str, day: dt.date, approval: str,
           reviewed: dt.datetime | None = None) -> int:
    """Content sent in for approval (issue 5), and the decision if there was one yet."""
    return db.value(
        "INSERT INTO content_items (collab_id, url, kind, delivered_on, created_at, created_by,"
        " approval, reviewed_at, reviewed_by) VALUES (?, 'https://example.com/s', ?, ?, ?,"
        " 'staff', ?, ?, ?) RETURNING id",
        [collab_id, kind, day, dt.datetime.combine(day, dt.time(12)), approval, reviewed,
         "client@acme.test" if reviewed else None],
    )


def reviewer(db: Database, campaign_id: int, email: str) -> int:
    return db.value("INSERT INTO reviewers (campaign_id, email, invited_at, invited_by)"
                    " VALUES (?, ?, ?, 'manager') RETURNING id", [campaign_id, email, at(2)])


def feedback(db: Database, campaign_id: int, reviewer_id: int, when: dt.datetime,
             verdict: str | None, body: str, creator_id: int | None = None,
             content_id: int | None = None) -> None:
    db.value("INSERT INTO feedback (campaign_id, reviewer_id, creator_id, content_item_id, body,"
             " verdict, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
             [campaign_id, reviewer_id, creator_id, content_id, body, verdict, when])


def asset(db: Database, collab_id: int, creator_id: int, campaign_id: int, kind: str,
          value: str, when: dt.datetime) -> None:
    message = db.value(
        "INSERT INTO messages (creator_id, campaign_id, direction, kind, state, created_at,"
        " created_by) VALUES (?, ?, 'out', 'asset', 'sent', ?, 'staff') RETURNING id",
        [creator_id, campaign_id, when])
    db.value("INSERT INTO assets (collab_id, kind, value, message_id, created_at, created_by)"
             " VALUES (?, ?, ?, ?, ?, 'staff') RETURNING id",
             [collab_id, kind, value, message, when])


def ship(db: Database, collab_id: int, status: str, created: dt.datetime,
         delivered: dt.date | None = None, reason: str | None = None) -> None:
    db.value(
        "INSERT INTO shipments (collab_id, item, carrier, tracking_number, status,"
        " exception_reason, shipped_on, delivered_on, status_changed_at, created_at)"
        " VALUES (?, 'Skincare set', 'DHL', 'T1', ?, ?, ?, ?, ?, ?) RETURNING id",
        [collab_id, status, reason, created.date(), delivered,
         dt.datetime.combine(delivered, dt.time(15)) if delivered else created, created],
    )


def agreement(db: Database, campaign_id: int, creator_id: int, sent: dt.datetime,
              outcome: str | None = None, answered: dt.datetime | None = None) -> None:
    application = db.value(
        "INSERT INTO applications (campaign_id, creator_id, source, stage, created_at,"
        " updated_at) VALUES (?, ?, 'applied', 'selected', ?, ?) RETURNING id",
        [campaign_id, creator_id, sent, sent],
    )
    db.value(
        "INSERT INTO agreements (application_id, deliverables, compensation, currency, sent_at,"
        " deadline, sent_by, outcome, responded_at)"
        " VALUES (?, '1 reel', 650, 'EUR', ?, ?, 'manager', ?, ?) RETURNING id",
        [application, sent, sent + dt.timedelta(days=3), outcome, answered],
    )


@pytest.fixture
def week(db: Database, world: World) -> World:
    """Acme's Spring and Summer campaigns through 2026-W10 and W11 (Globex's Launch moves too,
    and must stay out of Acme's report).

    Status changes (the conftest world created each collaboration at 09:00, 2-9 March):
      linus_spring  pending -> negotiating Fri 6 Mar 12:00, -> fulfilling Mon 9 Mar 00:00:00
      mary_spring   pending -> fulfilling Sat 7 Mar 12:00, -> completed Sun 15 Mar 23:59:59
      grace_spring  pending -> negotiating Thu 12 Mar 10:00
      ada_summer    pending -> cancelled Wed 11 Mar 14:00, "Creator withdrew"
      mary_summer   NEW Wed 11 Mar 08:00 (900 EUR), -> negotiating Thu 12 09:00,
                    -> back to pending Fri 13 09:00, "Budget on hold"
      linus_summer  NEW Mon 16 Mar 00:00:00 (week 12: in neither week)
      Globex: linus_launch -> negotiating Tue 10, grace_launch -> fulfilling Tue 10
    Payments: linus_spring 100 EUR paid Sun 15 (recorded 23:59), 50 EUR paid Mon 16,
      20 USD paid Thu 12; mary_spring 400 EUR paid Sun 8; Globex grace_launch 80 EUR Wed 11.
    Content recorded as delivered (approved from the start): ada_spring story Mon 9,
      linus_spring reel Sun 15, mary_spring post Mon 16; Globex grace_launch post Tue 10.
    Content sent in for approval: grace_spring video Wed 4, changes requested Wed 11 10:00;
      linus_spring post Tue 10, approved Thu 12; mary_spring reel Fri 13, still pending;
      ada_summer short Sat 14, approved Mon 16 09:00 (after the week).
    Feedback (reviewer client@acme on Spring): on Ada, approve, Tue 10; on linus_spring's post,
      decline "Logo too small", Wed 11; on Grace, no verdict, Sun 8 23:00 (week 10). Globex's
      reviewer approves Linus in Launch on Wed 11.
    Assets: a tracking link to linus_spring Thu 12; a coupon code to mary_summer Mon 16.
    Shipments: linus_spring exception "Damaged in transit" (created Tue 10); mary_spring
      delivered Thu 12 (created Mon 2); ada_spring delivered Fri 6 (created Mon 2);
      grace_summer in transit, created Mon 16.
    Agreements in Spring: Ada sent Mon 9 10:00, unanswered (expired Thu 12 10:00); Grace sent
      Sat 14 12:00, unanswered (pending); Linus sent Wed 11, accepted Thu 12; Mary sent
      Fri 13 08:00, accepted Mon 16 07:00 (still pending at the week's end).
    """
    c, p = world.collabs, world.creators
    change(db, c["linus_spring"], at(6, 12), "pending", "negotiating")
    change(db, c["linus_spring"], at(9), "negotiating", "fulfilling")
    change(db, c["mary_spring"], at(7, 12), "pending", "fulfilling")
    change(db, c["mary_spring"], at(15, 23, 59, 59), "fulfilling", "completed")
    change(db, c["grace_spring"], at(12, 10), "pending", "negotiating")
    change(db, c["ada_summer"], at(11, 14), "pending", "cancelled", "Creator withdrew")
    with db.cursor() as cur:  # (no RETURNING: after migration 004 DuckDB refuses it here)
        cur.execute("UPDATE collaborations SET cancel_reason = 'Creator withdrew' WHERE id = ?",
                    [c["ada_summer"]])
    summer, spring = world.campaigns["Summer"], world.campaigns["Spring"]
    c["mary_summer"] = add_collab(db, summer, p["Mary"], "pending", at(11, 8), 900.0)
    db.value("INSERT INTO activity_events (collab_id, occurred_at, actor, kind) VALUES"
             " (?, ?, 'manager', 'created') RETURNING id", [c["mary_summer"], at(11, 8)])
    change(db, c["mary_summer"], at(12, 9), "pending", "negotiating")
    change(db, c["mary_summer"], at(13, 9), "negotiating", "pending", "Budget on hold")
    c["linus_summer"] = add_collab(db, summer, p["Linus"], "pending", at(16), 250.0)
    change(db, c["linus_launch"], at(10, 9), "pending", "negotiating")
    change(db, c["grace_launch"], at(10, 11), "pending", "fulfilling")

    pay(db, c["linus_spring"], "100.00", "EUR", dt.date(2026, 3, 15), at(15, 23, 59))
    pay(db, c["linus_spring"], "50.00", "EUR", dt.date(2026, 3, 16), at(16))
    pay(db, c["linus_spring"], "20.00", "USD", dt.date(2026, 3, 12), at(12, 15))
    pay(db, c["mary_spring"], "400.00", "EUR", dt.date(2026, 3, 8), at(8, 23, 59, 59))
    pay(db, c["grace_launch"], "80.00", "EUR", dt.date(2026, 3, 11), at(11, 10))

    content(db, c["ada_spring"], "story", dt.date(2026, 3, 9))
    content(db, c["linus_spring"], "reel", dt.date(2026, 3, 15))
    content(db, c["mary_spring"], "post", dt.date(2026, 3, 16))
    content(db, c["grace_launch"], "post", dt.date(2026, 3, 10))

    submit(db, c["grace_spring"], "video", dt.date(2026, 3, 4), "changes_requested", at(11, 10))
    post = submit(db, c["linus_spring"], "post", dt.date(2026, 3, 10), "approved", at(12, 10))
    submit(db, c["mary_spring"], "reel", dt.date(2026, 3, 13), "pending")
    submit(db, c["ada_summer"], "short", dt.date(2026, 3, 14), "approved", at(16, 9))

    acme_reviewer = reviewer(db, spring, "client@acme.test")
    feedback(db, spring, acme_reviewer, at(10, 9), "approve", "", creator_id=p["Ada"])
    feedback(db, spring, acme_reviewer, at(11, 9), "decline", "Logo too small", content_id=post)
    feedback(db, spring, acme_reviewer, at(8, 23), None, "Love her style", creator_id=p["Grace"])
    launch = world.campaigns["Launch"]
    feedback(db, launch, reviewer(db, launch, "client@globex.test"), at(11, 9), "approve", "",
             creator_id=p["Linus"])

    asset(db, c["linus_spring"], p["Linus"], spring, "tracking_link", "https://trk.example/l",
          at(12, 16))
    asset(db, c["mary_summer"], p["Mary"], summer, "coupon_code", "MARY10", at(16, 10))

    ship(db, c["linus_spring"], "exception", at(10, 10), reason="Damaged in transit")
    ship(db, c["mary_spring"], "delivered", at(2, 10), delivered=dt.date(2026, 3, 12))
    ship(db, c["ada_spring"], "delivered", at(2, 10), delivered=dt.date(2026, 3, 6))
    ship(db, c["grace_summer"], "in_transit", at(16, 10))

    agreement(db, spring, p["Ada"], at(9, 10))
    agreement(db, spring, p["Grace"], at(14, 12))
    agreement(db, spring, p["Linus"], at(11, 9), "accepted", at(12, 9))
    agreement(db, spring, p["Mary"], at(13, 8), "accepted", at(16, 7))
    return world


@pytest.fixture
def viewer(people: dict[Role, User]) -> User:
    return people[Role.VIEWER]


def acme(db: Database, world: World, user: User, week: str = WEEK) -> reports.WeeklyReport:
    return reports.weekly_report(db, user, ReportScope(client_id=world.clients["Acme"]), week)


def section(report: reports.WeeklyReport, name: str) -> pd.DataFrame:
    [found] = [s.frame for s in report.sections if s.spec.name == name]
    return found


def figures(report: reports.WeeklyReport) -> dict[str, tuple]:
    """Figure -> (this week, the week before, change)."""
    return {row[0]: tuple(row[1:]) for row in report.summary.itertuples(index=False)}


# --- the figures -------------------------------------------------------------------------


def test_status_at_the_end_of_the_week_and_the_week_before(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    status = section(report, "status_at_week_end")
    by_collab = dict(zip(status["Collaboration"], status["Status at week end"], strict=True))
    c = week.collabs
    # Mary's completion at Sunday 23:59:59 counts; Linus's Summer, created Monday 00:00 after,
    # does not exist yet; Launch is Globex's.
    assert by_collab == {
        c["ada_spring"]: "pending", c["grace_spring"]: "negotiating",
        c["linus_spring"]: "fulfilling", c["mary_spring"]: "completed",
        c["ada_summer"]: "cancelled", c["grace_summer"]: "pending", c["mary_summer"]: "pending",
    }
    f = figures(report)
    assert f["Collaborations at week end"] == (7, 6, 1)
    assert f["  Pending at week end"] == (3, 4, -1)
    assert f["  Negotiating at week end"] == (1, 1, 0)
    assert f["  Fulfilling at week end"] == (1, 1, 0)
    assert f["  Completed at week end"] == (1, 0, 1)
    assert f["  Cancelled at week end"] == (1, 0, 1)


def test_changes_in_the_week_with_reasons(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    changes = section(report, "changes")
    c = week.collabs
    assert changes[["Collaboration", "Change", "From", "To", "Reason"]].astype(object).where(
        changes[["Collaboration", "Change", "From", "To", "Reason"]].notna(), None
    ).values.tolist() == [
        [c["linus_spring"], "advanced", "negotiating", "fulfilling", None],  # Mon 00:00:00
        [c["mary_summer"], "new", None, "pending", None],
        [c["ada_summer"], "cancelled", "pending", "cancelled", "Creator withdrew"],
        [c["mary_summer"], "advanced", "pending", "negotiating", None],
        [c["grace_spring"], "advanced", "pending", "negotiating", None],
        [c["mary_summer"], "moved back", "negotiating", "pending", "Budget on hold"],
        [c["mary_spring"], "completed", "fulfilling", "completed", None],  # Sun 23:59:59
    ]
    assert changes["When (UTC)"].iloc[0] == pd.Timestamp(at(9))
    assert changes["By"].iloc[1] == "manager"  # who created it, from its 'created' event
    f = figures(report)
    assert f["New collaborations"] == (1, 6, -5)
    assert f["Advanced a stage"] == (3, 2, 1)
    assert f["Moved back a stage"] == (1, 0, 1)
    assert f["Completed in the week"] == (1, 0, 1)
    assert f["Cancelled in the week"] == (1, 0, 1)


def test_payments_by_paid_day_including_sunday_2359(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    payments = section(report, "payments")
    assert [(str(d), str(a), cur) for d, a, cur in zip(
        payments["Paid on"], payments["Amount"], payments["Currency"], strict=True)] == [
        ("2026-03-12", "20.00", "USD"), ("2026-03-15", "100.00", "EUR")]
    f = figures(report)
    assert f["Payments made"] == (2, 1, 1)
    assert f["Paid (EUR)"] == (Decimal("100.00"), Decimal("400.00"), Decimal("-300.00"))
    assert f["Paid (USD)"] == (Decimal("20.00"), Decimal("0.00"), Decimal("20.00"))


def test_compensation_owed_at_the_end_of_the_week(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    owed = section(report, "compensation_owed")
    # Linus (fulfilling): 300 - 100 EUR paid by Sunday; the 20 USD is another currency and the
    # 50 EUR came on Monday. Mary (completed) was paid in full; the rest are not agreed yet.
    assert owed[["Collaboration", "Compensation", "Paid by week end", "Owed", "Currency"]
                ].values.tolist() == [
        [week.collabs["linus_spring"], Decimal("300.00"), Decimal("100.00"), Decimal("200.00"),
         "EUR"]]
    assert figures(report)["Compensation owed at week end (EUR)"] == (
        Decimal("200.00"), Decimal("0.00"), Decimal("200.00"))


def test_content_with_its_approval_at_the_end_of_the_week(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    content = section(report, "content")
    assert content[["Type", "Approval at week end", "Delivered in the week",
                    "Decided in the week"]].astype(object).values.tolist() == [
        ["video", "changes_requested", False, True],  # sent in the week before
        ["story", "approved", True, None],  # recorded as delivered: no approval asked
        ["post", "approved", True, True],
        ["reel", "pending", True, None],
        ["short", "pending", True, False],  # approved, but only on Monday after
        ["reel", "approved", True, None],
    ]
    f = figures(report)
    assert f["Content delivered"] == (5, 1, 4)
    assert f["Content approved in the week"] == (1, 0, 1)
    assert f["Changes requested in the week"] == (1, 0, 1)
    assert f["Content awaiting approval at week end"] == (2, 1, 1)  # W10: the video


def test_feedback_received_in_the_week(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    received = section(report, "feedback")
    assert received[["Reviewer", "On", "Creator", "Verdict", "Feedback"]].values.tolist() == [
        ["client@acme.test", "creator", "Ada Lovelace", "approve", ""],
        ["client@acme.test", "content", "Linus Field", "decline", "Logo too small"],
    ]
    assert received["Content"].iloc[1] == "https://example.com/s"
    f = figures(report)
    assert f["Feedback received"] == (2, 1, 1)
    assert f["  approving"] == (1, 0, 1)
    assert f["  declining"] == (1, 0, 1)


def test_assets_sent_in_the_week(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    assert section(report, "assets")[["Kind", "Link or code", "E-mail"]].values.tolist() == [
        ["tracking_link", "https://trk.example/l", "sent"]]
    assert figures(report)["Tracking links and coupon codes sent"] == (1, 0, 1)


def test_shipments_and_agreements(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    shipments = section(report, "shipments")
    # Ada's, delivered the week before, is done with; Grace's came after the week.
    assert shipments["Status now"].tolist() == ["exception", "delivered"]
    assert shipments["Exception"].iloc[0] == "Damaged in transit"
    agreements = section(report, "agreements")
    # every agreement the week touched: Linus's, sent and accepted in it, too
    assert agreements[["State at week end", "Creator"]].values.tolist() == [
        ["pending", "Mary Shelley"], ["pending", "Grace Hopper"], ["expired", "Ada Lovelace"],
        ["accepted", "Linus Field"]]
    f = figures(report)
    assert f["Shipments delivered in the week"] == (1, 1, 0)
    assert f["Shipments with an open exception (now)"][:2] == (1, None)
    assert f["Agreements pending at week end"] == (2, 0, 2)
    assert f["Agreements expired in the week"] == (1, 0, 1)
    assert f["Agreements sent in the week"] == (4, 0, 4)
    assert f["Agreements accepted in the week"] == (1, 0, 1)
    assert f["Agreements declined in the week"] == (0, 0, 0)


def test_each_sheet_count_on_the_page_is_its_rows(app, db, week, viewer) -> None:
    """The page's "Sheets (rows)" caption names each section with the rows it holds; the
    week before (W10) had agreements answered in it: its Agreements sheet is not empty."""
    open_reports(app)
    labelled(app.selectbox, "Client").select(week.clients["Acme"]).run()
    labelled(app.date_input, "Week of").set_value(dt.date(2026, 3, 16)).run()
    labelled(app.button, "Build report").click().run()
    assert_ok(app)
    report = acme(db, week, viewer, "2026-W12")
    [caption] = [c for c in texts(app.caption) if c.startswith("Sheets (rows)")]
    for s in report.sections:
        assert f"{s.title} ({len(s.frame):,})" in caption
    assert "Agreements (2)" in caption  # Mary's answer (Mon 16) and Grace's expiry (Tue 17)


def test_one_campaign_and_the_other_client(db, week, viewer) -> None:
    spring = reports.weekly_report(db, viewer, ReportScope(campaign_id=week.campaigns["Spring"]),
                                   WEEK)
    assert spring.scope_label == "Campaign Spring (Acme)"
    assert figures(spring)["Collaborations at week end"] == (4, 4, 0)
    globex = reports.weekly_report(db, viewer, ReportScope(client_id=week.clients["Globex"]),
                                   WEEK)
    assert section(globex, "payments")["Amount"].tolist() == [Decimal("80.00")]
    assert figures(globex)["  Fulfilling at week end"] == (1, 0, 1)


def test_a_client_reports_the_campaigns_it_owns_now(db, week, viewer) -> None:
    """campaign_ownership holds the current client; campaigns.client_id only the first one."""
    summer = week.campaigns["Summer"]
    with db.cursor() as cur:
        cur.execute("UPDATE campaign_ownership SET client_id = ? WHERE campaign_id = ?",
                    [week.clients["Globex"], summer])
    assert figures(acme(db, week, viewer))["Collaborations at week end"] == (4, 4, 0)
    globex = reports.weekly_report(db, viewer, ReportScope(client_id=week.clients["Globex"]),
                                   WEEK)
    assert {week.collabs["ada_summer"], week.collabs["grace_launch"]} <= set(
        section(globex, "status_at_week_end")["Collaboration"])


def test_status_counts_match_the_progress_page(db, week, viewer) -> None:
    """The Progress page draws collaborations by status at each week's end: the same figures."""
    totals = progress.status_totals_by_week(db, client_id=week.clients["Acme"])
    for label, monday in (("2026-W10", dt.date(2026, 3, 2)), (WEEK, dt.date(2026, 3, 9))):
        drawn = totals[totals["week"] == monday]
        report = acme(db, week, viewer, label)
        counted = section(report, "status_at_week_end")["Status at week end"].value_counts()
        assert dict(zip(drawn["status"], drawn["collaborations"], strict=True)) == dict(counted)


def test_owed_matches_the_payments_on_the_collaboration_page(db, week, viewer) -> None:
    owed = section(acme(db, week, viewer), "compensation_owed").iloc[0]
    shown = collabs.payments(db, week.collabs["linus_spring"])  # what the detail page lists
    paid_by_sunday = shown[(shown["currency"] == "EUR")
                           & (shown["paid_on"] <= pd.Timestamp(2026, 3, 15))]["amount"].sum()
    assert float(owed["Paid by week end"]) == paid_by_sunday == 100.0


# --- the files ---------------------------------------------------------------------------


def test_the_workbook_opens_back_with_its_sheets_and_formats(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    book = load_workbook(io.BytesIO(reports.workbook_bytes(report)))
    assert book.sheetnames == ["Summary", "Status at week end", "Changes", "Content", "Payments",
                               "Compensation owed", "Shipments", "Feedback", "Agreements",
                               "Assets sent"]
    payments = book["Payments"]
    header = [cell.value for cell in payments[1]]
    assert header[:6] == ["Paid on", "Campaign", "Creator", "Handle", "Amount", "Currency"]
    assert all(cell.font.bold for cell in payments[1])
    assert payments.freeze_panes == "A2"
    paid_on, amount = payments["A3"], payments["E3"]
    assert paid_on.value == dt.datetime(2026, 3, 15) and paid_on.number_format == "yyyy-mm-dd"
    assert amount.value == 100 and amount.number_format == "#,##0.00"
    assert payments.column_dimensions["B"].width >= len("Campaign")
    changes = book["Changes"]
    assert changes["A2"].value == at(9) and changes["A2"].number_format == "yyyy-mm-dd hh:mm"
    summary = book["Summary"]
    assert summary["A1"].value == "Weekly report: Client Acme"
    rows = {r[0]: r[1:] for r in summary.iter_rows(min_row=6, values_only=True)}
    assert rows["Paid (EUR)"] == (100, 400, -300)
    assert rows["Collaborations at week end"] == (7, 6, 1)
    assert book["Status at week end"].max_row == 1 + 7


def test_the_zip_holds_the_same_sections_as_csv(db, week, viewer) -> None:
    report = acme(db, week, viewer)
    archive = zipfile.ZipFile(io.BytesIO(reports.csv_zip_bytes(report)))
    assert sorted(archive.namelist()) == sorted(
        ["README.txt", "summary.csv", "status_at_week_end.csv", "changes.csv", "content.csv",
         "payments.csv", "compensation_owed.csv", "shipments.csv", "feedback.csv",
         "agreements.csv", "assets.csv"])
    payments = pd.read_csv(archive.open("payments.csv"), dtype=str)
    assert payments[["Paid on", "Amount", "Currency"]].values.tolist() == [
        ["2026-03-12", "20.00", "USD"], ["2026-03-15", "100.00", "EUR"]]
    changes = pd.read_csv(archive.open("changes.csv"), dtype=str)
    assert changes["When (UTC)"].iloc[-1] == "2026-03-15 23:59:59"
    assert "Week 2026-W11: Monday 09 March 2026" in archive.read("README.txt").decode()


def test_the_same_report_from_a_snapshot(db, week, viewer, tmp_path) -> None:
    live = acme(db, week, viewer)
    snapshot = snapshots.write_snapshot(db, tmp_path / "snapshots", db.path)
    with snapshots.open_snapshot(snapshot, db.identity) as store:
        copy = reports.weekly_report(store, viewer, ReportScope(client_id=week.clients["Acme"]),
                                     WEEK)
    pd.testing.assert_frame_equal(live.summary, copy.summary)
    for mine, theirs in zip(live.sections, copy.sections, strict=True):
        pd.testing.assert_frame_equal(mine.frame, theirs.frame)


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "2026-47", "W47", "2026-W00", "2026-W54", "2025-W53",
                                  "2026-W1x", "next week", "2026-W47; DROP TABLE clients"])
def test_a_malformed_week_is_refused(db, week, viewer, text) -> None:
    with pytest.raises(RuleViolation, match="week"):
        acme(db, week, viewer, text)


def test_week_53_and_the_last_full_week() -> None:
    assert reports.Week(reports.rules.parse_iso_week("2026-W53")).monday == dt.date(2026, 12, 28)
    assert reports.last_full_week(dt.date(2026, 11, 23)) == "2026-W47"  # a Monday
    assert reports.last_full_week(dt.date(2026, 1, 4)) == "2025-W52"  # a Sunday in W01


def test_unknown_or_unclear_scopes_are_refused(db, week, viewer) -> None:
    with pytest.raises(NotFound, match="no client #999"):
        reports.weekly_report(db, viewer, ReportScope(client_id=999), WEEK)
    with pytest.raises(NotFound, match="no campaign #11805916"):
        reports.weekly_report(db, viewer, ReportScope(campaign_id=2**70), WEEK)
    with pytest.raises(RuleViolation, match="one of the two"):
        reports.weekly_report(db, viewer, ReportScope(), WEEK)
    with pytest.raises(RuleViolation, match="one of the two"):
        reports.weekly_report(db, viewer, ReportScope(1, 1), WEEK)
    with pytest.raises(NotFound, match="Clients: Acme, Globex"):
        reports.find_client(db, "Initech")
    assert reports.find_client(db, "  aCME ") == week.clients["Acme"]


def test_only_enabled_users_export(db, week, viewer) -> None:
    with pytest.raises(PermissionError):
        acme(db, week, User(viewer.id, "viewer", "V", "", Role.VIEWER, disabled=True))
    with pytest.raises(PermissionError):
        reports.weekly_report(db, None, ReportScope(client_id=1), WEEK)  # type: ignore[arg-type]


# --- the command line --------------------------------------------------------------------


def run_cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLLABDESK_DB": str(db_path)}
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


HOLDER = """
import sys
sys.path.insert(0, sys.argv[1])
from lib.db import Database
db = Database(sys.argv[2])  # as the app does: the one read-write connection
print("holding", flush=True)
sys.stdin.read()  # until the test closes stdin
db.close()
"""


class Holder:
    """Another process holding the database file read-write, as the running app does."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", HOLDER, str(ROOT), str(path)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "holding"

    def release(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)


def payments_in(workbook: Path) -> int:
    return load_workbook(workbook)["Payments"].max_row - 1


def test_cli_reads_the_database_when_the_app_is_not_running(db, week, tmp_path) -> None:
    db.close()
    out = tmp_path / "out"
    done = run_cli(db.path, "report", "weekly", "--client", "acme", "--week", WEEK,
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"Reading {db.path}" in done.stdout
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"weekly-report_client-acme_{WEEK}.xlsx",
                                      f"weekly-report_client-acme_{WEEK}.zip"]
    assert payments_in(files[0]) == 2
    assert "%" in done.stderr  # the progress bar


def test_cli_falls_back_to_the_snapshot_while_the_app_holds_the_database(
        db, week, tmp_path) -> None:
    snapshot = snapshots.write_snapshot(db, snapshots.snapshots_root(db.path), db.path)
    # A payment after the snapshot: the report from the snapshot must not have it.
    pay(db, week.collabs["grace_spring"], "10.00", "EUR", dt.date(2026, 3, 13), at(13, 12))
    db.close()
    holder = Holder(db.path)
    try:
        before = db.path.read_bytes()
        done = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                       "--out", str(tmp_path / "out"), "--quiet")
        assert done.returncode == 0, done.stderr
        assert "reads the latest snapshot instead" in done.stdout
        assert snapshot.label in done.stdout
        assert "lock" not in (done.stdout + done.stderr).lower()
        assert payments_in(tmp_path / "out" / f"weekly-report_client-acme_{WEEK}.xlsx") == 2
        assert db.path.read_bytes() == before  # nothing written to the live file

        for folder in snapshots.list_snapshots(snapshots.snapshots_root(db.path), db.identity):
            os.rename(folder.path, folder.path.with_name(".gone"))
        refused = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                          "--out", str(tmp_path / "none"), "--quiet")
        assert refused.returncode == 1
        assert "no snapshot" in refused.stderr and "Traceback" not in refused.stderr
        assert "Conflicting lock" not in refused.stderr
        assert not (tmp_path / "none").exists()
    finally:
        holder.release()
    # The app stopped: the live data, with the later payment.
    done = run_cli(db.path, "report", "weekly", "--client", "Acme", "--week", WEEK,
                   "--out", str(tmp_path / "live"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert payments_in(tmp_path / "live" / f"weekly-report_client-acme_{WEEK}.xlsx") == 3


def test_cli_refusals_are_plain_messages(db, week, tmp_path) -> None:
    db.close()
    for args, message in (
        (["--client", "Initech", "--week", WEEK], "no client called 'Initech'"),
        (["--campaign", "999", "--week", WEEK], "no campaign #999"),
        (["--client", "Acme", "--week", "2026-W99"], "has no week 99"),
    ):
        done = run_cli(db.path, "report", "weekly", *args, "--out", str(tmp_path / "x"))
        assert done.returncode == 1
        assert message in done.stderr and "Traceback" not in done.stderr
    missing = run_cli(tmp_path / "nothing.duckdb", "report", "weekly", "--client", "Acme")
    assert missing.returncode == 1 and "no database" in missing.stderr
    assert not (tmp_path / "nothing.duckdb").exists()


# --- the Reports page (AppTest) ----------------------------------------------------------


def open_reports(app: AppTest, username: str = "viewer") -> AppTest:
    login(app, username)
    app.switch_page("pages/reports.py").run()
    assert_ok(app)
    return app


def test_the_page_builds_the_report_it_offers_to_download(app, db, week, viewer) -> None:
    open_reports(app)
    assert texts(app.title) == ["Reports"]
    assert labelled(app.button, "Build report").disabled  # no client chosen yet
    labelled(app.selectbox, "Client").select(week.clients["Acme"]).run()
    labelled(app.date_input, "Week of").set_value(dt.date(2026, 3, 12)).run()
    assert "ISO week 2026-W11 (Monday 09 Mar to Sunday 15 Mar 2026)" in texts(app.caption)
    labelled(app.button, "Build report").click().run()
    assert_ok(app)
    assert [b.label for b in app.get("download_button")] == [
        "Download workbook (.xlsx)", "Download CSV files (.zip)"]
    assert "**Client Acme, week 2026-W11 (Monday 09 Mar to Sunday 15 Mar 2026)**" in texts(
        app.markdown)  # the title holds the client's name: shown as text
    shown = app.dataframe[0].value
    expected = acme(db, week, viewer).summary
    assert shown["Figure"].tolist() == expected["Figure"].tolist()
    # collaborations at week end, as computed; the week before's column holds a figure with no
    # value ("—", not None), so the page shows it as text
    assert shown.iloc[0, 1:3].tolist() == [7, "6"]
    built = app.session_state["weekly_report"]
    assert built["stem"] == "weekly-report_client-acme_2026-W11"
    book = load_workbook(io.BytesIO(built["xlsx"]))
    assert book["Payments"].max_row == 3
    # Another week: the report built for W11 is no longer offered for it.
    labelled(app.date_input, "Week of").set_value(dt.date(2026, 3, 3)).run()
    assert not app.get("download_button")


def test_one_campaign_on_the_page(app, week) -> None:
    open_reports(app, "staff")
    labelled(app.radio, "Report on").set_value("Campaign").run()
    labelled(app.selectbox, "Campaign").select(week.campaigns["Launch"]).run()
    labelled(app.date_input, "Week of").set_value(dt.date(2026, 3, 10)).run()
    labelled(app.button, "Build report").click().run()
    assert_ok(app)
    assert app.session_state["weekly_report"]["title"].startswith(
        "Campaign Launch (Globex), week 2026-W11")


def test_a_snapshot_on_demand_from_the_page(app, db, week) -> None:
    open_reports(app)
    assert "No snapshot yet." in texts(app.caption)
    assert app.dataframe[-1].value.empty  # the list, with its columns and no row
    labelled(app.button, "Take a snapshot now").click().run()
    assert_ok(app)
    [snapshot] = snapshots.list_snapshots(snapshots.snapshots_root(db.path), db.identity)
    listed = app.dataframe[-1].value
    assert listed["Folder"].tolist() == [snapshot.path.name]
    assert listed["Rows"].tolist() == [sum(t.rows for t in snapshot.tables.values())]
    labelled(app.button, "Take a snapshot now").click().run()  # nothing changed since
    assert len(snapshots.list_snapshots(snapshots.snapshots_root(db.path), db.identity)) == 1
