"""Campaigns: the list, create and edit, applications, agreements, the one-time start of
collaborations, and what needs attention. One module per concern; this package names the
public functions (`from lib import campaigns as camps`; `camps.start_collaborations(...)`).

Reads filter and page in SQL; only one page reaches pandas. Every write checks the role first
(manager and up: DESIGN.md "Roles"), validates its input, then inside one `db.write` re-reads
the facts, asks lib/rules.py, and writes the change together with its campaign event. Batch
actions judge each row on its own: the allowed rows are written, the refused ones come back
with the reason; when every row is refused the call raises and nothing is written.

Workflow writes first bump the campaign row's `workflow_seq` (common.claim), so two of them on
one campaign conflict and one is retried on a fresh snapshot: a stage change or an answer
recorded while collaborations start is either seen by the start or refused after it.
"""

from __future__ import annotations

from lib.batches import BatchResult  # noqa: F401
from lib.campaigns.agreements import (  # noqa: F401
    record_response,
    record_responses,
    send_agreement,
    send_agreements,
)
from lib.campaigns.applications import (  # noqa: F401
    add_applications,
    change_stage,
    change_stages,
)
from lib.campaigns.common import (  # noqa: F401
    ATTENTION_LIMIT,
    MAX_BATCH,
    PAGE_SIZES,
    STATE_SQL,
    STATUS_SQL,
)
from lib.campaigns.editing import (  # noqa: F401
    add_client,
    create_campaign,
    edit_campaign,
    set_campaign_status,
)
from lib.campaigns.listing import (  # noqa: F401
    COUNT_COLUMNS,
    EXPIRED,
    EXPIRING,
    NOBODY_SIGNED,
    CampaignFilter,
    CreatorSearch,
    campaign_choices,
    clients,
    get_campaign,
    list_agreements,
    list_applications,
    list_campaigns,
    needs_attention,
    owners,
    search_creators,
)
from lib.campaigns.start import (  # noqa: F401
    StartPreview,
    StartRow,
    preview_start,
    start_collaborations,
)
from lib.db import Page  # noqa: F401  (what the list functions return)
