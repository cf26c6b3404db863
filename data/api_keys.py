"""API keys: random tokens of which only a SHA-256 hash is stored.

A token reads `vck_<prefix>_<secret>`: the 8-hex-digit prefix is public (it tells keys
apart and finds the row), the secret is 256 random bits. A lookup hashes the presented
token and compares it with the stored hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data.engine import read_transaction, write_transaction
from data.tables import api_keys
from forecast.errors import InvalidParameter, NotFound
from forecast.store import API_KEY_SCOPES, ApiKey

TOKEN_PREFIX = "vck_"
PREFIX_HEX_DIGITS = 8
SECRET_BYTES = 32
NAME_MAX_LENGTH = 100
_TOKEN_MAX_LENGTH = 200


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_key(engine: sa.Engine, name: str, scopes: Sequence[str]) -> tuple[ApiKey, str]:
    """Store a new key; returns it and its token (shown once, never stored)."""
    name = _checked_name(name)
    wanted = _checked_scopes(scopes)
    with write_transaction(engine) as connection:
        prefix = _unused_prefix(connection)
        token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        values = {"name": name, "prefix": prefix, "key_hash": hash_token(token),
                  "scopes": " ".join(wanted), "created_at": datetime.now(UTC),
                  "revoked_at": None}
        key_id = connection.execute(
            sa.insert(api_keys).values(**values).returning(api_keys.c.id)).scalar_one()
    return _record({**values, "id": key_id}), token


def list_api_keys(engine: sa.Engine) -> list[ApiKey]:
    with read_transaction(engine) as connection:
        found = connection.execute(sa.select(api_keys).order_by(api_keys.c.id)).all()
    return [_record(row._mapping) for row in found]


def revoke_api_key(engine: sa.Engine, key_id: int) -> ApiKey:
    """Stamp `revoked_at` (kept from the first revocation); NotFound for an unknown id."""
    with write_transaction(engine) as connection:
        connection.execute(
            sa.update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC)))
        row = connection.execute(sa.select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"no API key with id {key_id}; `vocast keys list` shows them")
    return _record(row._mapping)


def find_api_key(engine: sa.Engine, token: str) -> ApiKey | None:
    """The unrevoked key `token` belongs to, or None for any other string."""
    prefix = _prefix_of(token)
    if prefix is None:
        return None
    with read_transaction(engine) as connection:
        row = connection.execute(sa.select(api_keys).where(api_keys.c.prefix == prefix)).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.key_hash, hash_token(token)):
        return None
    return _record(row._mapping)


def api_keys_exist(engine: sa.Engine) -> bool:
    with read_transaction(engine) as connection:
        return connection.scalar(sa.select(api_keys.c.id).limit(1)) is not None


def _checked_name(name: str) -> str:
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned or len(cleaned) > NAME_MAX_LENGTH:
        raise InvalidParameter("name", name, f"a name of 1 to {NAME_MAX_LENGTH} characters")
    return cleaned


def _checked_scopes(scopes: Sequence[str]) -> tuple[str, ...]:
    unknown = [scope for scope in scopes if scope not in API_KEY_SCOPES]
    if unknown or not scopes:
        raise InvalidParameter("scope", unknown[0] if unknown else list(scopes),
                               f"one or more of {', '.join(API_KEY_SCOPES)}")
    return tuple(scope for scope in API_KEY_SCOPES if scope in scopes)


def _unused_prefix(connection: sa.Connection) -> str:
    while True:
        prefix = secrets.token_hex(PREFIX_HEX_DIGITS // 2)
        taken = connection.scalar(sa.select(api_keys.c.id).where(api_keys.c.prefix == prefix))
        if taken is None:
            return prefix


def _prefix_of(token: str) -> str | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > _TOKEN_MAX_LENGTH:
        return None
    prefix, separator, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not separator or not secret or len(prefix) != PREFIX_HEX_DIGITS:
        return None
    return prefix


def _record(row: Any) -> ApiKey:
    return ApiKey(id=row["id"], name=row["name"], prefix=f"{TOKEN_PREFIX}{row['prefix']}",
                  scopes=tuple(row["scopes"].split()), created_at=row["created_at"],
                  revoked_at=row["revoked_at"])
