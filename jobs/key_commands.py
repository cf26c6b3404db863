"""`vocast keys create|list|revoke`: API keys for the HTTP API.

`create` prints the new token alone on stdout (so `TOKEN=$(vocast keys create ...)`
works) and what it created on stderr; the token is not shown again and never logged.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from data.store import open_store
from forecast.settings import Settings
from forecast.store import API_KEY_SCOPES, ApiKey


def _create(args: argparse.Namespace) -> None:
    store = open_store(Settings().database_url)
    try:
        key, token = store.create_api_key(args.name, args.scope)
    finally:
        store.dispose()
    sys.stdout.write(token + "\n")
    sys.stderr.write(f"created key {key.id} {key.name!r} ({key.prefix}) with scopes "
                     f"{', '.join(key.scopes)}; store it now, it is not shown again\n")


def _list(_args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    try:
        keys = store.list_api_keys()
    finally:
        store.dispose()
    sys.stdout.write(format_keys(keys, settings.timezone))


def _revoke(args: argparse.Namespace) -> None:
    store = open_store(Settings().database_url)
    try:
        key = store.revoke_api_key(args.id)
    finally:
        store.dispose()
    sys.stderr.write(f"revoked key {key.id} {key.name!r} ({key.prefix})\n")


def format_keys(keys: list[ApiKey], timezone: str) -> str:
    """A plain table: id, name, prefix, scopes, created, revoked."""
    rows = [("id", "name", "prefix", "scopes", "created", "revoked")]
    rows += [(str(k.id), k.name, k.prefix, ",".join(k.scopes), _local(k.created_at, timezone),
              _local(k.revoked_at, timezone) if k.revoked_at else "-") for k in keys]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
                   .rstrip() + "\n" for row in rows)


def _local(value: datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def add_keys_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("keys", help="create, list and revoke API keys")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key; prints it once")
    create.add_argument("--name", required=True, help="who uses it, e.g. power-bi")
    create.add_argument("--scope", action="append", required=True, choices=API_KEY_SCOPES,
                        help="read (BI tools), write (ingest), admin (keys, silences, "
                             "runs; implies the others); repeat for several")
    create.set_defaults(handler=_create)
    listing = actions.add_parser("list", help="every key with its scopes (never the key)")
    listing.set_defaults(handler=_list)
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=_revoke)
