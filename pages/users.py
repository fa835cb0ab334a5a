"""Users (admin only): add people, change roles, reset passwords, disable accounts; the audit
trail of sign-ins and account and reviewer-link actions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import audit, users, web
from lib.models import Role

db = web.database()
admin = web.require_page_role(Role.ADMIN)
st.title("Users")

people = users.list_users(db)
web.dataframe(
    pd.DataFrame(
        [
            {
                "username": u.username,
                "name": u.name,
                "e-mail": u.email,
                "role": u.role.value,
                "disabled": u.disabled,
            }
            for u in people
        ]
    ),
    hide_index=True,
    column_config={
        "username": st.column_config.TextColumn("Username"),
        "name": st.column_config.TextColumn("Name"),
        "e-mail": st.column_config.TextColumn("E-mail"),
        "role": st.column_config.TextColumn("Role"),
        "disabled": st.column_config.CheckboxColumn("Disabled"),
    },
)
usernames = [u.username for u in people]
roles = [r.value for r in Role]

add, role, password, disable = st.tabs(
    ["Add a user", "Change a role", "Reset a password", "Disable or enable"]
)
with add, web.kept_form("add_user"):
    cols = st.columns(2)
    username = cols[0].text_input("Username", max_chars=40)
    name = cols[1].text_input("Full name", max_chars=100)
    email = cols[0].text_input("E-mail", max_chars=254)
    new_role = cols[1].selectbox("Role", roles, index=roles.index("staff"))
    first_password = st.text_input("Password (at least 10 characters)", type="password")
    if st.form_submit_button("Add user") and web.ok(
        lambda: users.add_user(db, admin, username, name, new_role, first_password, email)
    ):
        web.typed_done("add_user")
        web.flash(f"Added {web.as_text(username)}.")
        st.rerun()

with role, st.form("set_role"):
    who = st.selectbox("User", usernames, key="role_user")
    chosen = st.selectbox("New role", roles, key="role_value")
    if st.form_submit_button("Change role") and web.ok(
        lambda: users.set_role(db, admin, who, chosen)
    ):
        web.flash(f"{web.as_text(who)} is now {chosen}.")
        st.rerun()

with password, web.kept_form("reset_password"):
    who = st.selectbox("User", usernames, key="password_user")
    generated = st.checkbox("Generate a random password", value=True)
    typed = st.text_input("Or type one (at least 10 characters)", type="password")
    if st.form_submit_button("Reset password"):
        new_password = users.random_password() if generated else typed
        if web.ok(lambda: users.reset_password(db, admin, who, new_password)):
            web.typed_done("reset_password")  # the typed password leaves the form next run
            st.success(f"New password for {web.as_text(who)}; pass it on securely, it is shown "
                       "only once:")
            st.code(new_password, language=None)

with disable, st.form("disable"):
    who = st.selectbox("User", usernames, key="disable_user")
    disabled = st.radio("Account", ["enabled", "disabled"], horizontal=True) == "disabled"
    if st.form_submit_button("Save") and web.ok(
        lambda: users.set_disabled(db, admin, who, disabled)
    ):
        web.flash(f"{web.as_text(who)} is now {'disabled' if disabled else 'enabled'}.")
        st.rerun()

st.subheader("Audit trail")
st.caption("Sign-ins (failed ones too), lock-outs, account changes and reviewer links, newest "
           "first. A failed sign-in with an unknown name records the name only when it looks "
           "like a username.")
everyone = "(everyone)"
filters = st.columns([2, 1, 1])
about = filters[0].selectbox("Who acted or was acted on", [everyone, *usernames],
                             key="audit_user")
page_size = filters[1].selectbox("Rows", audit.PAGE_SIZES, index=1, key="audit_rows")
page_number = filters[2].number_input("Page", min_value=1, step=1, key="audit_page")
trail = web.attempt(lambda: audit.list_events(
    db, admin, None if about == everyone else about, int(page_number), page_size))
if trail is not None:
    shown = trail.rows.drop(columns=["id"]).assign(kind=trail.rows["kind"].map(audit.KIND_LABELS))
    web.dataframe(
        shown.fillna(web.MISSING), hide_index=True, width="stretch",
        column_config={
            "occurred_at": st.column_config.DatetimeColumn("When (UTC)", width="medium"),
            "kind": st.column_config.TextColumn("What"),
            "actor": st.column_config.TextColumn("By"),
            "subject": st.column_config.TextColumn("Concerning"),
            "detail": st.column_config.TextColumn("Detail", width="large"),
        },
    )
    noun = "entry" if trail.total == 1 else "entries"
    st.caption(f"{trail.total:,} {noun} · page {trail.page:,} of {trail.pages:,}")
