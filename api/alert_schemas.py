"""Request and response models of `/v1/alerts` and `/v1/silences`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from api.deps import parse_instant
from api.schemas import LocalTime
from forecast.alerts import AlertRecord, Rule, Silence, alert_summary
from forecast.errors import InvalidParameter

_TIME = "ISO 8601 date-time; naive = local time."
RuleName = Literal["ahead_peak", "live_breakout"]


def _local(value: datetime | None, timezone: str) -> datetime | None:
    return None if value is None else value.astimezone(ZoneInfo(timezone))


class AlertOut(BaseModel):
    id: int
    dedup_key: str = Field(description="rule|category|channel|freq|window start (UTC).")
    rule: RuleName = Field(description="ahead_peak (forecast) or live_breakout (actuals).")
    state: Literal["firing", "resolved"]
    category: str
    channel: str | None = Field(description="null for a series that spans all channels.")
    freq: str
    summary: str = Field(description="The alert in one line.")
    window_start: LocalTime = Field(description="When the peak or breakout starts.")
    window_end: LocalTime = Field(description="When it ends (exclusive); for a breakout, the "
                                              "end of the last interval seen.")
    peak_ts: LocalTime
    volume: float = Field(description="Forecast at the peak (ahead) or observed inquiries "
                                      "over the window (breakout).")
    baseline: float = Field(description="Normal level (ahead) or forecast over the window.")
    ratio: float | None
    agents_needed: int | None
    agents_planned: int | None
    explanation: list[str] = Field(description="Holidays, break days and events behind it.")
    projected_total: float | None = Field(description="Breakout: where the day is heading.")
    day_forecast: float | None = Field(description="Breakout: the day's forecast total.")
    started_at: LocalTime
    last_seen_at: LocalTime
    resolved_at: LocalTime | None
    last_notified_at: LocalTime | None

    @classmethod
    def from_domain(cls, record: AlertRecord, timezone: str) -> AlertOut:
        alert = record.alert
        return cls(
            id=record.id, dedup_key=record.dedup_key, rule=alert.rule.value,
            state=record.state.value, category=alert.key.category,
            channel=alert.key.channel or None, freq=alert.freq.value,
            summary=alert_summary(alert, timezone),
            window_start=_local(alert.start, timezone), window_end=_local(alert.end, timezone),
            peak_ts=_local(alert.peak_ts, timezone), volume=round(alert.volume, 2),
            baseline=round(alert.baseline, 2),
            ratio=round(alert.ratio, 3) if alert.baseline > 0 else None,
            agents_needed=alert.agents_needed, agents_planned=alert.agents_planned,
            explanation=list(alert.explanation), projected_total=alert.projected_total,
            day_forecast=alert.day_forecast, started_at=_local(record.started_at, timezone),
            last_seen_at=_local(record.last_seen_at, timezone),
            resolved_at=_local(record.resolved_at, timezone),
            last_notified_at=_local(record.last_notified_at, timezone))


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


class SilenceIn(BaseModel):
    """Mute alerts matching every given field until `until`; no field = every alert."""

    model_config = ConfigDict(extra="forbid")

    until: str = Field(description=f"When the silence ends; {_TIME}",
                       examples=["2026-03-06T18:00:00"])
    category: str | None = Field(None, examples=["refund"])
    channel: str | None = Field(None, description="\"\" = the all-channel series only.")
    rule: RuleName | None = None
    comment: str = Field("", description="Why (shown in the listing).", max_length=2000)

    def until_instant(self, timezone: str) -> datetime:
        value = parse_instant("until", self.until, timezone)
        if value is None:
            raise InvalidParameter("until", self.until, f"an {_TIME}")
        return value

    def rule_value(self) -> Rule | None:
        return None if self.rule is None else Rule(self.rule)


class SilenceOut(BaseModel):
    id: int = Field(description="Use it to delete the silence.")
    category: str | None
    channel: str | None
    rule: RuleName | None
    until: LocalTime
    created_at: LocalTime
    comment: str

    @classmethod
    def from_domain(cls, silence: Silence, timezone: str) -> SilenceOut:
        zone = ZoneInfo(timezone)
        return cls(id=silence.id, category=silence.category, channel=silence.channel,
                   rule=None if silence.rule is None else silence.rule.value,
                   until=silence.until.astimezone(zone),
                   created_at=silence.created_at.astimezone(zone), comment=silence.comment)


class SilencesOut(BaseModel):
    silences: list[SilenceOut]
