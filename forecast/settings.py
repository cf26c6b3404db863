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

from forecast.calendar import COUNTRY_CODE_HELP, check_country
from forecast.errors import InvalidParameter


class Settings(BaseSettings):
    """Configuration read from `VOCAST_*` environment variables and an optional vocast.toml."""

    model_config = SettingsConfigDict(
        env_prefix="VOCAST_", toml_file="vocast.toml", extra="ignore"
    )

    # Secrets (a database password, webhook URLs) never appear in repr() or logs.
    database_url: str = Field(default="sqlite:///./var/vocast.db", repr=False)
    timezone: str = "UTC"
    holiday_country: str | None = None
    base_interval: str = "30min"
    daily_horizon_days: int = Field(default=28, ge=1, le=366)
    intraday_horizon_days: int = Field(default=14, ge=1, le=62)
    default_model: str = "auto"
    fit_cron: str = "0 2 * * *"
    misfire_grace_seconds: int = Field(default=3600, ge=1)
    fit_workers: int = Field(default=0, ge=0, description="0 = all cores")
    slack_webhook_url: str | None = Field(default=None, repr=False)
    webhook_url: str | None = Field(default=None, repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    run_check_seconds: float = Field(
        default=1.0, ge=0, le=60,
        description="API: re-read which run is published at most this often (0 = per request)",
    )
    response_cache_mb: int = Field(default=64, ge=0, description="API: prepared responses")
    dask_address: str | None = Field(
        default=None, description="tcp://host:8786 of a Dask scheduler; unset = local processes")
    auth_required: bool = Field(
        default=False, description="require API keys even before the first key is created")
    auth_cache_seconds: float = Field(
        default=5.0, ge=0, description="how long the API trusts a key lookup (revocation delay)")
    metrics_public: bool = Field(default=True, description="serve /metrics without a key")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1, description="any request body")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1,
                                  description="a POST /v1/observations body")
    max_upload_rows: int = Field(default=1_000_000, ge=1, description="rows in one upload")
    max_forecast_rows: int = Field(default=100_000, ge=1,
                                   description="rows in one /v1/forecasts response")
    service_level_target: float = Field(default=0.8, gt=0, lt=1,
                                        description="share answered within answer_seconds")
    answer_seconds: float = Field(default=20.0, ge=0, description="service-level answer time")
    shrinkage: float = Field(default=0.3, ge=0, lt=1, description="share of paid time off queue")
    max_occupancy: float = Field(default=0.85, gt=0, le=1, description="busy share per agent")
    default_aht_seconds: float | None = Field(
        default=None, gt=0, description="handle time when neither data nor a category has one")
    aht_seconds_by_category: dict[str, float] = Field(
        default_factory=dict, description='per-category handle time, e.g. {"refund": 240}')
    public_url: str | None = Field(
        default=None, description="base URL of the API, for links in alert notices")
    alert_check_seconds: int = Field(default=300, ge=10, description="scheduler: alert check")
    notify_seconds: int = Field(default=60, ge=5, description="scheduler: notice delivery")
    alert_ratio: float = Field(default=1.5, ge=1, description="ahead: forecast / normal level")
    alert_min_excess: float = Field(
        default=30.0, ge=0, description="ahead: forecast - normal, in inquiries per day")
    alert_ahead_days: int = Field(default=7, ge=1, le=62, description="ahead: days looked at")
    alert_normal_weeks: int = Field(
        default=4, ge=1, le=26, description="ahead: same-weekday actuals in the normal level")
    alert_use_upper: bool = Field(
        default=False, description="ahead: compare hi80 instead of yhat with the normal level")
    alert_peak_probability: float = Field(
        default=0.25, gt=0, lt=1, description="ahead: least chance of a peak (0.5 = yhat itself)")
    alert_planned_agents: dict[str, int] = Field(
        default_factory=dict, description='ahead: agents planned per series, {"refund/phone": 12}')
    alert_breakout_alpha: float = Field(
        default=5e-5, gt=0, le=0.5, description="live: tail probability that flags")
    alert_breakout_min_ratio: float = Field(
        default=1.5, ge=1, description="live: observed / expected over the window")
    alert_breakout_min_excess: float = Field(
        default=6.0, ge=0, description="live: observed - expected over the window")
    alert_breakout_window: int = Field(
        default=8, ge=1, le=48, description="live: longest window tested, in intervals")
    alert_breakout_consecutive: int = Field(
        default=1, ge=1, description="live: flagged intervals in a row before alerting")
    alert_repeat_seconds: int = Field(
        default=4 * 3600, ge=60, description="re-notify a still-firing alert this often")
    notify_timeout_seconds: float = Field(default=10.0, gt=0, description="per request")
    notify_backoff_seconds: float = Field(default=30.0, gt=0, description="first retry delay")
    notify_backoff_max_seconds: float = Field(default=3600.0, gt=0, description="delay cap")
    notify_max_attempts: int = Field(default=20, ge=1, description="then a notice is dead")
    notify_batch_size: int = Field(
        default=50, ge=1, le=500, description="notices grouped into one message")

    @field_validator("aht_seconds_by_category")
    @classmethod
    def _positive_aht(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not (v > 0 and v != float("inf"))}
        if bad:
            name, number = next(iter(bad.items()))
            raise ValueError(f"aht_seconds_by_category[{name!r}] must be a number > 0; "
                             f"got {number!r}")
        return value

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
    def _known_country(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        try:
            return check_country(value)
        except InvalidParameter as exc:
            raise ValueError(f"holiday_country must be {COUNTRY_CODE_HELP}; got {value!r}") from exc

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
