"""The SQL console: a read-only SELECT over the latest snapshot, as a table and a CSV file."""

from __future__ import annotations

import streamlit as st

from lib import console, snapshots, web
from lib.models import Role

db = web.database()
user = web.require_page_role(Role.VIEWER)  # every role: viewers read and export everything
st.title("SQL console")

found = web.attempt(lambda: [snapshots.newest_snapshot(db, user)])
if found is None:  # refused (web.attempt said why)
    st.stop()
# The first snapshot (a fresh server, a new database) takes seconds at a million rows: it is
# written in the background while the page says so, and the console opens once it is there.
snapshot = found[0] or web.slow_read(
    ("first snapshot",), lambda: snapshots.current_snapshot(db, user),
    "Taking the first snapshot of the data for the console (every table, as it is now). The"
    " console opens here by itself once it is written.")
if snapshot is None:
    web.rerun_when_ready()
    st.stop()

top = st.columns([4, 1])
top[0].caption(
    f"Read-only SELECT queries over the snapshot of **{snapshot.label}** (every table; no"
    " password hashes). Nothing here can change the data, read other files or change settings."
    f" {console.limits_note()}"
)
if top[1].button("Refresh the data", help="Take a snapshot of the data as it is now"):
    with st.spinner("Writing a snapshot…"):
        taken = web.attempt(lambda: snapshots.take_snapshot(db, user))
    if taken is not None:
        st.session_state.pop("console_result", None)
        st.rerun()

with st.expander("Tables and columns"):
    web.dataframe(console.tables(snapshot), hide_index=True, width="stretch", height=300)

with st.form("console_form", border=False):
    sql = st.text_area(
        "SQL query", key="console_sql", height=160, max_chars=console.MAX_SQL_CHARS,
        placeholder="SELECT status, count(*) AS collaborations FROM collaborations"
                    " GROUP BY status ORDER BY 2 DESC",
    )
    cols = st.columns([1, 1, 3])
    row_limit = cols[0].selectbox("Row limit", console.ROW_LIMITS,
                                  index=console.ROW_LIMITS.index(console.DEFAULT_ROW_LIMIT),
                                  format_func=lambda n: f"{n:,} rows")
    time_limit = cols[1].selectbox("Time limit", console.TIME_LIMITS,
                                   index=console.TIME_LIMITS.index(console.DEFAULT_TIME_LIMIT),
                                   format_func=lambda s: f"{s} seconds")
    run = st.form_submit_button("Run query", type="primary")

if run:
    with st.spinner("Running…"):
        result = web.attempt(
            lambda: console.run_query(snapshot, user, sql, row_limit, time_limit,
                                      database=db.identity),
            web.QUERY,
        )
    st.session_state["console_result"] = result

result = st.session_state.get("console_result")
if result is not None:
    rows = len(result.frame)
    shown = (f"The first {rows:,} rows (the row limit); more match." if result.truncated
             else f"{rows:,} row{'s' if rows != 1 else ''}.")
    st.caption(f"{shown} Data as of {result.snapshot.label}.")
    web.dataframe(result.frame, hide_index=True, width="stretch")
    st.download_button("Download CSV", result.csv(), file_name="query.csv", mime="text/csv",
                       key="console_download", on_click="ignore")
