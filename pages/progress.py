"""How campaigns are going: collaborations by status week by week, the application-to-
collaboration funnel, and the median days per stage, each with its data as CSV."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import altair as alt
import pandas as pd
import streamlit as st

from lib import campaigns as camps
from lib import collaborations as collabs
from lib import exports, progress, web
from lib.db import utcnow
from lib.models import CollabStatus

db = web.database()
web.current_user()  # every role reads progress
st.title("Progress")

SLOWEST, OTHER = "red", "gray"  # the palette of web.STATUS_COLORS
LABEL_LIMIT = 240  # pixels: stage names stay whole in a half-width column


@dataclass(frozen=True)
class Scope:
    """What the filters chose; the keyword arguments every lib.progress read takes."""

    campaign_id: int | None
    client_id: int | None
    date_from: dt.date | None
    date_to: dt.date | None

    def slug(self) -> str:
        """Names the CSV files after what they hold."""
        what = (f"campaign-{self.campaign_id}" if self.campaign_id is not None
                else f"client-{self.client_id}" if self.client_id is not None else "all")
        dates = "".join(f"_{d}" for d in (self.date_from, self.date_to) if d)
        return what + dates


def filters() -> Scope:
    cols = st.columns([2, 3, 2])
    clients = dict(collabs.clients_for_filter(db))
    client_id = cols[0].selectbox(
        "Client", [None, *clients], key="progress_client",
        format_func=lambda i: "All clients" if i is None else clients[i],
    )
    campaigns = web.campaign_options(camps.campaign_choices(db, client_id))
    campaign_id = cols[1].selectbox(
        "Campaign", [None, *campaigns], key="progress_campaign",
        format_func=lambda i: "All campaigns" if i is None else campaigns[i],
    )
    dates = cols[2].date_input("Between", value=(), format="YYYY-MM-DD", key="progress_dates")
    return Scope(campaign_id, client_id, dates[0] if len(dates) > 0 else None,
                 dates[1] if len(dates) > 1 else None)


def download(frame: pd.DataFrame, what: str, scope: Scope) -> None:
    st.download_button(
        f"Download {what} (CSV)", exports.frame_csv(frame), mime="text/csv",
        file_name=f"progress-{what.replace(' ', '-')}-{scope.slug()}.csv",
        key=f"download_{what}", on_click="ignore",  # a download needs no rerun
    )


def weekly_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars, one per week, in the lifecycle's order and colors."""
    labels = [web.status_label(s) for s in web.STATUS_COLORS]
    # Weeks as ISO text on an ordinal axis: one bar per week whatever the range, and no time
    # zone to shift a UTC Monday to Sunday in a browser west of Greenwich.
    data = frame.assign(week=frame["week"].astype(str),
                        label=frame["status"].map(web.status_label),
                        order=frame["status"].map(list(CollabStatus).index))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("week:O", title="Week starting", axis=alt.Axis(labelOverlap=True,
                                                                labelAngle=-45)),
        y=alt.Y("collaborations:Q", stack="zero", title="Collaborations at the week's end",
                axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("label:N", title="Status", sort=labels,
                        scale=alt.Scale(domain=labels, range=list(web.STATUS_COLORS.values()))),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("week:N", title="Week of"),
                 alt.Tooltip("label:N", title="Status"),
                 alt.Tooltip("collaborations:Q", title="Collaborations", format=",")],
    )


def funnel_chart(frame: pd.DataFrame) -> alt.LayerChart:
    data = frame.dropna(subset=["count"]).assign(label=lambda f: f["stage"].str.capitalize())
    order = [s.capitalize() for s in progress.FUNNEL_STAGES]
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X("count:Q", title="Creators or collaborations", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("label:N", title="Step"),
                 alt.Tooltip("count:Q", title="Reached it", format=","),
                 alt.Tooltip("of_previous:Q", title="Of the step before", format=".0%"),
                 alt.Tooltip("campaigns:Q", title="Campaigns counted", format=",")],
    )
    return bars + bars.mark_text(align="left", dx=3).encode(text=alt.Text("count:Q", format=","))


def stages_chart(frame: pd.DataFrame) -> alt.Chart:
    data = frame.dropna(subset=["median_days"])
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("stage:N", sort=list(progress.STAGES), title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X("median_days:Q", title="Median days"),
        color=alt.condition("datum.slowest", alt.value(SLOWEST), alt.value(OTHER)),
        tooltip=[alt.Tooltip("stage:N", title="Stage"),
                 alt.Tooltip("median_days:Q", title="Median days", format=".1f"),
                 alt.Tooltip("measured:Q", title="Got through it", format=","),
                 alt.Tooltip("slowest:N", title="Slowest")],
    )


def counting(scope: Scope, what: str) -> str:
    """What the page says while a read over many campaigns is still counting."""
    over = ("this campaign" if scope.campaign_id is not None
            else "this client's campaigns" if scope.client_id is not None else "every campaign")
    return f"Counting {what} over {over}: it shows here by itself in a few seconds."


def weekly_section(scope: Scope) -> None:
    st.subheader("Collaborations by status, week by week")
    # today as an argument: a cached read made yesterday must not stop the weeks yesterday
    frame = web.slow_frame(progress.status_totals_by_week, counting(scope, "week by week"),
                           **vars(scope), today=utcnow().date())
    if frame is None:
        return
    if frame.empty:
        st.info("No collaborations in this selection.")
    else:
        st.altair_chart(weekly_chart(frame), width="stretch")
    download(frame, "weekly status", scope)


def funnel_section(scope: Scope) -> None:
    st.subheader("From application to collaboration")
    frame = web.slow_frame(progress.funnel, counting(scope, "the funnel"), **vars(scope))
    if frame is None:
        return
    # Campaigns with collaborations but no applications ran before the workflow existed.
    before = int(frame["campaigns"].iloc[-1] - frame["campaigns"].iloc[0])
    if before:
        who = ("This campaign" if scope.campaign_id is not None
               else f"{before:,} of these campaigns")
        st.caption(f"{who} ran before the campaign workflow: counted from Collaborating on.")
    if frame["count"].fillna(0).eq(0).all():
        st.info("Nobody reached any step in this selection.")
    else:
        st.altair_chart(funnel_chart(frame), width="stretch")
    download(frame, "funnel", scope)


def stages_section(scope: Scope) -> None:
    st.subheader("Median days per stage")
    frame = web.slow_frame(progress.median_days_by_stage, counting(scope, "the days per stage"),
                           **vars(scope))
    if frame is None:
        return
    slowest = frame[frame["slowest"]]
    if slowest.empty:
        st.info("Nothing got through a stage in this selection.")
    else:
        worst = slowest.iloc[0]
        st.caption(f"Slowest: **{worst['stage']}**, {worst['median_days']:.1f} days "
                   f"(median of {int(worst['measured']):,}).")
        st.altair_chart(stages_chart(frame), width="stretch")
    download(frame, "median days", scope)


chosen = filters()
weekly_section(chosen)
left, right = st.columns(2)
with left:
    funnel_section(chosen)
with right:
    stages_section(chosen)
