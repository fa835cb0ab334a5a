"""Words and colours for statuses and badges, and campaign names as pickers show them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

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

STATUS_COLORS: dict[str, str] = {
    CollabStatus.PENDING: "gray",
    CollabStatus.NEGOTIATING: "orange",
    CollabStatus.FULFILLING: "blue",
    CollabStatus.COMPLETED: "green",
    CollabStatus.CANCELLED: "red",
}
VALIDATION_COLORS: dict[str, str] = {
    ValidationStatus.VERIFIED: "green",
    ValidationStatus.NEEDS_REVIEW: "orange",
    ValidationStatus.FLAGGED: "red",
}

DELIVERY_COLORS: dict[str, str] = {
    DeliveryStatus.PENDING: "gray",
    DeliveryStatus.IN_TRANSIT: "blue",
    DeliveryStatus.DELIVERED: "green",
    DeliveryStatus.EXCEPTION: "red",
}
# Campaign statuses (pills in tables, st.badge in headings), application stages, agreements.
CAMPAIGN_COLORS: dict[str, str] = {
    CampaignStatus.DRAFT: "gray",
    CampaignStatus.OPEN: "green",
    CampaignStatus.CLOSED: "orange",
    CampaignStatus.RUNNING: "blue",
    CampaignStatus.FINISHED: "violet",
}
CAMPAIGN_ICONS: dict[str, str] = {
    CampaignStatus.DRAFT: ":material/edit_note:",
    CampaignStatus.OPEN: ":material/how_to_reg:",
    CampaignStatus.CLOSED: ":material/lock:",
    CampaignStatus.RUNNING: ":material/play_circle:",
    CampaignStatus.FINISHED: ":material/flag:",
}
STAGE_COLORS: dict[str, str] = {
    ApplicationStage.APPLIED: "gray",
    ApplicationStage.SELECTED: "green",
    ApplicationStage.DECLINED: "red",
}
AGREEMENT_COLORS: dict[str, str] = {
    AgreementState.PENDING: "orange",
    AgreementState.ACCEPTED: "green",
    AgreementState.DECLINED: "red",
    AgreementState.EXPIRED: "gray",
}


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
