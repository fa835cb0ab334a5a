"""Collabdesk: the entry point. Login gate, then the pages the user's role may see."""

from __future__ import annotations

import streamlit as st

from lib import inbox, notifications, web
from lib.models import Role

st.set_page_config(page_title="Collabdesk", page_icon=":material/handshake:", layout="wide")
web.own_navigation()  # no menu of pages/ file names, not even on a fresh server's first run

db = web.database()
web.run_started()  # a page waits for its slow reads until the run is half a second old
web.start_snapshots()  # snapshots for analysts, the SQL console and the command line
# A reviewer's link (<base URL>/review?token=...) opens the reviewer page alone, before and
# instead of the login gate: no login, no sidebar, no other page, and a staff login cookie in
# the same browser is never read. Any other URL with a token shows "this link is not valid".
if web.is_review_link():
    review = st.navigation(
        [
            st.Page(web.invalid_link, title="Collabdesk", url_path="invalid-link", default=True),
            st.Page("pages/review.py", title="Review", icon=":material/rate_review:",
                    url_path="review"),
        ],
        position="hidden",
    )
    with web.error_boundary():  # no traceback reaches a reviewer either
        review.run()
    st.stop()
user = web.login_gate(db)

# The inbox's title carries the user's unread count (lib.inbox.unread_total, one SQL statement).
UNREAD = inbox.unread_total(db, user)
INBOX_TITLE = f"Inbox ({UNREAD:,})" if UNREAD else "Inbox"

# Pages a role may not see are left out of the navigation, so their URLs do not resolve either.
# Each page has a fixed address, <base URL>/<url path>; the root leads to Collaborations (see
# web.go_home). Detail views and shared filters live in the query string (?id=, ?status=, ...).
PAGES: list[tuple[str, str, str, str, Role, bool]] = [
    # file, url path, title, icon, lowest role, shown in the menu
    ("pages/collaborations.py", web.HOME_PATH, "Collaborations", ":material/handshake:",
     Role.VIEWER, True),
    ("pages/collaboration.py", "collaboration", "Collaboration", ":material/description:",
     Role.VIEWER, False),
    # Everyone reads campaigns; the page offers changes to managers, and the services check.
    ("pages/campaigns.py", "campaigns", "Campaigns", ":material/campaign:", Role.VIEWER, True),
    ("pages/progress.py", "progress", "Progress", ":material/monitoring:", Role.VIEWER, True),
    # Everyone reads and exports deliveries; the page offers changes to staff, the services check.
    ("pages/deliveries.py", "deliveries", "Deliveries", ":material/local_shipping:", Role.VIEWER,
     True),
    ("pages/feedback.py", "feedback", "Feedback", ":material/rate_review:", Role.VIEWER, True),
    ("pages/inbox.py", "inbox", INBOX_TITLE, ":material/inbox:", Role.VIEWER, True),
    ("pages/reports.py", "reports", "Reports", ":material/summarize:", Role.VIEWER, True),
    # Every role may query (viewers read and export everything; staff is above viewer).
    ("pages/sql_console.py", "sql-console", "SQL console", ":material/terminal:", Role.VIEWER,
     True),
    ("pages/imports.py", "imports", "Imports", ":material/upload_file:", Role.MANAGER, True),
    ("pages/users.py", "users", "Users", ":material/manage_accounts:", Role.ADMIN, True),
]
# Notifications, with the unread count in the navigation itself.
unread = notifications.unread_count(db, user)
PAGES.append(("pages/notifications.py", "notifications", f"Notifications ({unread})" if unread
              else "Notifications", ":material/notifications:", Role.VIEWER, True))
pages = [
    st.Page(file, title=title, icon=icon, url_path=url_path,
            visibility="visible" if shown else "hidden")
    for file, url_path, title, icon, role, shown in PAGES
    if user.can(role)
]
# The root address (the default page) leads to Collaborations, with its query string.
pages.insert(0, st.Page(web.go_home, title="Collabdesk", url_path="start", default=True,
                        visibility="hidden"))
navigation = st.navigation(pages)
# After a login, the page and query string first asked for (a shared link, a reload).
web.return_to_requested(pages, navigation)

with st.sidebar:
    st.markdown(f"**{web.as_text(user.name, one_line=True)}**  \n{user.role.value.title()}")
    web.logout_button()

web.show_flashes()
# Whatever a page lets through is logged with a short reference and shown as a plain message
# with that reference, never as a traceback (st.stop, st.rerun, st.switch_page pass through).
# The login cookie of a password login is written once a page ran to its end (no switch).
with web.error_boundary(), web.store_due_cookie():
    navigation.run()
# The page's slow reads that were still counting: rerun the page once they are done.
web.rerun_when_ready()
