"""Request and response models of `/v1/keys`; stored keys convert via `from_domain()`."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import LocalTime
from forecast.store import ApiKey

Scope = Literal["read", "write", "admin"]


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Who uses it.",
                      examples=["power-bi"])
    scopes: list[Scope] = Field(min_length=1, description="read (GET routes), write "
                                "(uploads), admin (keys, runs, silences; implies both).",
                                examples=[["read"]])


class ApiKeyOut(BaseModel):
    id: int = Field(description="Use it to revoke the key.")
    name: str
    prefix: str = Field(description="The key's public start; the key itself is never shown "
                                    "again after creation.")
    scopes: list[str]
    created_at: LocalTime
    revoked_at: LocalTime | None

    @classmethod
    def from_domain(cls, key: ApiKey, timezone: str) -> ApiKeyOut:
        zone = ZoneInfo(timezone)
        return cls(id=key.id, name=key.name, prefix=key.prefix, scopes=list(key.scopes),
                   created_at=key.created_at.astimezone(zone),
                   revoked_at=key.revoked_at.astimezone(zone) if key.revoked_at else None)


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The API key. Store it now: it is not shown again.")
