"""Planner overrides: create, list (all or active at an instant), audited revoke, and a
version string that changes whenever the set of active overrides can have changed."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data.engine import read_transaction, write_transaction
from data.frames import utc_datetime
from data.tables import overrides as override_rows
from forecast.errors import InvalidParameter, NotFound
from forecast.overrides import NAME_MAX_LENGTH, Override, OverrideKind, OverrideRequest
from forecast.series import Freq

logger = logging.getLogger(__name__)


def create_override(engine: sa.Engine, request: OverrideRequest) -> Override:
    """Store a validated request; `created_at` is now, `expires_at` defaults to its end."""
    now = datetime.now(UTC)
    expires = request.expiry()
    if expires <= now:
        raise InvalidParameter("expires_at", expires.isoformat(), "in the future")
    values = {
        "category": request.category.strip(), "channel": request.channel,
        "freq": None if request.freq is None else request.freq.value,
        "start_ts": request.start, "end_ts": request.end, "kind": request.kind.value,
        "value": float(request.value), "reason": request.reason.strip(),
        "created_by": request.created_by.strip(), "created_at": now, "expires_at": expires,
    }
    with write_transaction(engine) as connection:
        new_id = connection.execute(
            sa.insert(override_rows).values(values).returning(override_rows.c.id)
        ).scalar_one()
        row = connection.execute(
            sa.select(override_rows).where(override_rows.c.id == new_id)).one()
    logger.info("override %d on %s by %s: %s %s", new_id, values["category"],
                values["created_by"], values["kind"], values["value"])
    return _override(row)


def list_overrides(engine: sa.Engine, *, active_at: datetime | None = None) -> list[Override]:
    """Every override by id, or only those neither revoked nor expired at `active_at`."""
    query = sa.select(override_rows).order_by(override_rows.c.id)
    instant = utc_datetime(active_at, name="active_at")
    if instant is not None:
        query = query.where(_active(instant))
    with read_transaction(engine) as connection:
        return [_override(row) for row in connection.execute(query).all()]


def revoke_override(engine: sa.Engine, override_id: int, revoked_by: str) -> Override:
    """Mark an override revoked now by `revoked_by`; NotFound, or InvalidParameter when it
    is revoked already (the first revocation stays on record)."""
    if not isinstance(revoked_by, str) or not revoked_by.strip() \
            or len(revoked_by) > NAME_MAX_LENGTH:
        raise InvalidParameter("revoked_by", revoked_by,
                               f"a non-empty name of at most {NAME_MAX_LENGTH} characters")
    with write_transaction(engine) as connection:
        row = connection.execute(
            sa.select(override_rows).where(override_rows.c.id == override_id)).one_or_none()
        if row is None:
            raise NotFound(f"no override with id {override_id}")
        if row.revoked_at is not None:
            raise InvalidParameter("override_id", override_id,
                                   f"an override not revoked yet (revoked at "
                                   f"{row.revoked_at.isoformat()} by {row.revoked_by})")
        connection.execute(
            sa.update(override_rows).where(override_rows.c.id == override_id)
            .values(revoked_at=datetime.now(UTC), revoked_by=revoked_by.strip()))
        row = connection.execute(
            sa.select(override_rows).where(override_rows.c.id == override_id)).one()
    logger.info("override %d revoked by %s", override_id, row.revoked_by)
    return _override(row)


def overrides_version(engine: sa.Engine, now: datetime) -> str:
    """Changes whenever an override is created or revoked, or one expires before `now`."""
    instant = utc_datetime(now, name="now")
    changed = sa.func.max(sa.func.coalesce(override_rows.c.revoked_at,
                                           override_rows.c.created_at))
    with read_transaction(engine) as connection:
        last, total = connection.execute(
            sa.select(changed, sa.func.count()).select_from(override_rows)).one()
        active = connection.scalars(sa.select(override_rows.c.id).where(
            _active(instant)).order_by(override_rows.c.id)).all()
    digest = hashlib.sha256(",".join(map(str, active)).encode()).hexdigest()[:16]
    stamp = "none" if last is None else str(last)
    return f"{total}-{stamp}-{digest}"


def _active(instant: datetime | None) -> sa.ColumnElement[bool]:
    return sa.and_(override_rows.c.revoked_at.is_(None),
                   sa.or_(override_rows.c.expires_at.is_(None),
                          override_rows.c.expires_at > instant))


def _override(row: Any) -> Override:
    return Override(
        id=row.id, category=row.category, channel=row.channel,
        freq=None if row.freq is None else Freq(row.freq),
        start=row.start_ts, end=row.end_ts, kind=OverrideKind(row.kind), value=row.value,
        reason=row.reason, created_by=row.created_by, created_at=row.created_at,
        expires_at=row.expires_at, revoked_at=row.revoked_at, revoked_by=row.revoked_by,
    )
