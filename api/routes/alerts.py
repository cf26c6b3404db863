"""Spike alerts and the silences that mute them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from api.alert_schemas import AlertOut, AlertsOut, RuleName, SilenceIn, SilenceOut, SilencesOut
from api.deps import SettingsDep, StoreDep, parse_instant
from api.routes import error_responses
from forecast.alerts import AlertState, Rule
from forecast.errors import InvalidParameter

router = APIRouter(tags=["alerts"])

_ALERTS_DESCRIPTION = """\
Alerts newest first. `ahead_peak` alerts come from the published forecast (a day whose
forecast exceeds the same weekday's recent normal by the configured ratio and floor, or
needs more agents than planned); `live_breakout` alerts from today's actuals running
above the forecast. `start`/`end` keep alerts active at some time in [start, end).
"""


@router.get("/alerts", response_model=AlertsOut, description=_ALERTS_DESCRIPTION,
            responses=error_responses(422))
def list_alerts(
    store: StoreDep, settings: SettingsDep,
    state: Annotated[Literal["firing", "resolved"] | None, Query()] = None,
    category: Annotated[str | None, Query()] = None,
    channel: Annotated[str | None, Query(description="\"\" = all-channel series.")] = None,
    rule: Annotated[RuleName | None, Query()] = None,
    start: Annotated[str | None, Query(description="ISO date or date-time.")] = None,
    end: Annotated[str | None, Query(description="ISO date or date-time (exclusive).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AlertsOut:
    """Alerts filtered by state, series, rule and time."""
    begin = parse_instant("start", start, settings.timezone)
    until = parse_instant("end", end, settings.timezone)
    if begin is not None and until is not None and until <= begin:
        raise InvalidParameter("end", end, f"later than start ({start})")
    found = store.list_alerts(
        state=None if state is None else AlertState(state), category=category,
        channel=channel, rule=None if rule is None else Rule(rule), start=begin, end=until,
        limit=limit)
    return AlertsOut(alerts=[AlertOut.from_domain(r, settings.timezone) for r in found])


@router.get("/silences", response_model=SilencesOut, responses=error_responses(422))
def list_silences(
    store: StoreDep, settings: SettingsDep,
    active: Annotated[bool, Query(description="Only silences still in force.")] = True,
) -> SilencesOut:
    """Silences by id."""
    found = store.list_silences(active_at=datetime.now(UTC) if active else None)
    return SilencesOut(silences=[SilenceOut.from_domain(s, settings.timezone) for s in found])


@router.post("/silences", response_model=SilenceOut, status_code=201,
             responses=error_responses(422))
def create_silence(body: SilenceIn, store: StoreDep, settings: SettingsDep) -> SilenceOut:
    """Mute matching alerts until `until`: they are still recorded, but nobody is notified
    (and no resolved notice follows a firing that was never sent)."""
    created = store.add_silence(until=body.until_instant(settings.timezone),
                                category=body.category, channel=body.channel,
                                rule=body.rule_value(), comment=body.comment)
    return SilenceOut.from_domain(created, settings.timezone)


@router.delete("/silences/{silence_id}", status_code=204, response_class=Response,
               responses=error_responses(404, 422))
def delete_silence(store: StoreDep, silence_id: Annotated[int, Path(ge=1)]) -> Response:
    """End a silence now."""
    store.delete_silence(silence_id)
    return Response(status_code=204)
