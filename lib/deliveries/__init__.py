"""Deliveries: products shipped to creators, tracked by hand (there is no carrier integration).
One module per concern; this package names the public functions.

Reads filter, sort and page in SQL, one statement per page; only that page reaches pandas.
Writes check the role first (staff and up; viewers read and export), ask lib/rules.py, and
write the change together with an activity event on the shipment's collaboration in one
transaction, so the collaboration's timeline shows every step. Batch changes and imported
sheets are previewed first; the apply takes back the version of every shipment the preview
saw and refuses those that someone changed in between.

A campaign's client is the one in campaign_ownership (it can change after the campaign was
created; campaigns.client_id is the client at creation).
"""

from __future__ import annotations

from lib.db import Page  # noqa: F401  (what list_shipments returns)
from lib.deliveries.changes import (  # noqa: F401
    ChangePreview,
    ChangeRow,
    apply_changes,
    preview_changes,
    preview_status_change,
    update_shipment,
)
from lib.deliveries.common import (  # noqa: F401
    log_events,
)
from lib.deliveries.listing import (  # noqa: F401
    CLIENT_SQL,
    DAYS_SQL,
    MAX_BATCH,
    MAX_IN_TRANSIT_DAYS,
    PAGE_SIZES,
    SORT_LABELS,
    SORTS,
    DeliveryFilter,
    carriers,
    clients_for_filter,
    for_collaboration,
    list_shipments,
    matching_ids,
    shippable,
)
from lib.deliveries.sheet import (  # noqa: F401
    apply_import,
    export_addresses,
    export_file_name,
    preview_import,
)
from lib.deliveries.shipping import (  # noqa: F401
    NewShipmentRow,
    NewShipmentsPreview,
    create_shipment,
    create_shipments,
    preview_new_shipments,
)
from lib.deliveries.summaries import (  # noqa: F401
    DeliverySummary,
    OldestInTransit,
    summary,
    summary_by_campaign,
)
