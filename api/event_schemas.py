"""Request and response models of `/v1/events`; stored events convert via `from_domain()`."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import LocalTime
from forecast.events import EVENT_KINDS, StoredEvent
from forecast.store import UpsertResult

_KINDS = ", ".join(EVENT_KINDS)


class EventIn(BaseModel):
    """One known event; (name, start, end) identifies it, so re-sending updates it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(examples=["summer-sale-2026"])
    kind: str = Field(description=f"One of {_KINDS}.", examples=["campaign"])
    start: date = Field(description="First day (local date).", examples=["2026-07-13"])
    end: date = Field(description="Last day, inclusive.", examples=["2026-07-19"])
    categories: list[str] | str | None = Field(
        None, description="Categories it affects, as a list or ';'-separated; empty or "
                          "omitted = every category.", examples=[["delivery", "refund"]])


class EventsIn(BaseModel):
    rows: list[EventIn]


class EventOut(BaseModel):
    id: int = Field(description="Use it to delete the event.")
    name: str
    kind: str = Field(description=f"One of {_KINDS}.")
    start: date
    end: date = Field(description="Last day, inclusive.")
    categories: list[str] = Field(description="Categories it affects; empty = every category.")
    created_at: LocalTime = Field(description="When the event was first stored.")

    @classmethod
    def from_domain(cls, stored: StoredEvent, timezone: str) -> EventOut:
        event = stored.event
        return cls(id=stored.id, name=event.name, kind=event.kind, start=event.start,
                   end=event.end, categories=list(event.categories),
                   created_at=stored.created_at.astimezone(ZoneInfo(timezone)))


class EventsUpsertOut(BaseModel):
    inserted: int
    updated: int
    unchanged: int
    events: list[EventOut] = Field(description="The posted events as stored, with their ids.")

    @classmethod
    def from_domain(cls, result: UpsertResult, events: list[EventOut]) -> EventsUpsertOut:
        return cls(inserted=result.inserted, updated=result.updated,
                   unchanged=result.unchanged, events=events)
