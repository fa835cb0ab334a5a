"""The domain rules: which status changes are allowed, what input is acceptable.

Pure functions, no I/O and no Streamlit. Services call these before they write; pages may call
them only to decide what to offer (the service checks again).

This module is the one import (`from lib import rules`; `rules.check_collab_transition(...)`).
The rules themselves live in lib/rulebook/, one module per domain, so that a newcomer reading
the deliveries rules meets only those: `common` (RuleViolation), `access` (roles, sessions,
usernames, passwords), `fields` (text, amounts, dates, e-mails), `collaborations`, `creators`,
`campaigns` (the workflow: status, applications, agreements, start), `deliveries`, `imports`
(ISO weeks and imported rows), `feedback` and `inbox`. Why a facade rather than a package named
`lib/rules/`: DESIGN.md and every service name `lib/rules.py` as the place to ask.
"""

from __future__ import annotations

from lib.rulebook.access import (  # noqa: F401
    MAX_PASSWORD_BYTES,
    MIN_PASSWORD_CHARS,
    SESSION_ENDED,
    check_password,
    check_role,
    check_username,
    require_role,
    session_end_reason,
)
from lib.rulebook.campaigns import (  # noqa: F401
    agreement_deadline,
    agreement_state,
    allowed_campaign_targets,
    campaign_status,
    check_add_application,
    check_agreement_response,
    check_agreement_terms,
    check_budget,
    check_campaign_fields,
    check_campaign_transition,
    check_initial_campaign_status,
    check_send_agreement,
    check_stage_change,
    check_start,
    is_started,
    parse_campaign_status,
    parse_outcome,
    parse_source,
    parse_stage,
    start_verdict,
)
from lib.rulebook.collaborations import (  # noqa: F401
    allowed_collab_targets,
    as_collab_status,
    check_collab_transition,
    collab_reason_required,
    parse_collab_status,
)
from lib.rulebook.common import (  # noqa: F401
    RuleViolation,
    as_enum,
    cell_text,
    is_blank,
    shown,
)
from lib.rulebook.creators import (  # noqa: F401
    ENGAGEMENT_TOO_HIGH,
    ENGAGEMENT_TOO_LOW,
    LOW_ENGAGEMENT_MIN_FOLLOWERS,
    check_count,
    check_handle,
    check_phone,
    check_platform,
    check_rate,
    check_tags,
    creator_validation,
    engagement_anomaly,
)
from lib.rulebook.deliveries import (  # noqa: F401
    allowed_delivery_targets,
    check_carrier,
    check_delivery_transition,
    check_item,
    check_new_shipment,
    check_tracking_number,
    delivery_reason_required,
    judge_shipment_change,
    parse_delivery_status,
    shipment_dates,
)
from lib.rulebook.feedback import (  # noqa: F401
    check_content_review,
    check_content_submission,
    check_feedback,
    check_new_version,
    check_remove_reviewer,
    check_reply,
    check_reviewer_emails,
    parse_approval,
    parse_reply_kind,
    parse_verdict,
    review_state,
    review_token_well_formed,
)
from lib.rulebook.fields import (  # noqa: F401
    AMOUNT_TEXT,
    MAX_AMOUNT,
    check_amount,
    check_compensation,
    check_currency,
    check_date_order,
    check_email,
    check_reason,
    check_text,
    check_url,
)
from lib.rulebook.imports import (  # noqa: F401
    check_collaboration_row,
    check_creator_row,
    iso_week_label,
    parse_day,
    parse_iso_week,
)
from lib.rulebook.inbox import (  # noqa: F401
    check_asset,
    check_body,
    check_message_about_campaign,
    check_received_at,
    check_retry,
    check_send_asset,
    check_subject,
    first_name,
    merge_fields_in,
    parse_channel,
    render_merge,
    sender_matches,
)
