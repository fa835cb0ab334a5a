"""Notifications: what happened that the logged-in user should know (new feedback on their
campaigns). Opening the page marks what it shows as read; those stay marked "new" here until
the next visit, and the count in the navigation drops at once."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import notifications, web

db = web.database()
user = web.current_user()

st.title("Notifications")
number = int(st.session_state.get("notifications_page", 1))
page = web.attempt(lambda: notifications.list_notifications(db, user, page=number))
if page is None:
    st.stop()

fresh = [int(r.id) for r in page.rows.itertuples() if pd.isna(r.read_at)]
if fresh:
    # Mark them read, then run again so that the navigation's count is drawn without them;
    # this visit still shows them as new.
    notifications.mark_read(db, user, fresh)
    st.session_state["_new_notifications"] = new_ones = st.session_state.get(
        "_new_notifications", set())
    new_ones.update(fresh)
    st.rerun()
new = st.session_state.get("_new_notifications", set())

if page.rows.empty:
    st.caption("No notifications.")
# One line per notification (a page of 25 fits in about two screens): when, what, the link.
for row in page.rows.itertuples():
    cols = st.columns([0.8, 2, 7, 2.2], vertical_alignment="center")
    if int(row.id) in new:
        cols[0].badge("New", color="blue")
    cols[1].caption(f"{row.created_at:%Y-%m-%d %H:%M} UTC")
    cols[2].markdown(web.as_text(row.text))
    if not pd.isna(row.campaign_id):
        cols[3].page_link("pages/feedback.py", label="Open feedback",
                          query_params={"campaign": str(int(row.campaign_id))},
                          icon=":material/rate_review:")
if page.pages > 1:
    st.number_input("Page", 1, page.pages, key="notifications_page")
st.caption(f"{page.total:,} in all · page {page.page} of {page.pages}")
