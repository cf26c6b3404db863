"""`vocast events import|list|delete`: manage the known events the fit job feeds the models."""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from pathlib import Path

from data.store import open_store
from forecast.events import CATEGORY_SEPARATOR, EVENT_COLUMNS, read_events_csv
from forecast.settings import Settings

logger = logging.getLogger(__name__)

LIST_COLUMNS = ("id", *EVENT_COLUMNS)


def _import(args: argparse.Namespace) -> None:
    """Validate every file first, then upsert them in order (a later file wins)."""
    files = [(path, read_events_csv(Path(path))) for path in args.paths]
    store = open_store(Settings().database_url)
    try:
        for path, events in files:
            result = store.upsert_events(events)
            logger.info("%s: %d events inserted, %d updated, %d unchanged", path,
                        result.inserted, result.updated, result.unchanged)
    finally:
        store.dispose()


def _list(_args: argparse.Namespace) -> None:
    """Every stored event as CSV on stdout: the import format with the id first."""
    store = open_store(Settings().database_url)
    try:
        stored = store.list_events()
    finally:
        store.dispose()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(LIST_COLUMNS)
    for item in stored:
        event = item.event
        writer.writerow((item.id, event.name, event.kind, event.start.isoformat(),
                         event.end.isoformat(), CATEGORY_SEPARATOR.join(event.categories)))


def _delete(args: argparse.Namespace) -> None:
    store = open_store(Settings().database_url)
    try:
        store.delete_event(args.id)
    finally:
        store.dispose()
    logger.info("deleted event %d", args.id)


def add_events_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `vocast events` and its subcommands."""
    parser = sub.add_parser("events", help="import, list or delete known events")
    actions = parser.add_subparsers(dest="action", required=True)
    importer = actions.add_parser(
        "import", help="load events CSVs (name,kind,start,end,categories); idempotent")
    importer.add_argument("paths", nargs="+", help="CSV files (.csv or .csv.gz)")
    importer.set_defaults(handler=_import)
    lister = actions.add_parser("list", help="print stored events as CSV with their ids")
    lister.set_defaults(handler=_list)
    deleter = actions.add_parser("delete", help="remove one event by id")
    deleter.add_argument("id", type=int, help="the id `vocast events list` shows")
    deleter.set_defaults(handler=_delete)
