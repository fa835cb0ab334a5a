"""Words and colours for statuses and badges, and campaign names as pickers show them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from enum import StrEnum

import pandas as pd
import streamlit as st

from lib.models import (
    AgreementState,
    ApplicationStage,
    CampaignStatus,
    CollabStatus,
    DeliveryStatus,
    ValidationStatus,
)

# Material icons, not emoji: they need no emoji font on the machine showing the page.
OK_ICON = ":material/check_circle:"
WARN_ICON = ":material/warning:"


def by_status(statuses: type[StrEnum], **each: str) -> dict[str, str]:
    """A colour (or icon) for every status of `statuses`, given by value; one missing or
    unknown stops the app at import, not on the page that meets it."""
    if set(each) != {status.value for status in statuses}:
        raise ValueError(f"{statuses.__name__}: give one for each of {[*statuses]}")
    return {statuses(value): shown for value, shown in each.items()}


STATUS_COLORS = by_status(CollabStatus, pending="gray", negotiating="orange",
                          fulfilling="blue", completed="green", cancelled="red")
VALIDATION_COLORS = by_status(ValidationStatus, verified="green", needs_review="orange",
                              flagged="red")
DELIVERY_COLORS = by_status(DeliveryStatus, pending="gray", in_transit="blue",
                            delivered="green", exception="red")
# Campaign statuses (pills in tables, st.badge in headings), application stages, agreements.
CAMPAIGN_COLORS = by_status(CampaignStatus, draft="gray", open="green", closed="orange",
                            running="blue", finished="violet")
CAMPAIGN_ICONS = by_status(
    CampaignStatus, draft=":material/edit_note:", open=":material/how_to_reg:",
    closed=":material/lock:", running=":material/play_circle:", finished=":material/flag:",
)
STAGE_COLORS = by_status(ApplicationStage, applied="gray", selected="green", declined="red")
AGREEMENT_COLORS = by_status(AgreementState, pending="orange", accepted="green",
                             declined="red", expired="gray")

def delivery_label(value: str) -> str:
    return DeliveryStatus(value).label


def status_label(value: str) -> str:
    return CollabStatus(value).label


def validation_label(value: str) -> str:
    return ValidationStatus(value).label


def badge_column(title: str, colors: dict[str, str], label: Callable[[str], str]) -> object:
    """A read-only table column that shows each value as a colored pill.

    The column's cells must hold one-element lists (a multiselect cell is how st.dataframe
    draws colored labels); see as_badges().
    """
    return st.column_config.MultiselectColumn(
        title, options=list(colors), color=list(colors.values()), format_func=label
    )


def name_column(title: str) -> object:
    """A table column of names (creators, campaigns): wide enough that a name shows whole in
    a confirmation at 1366 px, not cut mid-word by a narrow column."""
    return st.column_config.TextColumn(title, width="medium")


def campaign_label(name: str, client: str) -> str:
    """A campaign as pickers and lists name it: two campaigns may share a name, not a client."""
    return f"{name} — {client}"


def campaign_options(choices: Iterable[tuple[int, str, str]]) -> dict[int, str]:
    """Picker labels by campaign id, in the order given, from a service's (id, name, client)
    rows. Plain text (options are not markdown: no as_text); the same name under the same
    client gets its number too, so no two labels are alike."""
    rows = [(int(cid), campaign_label(name, client)) for cid, name, client in choices]
    seen = Counter(label for _, label in rows)
    return {cid: label if seen[label] == 1 else f"{label} (#{cid})" for cid, label in rows}


def as_badges(values: pd.Series) -> pd.Series:
    return values.map(lambda v: [v])
