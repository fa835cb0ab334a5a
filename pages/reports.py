"""Reports: the weekly client report (.xlsx, or CSV files in a zip) and the snapshots analysts
open in their own tools."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from lib import campaigns as camps
from lib import reports, rules, snapshots, web
from lib.db import utcnow

db = web.database()
user = web.current_user()  # every role reads and exports
st.title("Reports")


def week_label(week: str) -> str:
    monday = rules.parse_iso_week(week)
    return f"{week} (Monday {monday:%d %b} to Sunday {monday + dt.timedelta(days=6):%d %b %Y})"


def choose_scope(left: DeltaGenerator, middle: DeltaGenerator) -> reports.ReportScope | None:
    by = left.radio("Report on", ["Client", "Campaign"], horizontal=True, key="report_by",
                    format_func=lambda b: "A client" if b == "Client" else "One campaign",
                    help="A client's report covers all of its campaigns.")
    if by == "Client":
        clients = dict(reports.clients(db))
        client_id = middle.selectbox("Client", list(clients), format_func=clients.get,
                                     key="report_client", index=None,
                                     placeholder="Choose a client")
        return None if client_id is None else reports.ReportScope(client_id=client_id)
    campaigns = web.campaign_options(camps.campaign_choices(db))
    campaign_id = middle.selectbox("Campaign", list(campaigns), key="report_campaign",
                                   format_func=campaigns.get, index=None,
                                   placeholder="Choose a campaign")
    return None if campaign_id is None else reports.ReportScope(campaign_id=campaign_id)


def progress_in(status: DeltaGenerator) -> Callable[[str, float], None]:
    bar = status.progress(0.0)

    def update(step: str, fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=step)

    return update


def build(scope: reports.ReportScope, week: str) -> None:
    with st.status("Building the report…", expanded=True) as status:
        report = web.attempt(lambda: reports.weekly_report(
            db, user, scope, week, progress=progress_in(status)))
        if report is None:
            status.update(label="The report could not be built.", state="error")
            return
        status.update(label="Writing the workbook and the CSV files…")
        st.session_state["weekly_report"] = {
            "key": (scope, week), "summary": report.summary, "stem": report.file_stem,
            "title": f"{report.scope_label}, week {week_label(week)}",
            "xlsx": reports.workbook_bytes(report), "zip": reports.csv_zip_bytes(report),
            "sheets": [(s.title, len(s.frame)) for s in report.sections],
        }
        status.update(label="Report ready.", state="complete", expanded=False)


def show(built: dict) -> None:
    st.markdown(f"**{web.as_text(built['title'])}**")
    left, right = st.columns(2)
    left.download_button(
        "Download workbook (.xlsx)", built["xlsx"], file_name=f"{built['stem']}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_xlsx", on_click="ignore", type="primary",
    )
    right.download_button(
        "Download CSV files (.zip)", built["zip"], file_name=f"{built['stem']}.zip",
        mime="application/zip", key="download_zip", on_click="ignore",
    )
    web.dataframe(built["summary"], hide_index=True, width="stretch")
    sheets = ", ".join(f"{title} ({rows:,})" for title, rows in built["sheets"])
    st.caption(f"Sheets (rows): {sheets}. Times are UTC; weeks run Monday to Sunday.")


def weekly_section() -> None:
    st.subheader("Weekly report")
    # What, which week and the button on one line: the page's tables start in the first screen.
    by_box, scope_box, week_box, build_box = st.columns([2.2, 3.3, 2, 1.3],
                                                        vertical_alignment="bottom")
    scope = choose_scope(by_box, scope_box)
    last_week = rules.parse_iso_week(reports.last_full_week(utcnow().date()))
    day = week_box.date_input("Week of", value=last_week, format="YYYY-MM-DD", key="report_day",
                              help="Any day of the week; weeks run Monday to Sunday (UTC).")
    week = rules.iso_week_label(day)
    st.caption(f"ISO week {week_label(week)}")
    pressed = build_box.button("Build report", type="primary", disabled=scope is None)
    if pressed and scope is not None:
        build(scope, week)
    built = st.session_state.get("weekly_report")
    if built and built["key"] == (scope, week):
        show(built)


def snapshot_section() -> None:
    st.subheader("Snapshots for analysts")
    root = snapshots.root_of(db)
    every = snapshots.interval_from_env()
    how_often = (f"at most every {every.total_seconds() / 60:g} minutes after changes"
                 if every else "only on demand (COLLABDESK_SNAPSHOT_MINUTES=0)")
    about, take = st.columns([4, 1], vertical_alignment="center")
    about.caption(
        f"Every table as Parquet files in `{root}`, written {how_often}; the last "
        f"{snapshots.KEEP} are kept. docs/operations.md shows how to open them with DuckDB or "
        "pandas."
    )
    if take.button("Take a snapshot now"):
        with st.status("Writing a snapshot…", expanded=True) as status:
            taken = web.attempt(lambda: snapshots.take_snapshot(db, user, progress_in(status)))
            if taken is None:
                status.update(label="No snapshot was written.", state="error")
            else:
                snapshot, new = taken
                status.update(label=f"Snapshot of {snapshot.label} "
                              + ("written." if new else "is up to date: nothing changed since."),
                              state="complete", expanded=False)
    listed = snapshots.list_snapshots(root, db.identity)
    # The list is drawn even when empty: its columns say what will show there.
    web.dataframe(pd.DataFrame(
        [(s.label, s.path.name, len(s.tables), sum(t.rows for t in s.tables.values()))
         for s in listed],
        columns=["Taken", "Folder", "Tables", "Rows"],
    ), hide_index=True, width="stretch")
    if not listed:
        st.caption("No snapshot yet.")


weekly_section()
snapshot_section()
