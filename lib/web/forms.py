"""Forms that keep what was typed through a refusal, and edits pinned to the version they
were opened at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st


def kept_form(
    name: str, *, keys: tuple[str, ...] = (), empty: Mapping[str, Any] | None = None,
    border: bool = True,
) -> Any:
    """st.form(name) that keeps what was typed when the action is refused or fails (never
    clear_on_submit: that empties the form before anyone knows the outcome). After the action
    went through, call typed_done(name) and rerun: that run draws the form empty. The form's
    key takes a generation, so its unkeyed widgets start anew; keyed widgets keep their
    identity (and the browser its value), so see forget_typed for `keys` and `empty`."""
    generation_key = f"_form_generation.{name}"
    if forget_typed(name, keys, empty):
        st.session_state[generation_key] = st.session_state.get(generation_key, 0) + 1
    generation = st.session_state.get(generation_key, 0)
    return st.form(name if not generation else f"{name}.{generation}", border=border)


def forget_typed(
    name: str, keys: tuple[str, ...] = (), empty: Mapping[str, Any] | None = None
) -> bool:
    """Before the widgets of `name` (a form, or keyed widgets outside one) are drawn, when
    typed_done(name) was called since (then True): `empty` maps keyed widgets to the value
    they start with again, set through session state so that the browser shows it too;
    `keys` are keyed widgets that show a record, dropped here (after a save the browser
    already shows what the record now holds)."""
    if not st.session_state.pop(f"_typed_done.{name}", False):
        return False
    for key in keys:
        st.session_state.pop(key, None)
    st.session_state.update(empty or {})
    return True


def typed_done(name: str) -> None:
    """The action of kept_form(name) (or of forget_typed(name, ...)) went through: the next
    run draws its widgets empty."""
    st.session_state[f"_typed_done.{name}"] = True


# An edit form shows a record as it was when the form was opened; saving checks that version.
# Until then someone else may save: the form keeps what this person typed and says so once.


def edit_base(name: str, version: int) -> int:
    """The version of the record the edit form `name` was opened at (kept until rebase_edit):
    name its keyed fields by it, so that they keep what was typed while others save."""
    return int(st.session_state.setdefault(f"_edit_base.{name}", version))


def edit_version(name: str) -> int:
    """The version a save of the form `name` is checked against: the one it was opened at, or
    the newer one a stale_edit showed."""
    return int(st.session_state.get(f"_edit_seen.{name}", st.session_state[f"_edit_base.{name}"]))


def stale_edit(name: str, version: int, what: str) -> bool:
    """Whether `what` (now at `version`) changed since the form `name` was opened (call
    edit_base first); if so, say once what to do (what was typed stays) and let the next save
    go over the new version."""
    if edit_version(name) == version:
        return False
    st.session_state[f"_edit_seen.{name}"] = version
    st.error(f"Someone changed {what} since you opened it, so nothing was saved. What you "
             "typed is kept: compare it with their change, then save again to replace it.",
             icon=":material/sync_problem:")
    return True


def rebase_edit(name: str) -> None:
    """This person changed the record themselves: the form `name` (every form whose name
    starts so, with a trailing "*") takes the new version as its base, keeping what was typed
    in it."""
    for kind in ("_edit_base", "_edit_seen"):
        prefix = f"{kind}.{name.removesuffix('*')}"
        for key in [k for k in st.session_state if k == prefix
                    or (name.endswith("*") and str(k).startswith(prefix))]:
            del st.session_state[key]
