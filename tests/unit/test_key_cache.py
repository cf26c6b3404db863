"""The key cache (api/key_cache.py) and the fast path's reading of it (api/auth.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from api.auth import READ, WRITE, allowed_from_memory, request_token
from api.key_cache import KeyCache
from forecast.store import ApiKey

CREATED = datetime(2026, 3, 1, 17, 5, 30, tzinfo=UTC)


class KeyStore:
    def __init__(self, *keys: tuple[str, ApiKey]) -> None:
        self.keys = dict(keys)
        self.lookups = 0

    def find_api_key(self, token: str) -> ApiKey | None:
        self.lookups += 1
        return self.keys.get(token)

    def api_keys_exist(self) -> bool:
        return bool(self.keys)


def api_key(*scopes: str, revoked: bool = False) -> ApiKey:
    return ApiKey(1, "bi", "vck_1234", scopes, CREATED, CREATED if revoked else None)


@pytest.mark.parametrize(("headers", "token"), [
    ({"x-api-key": "a"}, "a"),
    ({"authorization": "Bearer b"}, "b"),
    ({"authorization": "bearer  b "}, "b"),
    ({"x-api-key": "a", "authorization": "Bearer b"}, "a"),  # X-API-Key wins
    ({"x-api-key": "", "authorization": "Bearer b"}, "b"),
    ({"authorization": "Basic b"}, None),
    ({"authorization": "Bearer"}, None),
    ({}, None),
])
def test_request_token_reads_both_schemes(headers: dict[str, str], token: str | None) -> None:
    assert request_token(headers) == token


def test_memory_allows_only_what_it_has_verified() -> None:
    cache = KeyCache(60.0)
    store = KeyStore(("r", api_key(READ)), ("w", api_key(WRITE)))
    headers = {"x-api-key": "r"}
    assert not allowed_from_memory(cache, headers, scope=READ, required=False)  # unknown
    assert cache.auth_enabled(store, required=False)  # type: ignore[arg-type]
    assert not allowed_from_memory(cache, headers, scope=READ, required=False)  # first sight
    for token in ("r", "w", "nobody"):
        cache.find(store, token)  # type: ignore[arg-type]
    assert allowed_from_memory(cache, headers, scope=READ, required=False)
    assert not allowed_from_memory(cache, {"x-api-key": "w"}, scope=READ, required=False)
    assert not allowed_from_memory(cache, {"x-api-key": "nobody"}, scope=READ, required=False)
    assert not allowed_from_memory(cache, {}, scope=READ, required=False)
    cache.clear()
    assert not allowed_from_memory(cache, headers, scope=READ, required=True)
    assert store.lookups == 3


def test_memory_allows_everything_while_auth_is_known_off() -> None:
    cache = KeyCache(60.0)
    assert not cache.auth_enabled(KeyStore(), required=False)  # type: ignore[arg-type]
    assert allowed_from_memory(cache, {}, scope=READ, required=False)
    assert not allowed_from_memory(cache, {}, scope=READ, required=True)


def test_a_revoked_key_is_never_allowed() -> None:
    cache = KeyCache(60.0)
    store = KeyStore(("r", api_key(READ, revoked=True)))
    cache.find(store, "r")  # type: ignore[arg-type]
    assert not allowed_from_memory(cache, {"x-api-key": "r"}, scope=READ, required=True)


def test_a_key_in_use_is_re_read_before_its_entry_expires() -> None:
    cache = KeyCache(0.4)
    store = KeyStore(("r", api_key(READ)))

    async def scenario() -> None:
        cache.find(store, "r")  # type: ignore[arg-type]
        cache.refresh_ahead(store, "r")  # type: ignore[arg-type]  # fresh: not yet
        assert store.lookups == 1
        await asyncio.sleep(0.32)  # into the last quarter of the entry's life
        del store.keys["r"]  # revoked elsewhere: the store no longer finds it
        cache.refresh_ahead(store, "r")  # type: ignore[arg-type]
        cache.refresh_ahead(store, "r")  # type: ignore[arg-type]  # one read at a time
        await asyncio.sleep(0.05)

    asyncio.run(scenario())
    assert store.lookups == 2
    assert cache.cached("r") == (True, None)  # the revocation, read ahead of expiry


def test_a_lookup_begun_before_clear_is_not_kept() -> None:
    cache = KeyCache(60.0)

    class ClearingStore(KeyStore):
        def find_api_key(self, token: str) -> ApiKey | None:
            key = super().find_api_key(token)
            cache.clear()  # e.g. the key is revoked while this lookup runs
            return key

    store = ClearingStore(("r", api_key(READ)))
    assert cache.find(store, "r") is not None  # type: ignore[arg-type]
    assert cache.cached("r") == (False, None)
