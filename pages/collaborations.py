"""Collaborations across all campaigns: search, filter, sort, page, and batch status edits."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import campaigns as camps
from lib import collaborations as collabs
from lib import creators, web
from lib.collaborations import CollabFilter
from lib.models import CollabStatus, Role

ROW_PX = 35  # st.dataframe's row height
# How each sort reads when descending, and when ascending.
ORDER_WORDS = {
    "updated": ("Newest first", "Oldest first"),
    "created": ("Newest first", "Oldest first"),
    "status": ("Cancelled first", "Pending first"),
    "compensation": ("Largest first", "Smallest first"),
    "creator": ("Z to A", "A to Z"),
}
VISIBLE_ROWS = 20

db = web.database()
user = web.current_user()
st.title("Collaborations")


def filter_widgets() -> CollabFilter:
    top = st.columns([3, 3, 2, 2])
    search = top[0].text_input("Search creator", placeholder="Name or @handle", max_chars=100)
    # Status and campaign live in the address too (?status=pending,negotiating&campaign=12).
    all_statuses = [s.value for s in CollabStatus]
    web.widget_from_address(
        "status", "list_status", web.values_from_address("status", all_statuses, "status")
    )
    statuses = top[1].multiselect(
        "Status", all_statuses, format_func=web.status_label, key="list_status"
    )
    web.address_from_widget("status", "list_status", ",".join(statuses))
    clients = dict(collabs.clients_for_filter(db))
    client_id = top[2].selectbox(
        "Client", [None, *clients], format_func=lambda i: "All clients" if i is None else clients[i]
    )
    campaigns = web.campaign_options(camps.campaign_choices(db, client_id))
    web.widget_from_address(
        "campaign", "list_campaign", web.choice_from_address("campaign", campaigns, "campaign")
    )
    campaign_id = top[3].selectbox(
        "Campaign",
        [None, *campaigns],
        format_func=lambda i: "All campaigns" if i is None else campaigns[i],
        key="list_campaign",
    )
    web.address_from_widget("campaign", "list_campaign", campaign_id and str(campaign_id))
    more = st.columns([2, 3, 2, 2, 1])
    tag = more[0].selectbox(
        "Creator tag",
        [None, *creators.all_tags(db)],
        format_func=lambda t: "Any tag" if t is None else t,
    )
    created = more[1].date_input("Created between", value=(), format="YYYY-MM-DD")
    sort = more[2].selectbox("Sort by", list(collabs.SORTS), format_func=str.capitalize)
    first, last = ORDER_WORDS.get(sort, ("Descending", "Ascending"))
    descending = more[3].selectbox(
        "Order", [True, False], format_func=lambda d: first if d else last, key=f"order_{sort}"
    )
    page_size = more[4].selectbox("Rows", collabs.PAGE_SIZES, index=1)
    created_from = created[0] if len(created) > 0 else None
    created_to = created[1] if len(created) > 1 else None
    st.session_state["list_sort"] = (sort, descending, page_size)
    filt = CollabFilter(
        search, tuple(statuses), client_id, campaign_id, tag, created_from, created_to
    )
    if st.session_state.get("last_filter") != filt:
        # A new filter starts at page 1, and a preview made for the old one no longer applies;
        # nor does "every row matching": it meant the old filter's rows, so it is asked anew.
        st.session_state["last_filter"] = filt
        st.session_state["page_number"] = 1
        st.session_state.pop("batch_preview", None)
        st.session_state.pop("batch_scope", None)
    st.session_state["filter_words"] = filter_words(filt, clients, campaigns)
    return filt


def filter_words(filt: CollabFilter, clients: dict[int, str], campaigns: dict[int, str]) -> str:
    """The filter as a person would say it, for a confirmation ("status Pending, campaign
    Spring Launch — Acme"); names are text that anyone typed, so as_text."""
    words: list[str] = []
    if filt.statuses:
        words.append("status " + " or ".join(web.status_label(s) for s in filt.statuses))
    words += web.scope_words(filt.client_id, filt.campaign_id, clients, campaigns)
    if filt.tag:
        words.append("tag " + web.as_text(filt.tag))
    if filt.search.strip():
        words.append("creator " + web.as_text(f"“{filt.search.strip()}”"))
    if filt.created_from is not None:
        words.append(f"created {filt.created_from:%Y-%m-%d} to "
                     + (f"{filt.created_to:%Y-%m-%d}" if filt.created_to else "today"))
    return ", ".join(words) or "no filter (every collaboration)"


def show_page(filt: CollabFilter) -> pd.DataFrame:
    sort, descending, page_size = st.session_state["list_sort"]
    page_number = int(st.session_state.get("page_number", 1))
    page = web.attempt(
        lambda: collabs.list_collaborations(db, filt, sort, descending, page_number, page_size)
    )
    if page is None:
        st.stop()
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    st.session_state["list_total"] = page.total
    noun = "collaboration" if page.total == 1 else "collaborations"
    left.caption(f"**{page.total:,}** {noun} · page {page.page:,} of {page.pages:,}")
    right.number_input("Page", min_value=1, max_value=page.pages, key="page_number")
    view = (filt, sort, descending, page.page, page_size)
    if st.session_state.get("list_view") != view:
        # Selected rows are positions on the page: on another page they name other rows.
        # Setting (not deleting) the state clears the ticks in the browser too.
        st.session_state["list_view"] = view
        table = st.session_state.get("collab_table")
        if table and table["selection"]["rows"]:
            st.session_state["collab_table"] = {
                "selection": {"rows": [], "columns": [], "cells": []}
            }
    shown = page.rows.assign(
        status=web.as_badges(page.rows["status"]),
        validation=web.as_badges(page.rows["validation"]),
    )
    event = web.dataframe(
        shown,
        key="collab_table",
        hide_index=True,
        # Tall enough for 20 rows, so a batch of 20 can be ticked without scrolling the grid.
        height=ROW_PX * (min(max(len(shown), 1), VISIBLE_ROWS) + 1) + 3,  # "empty" is a row
        on_select="rerun",
        selection_mode="multi-row",
        column_order=[
            "id",
            "creator",
            "handle",
            "validation",
            "campaign",
            "client",
            "status",
            "compensation",
            "currency",
            "due_date",
            "updated_at",
        ],
        column_config={
            "id": st.column_config.NumberColumn("#", format="%d"),
            "creator": "Creator",
            "handle": "Handle",
            "campaign": "Campaign",
            "client": "Client",
            "currency": "Currency",
            "status": web.badge_column("Status", web.STATUS_COLORS, web.status_label),
            "validation": web.badge_column(
                "Validation", web.VALIDATION_COLORS, web.validation_label
            ),
            "compensation": st.column_config.NumberColumn("Compensation", format="%.2f"),
            "due_date": st.column_config.DateColumn("Due"),
            "updated_at": st.column_config.DatetimeColumn("Updated", format="YYYY-MM-DD HH:mm"),
        },
    )
    # Rows that changed underneath can leave a selection pointing past the end of the page.
    return page.rows.iloc[[r for r in event.selection.rows if r < len(page.rows)]]


def open_buttons(selected: pd.DataFrame) -> None:
    left = st.columns([1, 3])[0]
    if len(selected) == 1:
        collab_id = int(selected["id"].iloc[0])
        if left.button(f"Open #{collab_id}", type="primary"):
            st.switch_page("pages/collaboration.py", query_params={"id": collab_id})
    else:
        left.caption("Select one row to open it, or several to change them together.")


def batch_editor(filt: CollabFilter, selected: pd.DataFrame) -> None:
    st.subheader("Change status")
    total = st.session_state["list_total"]
    scopes = ["selected", "filter"]
    # The radio's value is its label, and the labels hold counts that change with the selection
    # and the filter; so the choice is kept here and handed back as the index.
    scope = st.radio(
        "Apply to",
        scopes,
        index=scopes.index(st.session_state.get("batch_scope", "selected")),
        horizontal=True,
        # Naming the filter also makes the radio a new widget whenever the filter changes, so
        # that no browser keeps the old choice for it.
        help="“Every row matching” is every collaboration of this filter: "
        + st.session_state["filter_words"],
        format_func=lambda s: (
            f"Selected rows ({len(selected)})"
            if s == "selected"
            else f"Every row matching the filter ({total:,})"
        ),
    )
    st.session_state["batch_scope"] = scope
    cols = st.columns([2, 4])
    target = cols[0].selectbox(
        "New status",
        [s.value for s in CollabStatus],
        format_func=web.status_label,
        key="batch_target",
    )
    reason = cols[1].text_input(
        "Reason (needed to cancel or to move back a stage)", max_chars=1000, key="batch_reason"
    )
    if st.button("Preview change"):
        ids = (
            list(selected["id"])
            if scope == "selected"
            else web.attempt(lambda: list(collabs.matching_versions(db, filt)))
        )
        if ids is not None:
            preview = web.attempt(
                lambda: collabs.preview_status_change(db, user, ids, target, reason)
            )
            st.session_state["batch_preview"] = preview
            st.session_state["batch_preview_scope"] = scope
            st.session_state["batch_matching"] = (
                st.session_state["filter_words"] if scope == "filter" else None)
    preview: collabs.StatusChangePreview | None = st.session_state.get("batch_preview")
    asked = (preview.target.value, preview.reason, st.session_state.get("batch_preview_scope")
             ) if preview is not None else None
    if preview is not None and asked != (target, reason, scope):
        del st.session_state["batch_preview"]  # the choice changed since the preview
        preview = None
    if preview is not None:
        show_preview(preview)


def show_preview(preview: collabs.StatusChangePreview) -> None:
    valid, refused = len(preview.valid), len(preview.refused)
    matching = st.session_state.get("batch_matching")
    if matching is not None:  # the filter named, so nobody confirms a scope they did not mean
        count = len(preview.rows)
        st.markdown(f"**Change {count:,} collaboration{'' if count == 1 else 's'} matching:** "
                    f"{matching}")
    st.info(f"**{valid:,}** will move to {preview.target.label}; **{refused:,}** refused.")
    table = pd.DataFrame([vars(r) for r in preview.rows])
    table["outcome"] = web.as_badges(table["ok"].map({True: "will change", False: "refused"}))
    table["current"] = table["current"].map(web.status_label)
    web.dataframe(
        table,
        hide_index=True,
        key="preview_table",
        column_order=["id", "creator", "campaign", "current", "outcome", "message"],
        column_config={
            "id": st.column_config.NumberColumn("#", format="%d"),
            "creator": web.name_column("Creator"),
            "campaign": web.name_column("Campaign"),
            "current": "Status now",
            "message": "What happens",
            "outcome": web.badge_column(
                "Outcome", {"will change": "green", "refused": "red"}, str.capitalize
            )
        },
    )
    confirm, cancel = st.columns([1, 5])
    if confirm.button(f"Confirm {valid:,} changes", type="primary", disabled=valid == 0):
        result = web.attempt(
            lambda: collabs.apply_status_change(
                db, user, preview.valid, preview.target, preview.reason
            )
        )
        del st.session_state["batch_preview"]
        if result is not None:
            icon = web.OK_ICON if not result.refused else web.WARN_ICON
            web.flash(result.summary(), icon)
            st.session_state.pop("list_view", None)  # the next run clears the selection
        st.rerun()
    if cancel.button("Cancel"):
        del st.session_state["batch_preview"]
        st.rerun()


filt = filter_widgets()
selected = show_page(filt)
open_buttons(selected)
if user.can(Role.STAFF):
    batch_editor(filt, selected)
else:
    st.caption("Your role can read collaborations; ask a manager for edit rights.")
