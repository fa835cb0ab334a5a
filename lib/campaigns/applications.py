"""Applications: adding creators to a campaign and moving them through its stages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lib import rules, users
from lib.batches import BatchResult
from lib.campaigns.common import (
    NO_APPLICATION,
    batch_ids,
    claim,
    current_time,
    log_event,
    refuse_if_nothing,
    sql_ids,
)
from lib.db import Cursor, Database, bind
from lib.models import (
    MAX_NOTE_CHARS,
    AgreementState,
    ApplicationSource,
    ApplicationStage,
    Role,
    User,
)


def judge_rows(
    ids: list[int], found: Mapping[int, Any], check: Callable[[Any], None], missing: str
) -> BatchResult:
    """Ask `check` about each row; its RuleViolation becomes that row's refusal. An id not in
    `found` is refused with `missing` (formatted with the id)."""
    result = BatchResult()
    for key in ids:
        if key not in found:
            result.refused[key] = missing.format(key)
            continue
        try:
            check(found[key])
        except rules.RuleViolation as refusal:
            result.refused[key] = str(refusal)
        else:
            result.done.append(key)
    return result


def _new_creators(cur: Cursor, campaign_id: int, ids: list[int]) -> dict[int, str | None]:
    """creator id -> None when it may join the campaign, else why not (absent: no creator)."""
    rows = cur.execute(
        "SELECT cr.id, a.id IS NOT NULL, c.id FROM creators cr"
        " LEFT JOIN applications a ON a.creator_id = cr.id AND a.campaign_id = $c"
        " LEFT JOIN (SELECT creator_id, min(id) AS id FROM collaborations WHERE campaign_id = $c"
        "            GROUP BY ALL) c ON c.creator_id = cr.id"
        " WHERE cr.id IN (SELECT unnest($ids::BIGINT[]))",
        {"c": campaign_id, "ids": sql_ids(ids)},
    ).fetchall()
    found: dict[int, str | None] = {}
    for creator_id, applied, collab_id in rows:
        if applied:
            found[creator_id] = "This creator is already in the campaign."
        elif collab_id is not None:
            found[creator_id] = f"This creator already has collaboration #{collab_id} here."
        else:
            found[creator_id] = None
    return found


def _must_be_none(reason: str | None) -> None:
    if reason:
        raise rules.RuleViolation(reason)


def add_applications(
    db: Database,
    user: User,
    campaign_id: int,
    creator_ids: Iterable[int],
    source: ApplicationSource | str = ApplicationSource.APPLIED,
    pitch: str = "",
    now: dt.datetime | None = None,
) -> BatchResult:
    """Record creators who applied, or (source "invited") invite them from the agency's own
    creator base. Keyed by creator id; each new application gets an applied/invited event."""
    grant = rules.require_role(user, Role.MANAGER, "add creators to campaigns")
    source = rules.parse_source(source)
    pitch = rules.check_text(pitch, "The pitch", MAX_NOTE_CHARS, required=False)
    ids, moment = batch_ids(creator_ids, "creator"), current_time(now)

    def write(cur: Cursor) -> BatchResult:
        campaign = claim(cur, campaign_id, moment)
        rules.check_add_application(campaign.status, source)
        result = judge_rows(
            ids, _new_creators(cur, campaign.id, ids), _must_be_none, "There is no creator #{}."
        )
        refuse_if_nothing(result, "added")
        added = cur.execute(
            "INSERT INTO applications (campaign_id, creator_id, source, stage, pitch, created_at,"
            " updated_at) SELECT $c, unnest($ids::BIGINT[]), $source, 'applied', $pitch, $now,"
            " $now RETURNING id",
            {"c": campaign.id, "ids": result.done, "source": source.value, "pitch": pitch,
             "now": moment},
        ).fetchall()
        log_event(cur, campaign.id, user, source.value, moment, apps=sorted(r[0] for r in added),
                  to_value=ApplicationStage.APPLIED.value)
        return result

    return db.write(users.recheck(grant, write))


@dataclass(frozen=True)
class Application:
    """An application with its agreement, as a write judges it."""

    id: int
    creator_id: int
    creator: str
    handle: str
    stage: str
    version: int
    agreement_id: int | None
    sent_at: dt.datetime | None
    deadline: dt.datetime | None
    outcome: str | None

    def state(self, now: dt.datetime) -> AgreementState | None:
        if self.agreement_id is None or self.sent_at is None:
            return None
        return rules.agreement_state(self.sent_at, self.deadline, self.outcome, now)


def read_applications(
    cur: Cursor, campaign_id: int, ids: list[int] | None = None
) -> dict[int, Application]:
    """The campaign's applications (only `ids`, when given), by id."""
    only = "" if ids is None else " AND a.id IN (SELECT unnest($ids::BIGINT[]))"
    sql = (
        "SELECT a.id, a.creator_id, cr.name, cr.handle, a.stage, a.version, g.id, g.sent_at,"
        " g.deadline, g.outcome FROM applications a JOIN creators cr ON cr.id = a.creator_id"
        f" LEFT JOIN agreements g ON g.application_id = a.id WHERE a.campaign_id = $c{only}"
        " ORDER BY a.id"
    )
    rows = cur.execute(sql, bind(sql, c=campaign_id, ids=sql_ids(ids or []))).fetchall()
    return {r[0]: Application(*r) for r in rows}


def _versions(applications: Mapping[int, int | None] | Iterable[int]) -> dict[int, int | None]:
    """id -> the version the caller saw (None: not checked)."""
    if isinstance(applications, Mapping):
        return {int(k): (None if v is None else int(v)) for k, v in applications.items()}
    return dict.fromkeys(batch_ids(applications, "application"))


def change_stages(
    db: Database,
    user: User,
    campaign_id: int,
    applications: Mapping[int, int | None] | Iterable[int],
    target: ApplicationStage | str,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Move applications (id -> version seen, or just ids) to `target`, one stage_changed event
    each. A pre-selection notifies nobody, so no message is written."""
    grant = rules.require_role(user, Role.MANAGER, "change application stages")
    target, moment = rules.parse_stage(target), current_time(now)
    versions = _versions(applications)
    ids = batch_ids(versions, "application")

    def write(cur: Cursor) -> BatchResult:
        campaign = claim(cur, campaign_id, moment)
        found = read_applications(cur, campaign.id, ids)

        def check(app: Application) -> None:
            if versions[app.id] not in (None, app.version):
                raise rules.RuleViolation(
                    "Someone changed this application since you loaded it; reload and retry."
                )
            rules.check_stage_change(app.stage, target, campaign.started)

        result = judge_rows(ids, found, check, NO_APPLICATION)
        refuse_if_nothing(result, "changed")
        cur.execute(
            "UPDATE applications SET stage = $to, version = version + 1, updated_at = $now"
            " WHERE id IN (SELECT unnest($ids::BIGINT[]))",
            {"to": target.value, "now": moment, "ids": result.done},
        )
        log_event(cur, campaign.id, user, "stage_changed", moment, apps=result.done,
                  from_values=[found[i].stage for i in result.done], to_value=target.value)
        return result

    return db.write(users.recheck(grant, write))


def change_stage(
    db: Database, user: User, campaign_id: int, application_id: int, version: int | None,
    target: ApplicationStage | str, now: dt.datetime | None = None,
) -> None:
    """One application; RuleViolation saying why when refused."""
    change_stages(db, user, campaign_id, {application_id: version}, target, now)
