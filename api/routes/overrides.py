"""Planner overrides of the published forecast: create, list, revoke (all audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request

from api.deps import SettingsDep, StoreDep
from api.routes import error_responses
from api.staffing_schemas import OverrideIn, OverrideOut, OverridesOut

router = APIRouter(tags=["overrides"])

_POST_DESCRIPTION = """\
Adjust the published forecast of a category (one channel, or every channel when
`channel` is null) from `start` (inclusive) to `end` (exclusive): `multiply` scales the
forecast and its bounds by `value`; `add` adds `value` inquiries to every interval (bounds
shift with it, nothing goes below 0, closed intervals stay 0). Overrides apply to every
published run, refits included, until `expires_at` (default: `end`) or until revoked.
GET /v1/forecasts, GET /v1/staffing and shift plans use the adjusted values and show the
model's own as `yhat_model` / `volume_model`. Who, when and why are recorded; `created_by`
defaults to the API key's name (the key's prefix is recorded alongside).
"""


def _who(request: Request, given: str | None) -> str:
    key = getattr(request.state, "api_key", None)
    if key is None:
        return given or ""
    return f"{given or key.name} (key {key.prefix})"


@router.post("/overrides", response_model=OverrideOut, status_code=201,
             description=_POST_DESCRIPTION, responses=error_responses(422))
def create_override(body: OverrideIn, request: Request, store: StoreDep,
                    settings: SettingsDep) -> OverrideOut:
    """Record a planner override."""
    created = store.create_override(body.to_domain(settings.timezone,
                                                   _who(request, body.created_by)))
    return OverrideOut.from_domain(created, settings.timezone, datetime.now(UTC))


@router.get("/overrides", response_model=OverridesOut, responses=error_responses(422))
def list_overrides(
    store: StoreDep, settings: SettingsDep,
    status: Annotated[Literal["active", "expired", "revoked"] | None, Query(
        description="Only overrides in this state; default: all (the audit trail).")] = None,
    category: Annotated[str | None, Query(description="Only this category.")] = None,
) -> OverridesOut:
    """Overrides by id, with who created or revoked them, when and why."""
    now = datetime.now(UTC)
    items = [OverrideOut.from_domain(item, settings.timezone, now)
             for item in store.list_overrides()
             if category is None or item.category == category]
    return OverridesOut(overrides=[i for i in items if status is None or i.status == status])


@router.delete("/overrides/{override_id}", response_model=OverrideOut,
               responses=error_responses(404, 422))
def revoke_override(
    request: Request, store: StoreDep, settings: SettingsDep,
    override_id: Annotated[int, Path(ge=1)],
    revoked_by: Annotated[str | None, Query(
        description="Who revokes it; defaults to the API key's name.")] = None,
) -> OverrideOut:
    """Revoke an override from now on; it stays listed with who revoked it and when."""
    revoked = store.revoke_override(override_id, _who(request, revoked_by))
    return OverrideOut.from_domain(revoked, settings.timezone, datetime.now(UTC))
