"""The Progress page through AppTest: the real app.py, logged in through the form, over the
`world` with Acme's hand-built "Autumn" campaign (tests/test_progress.py). The figures
themselves are checked against lib.progress there; here, that each chart draws what the
service returns for the chosen filters, and that each has its CSV download."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from lib import progress
from lib.db import Database
from tests import test_progress
from tests.conftest import World, assert_ok, login, texts
from tests.test_progress import Autumn

# The hand-built histories whose figures tests/test_progress.py works out.
autumn = test_progress.autumn
history = test_progress.history

DOWNLOADS = ["Download weekly status (CSV)", "Download funnel (CSV)",
             "Download median days (CSV)"]


def open_progress(at: AppTest, username: str = "viewer") -> AppTest:
    login(at, username)
    at.switch_page("pages/progress.py").run()
    assert_ok(at)
    return at


def charts(at: AppTest) -> list[Any]:
    """The page's Altair charts (AppTest has no type for them), in page order."""
    return list(at.get("vega_lite_chart"))


def chart_data(chart: Any) -> pd.DataFrame:
    """The rows an Altair chart was drawn from (Streamlit sends them as an Arrow dataset)."""
    [dataset] = chart.proto.datasets
    return convert_arrow_bytes_to_pandas_df(dataset.data.data)


def x_field(chart: Any) -> str:
    """The field on a chart's x axis (for a layered chart, its first layer's)."""
    spec = json.loads(chart.proto.spec)
    return (spec.get("layer") or [spec])[0]["encoding"]["x"]["field"]


def chart_of(at: AppTest, field: str) -> Any:
    """The one chart whose x axis shows `field`."""
    [chart] = [c for c in charts(at) if x_field(c) == field]
    return chart


def funnel_counts(at: AppTest) -> dict[str, int]:
    data = chart_data(chart_of(at, "count"))
    return dict(zip(data["stage"], data["count"].astype(int), strict=True))


def download_labels(at: AppTest) -> list[str]:
    return [button.label for button in at.get("download_button")]


def test_every_role_sees_three_charts_with_their_downloads(app: AppTest, autumn: Autumn) -> None:
    open_progress(app)
    assert texts(app.title) == ["Progress"]
    assert len(charts(app)) == 3
    assert download_labels(app) == DOWNLOADS
    # Every campaign by default: Autumn's workflow, everyone's collaborations.
    assert funnel_counts(app) == {"applied": 6, "selected": 4, "agreement sent": 3,
                                  "accepted": 2, "collaborating": 10, "completed": 2}
    weekly = chart_data(chart_of(app, "week"))
    assert set(weekly["status"]) == {"pending", "negotiating", "fulfilling", "completed",
                                     "cancelled"}
    stages = chart_data(chart_of(app, "median_days"))
    assert list(stages["stage"]) == [*progress.STAGES[:3], "fulfilling → completed"]
    slowest = [c.value for c in app.caption if c.value.startswith("Slowest")]
    assert slowest == ["Slowest: **fulfilling → completed**, 10.0 days (median of 1)."]


def test_the_filters_change_what_the_charts_show(
    app: AppTest, db: Database, autumn: Autumn
) -> None:
    open_progress(app, "staff")
    app.selectbox(key="progress_client").set_value(autumn.world.clients["Acme"]).run()
    assert funnel_counts(app)["collaborating"] == 8  # Spring 4, Summer 2, Autumn 2
    app.selectbox(key="progress_campaign").set_value(autumn.campaign).run()
    assert_ok(app)
    weekly = chart_data(chart_of(app, "week"))
    expected = progress.status_totals_by_week(db, campaign_id=autumn.campaign)
    assert weekly["collaborations"].tolist() == expected["collaborations"].tolist()
    assert funnel_counts(app)["collaborating"] == 2
    app.date_input(key="progress_dates").set_value((dt.date(2026, 3, 4), dt.date(2026, 3, 5)))
    app.run()
    assert_ok(app)
    assert funnel_counts(app) == {"applied": 2, "selected": 2, "agreement sent": 2,
                                  "accepted": 2, "collaborating": 0, "completed": 0}
    stages = chart_data(chart_of(app, "median_days"))
    assert stages["slowest"].tolist() == [True, False, True]  # 1.25, 0.625, 1.25 days
    assert download_labels(app) == DOWNLOADS
    # Another client: Autumn is not among its campaigns, so the choice goes back to all.
    app.selectbox(key="progress_client").set_value(autumn.world.clients["Globex"]).run()
    assert app.selectbox(key="progress_campaign").value is None
    # Launch had nothing happen in those two days.
    assert "Nobody reached any step in this selection." in [i.value for i in app.info]


def test_a_campaign_from_before_the_workflow_and_an_empty_range(
    app: AppTest, history: World, autumn: Autumn
) -> None:
    open_progress(app)
    app.selectbox(key="progress_campaign").set_value(history.campaigns["Spring"]).run()
    assert "This campaign ran before the campaign workflow: counted from Collaborating on." in [
        c.value for c in app.caption
    ]
    assert funnel_counts(app) == {"collaborating": 4, "completed": 1}
    app.date_input(key="progress_dates").set_value((dt.date(2025, 1, 1), dt.date(2025, 1, 31)))
    app.run()
    assert_ok(app)
    assert charts(app) == []
    assert [i.value for i in app.info] == [
        "No collaborations in this selection.", "Nobody reached any step in this selection.",
        "Nothing got through a stage in this selection.",
    ]
    assert download_labels(app) == DOWNLOADS  # the (empty) tables can still be downloaded
