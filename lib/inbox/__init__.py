"""The inbox: every interaction with a creator in one thread, per-user unread state, messages
by e-mail to one creator or many, replies recorded by hand, and assets sent from a thread. One
module per concern; this package names the public functions (`inbox.send_message(...)`).

Reads are plain SQL; the creator list is ordered (unread first, then the most recent
interaction), counted and paged in one statement. Writes check the role first (staff and up
write and send; anyone logged in keeps their own read state), ask lib/rules.py, and write in
one `db.write`.

Sending never holds a transaction open during SMTP: the messages are written as `queued` in one
transaction (queue_messages), sent over one SMTP session outside it (deliver), and each is then
recorded `sent` (with its Message-ID) or `failed` (with the server's answer) in a short
transaction of its own. A crash in between leaves them queued, and retry() sends them again
once they are stale (rules.check_retry).
"""

from __future__ import annotations

from lib.db import Page  # noqa: F401  (what list_creators returns)
from lib.inbox.assets import (  # noqa: F401
    assets_of,
    send_asset,
)
from lib.inbox.common import (  # noqa: F401
    NOT_CONFIGURED,
    PAGE_SIZES,
    THREAD_LIMIT,
    mail_problem,
    mail_settings,
)
from lib.inbox.incoming import (  # noqa: F401
    Incoming,
    read_eml,
    record_eml,
    record_incoming,
    sender_note,
)
from lib.inbox.listing import (  # noqa: F401
    InboxFilter,
    list_creators,
    matching_creator_ids,
    unread_total,
)
from lib.inbox.sending import (  # noqa: F401
    Delivery,
    Draft,
    Plan,
    Queued,
    Ready,
    Skipped,
    deliver,
    plan_messages,
    queue_messages,
    retry,
    send_message,
)
from lib.inbox.standing import (  # noqa: F401
    Standing,
    campaign_permission,
    creator_campaigns,
    standing_label,
)
from lib.inbox.thread import (  # noqa: F401
    ThreadItem,
    agreements_of,
    asset_collaborations,
    collaborations_of,
    creator_card,
    mark_read,
    mark_unread,
    notes_of,
    payments_of,
    thread,
)
