"""One collaboration: creator, campaign, terms, status, timeline, and the actions on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from lib import collaborations as collabs
from lib import creators, deliveries, feedback, rules, web
from lib.models import (
    CURRENCIES,
    MAX_CARRIER_CHARS,
    MAX_TRACKING_CHARS,
    CollabStatus,
    ContentType,
    DeliveryStatus,
    Role,
    ShipmentChange,
    Terms,
    ValidationStatus,
)

db = web.database()
user = web.current_user()
can_edit = user.can(Role.STAFF)


def chosen_id(box: Any) -> int | None:
    """The collaboration in the address (?id=12): a reload or a shared link opens it again.
    The box to type another number in is drawn in `box` (beside the title)."""
    from_url = web.query_id("id", "collaboration")
    if st.session_state.get("_detail_id_url") != from_url or "detail_id" not in st.session_state:
        # A new address (a link, a switch from the list) sets the box; typing then sets the URL.
        st.session_state["_detail_id_url"] = from_url
        st.session_state["detail_id"] = from_url
    # value=None: without it the box's default is its minimum, 1, which a run that finds no
    # number for the box (its state dropped while the page was away) would show and send
    # back, moving the address to ?id=1 (a login returning to ?id=N once landed there).
    typed = box.number_input(
        "Collaboration #", min_value=1, max_value=web.MAX_ID, step=1, value=None, key="detail_id"
    )
    if typed is not None and typed != from_url:
        st.query_params["id"] = str(typed)
        st.session_state["_detail_id_url"] = int(typed)
    return int(typed) if typed else None


def header(c: dict[str, Any], title_box: Any) -> None:
    title_box.title(f"{web.as_text(c['creator'], one_line=True)} × "
                    f"{web.as_text(c['campaign'], one_line=True)}")
    badge = creators.validation_badges(db, [c["creator_id"]])[c["creator_id"]]
    cols = st.columns([1, 1, 4])
    with cols[0]:
        st.badge(CollabStatus(c["status"]).label, color=web.STATUS_COLORS[c["status"]])
    with cols[1]:
        st.badge(badge.label, color=web.VALIDATION_COLORS[badge.value])
    cols[2].caption(
        f"#{c['id']} · {web.as_text(c['client'])} · created {c['created_at']:%Y-%m-%d}"
        f" · updated {c['updated_at']:%Y-%m-%d %H:%M} UTC · version {c['version']}"
    )
    if c["cancel_reason"]:
        st.warning(f"Cancelled: {web.as_text(c['cancel_reason'])}", icon=":material/block:")


def creator_panel(c: dict[str, Any]) -> None:
    st.subheader("Creator")
    st.text(f"{c['creator']} · @{c['handle']} on {c['platform']}")
    st.text(f"{c['followers']:,} followers · {c['engagement_rate']:.2f}% engagement")
    st.text(
        f"E-mail: {c['email'] or '—'}\nPhone: {c['phone'] or '—'}\nAddress: {c['address'] or '—'}"
    )
    tags = creators.tags_of(db, c["creator_id"])
    st.text("Tags: " + (", ".join(tags) if tags else "none"))
    if not can_edit:
        return
    with st.popover("Edit tags and badge"):
        new_tag = st.text_input("Add a tag", max_chars=40, key="new_tag")
        if st.button("Add tag") and web.ok(
            lambda: creators.add_tag(db, user, c["creator_id"], new_tag)
        ):
            done(f"Tagged {web.as_text(c['creator'])} as {web.as_text(new_tag.strip())}.")
        if tags:
            gone = st.selectbox("Remove a tag", tags, key="remove_tag")
            if st.button("Remove tag") and web.ok(
                lambda: creators.remove_tag(db, user, c["creator_id"], gone)
            ):
                done(f"Removed the tag {web.as_text(gone)}.")
        options = [None, *ValidationStatus]
        override = st.selectbox(
            "Badge",
            options,
            key="override",
            format_func=lambda v: "Computed by the rule" if v is None else v.label,
        )
        if st.button("Save badge") and web.ok(
            lambda: creators.set_validation_override(db, user, c["creator_id"], override)
        ):
            done("Badge saved.")


def terms_panel(c: dict[str, Any]) -> None:
    st.subheader("Terms")
    final = c["status"] in ("completed", "cancelled")
    locked = not can_edit or final
    form = f"terms_{c['id']}"
    # Fields keyed by the version the form was opened at keep what was typed when the terms
    # change underneath (a stale edit); a read-only form follows the record.
    base = c["version"] if locked else web.edit_base(form, c["version"])
    keys = {f: f"{form}_v{base}_{f}" for f in ("deliverables", "compensation", "currency",
                                               "start", "due", "conditions")}
    with st.form(form):
        deliverables = st.text_area(
            "Deliverables", c["deliverables"], max_chars=5000, disabled=locked,
            key=keys["deliverables"],
        )
        cols = st.columns(2)
        compensation = cols[0].number_input(
            "Compensation", min_value=0.0, value=float(c["compensation"]), step=50.0,
            disabled=locked, key=keys["compensation"],
        )
        currency = cols[1].selectbox(
            "Currency", CURRENCIES, index=CURRENCIES.index(c["currency"]), disabled=locked,
            key=keys["currency"],
        )
        start = cols[0].date_input("Start", c["start_date"], disabled=locked, key=keys["start"])
        due = cols[1].date_input("Due", c["due_date"], disabled=locked, key=keys["due"])
        conditions = st.text_area("Conditions", c["conditions"], max_chars=5000,
                                  disabled=locked, key=keys["conditions"])
        if final:
            st.caption(f"{CollabStatus(c['status']).label} collaborations keep their terms.")
        elif not can_edit:
            st.caption("Read only: your role cannot change terms.")
        saved = st.form_submit_button("Save terms", disabled=locked)
    if saved and not web.stale_edit(form, c["version"], "these terms or the status"):
        terms = Terms(deliverables, f"{compensation:.2f}", currency, start, due, conditions)
        version = web.edit_version(form)
        if web.ok(lambda: collabs.update_terms(db, user, c["id"], version, terms)):
            web.rebase_edit(form)  # opened afresh at the new version
            done("Terms saved.")


def status_panel(c: dict[str, Any]) -> None:
    st.subheader("Status")
    targets = rules.allowed_collab_targets(c["status"])
    if not targets:
        st.caption(f"{CollabStatus(c['status']).label} is final.")
        return
    target = st.selectbox("Move to", [t.value for t in targets], format_func=web.status_label)
    needs_reason = rules.collab_reason_required(c["status"], target)
    reason = st.text_input(
        "Reason" + (" (required)" if needs_reason else " (optional)"),
        max_chars=1000,
        key="status_reason",
    )
    if st.button("Change status", type="primary") and web.ok(
        lambda: collabs.change_status(db, user, c["id"], c["version"], target, reason or None)
    ):
        done(f"Moved to {CollabStatus(target).label}.")


# Each record's form sits in the tab of its history (a note above the timeline, ...).


def note_form(c: dict[str, Any]) -> None:
    with web.kept_form("note"):
        text = st.text_area("Note", max_chars=5000)
        if st.form_submit_button("Add note") and web.ok(
            lambda: collabs.add_note(db, user, c["id"], text)
        ):
            done("Note added.", "note")


def payment_form(c: dict[str, Any]) -> None:
    with web.kept_form("payment"):
        cols = st.columns(4)
        amount = cols[0].text_input("Amount", placeholder="250.00")
        currency = cols[1].selectbox("Currency", CURRENCIES, index=CURRENCIES.index(c["currency"]))
        paid_on = cols[2].date_input("Paid on", dt.date.today())
        reference = cols[3].text_input("Reference", max_chars=200)
        if st.form_submit_button("Record payment") and web.ok(
            lambda: collabs.record_payment(db, user, c["id"], amount, currency, paid_on, reference)
        ):
            done("Payment recorded.", "payment")


def content_form(c: dict[str, Any]) -> None:
    with web.kept_form("content"):
        cols = st.columns([4, 1, 1])
        url = cols[0].text_input("URL", placeholder="https://instagram.com/p/…", max_chars=2000)
        kind = cols[1].selectbox("Type", [k.value for k in ContentType])
        delivered_on = cols[2].date_input("Delivered on", dt.date.today())
        if st.form_submit_button("Record content") and web.ok(
            lambda: collabs.record_content(db, user, c["id"], url, kind, delivered_on)
        ):
            done("Content recorded.", "content")


def approval_submission(c: dict[str, Any]) -> None:
    """Content a creator sent in for approval (issue 5): it waits on the Feedback page, where
    the campaign's reviewers comment and staff approve it or ask for changes."""
    with st.expander("Submit content for approval"):
        earlier = dict(feedback.latest_versions(db, c["id"]))
        with web.kept_form("submit_for_approval"):
            cols = st.columns([4, 1, 2])
            url = cols[0].text_input("Submitted URL", max_chars=2000, placeholder="https://…")
            kind = cols[1].selectbox("Content type", [k.value for k in ContentType])
            previous = cols[2].selectbox(
                "New version of", [None, *earlier],
                format_func=lambda i: "Nothing: version 1" if i is None else earlier[i],
            )
            caption = st.text_area("Caption", max_chars=2200, height=80)
            if st.form_submit_button("Submit for approval") and web.ok(
                lambda: feedback.submit_content(db, user, c["id"], url, kind, caption, previous)
            ):
                done("Content submitted; it waits for approval on the Feedback page.",
                     "submit_for_approval")


def done(message: str, form: str | None = None) -> None:
    """After a write: a toast on the next run, which draws `form` (a web.kept_form) empty.
    The terms form takes this person's own new version as its base (not a stale edit)."""
    if form is not None:
        web.typed_done(form)
    web.rebase_edit(f"terms_{collab_id}")
    web.flash(message)
    st.rerun()


def readable_timeline(events: pd.DataFrame) -> pd.DataFrame:
    """Event kinds and statuses as words (a shipment's too), blanks where an event has none."""

    def words(value: object) -> str:
        return value.replace("_", " ").capitalize() if isinstance(value, str) else ""

    return events.assign(
        kind=events["kind"].map(words),
        from_status=events["from_status"].map(words),
        to_status=events["to_status"].map(words),
        currency=events["currency"].fillna(""),
        text=events["text"].fillna(""),
    )


def record_tabs(c: dict[str, Any]) -> None:
    """The collaboration in tabs right under its title: its details (creator, status, terms)
    first, then each history with the form that adds to it, so every part starts in the first
    screen."""
    details, timeline, payments, content, shipments = st.tabs(
        ["Details", "Timeline", "Payments", "Content", "Shipments"])
    with details:
        left, right = st.columns(2)
        with left:
            creator_panel(c)
            if can_edit:
                status_panel(c)
        with right:
            terms_panel(c)
    with timeline:
        if can_edit:
            note_form(c)
        timeline_table(c)
    with payments:
        if can_edit:
            payment_form(c)
        web.dataframe(collabs.payments(db, c["id"]), hide_index=True)
    with content:
        if can_edit:
            content_form(c)
            approval_submission(c)
        web.dataframe(collabs.content(db, c["id"]), hide_index=True)
    with shipments:
        shipments_panel(c)


def timeline_table(c: dict[str, Any]) -> None:
    # Every table renders its text as text: notes may hold markdown or HTML from anyone.
    web.dataframe(
        readable_timeline(collabs.timeline(db, c["id"])), hide_index=True,
        key="timeline",
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
            "actor": "Who", "kind": "What", "from_status": "From", "to_status": "To",
            "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
            "currency": "Currency", "text": "Details",
        },
    )


def shipments_panel(c: dict[str, Any]) -> None:
    """The collaboration's shipments, and for staff an update of one of them or a new one."""
    found = deliveries.for_collaboration(db, c["id"])
    web.dataframe(
        found.assign(status=web.as_badges(found["status"])),
        hide_index=True,
        key="shipments",
        column_order=["id", "item", "carrier", "tracking_number", "status", "exception_reason",
                      "shipped_on", "delivered_on", "days_in_status", "address"],
        column_config={
            "id": st.column_config.NumberColumn("#", format="%d"),
            "status": web.badge_column("Delivery", web.DELIVERY_COLORS, web.delivery_label),
            "days_in_status": st.column_config.NumberColumn("Days in status", format="%d"),
        },
    )  # fmt: skip
    if not can_edit:
        return
    if not found.empty:
        update_shipment_form(found)
    with st.popover("New shipment"):
        item = st.text_input("Item", max_chars=200, key="new_shipment_item")
        carrier = st.text_input("Carrier (optional)", max_chars=MAX_CARRIER_CHARS,
                                key="new_shipment_carrier")  # fmt: skip
        st.caption("The creator's shipping address is copied into the shipment now.")
        if st.button("Create shipment") and web.ok(
            lambda: deliveries.create_shipment(db, user, c["id"], item, carrier)
        ):
            done(f"Shipment of {web.as_text(item.strip())} created.")


def update_shipment_form(found: Any) -> None:
    rows = {int(r["id"]): r for _, r in found.iterrows()}
    cols = st.columns([2, 2, 4])
    sid = cols[0].selectbox(
        "Shipment", list(rows), key="shipment_pick",
        format_func=lambda i: f"#{i} {rows[i]['item']} ({web.delivery_label(rows[i]['status'])})",
    )  # fmt: skip
    ship = rows[sid]
    targets = [None, *(t.value for t in rules.allowed_delivery_targets(ship["status"]))]
    target = cols[1].selectbox(
        "Move to", targets, key=f"shipment_target_{sid}",
        format_func=lambda t: "Keep the status" if t is None else web.delivery_label(t),
    )  # fmt: skip
    reason = cols[2].text_input(
        "Reason (required for an exception)", max_chars=1000, key=f"shipment_reason_{sid}"
    )
    cols = st.columns(2)
    # Keyed by the shipment, so each one starts from its own values.
    tracking = cols[0].text_input("Tracking number", ship["tracking_number"],
                                  max_chars=MAX_TRACKING_CHARS, key=f"shipment_tracking_{sid}")
    carrier = cols[1].text_input("Carrier", ship["carrier"], max_chars=MAX_CARRIER_CHARS,
                                 key=f"shipment_carrier_{sid}")  # fmt: skip
    change = ShipmentChange(sid, DeliveryStatus(target) if target else None, reason or None,
                            tracking, carrier)  # fmt: skip
    if st.button("Update shipment"):
        message = web.attempt(
            lambda: deliveries.update_shipment(db, user, sid, int(ship["version"]), change)
        )
        if message is not None:
            done(f"Shipment #{sid} updated.")


# The title first, the box for another number small beside it; then the record's tabs.
title_box, id_box = st.columns([5, 1], vertical_alignment="bottom")
collab_id = chosen_id(id_box)
if collab_id is None:
    st.info("Open a collaboration from the Collaborations page, or type its number.")
    st.stop()
collab = web.attempt(lambda: collabs.get_collaboration(db, collab_id))
if collab is None:
    st.stop()
header(collab, title_box)
record_tabs(collab)
