"""The one settings class. Only entry points build it; library code takes plain values."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Configuration read from `VOCAST_*` environment variables and an optional vocast.toml."""

    model_config = SettingsConfigDict(
        env_prefix="VOCAST_", toml_file="vocast.toml", extra="ignore"
    )

    database_url: str = "sqlite:///./var/vocast.db"
    timezone: str = "UTC"
    holiday_country: str | None = None
    base_interval: str = "30min"
    daily_horizon_days: int = Field(default=28, ge=1, le=366)
    intraday_horizon_days: int = Field(default=14, ge=1, le=62)
    default_model: str = "auto"
    fit_cron: str = "0 2 * * *"
    misfire_grace_seconds: int = Field(default=3600, ge=1)
    fit_workers: int = Field(default=0, ge=0, description="0 = all cores")
    slack_webhook_url: str | None = None
    webhook_url: str | None = None
    api_keys: list[str] = Field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"timezone must be an IANA name like 'Asia/Seoul'; got {value!r}"
            ) from exc
        return value

    @field_validator("holiday_country")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip().upper() or None if value else None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,  # noqa: ARG003
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls),
            file_secret_settings,
        )

    def sqlite_path(self) -> Path | None:
        """The file behind a SQLite URL, so entry points can create its folder."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            return Path(self.database_url[len(prefix):])
        return None
