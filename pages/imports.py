"""Imports: creators or collaborations from a CSV or .xlsx file, checked row by row in a
preview before anything is written, then written in one transaction."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from lib import creators, imports, web
from lib.models import MAX_IMPORT_ROWS, PLATFORMS, Role, platform_label

db = web.database()
user = web.require_page_role(Role.MANAGER)
st.title("Imports")
st.caption(
    "Managers and admins import creators and collaborations from a CSV (UTF-8) or .xlsx file:"
    " every row is checked first and nothing is written until you confirm; then all rows go"
    f" in together, or none. At most {MAX_IMPORT_ROWS:,} rows per file."
)


def progress_bar(text: str) -> Callable[[str, float], None]:
    bar = st.progress(0.0, text=text)

    def update(step: str, fraction: float) -> None:
        bar.progress(min(1.0, fraction), text=step)

    return update


def templates(kind: str) -> None:
    left, middle, _ = st.columns([1, 1, 2])
    left.download_button("Template (.csv)", imports.template_csv(kind),
                         file_name=f"{kind}-template.csv", mime="text/csv",
                         key=f"template_csv_{kind}", on_click="ignore")
    middle.download_button(
        "Template (.xlsx)", imports.template_xlsx(kind), file_name=f"{kind}-template.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"template_xlsx_{kind}", on_click="ignore")
    with st.expander("What each column holds"):
        web.dataframe(pd.DataFrame(
            [(c.name, "yes" if c.required else "", c.meaning, c.example)
             for c in imports.COLUMNS[kind]],
            columns=["Column", "Required", "What it holds", "Example"],
        ), hide_index=True, width="stretch")


def checked_file(kind: str) -> imports.ImportPreview | None:
    nonce = st.session_state.setdefault("import_nonce", 0)
    upload = st.file_uploader("File to import (.csv or .xlsx)", type=["csv", "xlsx"],
                              key=f"import_file_{kind}_{nonce}")
    if upload is None:
        return None
    key = (kind, upload.file_id)
    cached = st.session_state.get("import_preview")
    if cached is None or cached[0] != key:
        update = progress_bar("Checking rows")
        checked = web.attempt(
            lambda: imports.preview(db, user, kind, upload.getvalue(), upload.name, update),
            web.FILE)
        if checked is None:
            return None
        st.session_state["import_preview"] = (key, checked)
    return st.session_state["import_preview"][1]


def show_preview(checked: imports.ImportPreview) -> None:
    failing = len(checked.refused)
    total = len(checked.rows)
    st.markdown(f"**{total:,} rows:** {checked.ok_count:,} pass, {failing:,} fail.")
    for warning in checked.warnings:
        st.warning(web.as_text(warning), icon=web.WARN_ICON)
    web.dataframe(checked.table(), hide_index=True, width="stretch",
                 column_config={"Line": st.column_config.NumberColumn(format="%d")})


def confirm(checked: imports.ImportPreview) -> None:
    failing = len(checked.refused)
    leave_out = False
    if failing:
        leave_out = st.checkbox(
            f"Import only the rows that pass ({checked.ok_count:,}) and leave out the failing"
            f" ones ({failing:,})", key="import_leave_out", disabled=checked.ok_count == 0)
        if not leave_out:
            st.info("Fix the failing rows in the file and upload it again, or leave them out.")
    noun = checked.kind if checked.ok_count != 1 else checked.kind[:-1]
    pressed = st.button(f"Import {checked.ok_count:,} {noun}", type="primary",
                        disabled=checked.ok_count == 0 or (failing > 0 and not leave_out))
    if not pressed:
        return
    update = progress_bar("Writing")
    result = web.attempt(lambda: imports.commit(db, user, checked, leave_out, update))
    if result is not None:
        web.flash(result.summary())
        st.session_state.pop("import_preview", None)
        st.session_state["import_nonce"] += 1  # a fresh, empty file box
        st.rerun()


kind = st.radio("What to import", imports.KINDS, format_func=str.capitalize, horizontal=True,
                key="import_kind")
if kind == "collaborations":
    st.caption("The creators must exist already (import them first); each collaboration gets a"
               " “created” entry in its history.")
templates(kind)
checked = checked_file(kind)
if checked is not None:
    show_preview(checked)
    confirm(checked)


def add_one_creator() -> None:
    """One creator typed in, checked like a row of a creators file; the store refuses a second
    creator with the same platform and handle, and the message names the one that exists."""
    with st.expander("Add one creator by hand"), st.form("add_creator", clear_on_submit=False):
        left, right = st.columns(2)
        fields = {
            "name": left.text_input("Name"),
            "handle": right.text_input("Handle", placeholder="@ada.codes"),
            "platform": left.selectbox("Platform", PLATFORMS, format_func=platform_label),
            "email": right.text_input("E-mail"),
            "phone": left.text_input("Phone"),
            "address": right.text_input("Address"),
            "followers": left.text_input("Followers", placeholder="12000"),
            "engagement_rate": right.text_input("Engagement rate (%)", placeholder="3.5"),
            "tags": st.text_input("Tags", placeholder="Top Performer; Tech"),
        }
        if not st.form_submit_button("Add creator"):
            return
    added = web.attempt(lambda: creators.add_creator(db, user, fields))
    if added is not None:
        web.flash(f"Added {web.as_text(str(fields['name']).strip())} (creator #{added}).")
        st.rerun()


add_one_creator()
