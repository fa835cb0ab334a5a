"""Streamlit glue shared by app.py and the pages: the connection, the login gate, badges,
tables, addresses, failures, user text and forms. One module per concern; this package names
what the pages use (`from lib import web`; `web.dataframe(...)`).

Nothing here decides a rule or runs SQL; it only connects Streamlit to the services.
"""

from __future__ import annotations

from lib.web.addresses import (  # noqa: F401
    HOME_PATH,
    MAX_ID,
    address_from_widget,
    choice_from_address,
    go_home,
    own_navigation,
    query_id,
    remember_requested_url,
    requested_page_path,
    return_to_requested,
    run_through_app,
    values_from_address,
    widget_from_address,
)
from lib.web.background import (  # noqa: F401
    rerun_when_ready,
    run_started,
    slow_frame,
    slow_read,
)
from lib.web.connection import (  # noqa: F401
    _open,
    database,
    start_snapshots,
)
from lib.web.failures import (  # noqa: F401
    FILE,
    GENERIC_FAILURE,
    QUERY,
    REFUSALS,
    Source,
    attempt,
    error_boundary,
    flash,
    guarded,
    known_failure,
    new_reference,
    ok,
    refused,
    scope_words,
    show_flashes,
)
from lib.web.forms import (  # noqa: F401
    edit_base,
    edit_version,
    forget_typed,
    kept_form,
    rebase_edit,
    stale_edit,
    typed_done,
)
from lib.web.labels import (  # noqa: F401
    AGREEMENT_COLORS,
    CAMPAIGN_COLORS,
    CAMPAIGN_ICONS,
    DELIVERY_COLORS,
    OK_ICON,
    STAGE_COLORS,
    STATUS_COLORS,
    VALIDATION_COLORS,
    WARN_ICON,
    as_badges,
    badge_column,
    campaign_label,
    campaign_options,
    delivery_label,
    name_column,
    status_label,
    validation_label,
)
from lib.web.login import (  # noqa: F401
    SESSION_KEY,
    SessionCookie,
    current_user,
    login_gate,
    logout_button,
    require_page_role,
    store_due_cookie,
)
from lib.web.tables import (  # noqa: F401
    BADGE_PAD_PX,
    CELL_CHAR_PX,
    CELL_PAD_PX,
    CHECKBOX_PX,
    HEADER_CHAR_PX,
    HEADER_PAD_PX,
    MAX_CONTENT_PX,
    MISSING,
    NAMED_WIDTHS,
    SAMPLE_ROWS,
    dataframe,
    fill_missing,
    sized_columns,
    small_figures,
    title_width,
)
from lib.web.text import (  # noqa: F401
    app_base_url,
    as_text,
    invalid_link,
    is_review_link,
)
