"""Inbox: the creators (unread first, then the most recent interaction), one creator's whole
thread with their details beside it, writing to one creator or to many, replies recorded by
hand, and assets sent from the thread.

Staff and up write and send; viewers read. Unread state is each user's own: opening a thread
marks it read, "Mark unread" brings it back to the top. The services check everything again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from lib import campaigns as camps
from lib import creators, inbox, web
from lib.inbox import Draft, InboxFilter, Incoming, ThreadItem
from lib.models import AssetKind, MessageChannel, MessageState, Role

db = web.database()
user = web.current_user()
can_write = user.can(Role.STAFF)
PAGE_SIZE = 25
MERGE_HELP = "Merge fields: {first_name}, {handle}, {campaign}. Write {{ or }} for a brace."

KIND_LABELS = {
    "message": "Message", "agreement_sent": "Agreement sent", "congratulations":
    "Congratulations", "not_selected": "Not selected", "asset": "Asset", "gift": "Product gift",
}
# Notices the campaign workflow writes (state recorded): kept in the history, never e-mailed.
WORKFLOW_NOTICES = frozenset({"agreement_sent", "congratulations", "not_selected"})
STATE_COLORS = {
    MessageState.RECORDED: "gray", MessageState.QUEUED: "orange", MessageState.SENT: "green",
    MessageState.FAILED: "red",
}


# --- small helpers --------------------------------------------------------------------------

NAMES_SHOWN = 20  # names listed in a confirmation; the rest are counted


def whole_names(names: list[str], limit: int = NAMES_SHOWN) -> str:
    """Names listed whole (never cut inside one), the rest counted: "A, B … and 3 more (5)"."""
    listed = ", ".join(names[:limit])
    rest = len(names) - limit
    return listed if rest <= 0 else f"{listed} … and {rest:,} more ({len(names):,} in all)"


def when(moment: Any) -> str:
    if moment is None or pd.isna(moment):
        return "—"
    return f"{pd.Timestamp(moment):%Y-%m-%d %H:%M} UTC"


def done(message: str, icon: str = web.OK_ICON, form: str | None = None) -> None:
    """After a write: a toast on the next run, which draws `form` (a web.kept_form) empty."""
    if form is not None:
        web.typed_done(form)
    web.flash(message, icon)
    st.rerun()


def picked() -> dict[int, str]:
    """Ticked creators (id -> name), kept across pages and filters until cleared."""
    return st.session_state.setdefault("inbox_picked", {})


def opened() -> int | None:
    return st.session_state.get("inbox_open")


def thread_from_address() -> None:
    """?creator=12 opens that creator's thread (a reload, a shared link), and counts it as
    read as a click would; opening or closing a thread writes the address back (run_page)."""
    before = opened()
    web.widget_from_address("creator", "inbox_open", web.query_id("creator", "creator"))
    linked = opened()
    opened_by_link = linked is not None and linked != before
    if linked != before:
        redraw_list()  # the opened row follows the address
    # A creator that does not exist gets "There is no creator #12." and no thread.
    if opened_by_link and not web.ok(lambda: inbox.mark_read(db, user, linked)):
        st.session_state["inbox_open"] = None


# --- callbacks (they run before the script, so the navigation's count is already fresh) ------


def open_thread(creator_id: int) -> None:
    """Opens a creator's thread, counted as read; the script runs again at once, so that the
    navigation's unread count (drawn before the page) is fresh."""
    st.session_state["inbox_open"] = creator_id
    web.ok(lambda: inbox.mark_read(db, user, creator_id))
    st.rerun()


@web.guarded  # a callback runs before the page, outside app.py's error boundary
def mark_unread(creator_id: int) -> None:
    if web.ok(lambda: inbox.mark_unread(db, user, creator_id)):
        close_thread()  # open, it would count as read again
        web.flash("Marked unread.")


def close_thread() -> None:
    st.session_state["inbox_open"] = None
    redraw_list()


def redraw_list() -> None:
    """The list's ticks and its opened row are drawn anew from picked() and opened() in the
    next run (see creator_list), not kept from the browser."""
    st.session_state.pop(LIST_VIEW, None)


def clear_picks() -> None:
    """Untick everything (the list's ticks are drawn anew from the emptied selection)."""
    picked().clear()
    redraw_list()


# --- filters and the creator list -----------------------------------------------------------

LIST_KEY = "inbox_creators"  # the creator table: ticked rows and the clicked cell
LIST_VIEW = "_inbox_creators_view"  # the ids the table showed when its selection was set
LIST_ROWS = 10  # rows the table shows before it scrolls (a page holds PAGE_SIZE)


def filters() -> InboxFilter:
    cols = st.columns([3, 3, 2])
    search = cols[0].text_input(
        "Search creators", placeholder="Name, @handle or e-mail", max_chars=100,
        key="inbox_search",
    )
    campaigns = web.campaign_options(camps.campaign_choices(db))
    campaign_id = cols[1].selectbox(
        "Campaign", [None, *campaigns], key="inbox_campaign",
        format_func=lambda i: "All campaigns" if i is None else campaigns[i],
    )
    tag = cols[2].selectbox(
        "Tag", [None, *creators.all_tags(db)], key="inbox_tag",
        format_func=lambda t: "Any tag" if t is None else t,
    )
    filt = InboxFilter(search, campaign_id, tag)
    if st.session_state.get("inbox_filter") != filt:
        st.session_state["inbox_filter"] = filt
        st.session_state["inbox_page"] = 1
        st.session_state.pop("mass_plan", None)  # "everyone matching" means someone else now
    return filt


def list_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The table's rows: the unread count (blank when none), who, and the last interaction;
    the creator's id rides along, hidden."""
    frame = pd.DataFrame({
        "id": rows["id"].astype(int),
        "unread": [f"{int(n):,}" if int(n) else "" for n in rows["unread"]],
        "creator": rows["name"].astype(str),
        "handle": "@" + rows["handle"].astype(str),
        "last": [day(v) if pd.notna(v) else "No messages" for v in rows["last_at"]],
    })
    if "standing" in rows:
        frame["standing"] = rows["standing"]
    return frame


# Widths that fit the table in its half of a 1366 px screen (a longer name or handle is cut
# in its cell, whole in the thread's heading).
LIST_COLUMNS = {
    "unread": st.column_config.TextColumn("Unread", width=72, alignment="right"),
    "creator": st.column_config.TextColumn("Creator", width=140),
    "handle": st.column_config.TextColumn("Handle", width=140),
    "last": st.column_config.TextColumn("Last", width=95,
                                        help="The day of the last message, notice or asset"),
    "standing": st.column_config.TextColumn("In the campaign"),
}


def list_selection(ids: list[int]) -> dict[str, Any]:
    """The table's selection as picked() and opened() say: the ticks, and the opened creator's
    cell."""
    rows = [i for i, cid in enumerate(ids) if cid in picked()]
    cells = [[i, "creator"] for i, cid in enumerate(ids) if cid == opened()]
    return {"selection": {"rows": rows, "columns": [], "cells": cells}}


def creator_list(found: inbox.Page) -> None:
    """The creators as a table: tick rows to pick them for a mass message (picks are kept
    across pages and filters), click a creator to open the thread."""
    noun = "creator" if found.total == 1 else "creators"
    st.caption(f"**{found.total:,}** {noun} · page {found.page:,} of {found.pages:,} · "
               "click a creator to open the thread, tick to pick for a mass message")
    if found.rows.empty:
        st.info("No creator matches the filter.")
    frame = list_frame(found.rows)
    ids = frame["id"].tolist()
    # Positions name rows only in what the table shows: when it shows other rows (another
    # page, filter or order), its selection is drawn anew from the ids.
    if st.session_state.get(LIST_VIEW) != ids:
        st.session_state[LIST_VIEW] = ids
        st.session_state[LIST_KEY] = list_selection(ids)
    event = web.dataframe(
        frame, key=LIST_KEY, on_select="rerun", selection_mode=["multi-row", "single-cell"],
        hide_index=True, column_order=[c for c in LIST_COLUMNS if c in frame],
        column_config=LIST_COLUMNS, height=35 * (min(max(len(ids), 1), LIST_ROWS) + 1) + 3,
    )
    if found.pages > 1:
        st.number_input("Page", min_value=1, max_value=found.pages, key="inbox_page")
    follow_selection(frame, event.selection)


def follow_selection(frame: pd.DataFrame, selection: Any) -> None:
    """The ticks of this page's rows become picked() (others pages' picks stay); a clicked
    creator other than the open one opens."""
    names = dict(zip(frame["id"], frame["creator"], strict=True))
    ticked = {int(frame["id"].iloc[r]) for r in selection["rows"] if r < len(frame)}
    for cid, name in names.items():
        if cid in ticked:
            picked()[cid] = name
        else:
            picked().pop(cid, None)
    for row, _column in selection["cells"]:
        if row < len(frame) and int(frame["id"].iloc[row]) != opened():
            open_thread(int(frame["id"].iloc[row]))


# --- the thread -----------------------------------------------------------------------------


def item_header(item: ThreadItem) -> str:
    arrow = "← From the creator" if item.direction == "in" else "→ To the creator"
    parts = [arrow, KIND_LABELS.get(item.kind, item.kind)]
    if item.channel:
        parts.append(MessageChannel(item.channel).label)
    if item.campaign:
        parts.append(item.campaign)
    parts.append(when(item.at))
    if item.created_by:
        parts.append(f"by {item.created_by}")
    return " · ".join(web.as_text(p) for p in parts)


def thread_item(item: ThreadItem) -> None:
    avatar = ":material/person:" if item.direction == "in" else ":material/storefront:"
    if item.kind == "gift":
        avatar = ":material/redeem:"
    with st.chat_message("creator" if item.direction == "in" else "agency", avatar=avatar):
        st.caption(item_header(item))
        if item.subject:
            st.markdown(f"**{web.as_text(item.subject)}**")
        if item.asset_kind:
            st.text(f"{AssetKind(item.asset_kind).label}: {item.asset_value}")
        if item.body:
            st.text(item.body)  # as written: a message may hold anything
        item_state(item)


def item_state(item: ThreadItem) -> None:
    if item.kind == "gift":
        st.badge(f"Shipment {item.state.replace('_', ' ')}", color="blue")
        return
    state = MessageState(item.state)
    if state is MessageState.RECORDED:
        if item.direction == "out" and item.kind in WORKFLOW_NOTICES:
            # written by the campaign workflow into the history only: nobody mailed it
            st.badge("Not e-mailed", color="gray", icon=":material/unsubscribe:")
            st.caption("Recorded in this thread only: this notice was not sent by e-mail. "
                       "Write to the creator if they should hear it.")
        return
    detail = {MessageState.SENT: f"Sent {when(item.sent_at)} to {item.recipient}",
              MessageState.QUEUED: f"Queued {when(item.queued_at)} for {item.recipient}",
              MessageState.FAILED: f"Failed (attempt {item.attempts}) for {item.recipient}"}
    st.badge(state.label, color=STATE_COLORS[state])
    st.caption(web.as_text(detail[state]))
    if state is MessageState.FAILED:
        why = web.as_text(item.error or "The mail server gave no reason.")
        st.error(f"Not sent: {why}. " + ("Press Retry to send it again, or correct the "
                 "creator's address first." if can_write else ""), icon=":material/error:")
    if state in (MessageState.FAILED, MessageState.QUEUED) and can_write and st.button(
        "Retry", key=f"retry_{item.id}"
    ):
        retry(item.id)


def retry(message_id: int) -> None:
    with st.spinner("Sending…"):
        delivery = web.attempt(lambda: inbox.retry(db, user, message_id))
    if delivery is not None:
        report_delivery(delivery)


def report_delivery(delivery: inbox.Delivery, form: str | None = None) -> None:
    """A sent message empties the form it came from; a failed one keeps what was typed, and
    its one message is the failed item in the thread (its error and a Retry button)."""
    if delivery.sent:
        done(f"Sent to {web.as_text(delivery.recipient)}.", form=form)
    st.rerun()


# Pixels: the thread scrolls in a box, newest at the bottom, with the form to answer right
# under it, still in the first screen of a 1366x768 laptop.
THREAD_HEIGHT = 260


def thread_panel(creator_id: int, card: dict[str, Any]) -> None:
    """The creator's name and actions, the thread, writing to them; then, folded, their
    contact details and history with the agency, recording a reply and sending an asset."""
    head = st.container(horizontal=True, vertical_alignment="center")
    head.subheader(web.as_text(card["name"], one_line=True), width="stretch")
    head.button("Mark unread", key="mark_unread", on_click=mark_unread, args=(creator_id,),
                icon=":material/mark_email_unread:")
    head.button("Close", key="close_thread", on_click=close_thread)
    items, total = inbox.thread(db, creator_id)
    if not items:
        st.caption("Nothing yet: no message, notice, asset or gift.")
    with st.container(height=THREAD_HEIGHT if len(items) > 2 else "content", autoscroll=True):
        if total > len(items):
            st.caption(f"The newest {len(items):,} of {total:,} items.")
        for item in items:
            thread_item(item)
    notice = compose(creator_id, card) if can_write else None
    with st.expander("Contact and history", icon=":material/contact_page:"):
        details_panel(creator_id, card)
    if can_write:
        record_reply(creator_id, card)
        send_asset(creator_id, notice)


# --- writing to one creator ------------------------------------------------------------------


def campaign_picker(creator_id: int, key: str) -> tuple[int | None, str | None]:
    """A campaign of this creator's (or none), and why they may not be written to about it."""
    found = inbox.creator_campaigns(db, creator_id)
    labels = web.campaign_options(found[["id", "name", "client"]].itertuples(index=False))
    names = {int(r.id): f"{labels[int(r.id)]} ({r.standing})" for r in found.itertuples()}
    chosen = st.selectbox(
        "About campaign", [None, *names], key=key,
        format_func=lambda i: "No campaign" if i is None else names[i],
    )
    if chosen is None:
        return None, None
    return chosen, inbox.campaign_permission(db, creator_id, chosen)


def mail_notice() -> Any:
    """The one place for what stops a send: the warning that e-mail is not set up, which the
    error of a refused send replaces (never both on screen)."""
    notice = st.empty()
    problem = inbox.mail_problem()
    if problem:
        notice.warning(problem, icon=":material/mail_lock:")
    return notice


def compose(creator_id: int, card: dict[str, Any]) -> Any:
    """The form to write to one creator, right under the thread, and under it the campaign
    it is about and what stops a send; returns the mail notice (see mail_notice), or None
    when the creator has no address."""
    if not card["email"]:
        st.warning("No e-mail address on file: this creator cannot be written to by e-mail.")
        return None
    writing, about = st.container(), st.container()  # the form drawn above what it needs
    with about:
        campaign_id, refusal = campaign_picker(creator_id, f"compose_campaign_{creator_id}")
        if refusal:
            st.warning(web.as_text(refusal), icon=":material/block:")
        notice = mail_notice()
    form = f"compose_{creator_id}"
    with writing, web.kept_form(form, empty={f"compose_subject_{creator_id}": "",
                                             f"compose_body_{creator_id}": ""}):
        subject = st.text_input("Subject", max_chars=300, key=f"compose_subject_{creator_id}")
        body = st.text_area("Message", max_chars=50_000, help=MERGE_HELP,
                            key=f"compose_body_{creator_id}")
        sent = st.form_submit_button("Send e-mail", type="primary", disabled=bool(refusal))
    if sent:
        with notice.container(), st.spinner("Sending…"):
            delivery = web.attempt(lambda: inbox.send_message(
                db, user, creator_id, Draft(subject, body, campaign_id)))
        if delivery is not None:
            report_delivery(delivery, form)
    return notice


def record_reply(creator_id: int, card: dict[str, Any]) -> None:
    with st.expander("Record a reply"):
        paste, upload = st.tabs(["Paste the text", "Upload an .eml file"])
        with paste:
            record_pasted(creator_id)
        with upload:
            record_uploaded(creator_id, card)


def record_pasted(creator_id: int) -> None:
    campaigns = web.campaign_options(
        inbox.creator_campaigns(db, creator_id)[["id", "name", "client"]].itertuples(index=False))
    form = f"reply_{creator_id}"
    with web.kept_form(form):
        cols = st.columns(2)
        channel = cols[0].selectbox("Came by", list(MessageChannel),
                                    format_func=lambda c: c.label)
        campaign_id = cols[1].selectbox(
            "Campaign", [None, *campaigns],
            format_func=lambda i: "No campaign" if i is None else campaigns[i])
        subject = st.text_input("Subject (optional)", max_chars=300)
        body = st.text_area("Their message", max_chars=50_000)
        cols = st.columns(2)
        day = cols[0].date_input("Received on", dt.datetime.now(dt.UTC).date())
        clock = cols[1].time_input("at (UTC)", dt.datetime.now(dt.UTC).time().replace(
            second=0, microsecond=0))
        recorded = st.form_submit_button("Record reply")
    if recorded:
        incoming = Incoming(subject, body, channel, campaign_id, dt.datetime.combine(day, clock))
        if web.ok(lambda: inbox.record_incoming(db, user, creator_id, incoming)):
            done("Reply recorded.", form=form)


def record_uploaded(creator_id: int, card: dict[str, Any]) -> None:
    upload = st.file_uploader("E-mail file (.eml)", type=["eml"], key=f"eml_{creator_id}")
    if upload is None:
        return
    raw = upload.getvalue()
    parsed = web.attempt(lambda: inbox.read_eml(raw), web.FILE)
    if parsed is None:
        return
    st.text(f"From: {parsed.sender_name} <{parsed.sender}>\nSubject: {parsed.subject}\n"
            f"Date: {when(parsed.date)}")
    st.text(parsed.body[:2000] + ("…" if len(parsed.body) > 2000 else ""))
    if parsed.attachments:
        st.caption("Attachments are not kept: " + web.as_text(", ".join(parsed.attachments)))
    mismatch = inbox.sender_note(db, creator_id, parsed.sender)
    anyway = False
    if mismatch:
        st.warning(web.as_text(mismatch), icon=":material/warning:")
        anyway = st.checkbox("Record it in this thread anyway", key=f"anyway_{creator_id}")
    else:
        st.caption(f"The sender is {web.as_text(card['name'])}'s address.")
    campaigns = web.campaign_options(
        inbox.creator_campaigns(db, creator_id)[["id", "name", "client"]].itertuples(index=False))
    campaign_id = st.selectbox(
        "Campaign", [None, *campaigns], key=f"eml_campaign_{creator_id}",
        format_func=lambda i: "No campaign" if i is None else campaigns[i])
    if st.button("Record e-mail", disabled=bool(mismatch) and not anyway) and web.ok(
        lambda: inbox.record_eml(db, user, creator_id, raw, campaign_id, anyway), web.FILE
    ):
        done("E-mail recorded.")


def send_asset(creator_id: int, notice: Any) -> None:
    """`notice`: the compose form's mail notice (see mail_notice), or None."""
    with st.expander("Send a tracking link or coupon code"):
        collabs = inbox.asset_collaborations(db, creator_id)
        if collabs.empty:
            st.caption("Assets are sent for a collaboration; this creator has no active one.")
            return
        names = {int(r.id): f"{r.campaign} (#{r.id}, {r.status})" for r in collabs.itertuples()}
        form = f"asset_{creator_id}"
        with web.kept_form(form):
            collab_id = st.selectbox("Collaboration", list(names), format_func=names.get)
            kind = st.radio("Kind", list(AssetKind), format_func=lambda k: k.label,
                            horizontal=True)
            value = st.text_input("Link or code", max_chars=2000,
                                  placeholder="https://… or SPRING-ADA10")
            note = st.text_area("Note in the e-mail (optional)", max_chars=5000)
            sent = st.form_submit_button("Send asset")
        if sent:
            # With e-mail not set up, the refusal takes the warning's place (said once);
            # any other refusal shows here, under the form.
            mail_down = notice is not None and inbox.mail_problem() is not None
            where = notice.container() if mail_down else st.container()
            with where, st.spinner("Sending…"):
                delivery = web.attempt(
                    lambda: inbox.send_asset(db, user, collab_id, kind, value, note))
            if delivery is not None:
                report_delivery(delivery, form)


# --- beside the thread -----------------------------------------------------------------------


def lines(title: str, rows: pd.DataFrame, line: Callable[[Any], str]) -> None:
    """A short titled list, one line per row (a narrow column has no room for a table)."""
    st.markdown(f"##### {title}")
    if rows.empty:
        st.caption("None.")
    else:
        st.text("\n".join(line(r) for r in rows.itertuples(index=False)))


def day(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def details_panel(creator_id: int, card: dict[str, Any]) -> None:
    st.markdown("##### Contact")
    st.text(
        f"@{card['handle']} on {card['platform']} · {card['followers']:,} followers\n"
        f"E-mail: {card['email'] or '—'}\nPhone: {card['phone'] or '—'}\n"
        f"Address: {card['address'] or '—'}"
    )
    st.text("Tags: " + (", ".join(card["tags"]) if card["tags"] else "none"))
    lines("Campaigns", inbox.creator_campaigns(db, creator_id),
          lambda r: f"{web.campaign_label(r.name, r.client)}: {r.standing}")
    lines("Agreements", inbox.agreements_of(db, creator_id),
          lambda r: f"{r.campaign}: {r.state}, {r.compensation:,.2f} {r.currency}"
                    f" (sent {day(r.sent_at)})")
    lines("Payments", inbox.payments_of(db, creator_id),
          lambda r: f"{day(r.paid_on)} · {r.amount:,.2f} {r.currency} · {r.campaign}"
                    + (f" · {r.reference}" if r.reference else ""))
    lines("Notes", inbox.notes_of(db, creator_id),
          lambda r: f"{day(r.occurred_at)} · {r.campaign} · {r.actor}: {r.text[:300]}")


# --- mass message ----------------------------------------------------------------------------


def mass_message(filt: InboxFilter, total: int) -> None:
    chosen = picked()
    summary = st.session_state.pop("mass_summary", None)
    with st.expander(f"Mass message ({len(chosen):,} selected)", expanded=summary is not None):
        if summary is not None:
            show_summary(summary)
        # Fixed labels: a radio whose labels change (with counts in them) loses its choice.
        scopes = {"picked": "The selected creators", "filter": "Everyone matching the filter"}
        scope = st.radio("Send to", list(scopes), horizontal=True, key="mass_scope",
                         format_func=scopes.get)
        st.caption(f"{len(chosen):,} selected · {total:,} match the filter")
        if chosen:
            st.caption("Selected: " + web.as_text(whole_names(list(chosen.values()))))
            st.button("Clear selection", on_click=clear_picks)
        campaign_id = mass_campaign(filt)
        with st.form("mass_form"):
            subject = st.text_input("Subject", max_chars=300, key="mass_subject")
            body = st.text_area("Message", max_chars=50_000, key="mass_body", help=MERGE_HELP)
            st.caption(MERGE_HELP)
            previewed = st.form_submit_button("Preview")
        if previewed:
            preview(filt, scope, Draft(subject, body, campaign_id))
        plan: inbox.Plan | None = st.session_state.get("mass_plan")
        if plan is not None:
            show_plan(plan)


def mass_campaign(filt: InboxFilter) -> int | None:
    if filt.campaign_id is not None:
        name = web.campaign_options(camps.campaign_choices(db)).get(filt.campaign_id, "")
        st.caption(f"About the campaign of the filter: **{web.as_text(name)}**. Only creators who "
                   "accepted (an accepted agreement or a collaboration) get it.")
        return filt.campaign_id
    campaigns = web.campaign_options(camps.campaign_choices(db))
    return st.selectbox(
        "About campaign", [None, *campaigns], key="mass_campaign",
        format_func=lambda i: "No campaign" if i is None else campaigns[i],
    )


def preview(filt: InboxFilter, scope: str, draft: Draft) -> None:
    st.session_state.pop("mass_plan", None)
    ids = list(picked()) if scope == "picked" else web.attempt(
        lambda: inbox.matching_creator_ids(db, filt))
    if ids is None:
        return
    plan = web.attempt(lambda: inbox.plan_messages(db, user, draft, ids))
    if plan is not None:
        st.session_state["mass_plan"] = plan


def show_plan(plan: inbox.Plan) -> None:
    ready, skipped = len(plan.ready), len(plan.skipped)
    st.info(f"**{ready:,}** will get it; **{skipped:,}** skipped.")
    for shown in plan.previews(2):
        with st.container(border=True):
            st.caption(f"Preview for {web.as_text(shown.name)} <{web.as_text(shown.email)}>")
            st.markdown(f"**{web.as_text(shown.subject)}**")
            st.text(shown.body)
    if plan.skipped:
        st.markdown("Skipped (not sent):")
        web.dataframe(pd.DataFrame([vars(s) for s in plan.skipped]), hide_index=True,
                     column_order=["name", "reason"], key="mass_skipped")
    problem = inbox.mail_problem()
    if problem:
        st.warning(problem, icon=":material/mail_lock:")
    buttons = st.container(horizontal=True)  # each button as wide as its label
    if buttons.button(f"Send to {ready:,} creator{'' if ready == 1 else 's'}", type="primary",
                   disabled=ready == 0 or bool(problem)):
        send_plan(plan)
    if buttons.button("Discard preview"):
        st.session_state.pop("mass_plan", None)
        st.rerun()


def send_plan(plan: inbox.Plan) -> None:
    ids = [r.creator_id for r in plan.ready] + [s.creator_id for s in plan.skipped]
    queued = web.attempt(lambda: inbox.queue_messages(db, user, plan.draft, ids))
    if queued is None:
        return
    deliveries = web.attempt(lambda: inbox.deliver(db, user, queued.message_ids))
    if deliveries is None:
        return
    count = len(queued.message_ids)
    bar = st.progress(0.0, text=f"Sending 0 of {count:,}…")
    failed: list[dict[str, str]] = []
    sent = 0
    for number, delivery in enumerate(deliveries, start=1):
        if delivery.sent:
            sent += 1
        else:
            failed.append({"recipient": delivery.recipient, "error": delivery.error or ""})
        bar.progress(number / count, text=f"Sending {number:,} of {count:,}…")
    st.session_state.pop("mass_plan", None)
    st.session_state["mass_summary"] = {
        "sent": sent, "failed": failed,
        "skipped": [{"name": s.name, "reason": s.reason} for s in queued.plan.skipped],
    }
    # The widgets are drawn: clear them in the next run, unless nothing went out (then the
    # draft and the ticks stay, to send again once the server takes them).
    st.session_state["_mass_sent"] = sent > 0
    st.rerun()


def show_summary(summary: dict[str, Any]) -> None:
    failed, skipped = summary["failed"], summary["skipped"]
    text = f"**{summary['sent']:,} sent**, {len(failed):,} failed, {len(skipped):,} skipped."
    (st.warning if failed else st.success)(text)
    if failed:
        st.markdown("Failed (retry them in their threads):")
        web.dataframe(pd.DataFrame(failed), hide_index=True, key="mass_failed")
    if skipped:
        st.markdown("Skipped:")
        web.dataframe(pd.DataFrame(skipped), hide_index=True, key="mass_summary_skipped")


# --- the page --------------------------------------------------------------------------------


def run_page() -> None:
    st.title("Inbox")
    if st.session_state.pop("_mass_sent", False):
        clear_picks()  # and the draft, so that it is not sent twice by accident
        st.session_state["mass_subject"] = st.session_state["mass_body"] = ""
    thread_from_address()
    filt = filters()
    number = int(st.session_state.get("inbox_page", 1))
    found = web.attempt(lambda: inbox.list_creators(db, user, filt, number, PAGE_SIZE))
    if found is None:
        st.stop()
    left, right = st.columns([6, 5], gap="medium")
    with left:
        creator_list(found)
        if can_write:
            mass_message(filt, found.total)
    creator_id = opened()
    web.address_from_widget("creator", "inbox_open", creator_id and str(creator_id))
    card = None if creator_id is None else web.attempt(lambda: inbox.creator_card(db, creator_id))
    if card is None:
        right.info("Click a creator on the left to see the whole thread.")
        return
    with right:
        thread_panel(creator_id, card)  # type: ignore[arg-type]


run_page()
