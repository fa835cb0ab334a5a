"""Deliveries: products shipped to creators across campaigns. Filters, summary tiles, the list,
and for staff the status changes (with preview and confirm), new shipments and the warehouse's
spreadsheet round trip; viewers read and export. The services check the role again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from lib import campaigns as campaigns_service
from lib import deliveries, web
from lib.deliveries import ChangePreview, DeliveryFilter, NewShipmentsPreview
from lib.delivery_sheet import XLSX_MIME
from lib.models import (
    MAX_CARRIER_CHARS,
    MAX_TRACKING_CHARS,
    ChangeOutcome,
    CollabStatus,
    DeliveryStatus,
    Role,
    ShipmentChange,
)

ROW_PX = 35  # st.dataframe's row height
VISIBLE_ROWS = 15
EMPTY_SELECTION: dict[str, list] = {"selection": {"rows": [], "columns": [], "cells": []}}
OUTCOME_COLORS = {"updated": "green", "unchanged": "gray", "refused": "red"}
KEEP = "keep"  # the "keep the status" choice of a single shipment's change

db = web.database()
user = web.current_user()
can_edit = user.can(Role.STAFF)
st.title("Deliveries")


# --- small helpers ----------------------------------------------------------------


def done(message: str, icon: str = web.OK_ICON) -> None:
    """After a write: a toast on the next run; previews and ticks are dropped (the rows under
    them changed)."""
    for key in ("dlv_change_preview", "dlv_new_preview", "dlv_import_preview", "dlv_view",
                "dlv_reason"):  # fmt: skip
        st.session_state.pop(key, None)
    st.session_state["dlv_generation"] = st.session_state.get("dlv_generation", 0) + 1
    web.flash(message, icon)
    st.rerun()


def generation() -> int:
    return int(st.session_state.get("dlv_generation", 0))


def remembered_radio(
    label: str, options: list[str], memory: str, format_func: Callable[[str], str],
    help: str | None = None,
) -> str:
    """A horizontal radio whose labels hold counts. A radio's identity includes its labels, so
    when a count changes Streamlit would make it a new widget and forget the choice: the
    choice is kept in session state under `memory` and handed back as the index. A change of
    `help` makes it a new widget, starting from that index."""
    chosen = st.session_state.get(memory, options[0])
    choice = st.radio(
        label, options, index=options.index(chosen) if chosen in options else 0,
        horizontal=True, format_func=format_func, help=help,
    )  # fmt: skip
    st.session_state[memory] = choice or options[0]
    return st.session_state[memory]


def campaign_picker(label: str, key: str, default: int | None) -> int | None:
    campaigns = web.campaign_options(campaigns_service.campaign_choices(db))
    options = [None, *campaigns]
    index = options.index(default) if default in campaigns else 0
    return st.selectbox(
        label, options, index=index, key=key,
        format_func=lambda i: "Choose a campaign" if i is None else campaigns[i],
    )  # fmt: skip


def outcome_table(preview: ChangePreview, with_row: bool = False) -> None:
    table = pd.DataFrame([vars(r) for r in preview.rows]).drop(columns=["change"])
    table["outcome"] = web.as_badges(table["outcome"].map(str))
    table["current"] = table["current"].map(
        lambda s: web.delivery_label(s) if isinstance(s, str) and s else ""  # NaN: not found
    )
    web.dataframe(
        table,
        hide_index=True,
        column_order=[*(["row"] if with_row else []), "shipment_id", "creator", "item",
                      "current", "outcome", "message"],
        column_config={
            "row": st.column_config.NumberColumn("Row", format="%d"),
            "shipment_id": st.column_config.NumberColumn("Shipment #", format="%d"),
            "creator": web.name_column("Creator"), "item": "Item", "current": "Now",
            "outcome": web.badge_column("Outcome", OUTCOME_COLORS, str.capitalize),
            "message": st.column_config.Column("What happens", width="large"),
        },
    )  # fmt: skip


# --- filters, tiles and the list ------------------------------------------------------------


def filter_widgets() -> DeliveryFilter:
    # Two rows of filters sized so that no label wraps at 1366 px; the list's own controls
    # (rows per page, page) sit on the line above the list (show_list).
    top = st.columns([4, 3, 2, 3])
    search = top[0].text_input(
        "Search", placeholder="Creator, @handle, item or tracking number", max_chars=100,
        key="dlv_search",
    )  # fmt: skip
    # Status and campaign live in the address too (?status=in_transit&campaign=12).
    all_statuses = [s.value for s in DeliveryStatus]
    web.widget_from_address(
        "status", "dlv_status", web.values_from_address("status", all_statuses, "status")
    )
    statuses = top[1].multiselect(
        "Status", all_statuses, format_func=web.delivery_label, key="dlv_status",
    )  # fmt: skip
    web.address_from_widget("status", "dlv_status", ",".join(statuses))
    clients = dict(deliveries.clients_for_filter(db))
    client_id = top[2].selectbox(
        "Client", [None, *clients], key="dlv_client",
        format_func=lambda i: "All clients" if i is None else clients[i],
    )  # fmt: skip
    campaigns = web.campaign_options(campaigns_service.campaign_choices(db, client_id))
    web.widget_from_address(
        "campaign", "dlv_campaign", web.choice_from_address("campaign", campaigns, "campaign")
    )
    campaign_id = top[3].selectbox(
        "Campaign", [None, *campaigns], key="dlv_campaign",
        format_func=lambda i: "All campaigns" if i is None else campaigns[i],
    )  # fmt: skip
    web.address_from_widget("campaign", "dlv_campaign", campaign_id and str(campaign_id))
    more = st.columns([2, 3, 2, 2.5, 2], vertical_alignment="bottom")
    carrier = more[0].selectbox(
        "Carrier", [None, *deliveries.carriers(db)], key="dlv_carrier",
        format_func=lambda c: "All carriers" if c is None else c,
    )  # fmt: skip
    days = more[1].number_input(
        "In transit longer than (days)", min_value=0, max_value=deliveries.MAX_IN_TRANSIT_DAYS,
        value=None, step=1, placeholder="any time", key="dlv_days",
    )  # fmt: skip
    # The toggles sit in a box as tall as the inputs beside them, centred: in line with them.
    with more[2], st.container(height=40, border=False, vertical_alignment="center"):
        exceptions_open = st.toggle("Exceptions open", key="dlv_exceptions")
    sort = more[3].selectbox(
        "Sort by", list(deliveries.SORTS), format_func=deliveries.SORT_LABELS.__getitem__
    )
    with more[4], st.container(height=40, border=False, vertical_alignment="center"):
        descending = st.toggle(
            "Descending", value=True, key="dlv_descending",
            help="Longest in status, newest, Z to A first",
        )  # fmt: skip
    st.session_state["dlv_sort"] = (sort, descending)
    filt = DeliveryFilter(
        tuple(statuses), campaign_id, client_id, carrier,
        None if days is None else int(days), exceptions_open, search,
    )  # fmt: skip
    if st.session_state.get("dlv_last_filter") != filt:
        # A new filter starts at page 1, and a preview made for the old one no longer applies;
        # nor does "every shipment matching": it meant the old filter's rows, so it is asked anew.
        st.session_state["dlv_last_filter"] = filt
        st.session_state["dlv_page"] = 1
        st.session_state.pop("dlv_change_preview", None)
        st.session_state.pop("dlv_scope", None)
    st.session_state["dlv_filter_words"] = filter_words(filt, clients, campaigns)
    return filt


def filter_words(
    filt: DeliveryFilter, clients: dict[int, str], campaigns: dict[int, str]
) -> str:
    """The filter as a person would say it, for a confirmation; names as_text (typed by
    anyone)."""
    words: list[str] = []
    if filt.statuses:
        words.append("status " + " or ".join(web.delivery_label(s) for s in filt.statuses))
    words += web.scope_words(filt.client_id, filt.campaign_id, clients, campaigns)
    if filt.carrier:
        words.append("carrier " + web.as_text(filt.carrier))
    if filt.in_transit_days is not None:
        words.append(f"in transit longer than {filt.in_transit_days:,} days")
    if filt.exceptions_open:
        words.append("exceptions open")
    if filt.search.strip():
        words.append("search " + web.as_text(f"“{filt.search.strip()}”"))
    return ", ".join(words) or "no filter (every shipment)"


def tiles(filt: DeliveryFilter) -> None:
    """The filter's campaign (or client, or all) in figures: one short row."""
    found = web.attempt(lambda: deliveries.summary(db, filt.campaign_id, filt.client_id))
    if found is None:
        return
    scope = "This campaign" if filt.campaign_id is not None else (
        "This client's campaigns" if filt.client_id is not None else "All campaigns"
    )  # fmt: skip
    cols = web.small_figures("dlv_figures", [2, 1, 1, 1, 1, 1.6])
    cols[0].caption(f"{scope}:  \n**{found.total:,}** shipments")
    cols[1].metric("Pending", f"{found.pending:,}")
    cols[2].metric("In transit", f"{found.in_transit:,}")
    cols[3].metric("Delivered", f"{found.delivered:,}")
    cols[4].metric("Exceptions", f"{found.exception:,}")
    oldest = found.oldest_in_transit
    cols[5].metric(
        "Oldest in transit",
        "—" if oldest is None else f"{oldest.days} day{'s' if oldest.days != 1 else ''}",
        help=None if oldest is None else (
            f"Shipment #{oldest.shipment_id}: {web.as_text(oldest.item)} to "
            f"{web.as_text(oldest.creator)},"
            f" in transit since {oldest.since:%Y-%m-%d %H:%M} UTC"
        ),
    )  # fmt: skip


def by_campaign(filt: DeliveryFilter) -> None:
    """Each campaign's figures: below the list and its actions, as staff look there less."""
    if filt.campaign_id is not None:
        return
    # Drawn only when open: a group-by over every shipment that most visits never look at.
    box = st.expander("Deliveries by campaign", key="dlv_by_campaign", on_change="rerun")
    if not box.open:
        return
    with box:
        number = int(st.session_state.get("dlv_campaign_page", 1))
        page = web.attempt(lambda: deliveries.summary_by_campaign(db, filt.client_id, number))
        if page is None:
            return
        web.dataframe(
            page.rows, hide_index=True,
            column_order=["campaign", "client", "pending", "in_transit", "delivered",
                          "exception", "longest_in_transit_days"],
            column_config={
                "campaign": "Campaign", "client": "Client", "pending": "Pending",
                "in_transit": "In transit", "delivered": "Delivered", "exception": "Exceptions",
                "longest_in_transit_days": st.column_config.NumberColumn(
                    "Longest in transit (days)", format="%d"),
            },
        )  # fmt: skip
        if page.pages > 1:
            st.number_input("Page of campaigns", 1, page.pages, key="dlv_campaign_page")
        st.caption(f"{page.total:,} campaigns with shipments · most exceptions first")


def show_list(filt: DeliveryFilter) -> pd.DataFrame:
    """The page of shipments; returns the ticked rows."""
    sort, descending = st.session_state["dlv_sort"]
    left, rows_box, page_box = st.columns([6, 1.4, 1.6], vertical_alignment="center")
    page_size = rows_box.selectbox(
        "Rows", deliveries.PAGE_SIZES, index=1, key="dlv_rows", label_visibility="collapsed",
        format_func=lambda n: f"{n} rows",
    )  # fmt: skip
    number = int(st.session_state.get("dlv_page", 1))
    page = web.attempt(
        lambda: deliveries.list_shipments(db, filt, sort, descending, number, page_size)
    )
    if page is None:
        st.stop()
    st.session_state["dlv_total"] = page.total
    left.caption(f"**{page.total:,}** shipments · page {page.page:,} of {page.pages:,}")
    if number > page.pages:  # more rows per page: fewer pages than the number shown
        st.session_state["dlv_page"] = page.pages
    page_box.number_input(
        "Page", min_value=1, max_value=page.pages, key="dlv_page", label_visibility="collapsed"
    )
    view = (filt, sort, descending, page.page, page_size, generation())
    if st.session_state.get("dlv_view") != view:
        # Ticks are positions on the page: on another page (or after a write) they name other
        # rows. Setting (not deleting) the state clears the ticks in the browser too.
        st.session_state["dlv_view"] = view
        if "dlv_table" in st.session_state:
            st.session_state["dlv_table"] = EMPTY_SELECTION
    shown = page.rows.assign(
        status=web.as_badges(page.rows["status"]),
        collab_status=web.as_badges(page.rows["collab_status"]),
    )
    selectable: dict[str, Any] = (
        {"on_select": "rerun", "selection_mode": "multi-row"} if can_edit else {}
    )
    event = web.dataframe(
        shown,
        key="dlv_table",
        hide_index=True,
        height=ROW_PX * (min(max(len(shown), 1), VISIBLE_ROWS) + 1) + 3,  # "empty" is a row
        column_order=["id", "creator", "campaign", "collab_status", "item", "carrier",
                      "tracking_number", "status", "exception_reason", "shipped_on",
                      "delivered_on", "days_in_status"],
        column_config={
            "id": st.column_config.NumberColumn("#", format="%d"),
            "creator": "Creator", "campaign": "Campaign", "item": "Item", "carrier": "Carrier",
            "collab_status": web.badge_column(
                "Collaboration", web.STATUS_COLORS, web.status_label),
            "tracking_number": "Tracking number",
            "status": web.badge_column("Delivery", web.DELIVERY_COLORS, web.delivery_label),
            "exception_reason": st.column_config.Column("Exception reason", width="medium"),
            "shipped_on": st.column_config.DateColumn("Shipped", format="YYYY-MM-DD"),
            "delivered_on": st.column_config.DateColumn("Delivered", format="YYYY-MM-DD"),
            "days_in_status": st.column_config.NumberColumn("Days in status", format="%d"),
        },
        **selectable,
    )  # fmt: skip
    if not can_edit:
        return page.rows.iloc[[]]
    # Rows that changed underneath can leave a selection pointing past the end of the page.
    return page.rows.iloc[[r for r in event.selection.rows if r < len(page.rows)]]


# --- status changes -------------------------------------------------------------------------


def change_panel(filt: DeliveryFilter, selected: pd.DataFrame) -> None:
    total = st.session_state["dlv_total"]
    scopes = ["selected", "filter"]
    scope = remembered_radio(
        "Apply to", scopes, "dlv_scope",
        lambda s: f"Selected shipments ({len(selected)})" if s == "selected"
        else f"Every shipment matching the filter ({total:,})",
        # Naming the filter also makes the radio a new widget whenever the filter changes.
        help="“Every shipment matching” is every shipment of this filter: "
        + st.session_state["dlv_filter_words"],
    )  # fmt: skip
    single = scope == "selected" and len(selected) == 1
    targets: list[str] = [s.value for s in DeliveryStatus] + ([KEEP] if single else [])
    cols = st.columns([2, 4])
    target = cols[0].selectbox(
        "New status", targets, key="dlv_target",
        format_func=lambda t: "Keep the status" if t == KEEP else web.delivery_label(t),
    )  # fmt: skip
    reason = cols[1].text_input(
        "Reason (required for an exception: returned, damaged, lost…)", max_chars=1000,
        key="dlv_reason",
    )  # fmt: skip
    tracking = carrier = None
    if single:
        row = selected.iloc[0]
        sid = int(row["id"])
        st.caption(f"Shipment #{sid}: {web.as_text(row['item'])} to {web.as_text(row['creator'])}")
        cols = st.columns(2)
        # Keyed by the shipment, so each one starts from its own values.
        tracking = cols[0].text_input("Tracking number", row["tracking_number"],
                                      max_chars=MAX_TRACKING_CHARS, key=f"dlv_tracking_{sid}")
        carrier = cols[1].text_input("Carrier", row["carrier"], max_chars=MAX_CARRIER_CHARS,
                                     key=f"dlv_carrier_{sid}")  # fmt: skip
    asked = (scope, tuple(selected["id"]), target, reason, tracking, carrier)
    if st.button("Preview change"):
        preview = preview_change(filt, selected, scope, target, reason, tracking, carrier)
        if preview is not None:
            st.session_state["dlv_change_preview"] = (asked, preview)
    stored = st.session_state.get("dlv_change_preview")
    if stored is not None and stored[0] != asked:
        del st.session_state["dlv_change_preview"]  # the choice changed since the preview
        stored = None
    if stored is not None:
        show_change_preview(stored[1], st.session_state["dlv_filter_words"]
                            if scope == "filter" else None)


def preview_change(
    filt: DeliveryFilter,
    selected: pd.DataFrame,
    scope: str,
    target: str,
    reason: str,
    tracking: str | None,
    carrier: str | None,
) -> ChangePreview | None:
    if scope == "filter":
        ids = web.attempt(lambda: deliveries.matching_ids(db, filt))
        if ids is None:
            return None
    else:
        ids = [int(i) for i in selected["id"]]
    if tracking is None:
        return web.attempt(lambda: deliveries.preview_status_change(db, user, ids, target, reason))
    status = None if target == KEEP else DeliveryStatus(target)
    change = ShipmentChange(ids[0], status, reason or None, tracking, carrier)
    return web.attempt(lambda: deliveries.preview_changes(db, user, [change]))


def show_change_preview(preview: ChangePreview, matching: str | None) -> None:
    updated = preview.count(ChangeOutcome.UPDATED)
    if matching is not None:  # the filter named, so nobody confirms a scope they did not mean
        count = len(preview.rows)
        st.markdown(f"**Change {count:,} shipment{'' if count == 1 else 's'} matching:** "
                    f"{matching}")
    st.info(
        f"**{updated:,}** will change; **{preview.count(ChangeOutcome.UNCHANGED):,}** unchanged;"
        f" **{preview.count(ChangeOutcome.REFUSED):,}** refused."
    )
    outcome_table(preview)
    confirm, cancel = st.columns([1, 5])
    label = f"Confirm {updated:,} change{'s' if updated != 1 else ''}"
    if confirm.button(label, type="primary", disabled=updated == 0):
        result = web.attempt(lambda: deliveries.apply_changes(db, user, preview.planned))
        if result is not None:  # else the refusal stays on screen, with the preview
            done(result.summary(), web.WARN_ICON if result.refused else web.OK_ICON)
    if cancel.button("Cancel", key="dlv_cancel_change"):
        del st.session_state["dlv_change_preview"]
        st.rerun()


# --- new shipments ----------------------------------------------------------------------------


def new_shipments_panel(filt: DeliveryFilter) -> None:
    web.forget_typed("dlv_new", empty={"dlv_new_item": "", "dlv_new_carrier": ""})
    cols = st.columns([3, 3])
    with cols[0]:
        campaign_id = campaign_picker("Campaign to ship for", "dlv_new_campaign",
                                      filt.campaign_id)  # fmt: skip
    statuses = cols[1].multiselect(
        "Collaborations in status", [s.value for s in CollabStatus if s != "cancelled"],
        default=[CollabStatus.FULFILLING.value], format_func=web.status_label,
        key="dlv_new_statuses",
    )  # fmt: skip
    if campaign_id is None:
        st.caption("Choose a campaign to see its collaborations.")
        return
    found = web.attempt(lambda: deliveries.shippable(db, campaign_id, tuple(statuses)))
    if found is None:
        return
    view = (campaign_id, tuple(statuses), generation())
    if st.session_state.get("dlv_new_view") != view:
        st.session_state["dlv_new_view"] = view
        if "dlv_new_table" in st.session_state:
            st.session_state["dlv_new_table"] = EMPTY_SELECTION
    event = web.dataframe(
        found.assign(status=web.as_badges(found["status"])),
        key="dlv_new_table", hide_index=True, on_select="rerun", selection_mode="multi-row",
        height=ROW_PX * (min(max(len(found), 1), 10) + 1) + 3,
        column_order=["id", "creator", "handle", "status", "address", "shipments"],
        column_config={
            "id": st.column_config.NumberColumn("Collaboration #", format="%d"),
            "creator": "Creator", "handle": "Handle",
            "status": web.badge_column("Status", web.STATUS_COLORS, web.status_label),
            "address": st.column_config.Column("Shipping address", width="large"),
            "shipments": st.column_config.NumberColumn("Shipments", format="%d"),
        },
    )  # fmt: skip
    ticked = [int(found["id"].iloc[r]) for r in event.selection.rows if r < len(found)]
    who = remembered_radio(
        "Ship to", ["ticked", "all"], "dlv_new_scope",
        lambda s: f"Ticked collaborations ({len(ticked)})" if s == "ticked"
        else f"Every collaboration listed ({len(found):,})",
    )  # fmt: skip
    cols = st.columns([3, 2])
    item = cols[0].text_input("Item", max_chars=200, key="dlv_new_item",
                              placeholder="What is sent, e.g. Skincare set")  # fmt: skip
    carrier = cols[1].text_input("Carrier (optional)", max_chars=MAX_CARRIER_CHARS,
                                 key="dlv_new_carrier")  # fmt: skip
    ids = ticked if who == "ticked" else [int(i) for i in found["id"]]
    asked = (tuple(ids), item, carrier)
    if st.button("Preview shipments"):
        preview = web.attempt(
            lambda: deliveries.preview_new_shipments(db, user, ids, item, carrier)
        )
        if preview is not None:
            st.session_state["dlv_new_preview"] = (asked, preview)
    stored = st.session_state.get("dlv_new_preview")
    if stored is not None and stored[0] != asked:
        del st.session_state["dlv_new_preview"]
        stored = None
    if stored is not None:
        show_new_preview(stored[1])


def show_new_preview(preview: NewShipmentsPreview) -> None:
    valid = len(preview.valid)
    st.info(f"**{valid:,}** will get a shipment of {web.as_text(preview.item)}; "
            f"**{len(preview.refused):,}** refused.")  # fmt: skip
    table = pd.DataFrame([vars(r) for r in preview.rows])
    table["outcome"] = web.as_badges(table["ok"].map({True: "will ship", False: "refused"}))
    web.dataframe(
        table, hide_index=True,
        column_order=["collab_id", "creator", "collab_status", "outcome", "message"],
        column_config={
            "collab_id": st.column_config.NumberColumn("Collaboration #", format="%d"),
            "creator": web.name_column("Creator"), "collab_status": "Status",
            "outcome": web.badge_column(
                "Outcome", {"will ship": "green", "refused": "red"}, str.capitalize),
            "message": st.column_config.Column("What happens", width="large"),
        },
    )  # fmt: skip
    confirm, cancel = st.columns([1, 5])
    label = f"Create {valid:,} shipment{'s' if valid != 1 else ''}"
    if confirm.button(label, type="primary", disabled=valid == 0):
        result = web.attempt(
            lambda: deliveries.create_shipments(db, user, preview.valid, preview.item,
                                                preview.carrier)
        )  # fmt: skip
        if result is not None:  # else the refusal stays on screen, with the preview
            web.typed_done("dlv_new")
            done(result.summary(), web.WARN_ICON if result.refused else web.OK_ICON)
    if cancel.button("Cancel", key="dlv_cancel_new"):
        del st.session_state["dlv_new_preview"]
        st.rerun()


# --- the spreadsheet round trip ------------------------------------------------------------


def spreadsheet_panel(filt: DeliveryFilter) -> None:
    campaign_id = campaign_picker("Campaign of the sheet", "dlv_sheet_campaign", filt.campaign_id)
    if campaign_id is None:
        st.caption("Choose a campaign to export its address list or import a filled-in sheet.")
        return
    file_name = web.attempt(lambda: deliveries.export_file_name(db, campaign_id))
    if file_name is None:
        return
    st.download_button(
        "Download address list (.xlsx)",
        # Built when clicked, not on every run of the page.
        lambda: deliveries.export_addresses(db, user, campaign_id)[1],
        file_name=file_name, mime=XLSX_MIME, icon=":material/download:",
        # No rerun: the click's rerun registers the button's builder anew and drops the one the
        # click asked for when it ends first; the download then failed ("Failed to generate").
        on_click="ignore",
    )  # fmt: skip
    st.caption(
        "One row per shipment: creator, item and address for the warehouse, which fills in "
        "Carrier, Tracking number and Status (and an Exception reason) and sends it back."
    )
    if can_edit:
        import_panel(campaign_id)


def import_panel(campaign_id: int) -> None:
    upload = st.file_uploader(
        "Filled-in sheet (CSV or .xlsx)", type=["csv", "xlsx"],
        key=f"dlv_upload_{generation()}",  # a new key after an import empties the widget
    )  # fmt: skip
    if upload is None:
        st.session_state.pop("dlv_import_preview", None)
        return
    asked = (campaign_id, upload.file_id)
    if st.button("Preview import"):
        with st.status("Reading the sheet…") as status:
            preview = web.attempt(
                lambda: deliveries.preview_import(db, user, campaign_id, upload.name,
                                                  upload.getvalue()),
                web.FILE,
            )  # fmt: skip
            status.update(label="Sheet read.", state="complete" if preview else "error")
        if preview is not None:
            st.session_state["dlv_import_preview"] = (asked, preview)
    stored = st.session_state.get("dlv_import_preview")
    if stored is not None and stored[0] != asked:
        del st.session_state["dlv_import_preview"]
        stored = None
    if stored is not None:
        show_import_preview(stored[1])


def show_import_preview(preview: ChangePreview) -> None:
    updated = preview.count(ChangeOutcome.UPDATED)
    blank = f" ({preview.blank_rows:,} empty rows skipped)" if preview.blank_rows else ""
    st.info(
        f"**{len(preview.rows):,}** rows{blank}: **{updated:,}** will update, "
        f"**{preview.count(ChangeOutcome.UNCHANGED):,}** unchanged, "
        f"**{preview.count(ChangeOutcome.REFUSED):,}** refused. Nothing is written until you "
        "apply."
    )
    outcome_table(preview, with_row=True)
    confirm, cancel = st.columns([1, 5])
    label = f"Apply {updated:,} update{'s' if updated != 1 else ''}"
    if confirm.button(label, type="primary", disabled=updated == 0):
        result = web.attempt(lambda: deliveries.apply_import(db, user, preview))
        if result is not None:  # else the refusal stays on screen, with the preview
            done("Import: " + result.summary(),
                 web.WARN_ICON if result.refused else web.OK_ICON)  # fmt: skip
    if cancel.button("Cancel", key="dlv_cancel_import"):
        del st.session_state["dlv_import_preview"]
        st.rerun()


# --- the page -------------------------------------------------------------------------------

filt = filter_widgets()
tiles(filt)
selected = show_list(filt)
if can_edit:
    # Only the open tab runs: the other two list every campaign in their pickers.
    change_tab, new_tab, sheet_tab = st.tabs(
        ["Change status", "New shipments", "Spreadsheet"], key="dlv_tab", on_change="rerun")
    if change_tab.open:
        with change_tab:
            change_panel(filt, selected)
    if new_tab.open:
        with new_tab:
            new_shipments_panel(filt)
    if sheet_tab.open:
        with sheet_tab:
            spreadsheet_panel(filt)
else:
    st.subheader("Spreadsheet")
    spreadsheet_panel(filt)
    st.caption("Your role can read and export deliveries; ask a manager for edit rights.")
by_campaign(filt)
