"""Tables as staff read them: empty cells as a dash, columns wide enough for their titles,
summary figures in one short row."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

# --- empty cells -------------------------------------------------------------------------------

MISSING = "—"  # what an empty table cell shows; st.dataframe writes the word None otherwise
# moment.js tokens of DatetimeColumn/DateColumn formats, as strftime codes
_MOMENT_TOKENS = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"), ("HH", "%H"), ("mm", "%M"),
                  ("ss", "%S"))
_DEFAULT_TIME_FORMATS = {"datetime": "YYYY-MM-DD HH:mm", "date": "YYYY-MM-DD", "time": "HH:mm"}


def _cell_text(value: object, type_config: dict[str, Any]) -> str:
    """A present value as its typed column would have drawn it."""
    kind, fmt = type_config.get("type"), type_config.get("format")
    if kind in _DEFAULT_TIME_FORMATS or isinstance(value, dt.date):
        plain_date = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        pattern = fmt or _DEFAULT_TIME_FORMATS.get(
            str(kind), "YYYY-MM-DD" if plain_date else "YYYY-MM-DD HH:mm")
        for token, code in _MOMENT_TOKENS:
            pattern = pattern.replace(token, code)
        try:
            return pd.Timestamp(value).strftime(pattern)
        except (ValueError, OverflowError, TypeError, NotImplementedError):  # beyond pandas
            return str(value)
    if isinstance(value, float) and (kind == "number" or kind is None):
        if isinstance(fmt, str) and fmt.startswith("%"):
            try:
                return fmt % value
            except (TypeError, ValueError):
                pass
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _is_missing(value: object) -> bool:
    # Only a scalar can be missing: pd.isna of a list or an array (a SQL LIST) is elementwise.
    return pd.api.types.is_scalar(value) and bool(pd.isna(value))


def fill_missing(
    frame: pd.DataFrame, column_config: dict[str, Any] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The frame and column_config to hand to st.dataframe so that no empty cell reads None:
    each column holding a missing value (None, NaN, NaT) becomes text, its present values
    written as its column config would draw them (date and number formats), the missing ones
    as MISSING, and its config a text column with the same title. Other columns are untouched."""
    shown, config = frame.copy(), dict(column_config or {})
    for column in shown.columns:
        values = shown[column].tolist()
        if not any(_is_missing(v) for v in values):
            continue
        given = config.get(column)
        if given is None and column in config:
            continue  # hidden column
        settings = {"label": given} if isinstance(given, str) else dict(given or {})
        type_config = settings.get("type_config") or {}
        shown[column] = [MISSING if _is_missing(v) else _cell_text(v, type_config)
                         for v in values]
        config[column] = st.column_config.TextColumn(
            settings.get("label") or str(column), width=settings.get("width"),
            help=settings.get("help"),
            alignment="right" if type_config.get("type") == "number" else settings.get(
                "alignment"),
        )
    return shown, config


def dataframe(data: pd.DataFrame, *, container: Any = None,
              column_config: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """st.dataframe (in `container` when given) with every empty cell shown as MISSING, never
    the word None (fill_missing), and every column wide enough for its title (sized_columns);
    returns what st.dataframe returns (the selection event)."""
    shown, config = fill_missing(data, column_config)
    return (container or st).dataframe(
        shown, column_config=sized_columns(shown, config), **kwargs)


# --- column widths -----------------------------------------------------------------------------

# st.dataframe sizes a column by its cells alone, so a short column under a longer title
# ("Currency" over "EUR") cuts the title to "Curr…". Every column therefore gets a width in
# pixels: its title's, or its typical content's when wider, up to a cap. The estimates are from
# the grid's 14 px Source Sans: a generous width per character, so that a title never gets cut.
HEADER_CHAR_PX = 8  # one character of a column title
HEADER_PAD_PX = 24  # the title's padding, and room for the sort arrow beside it
CELL_CHAR_PX = 7  # one character of a cell
CELL_PAD_PX = 16  # a cell's padding
BADGE_PAD_PX = 30  # a badge cell's padding: the cell's and the pill's
CHECKBOX_PX = 40  # a checkbox cell
MAX_CONTENT_PX = 320  # content wider than this is cut (a title never is)
SAMPLE_ROWS = 500  # rows looked at to size a column (the SQL console shows up to 10,000)
NAMED_WIDTHS = {"small": 75, "medium": 200, "large": 400}  # Streamlit's named widths, in px
_MOMENT_SECONDS = "YYYY-MM-DD HH:mm:ss"  # how a datetime column with no format shows


def title_width(title: str) -> int:
    """Pixels a column needs to show `title` whole, with its sort arrow."""
    return HEADER_CHAR_PX * len(title) + HEADER_PAD_PX


def _column_settings(given: Any) -> dict[str, Any]:
    """A column_config entry (a title, a config dict, or absent) as a config dict."""
    return {"label": given} if isinstance(given, str) else dict(given or {})


def _content_width(values: list[Any], type_config: dict[str, Any]) -> int:
    """Pixels the longest of `values` (a sample) needs, as its column draws it, up to the cap."""
    kind = type_config.get("type")
    present = [v for v in values if not _is_missing(v)]
    if not present:
        return 0
    if kind == "checkbox" or all(isinstance(v, bool) for v in present):
        return CHECKBOX_PX
    if kind == "multiselect" or all(isinstance(v, list | tuple) for v in present):
        labels = {str(o.get("value")): str(o.get("label") or o.get("value"))
                  for o in type_config.get("options") or []}
        longest = max(len(", ".join(labels.get(str(item), str(item)) for item in value))
                      for value in present)
        return min(MAX_CONTENT_PX, round(CELL_CHAR_PX * longest) + BADGE_PAD_PX)
    if kind == "datetime" and not type_config.get("format"):
        type_config = {**type_config, "format": _MOMENT_SECONDS}
    longest = max(len(_cell_text(v, type_config)) for v in present)
    return min(MAX_CONTENT_PX, round(CELL_CHAR_PX * longest) + CELL_PAD_PX)


def _given_width(width: object) -> int | None:
    """A width the caller gave, in pixels; None for none (or one Streamlit would not take)."""
    if isinstance(width, str):
        return NAMED_WIDTHS.get(width)
    if isinstance(width, int | float) and not isinstance(width, bool) and width > 0:
        return int(width)
    return None


def sized_columns(frame: pd.DataFrame, column_config: dict[str, Any] | None) -> dict[str, Any]:
    """`column_config` with a width in pixels for every column of `frame` it does not hide: at
    least its title's (title_width), and its content's up to MAX_CONTENT_PX where it gave no
    width. A width the caller gave ("medium", 120) stands when it holds the title; a narrower
    one is widened to the title's."""
    config = dict(column_config or {})
    sample = frame.head(SAMPLE_ROWS)
    for position, column in enumerate(frame.columns):
        if not isinstance(column, str) or (column in config and config[column] is None):
            continue  # a column by position, or a hidden one
        settings = _column_settings(config.get(column))
        title = str(settings.get("label") or column)
        needed = title_width(title)
        given = _given_width(settings.get("width"))
        if given is None:
            values = sample.iloc[:, position].tolist()
            type_config = settings.get("type_config") or {}
            settings["width"] = max(needed, _content_width(values, type_config))
        elif given < needed:
            settings["width"] = needed
        config[column] = settings
    return config


# --- compact figures ---------------------------------------------------------------------------

# st.metric draws its value at 2.25rem, a tile a fifth of a 1366x768 screen tall; a page's
# summary figures are drawn at the size of a subheading, so its main table starts higher.
_SMALL_FIGURES_CSS = (
    "<style>.st-key-{key} [data-testid='stMetricValue'] {{font-size: 1.375rem;"
    " line-height: 1.6;}} .st-key-{key} [data-testid='stMetric'] {{padding: 0;}}</style>"
)


def small_figures(key: str, spec: int | Sequence[float]) -> list[Any]:
    """Columns (st.columns(spec)) in a container keyed `key`, in which st.metric shows its
    value small: a row of summary figures about 60 px tall instead of 110."""
    st.html(_SMALL_FIGURES_CSS.format(key=re.sub(r"[^A-Za-z0-9_-]", "", key)))
    return st.container(key=key).columns(spec, vertical_alignment="bottom")
