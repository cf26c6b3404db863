"""The store as the API holds it: writes made through it reach this process's caches at once.

Runs published by the fit job in its own process reach the API through the run pointer's
check (`run_check_seconds`) and keys revoked by the CLI through the key cache's expiry
(`auth_cache_seconds`). A run published, a planner override created or revoked, or an API
key created or revoked through this process's store (by a route, or by code holding
`app.state.store`) is seen by the very next request instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from forecast.overrides import Override, OverrideRequest
from forecast.store import ApiKey, Store


class NotifyingStore:
    """`store` with every other attribute passed through unchanged."""

    def __init__(self, store: Store, *, forecasts_changed: Callable[[], None],
                 keys_changed: Callable[[], None]) -> None:
        self.store = store
        self._forecasts_changed = forecasts_changed
        self._keys_changed = keys_changed

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def publish_run(self, run_id: str) -> None:
        try:
            self.store.publish_run(run_id)
        finally:
            self._forecasts_changed()

    def create_override(self, request: OverrideRequest) -> Override:
        try:
            return self.store.create_override(request)
        finally:
            self._forecasts_changed()

    def revoke_override(self, override_id: int, revoked_by: str) -> Override:
        try:
            return self.store.revoke_override(override_id, revoked_by)
        finally:
            self._forecasts_changed()

    def create_api_key(self, name: str, scopes: Sequence[str]) -> tuple[ApiKey, str]:
        try:
            return self.store.create_api_key(name, scopes)
        finally:
            self._keys_changed()

    def revoke_api_key(self, key_id: int) -> ApiKey:
        try:
            return self.store.revoke_api_key(key_id)
        finally:
            self._keys_changed()
