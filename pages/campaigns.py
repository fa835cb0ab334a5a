"""Campaigns: the list, create and edit, and for one campaign its applications, agreements and
the one-time start of collaborations; above them, what needs attention.

Managers (and admins) change things; staff and viewers read. The services check the role again.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from lib import campaigns as camps
from lib import creators, rules, web
from lib.campaigns import CampaignFilter, CreatorSearch
from lib.models import (
    CURRENCIES,
    PLATFORMS,
    AgreementState,
    ApplicationStage,
    CampaignFields,
    CampaignStatus,
    Role,
    Terms,
)

db = web.database()
user = web.current_user()
can_manage = user.can(Role.MANAGER)

# Table column -> (colour per value, the value's enum for its label).
BADGE_COLUMNS: dict[str, tuple[dict[str, str], type[Any]]] = {
    "status": (web.CAMPAIGN_COLORS, CampaignStatus),
    "stage": (web.STAGE_COLORS, ApplicationStage),
    "agreement": (web.AGREEMENT_COLORS, AgreementState),
}
STATUS_BUTTONS = {
    CampaignStatus.OPEN: "Open for applications",
    CampaignStatus.CLOSED: "Close applications",
    CampaignStatus.FINISHED: "Mark finished",
}
EMPTY_SELECTION: dict[str, list] = {"selection": {"rows": [], "columns": [], "cells": []}}
LABELS = {
    "id": "#", "name": "Name", "client": "Client", "owner": "Owner", "status": "Status",
    "start_date": "Start", "end_date": "End", "applications": "Applications",
    "selected": "Selected", "signed": "Signed", "collaborations": "Collaborations",
    "budget": "Budget", "currency": "Currency", "creator": "Creator", "handle": "Handle",
    "platform": "Platform", "followers": "Followers", "source": "Source", "stage": "Stage",
    "agreement": "Agreement", "time_left": "Time to sign", "pitch": "Pitch",
    "compensation": "Compensation", "engagement_rate": "Engagement %", "tags": "Tags",
    "issue": "Issue", "campaign": "Campaign", "why": "Why",
}
TIMES = {"deadline": "Deadline (UTC)", "sent_at": "Sent (UTC)", "responded_at": "Answered (UTC)"}
WIDE = {"why", "issue"}


# --- small helpers --------------------------------------------------------------


def campaign_label(value: str) -> str:
    return CampaignStatus(value).label


def stage_label(value: str) -> str:
    return ApplicationStage(value).label


def done(message: str, icon: str = web.OK_ICON, form: str | None = None) -> None:
    """After a write: a toast on the next run, and every table's ticks cleared (the rows
    under them may have moved); that run draws `form` (a web.kept_form) empty."""
    if form is not None:
        web.typed_done(form)
    web.rebase_edit("edit_*")  # this person's own change (a status, say) is no stale edit
    st.session_state["_generation"] = st.session_state.get("_generation", 0) + 1
    web.flash(message, icon)
    st.rerun()


def batch_done(result: camps.BatchResult, verb: str, form: str | None = None) -> None:
    icon = web.WARN_ICON if result.refused else web.OK_ICON
    text = result.summary(verb)
    if result.refused:
        # A refusal may quote a name: as text, like everything else typed by a person.
        text += " " + web.as_text(" ".join(sorted(set(result.refused.values()))[:2]))
    # A form whose every row was refused keeps what was typed, to correct and send again.
    done(text, icon, form if result.done else None)


def fresh_selection(key: str, view: object) -> None:
    """Ticked rows are positions in what a table shows; when it shows something else (another
    campaign, filter or page, or data changed by a write) they would name other rows."""
    view = (view, st.session_state.get("_generation", 0))
    if st.session_state.get(f"_{key}_view") != view:
        st.session_state[f"_{key}_view"] = view
        if key in st.session_state:
            st.session_state[key] = EMPTY_SELECTION


def columns(rows: pd.DataFrame, *names: str) -> dict[str, Any]:
    """The data, column_order and column_config for a table showing `names` of `rows`, with
    readable headers (web.dataframe shows no empty cell as None)."""
    config: dict[str, Any] = {}
    for name in names:
        if name in TIMES:
            config[name] = st.column_config.DatetimeColumn(TIMES[name], format="YYYY-MM-DD HH:mm")
        elif name in ("start_date", "end_date"):
            config[name] = st.column_config.DateColumn(LABELS[name], format="YYYY-MM-DD")
        elif name in ("budget", "compensation"):
            config[name] = st.column_config.NumberColumn(LABELS[name], format="%.2f")
        elif name == "id":
            config[name] = st.column_config.NumberColumn("#", format="%d")
        elif name in BADGE_COLUMNS:
            colors, kind = BADGE_COLUMNS[name]
            config[name] = web.badge_column(
                LABELS[name], colors, lambda value, kind=kind: kind(value).label
            )
        elif name == "creator":
            config[name] = web.name_column(LABELS[name])
        else:
            config[name] = st.column_config.Column(
                LABELS.get(name, name), width="large" if name in WIDE else None
            )
    return {"data": rows, "column_order": list(names), "column_config": config}


def table(rows: pd.DataFrame, *names: str, height: int | str = "auto") -> None:
    """A read-only table of `names` (text is shown as text, never as markdown)."""
    web.dataframe(hide_index=True, height=height, **columns(rows, *names))


def selectable_table(rows: pd.DataFrame, key: str, view: object, *names: str) -> pd.DataFrame:
    """A table whose rows a manager may tick; returns the ticked rows (none for others)."""
    if not can_manage:
        table(rows, *names)
        return rows.iloc[[]]
    fresh_selection(key, view)
    event = web.dataframe(
        hide_index=True, key=key, on_select="rerun", selection_mode="multi-row",
        **columns(rows, *names),
    )
    return rows.iloc[[r for r in event.selection.rows if r < len(rows)]]


def page_picker(page: camps.Page, key: str) -> int:
    """The page number input, only when there is more than one page."""
    if page.pages > 1:
        st.number_input("Page", 1, page.pages, key=key)
    st.caption(f"{page.total:,} in all · page {page.page} of {page.pages}")
    return page.page


def time_left(hours: float | None) -> str:
    if hours is None or pd.isna(hours):
        return ""
    whole = abs(int(hours))
    span = f"{whole // 24} d {whole % 24} h" if whole >= 24 else f"{abs(hours):.1f} h"
    return f"{span} left" if hours >= 0 else f"expired {span} ago"


def badges(rows: pd.DataFrame) -> pd.DataFrame:
    """Stage, agreement and status columns as badges; time left as words."""
    shown = rows.copy()
    for name in BADGE_COLUMNS:
        if name in shown:  # one pill per cell (see web.badge_column); none for no value
            shown[name] = shown[name].map(lambda v: [v] if isinstance(v, str) else [])
    if "hours_left" in shown:
        shown["time_left"] = shown["hours_left"].map(time_left)
    if "creator" in shown:
        shown["creator"] = shown["creator"].fillna("—")
    return shown


# --- needs attention ----------------------------------------------------------------


ATTENTION_ROWS = 3  # rows the attention table shows before it scrolls: the list stays in view


def attention_panel(open_campaign: bool) -> None:
    """What needs attention, open when something does, unless a campaign is open above it."""
    found = web.attempt(lambda: camps.needs_attention(db))
    if found is None:
        return
    with st.expander(f"Needs attention ({len(found)})",
                     expanded=not found.empty and not open_campaign):
        if found.empty:
            st.caption("Nothing needs attention: no agreement is about to expire or has expired, "
                       "and every campaign past its start date has someone signed.")
            return
        table(badges(found), "issue", "campaign", "client", "creator", "deadline", "time_left",
              height=rows_height(min(len(found), ATTENTION_ROWS)))


def rows_height(rows: int) -> int:
    """The pixel height of a table showing a header and `rows` rows (35 px each, 2 px border)."""
    return 35 * (rows + 1) + 3


# --- the list -------------------------------------------------------------------------


def campaign_filter() -> CampaignFilter:
    cols = st.columns([3, 2, 3])
    search = cols[0].text_input("Search campaigns", placeholder="Name", max_chars=100)
    clients = dict(camps.clients(db))
    client_id = cols[1].selectbox(
        "Client", [None, *clients], key="campaign_client",
        format_func=lambda i: "All clients" if i is None else clients[i],
    )
    statuses = cols[2].multiselect(
        "Campaign status", list(CampaignStatus), format_func=campaign_label
    )
    return CampaignFilter(search, client_id, tuple(s.value for s in statuses))


def campaign_list(filt: CampaignFilter) -> pd.DataFrame | None:
    number = int(st.session_state.get("campaigns_page", 1))
    page = web.attempt(lambda: camps.list_campaigns(db, filt, number, 25))
    if page is None:
        return None
    table(badges(page.rows), "id", "name", "client", "owner", "status", "start_date",
          "end_date", "applications", "selected", "signed", "collaborations", "budget",
          "currency")
    page_picker(page, "campaigns_page")
    return page.rows


def choose_campaign(rows: pd.DataFrame) -> int | None:
    """The campaign to open: chosen here, or named in the address (?campaign=12), which the
    choice is written back to, so a reload or a shared link opens it again."""
    names = web.campaign_options(rows[["id", "name", "client"]].itertuples(index=False))
    from_url = web.query_id("campaign", "campaign")
    if from_url is not None and from_url not in names:  # on another page of the list
        linked = web.attempt(lambda: camps.get_campaign(db, from_url))  # None: "no campaign #"
        if linked is None:
            from_url = None
        else:
            names[from_url] = web.campaign_label(linked["name"], linked["client"])
    chosen = st.session_state.get("campaign_choice")
    if chosen is not None and chosen not in names:
        del st.session_state["campaign_choice"]  # not on this page of the list any more
    web.widget_from_address("campaign", "campaign_choice", from_url)
    pick, close = st.columns([6, 1], vertical_alignment="bottom")
    choice = pick.selectbox(
        "Open campaign", list(names), index=None, key="campaign_choice",
        placeholder="Choose a campaign from the list", format_func=names.get,
    )
    close.button("Close", key="close_campaign", disabled=choice is None, width="stretch",
                 on_click=lambda: st.session_state.update(campaign_choice=None))
    web.address_from_widget("campaign", "campaign_choice", choice and str(choice))
    return choice


# --- create and edit --------------------------------------------------------------------


def new_campaign_form() -> None:
    with st.expander("New campaign"):
        # Unkeyed fields start anew with the form's next generation; the keyed selects are
        # set back to their first choice.
        with web.kept_form("new_campaign", empty={"new_client": None, "new_owner": user.id}):
            name = st.text_input("Campaign name", max_chars=200)
            client_id, owner_id = client_and_owner(None, (user.id, user.name), "new")
            fields = campaign_fields(name, client_id, owner_id, None, None)
            open_now = st.checkbox("Open for applications right away")
            submitted = st.form_submit_button("Create campaign", type="primary")
        if submitted:
            create(fields, open_now)
        client_form()


def client_and_owner(
    client_id: int | None, owner: tuple[int | None, str | None], form: str
) -> tuple[int | None, int | None]:
    """The client and owner selects (inside a form), preset to the given ones. A current owner
    who may no longer own campaigns (disabled, say) stays offered, so saving keeps them."""
    clients = dict(camps.clients(db))
    owners = dict(camps.owners(db))
    owner_id, owner_name = owner
    if owner_id is not None and owner_id not in owners:
        owners[owner_id] = f"{owner_name} (no longer a manager)"
    cols = st.columns(2)
    client = cols[0].selectbox(
        "Client of the campaign", list(clients), format_func=clients.get, key=f"{form}_client",
        index=list(clients).index(client_id) if client_id in clients else None,
    )
    owner = cols[1].selectbox(
        "Owner", list(owners), format_func=owners.get, key=f"{form}_owner",
        index=list(owners).index(owner_id) if owner_id in owners else None,
    )
    return client, owner


def campaign_fields(
    name: str, client_id: int | None, owner_id: int | None, current: dict | None,
    form: str | None,
) -> CampaignFields:
    """The brief, dates, budget and currency widgets (inside a form), with `name` and ids;
    keyed by `form` when given (see field_keys)."""

    def key(field: str) -> str | None:
        return None if form is None else f"{form}_{field}"

    today = dt.date.today()
    brief = st.text_area("Brief", current["brief"] if current else "", max_chars=5000,
                         key=key("brief"))
    cols = st.columns(4)
    start = cols[0].date_input("Start date", current["start_date"] if current
                               else today + dt.timedelta(days=7), key=key("start"))
    end = cols[1].date_input("End date", current["end_date"] if current
                             else today + dt.timedelta(days=37), key=key("end"))
    budget = cols[2].number_input("Budget", min_value=0.0, step=500.0, key=key("budget"),
                                  value=float(current["budget"]) if current else 0.0)
    currency = cols[3].selectbox("Currency", CURRENCIES, key=key("currency"),
                                 index=CURRENCIES.index(current["currency"]) if current else 0)
    return CampaignFields(name, client_id, owner_id, brief, start, end, f"{budget:.2f}",
                          currency)


def create(fields: CampaignFields, open_now: bool) -> None:
    status = CampaignStatus.OPEN if open_now else CampaignStatus.DRAFT
    new_id = web.attempt(lambda: camps.create_campaign(db, user, fields, status))
    if new_id is not None:
        st.session_state["campaign_choice"] = new_id
        st.session_state["campaigns_page"] = 1
        done(f"Campaign {web.as_text(fields.name.strip())} created.", form="new_campaign")


def client_form() -> None:
    with web.kept_form("add_client"):
        name = st.text_input("New client", max_chars=200)
        if st.form_submit_button("Add client") and web.ok(
            lambda: camps.add_client(db, user, name)
        ):
            done(f"Client {web.as_text(name.strip())} added.", form="add_client")


def edit_form(c: dict) -> None:
    form = f"edit_{c['id']}"
    # Fields keyed by the version the form was opened at keep what was typed when the
    # campaign changes underneath (a stale edit); after a save they start from the new one.
    keys = f"{form}_{web.edit_base(form, c['version'])}"
    with st.form(form):
        st.markdown("**Edit campaign**")
        name = st.text_input("Campaign name", c["name"], max_chars=200, key=f"{keys}_name")
        client_id, owner_id = client_and_owner(
            c["client_id"], (c["owner_id"], c["owner"]), keys)
        fields = campaign_fields(name, client_id, owner_id, c, keys)
        saved = st.form_submit_button("Save changes")
    if saved and not web.stale_edit(form, c["version"], "this campaign") and web.ok(
        lambda: camps.edit_campaign(db, user, c["id"], web.edit_version(form), fields)
    ):
        web.rebase_edit(form)
        done("Campaign saved.")


def status_buttons(c: dict) -> None:
    targets = rules.allowed_campaign_targets(c["status"])
    row = st.container(horizontal=True)
    for target in targets:
        if row.button(STATUS_BUTTONS[target], key=f"status_{target.value}") and web.ok(
            lambda target=target: camps.set_campaign_status(db, user, c["id"], target)
        ):
            done(f"The campaign is now {target.label.lower()}.")


# --- one campaign ----------------------------------------------------------------------------


def header(c: dict) -> None:
    """The name and status on one line, the facts on the next: the tabs follow at once."""
    title = st.container(horizontal=True, vertical_alignment="center")
    title.subheader(web.as_text(c["name"], one_line=True), width="content")
    status = CampaignStatus(c["status"])
    auto = status is CampaignStatus.CLOSED and c["stored_status"] == "open"
    title.badge(status.label + (" (on its start date)" if auto else ""),
                color=web.CAMPAIGN_COLORS[status], icon=web.CAMPAIGN_ICONS[status])  # type: ignore[arg-type]
    st.caption(
        f"#{c['id']} · {web.as_text(c['client'])} · owner {web.as_text(c['owner'] or '—')} · "
        f"{c['start_date']} to {c['end_date']} · budget {c['budget']:,} "
        f"{c['currency']} · {c['applications']} applications, {c['selected']} selected, "
        f"{c['signed']} signed, {c['collaborations']} collaborations"
    )


def details_tab(c: dict) -> None:
    """The brief, and for managers the form to edit the campaign."""
    st.text(f"Client: {c['client']}\nOwner: {c['owner'] or '—'}")
    if c["brief"]:
        st.text(c["brief"])  # as typed: a brief may hold anything
    else:
        st.caption("No brief yet.")
    if can_manage:
        edit_form(c)


def applications_tab(c: dict) -> None:
    stages = st.multiselect("Stage", list(ApplicationStage), format_func=stage_label,
                            key="app_stages")
    number = int(st.session_state.get("apps_page", 1))
    page = web.attempt(lambda: camps.list_applications(
        db, c["id"], [s.value for s in stages], number, 100))
    if page is None:
        return
    view = (c["id"], tuple(stages), page.page)
    ticked = selectable_table(
        badges(page.rows), "applications_table", view, "creator", "handle", "platform",
        "followers", "source", "stage", "agreement", "time_left", "pitch",
    )
    page_picker(page, "apps_page")
    if can_manage:
        stage_changer(c, page.rows.loc[ticked.index])
        with st.expander("Add creators from the creator base"):
            creator_base(c)


def stage_changer(c: dict, ticked: pd.DataFrame) -> None:
    cols = st.columns([2, 1, 3])
    target = cols[0].selectbox("Move selected to", list(ApplicationStage),
                               format_func=stage_label, key="stage_target")
    cols[2].caption(f"{len(ticked)} selected. A pre-selection notifies nobody; it can change "
                    "until collaborations start.")
    if cols[1].button("Change stage", disabled=ticked.empty):
        versions = dict(zip(ticked["id"].astype(int), ticked["version"].astype(int),
                            strict=True))
        result = web.attempt(lambda: camps.change_stages(db, user, c["id"], versions, target))
        if result is not None:
            batch_done(result, f"moved to {target.label}")


def creator_search() -> CreatorSearch:
    cols = st.columns([3, 2, 2, 2, 2])
    text = cols[0].text_input("Search the creator base", placeholder="Name or @handle",
                              max_chars=100, key="base_text")
    tag = cols[1].selectbox("Tag", [None, *creators.all_tags(db)], key="base_tag",
                            format_func=lambda t: "Any tag" if t is None else t)
    platform = cols[2].selectbox("Platform", [None, *PLATFORMS], key="base_platform",
                                 format_func=lambda p: "Any platform" if p is None else p)
    low = cols[3].number_input("Followers from", min_value=0, value=None, step=1000,
                               key="base_low")
    high = cols[4].number_input("Followers to", min_value=0, value=None, step=1000,
                                key="base_high")
    return CreatorSearch(text, tag, platform, low, high)


def creator_base(c: dict) -> None:
    search = creator_search()
    number = int(st.session_state.get("base_page", 1))
    page = web.attempt(lambda: camps.search_creators(db, search, c["id"], number, 25))
    if page is None:
        return
    ticked = selectable_table(
        page.rows, "creator_search_table", (c["id"], search, page.page), "name", "handle",
        "platform", "followers", "engagement_rate", "tags",
    )
    page_picker(page, "base_page")
    ids = [int(i) for i in ticked["id"]]
    cols = st.columns([1, 1, 3])
    for col, source, label in ((cols[0], "applied", "Record as applied"),
                               (cols[1], "invited", "Invite")):
        if col.button(label, disabled=not ids, key=f"add_{source}"):
            result = web.attempt(lambda s=source: camps.add_applications(db, user, c["id"], ids, s))
            if result is not None:
                batch_done(result, "added" if source == "applied" else "invited")


def agreements_tab(c: dict) -> None:
    number = int(st.session_state.get("agreements_page", 1))
    page = web.attempt(lambda: camps.list_agreements(db, c["id"], number, 100))
    if page is None:
        return
    if page.rows.empty:
        st.caption("Nobody is selected yet: select creators on the Applications tab first.")
        return
    ticked = selectable_table(
        badges(page.rows), "agreements_table", (c["id"], page.page), "creator", "handle",
        "stage", "agreement", "deadline", "time_left", "compensation", "currency", "sent_at",
        "responded_at",
    )
    page_picker(page, "agreements_page")
    if can_manage:
        ids = [int(i) for i in ticked["id"]]
        answer_buttons(c, ids)
        send_form(c, ids)


def answer_buttons(c: dict, ids: list[int]) -> None:
    cols = st.columns([1, 1, 3])
    cols[2].caption(f"{len(ids)} selected. An agreement can be signed until its deadline, "
                    "three days after it was sent.")
    for col, outcome in ((cols[0], AgreementState.ACCEPTED), (cols[1], AgreementState.DECLINED)):
        label = f"Record {outcome.value}"
        if col.button(label, disabled=not ids, key=f"record_{outcome.value}"):
            result = web.attempt(
                lambda o=outcome: camps.record_responses(db, user, c["id"], ids, o))
            if result is not None:
                batch_done(result, f"recorded as {outcome.value}")


def send_form(c: dict, ids: list[int]) -> None:
    with web.kept_form("send_agreements"):
        st.markdown(f"**Send agreements to the {len(ids)} selected** (three days to sign)")
        deliverables = st.text_area("Deliverables", max_chars=5000)
        cols = st.columns(4)
        compensation = cols[0].number_input("Compensation", min_value=0.0, step=50.0)
        currency = cols[1].selectbox("Agreement currency", CURRENCIES,
                                     index=CURRENCIES.index(c["currency"]))
        start = cols[2].date_input("Starts", c["start_date"])
        due = cols[3].date_input("Due", c["end_date"])
        conditions = st.text_area("Conditions", max_chars=5000)
        sent = st.form_submit_button("Send agreements", type="primary")
    if sent:
        amount = Decimal(f"{compensation:.2f}")
        terms = Terms(deliverables, amount, currency, start, due, conditions)
        result = web.attempt(lambda: camps.send_agreements(db, user, c["id"], ids, terms))
        if result is not None:
            batch_done(result, "agreements sent", "send_agreements")


def start_tab(c: dict) -> None:
    preview = web.attempt(lambda: camps.preview_start(db, c["id"]))
    if preview is None:
        return
    if c["started_at"] is not None:
        st.success(f"Collaborations started on {c['started_at']:%Y-%m-%d %H:%M} UTC: "
                   f"{c['collaborations']} collaborations.")
        st.page_link("pages/collaborations.py", label="See them on the Collaborations page",
                     icon=":material/handshake:", query_params={"campaign": str(c["id"])})
        return
    left, right = st.columns(2)
    start_list(left, f"Goes in ({len(preview.going_in)})", preview.going_in)
    start_list(right, f"Does not go in ({len(preview.left_out)})", preview.left_out)
    if preview.refusal:
        st.warning(web.as_text(preview.refusal))
    elif can_manage:
        start_button(c, preview)


def start_list(where: Any, title: str, rows: tuple[camps.StartRow, ...]) -> None:
    where.markdown(f"**{title}**")
    frame = pd.DataFrame([vars(r) for r in rows], columns=[
        "application_id", "creator_id", "creator", "handle", "stage", "agreement", "why"])
    with where:
        table(frame, "creator", "handle", "why")


def start_button(c: dict, preview: camps.StartPreview) -> None:
    st.info("Each creator going in becomes a collaboration in Fulfilling with the agreed terms "
            "and gets a congratulations message; everyone else gets a not-selected message. "
            "This happens once and cannot be undone.")
    sure = st.checkbox("I have checked who goes in and who does not", key="start_confirm")
    count = len(preview.going_in)
    if st.button(f"Start {count} collaborations", type="primary", disabled=not sure):
        result = web.attempt(lambda: camps.start_collaborations(
            db, user, c["id"], preview.application_ids))
        if result is not None:
            st.session_state.pop("start_confirm", None)
            done(f"{len(result.made)} collaborations started; "
                 f"{len(result.refused)} creators told they were not selected.")


def campaign_detail(campaign_id: int) -> None:
    c = web.attempt(lambda: camps.get_campaign(db, campaign_id))
    if c is None:
        return
    header(c)
    if can_manage:
        status_buttons(c)
    applications, agreements, start, details = st.tabs(
        ["Applications", "Agreements", "Start collaborations", "Brief and details"])
    with applications:
        applications_tab(c)
    with agreements:
        agreements_tab(c)
    with start:
        start_tab(c)
    with details:
        details_tab(c)


def run_page() -> None:
    """The campaign picker on top; an open campaign right under it, so that its tabs are in
    the first screen, and the list (with what needs attention) below; else the list."""
    st.title("Campaigns")
    picker, detail, list_heading = st.container(), st.container(), st.empty()
    # Known for sure only once the picker has read the list's page; the address or the
    # picker's state tell already whether the panel opens above the list.
    opening = st.session_state.get("campaign_choice") is not None or (
        "campaign_choice" not in st.session_state and "campaign" in st.query_params)
    attention_panel(opening)
    campaign_rows = campaign_list(campaign_filter())
    if can_manage:
        new_campaign_form()
    else:
        st.caption("Your role can read campaigns; managers create and change them.")
    if campaign_rows is None:
        return
    with picker:
        chosen_id = choose_campaign(campaign_rows)
    if chosen_id is not None:
        list_heading.markdown("#### All campaigns")
        with detail:
            campaign_detail(chosen_id)


run_page()
