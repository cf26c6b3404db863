"""Operator commands over the store: ingest, fit, serve, scheduler, staffing."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from data.store import open_store
from forecast.ingest import ingest_into, read_inquiry_csv
from forecast.series import Freq
from forecast.settings import Settings
from jobs.alert_commands import add_alerts_parser, add_notify_parser
from jobs.event_commands import add_events_parser
from jobs.fit import run_fit_job
from jobs.key_commands import add_keys_parser
from jobs.logs import uvicorn_log_config
from jobs.progress import progress
from jobs.scheduler import fit_config, run_scheduler, with_stored_events

logger = logging.getLogger(__name__)


def _ingest(args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    paths = [Path(p) for p in args.paths]
    for path in progress(paths, total=len(paths), label="ingest"):
        result = ingest_into(store, read_inquiry_csv(path), timezone=settings.timezone,
                             base_interval=Freq.parse(settings.base_interval))
        logger.info("%s: %d inserted, %d updated, %d unchanged", path, result.inserted,
                    result.updated, result.unchanged)
    store.dispose()


def _fit(args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    config = fit_config(settings)
    if args.model:
        config = replace(config, model=args.model)
    report = run_fit_job(store, with_stored_events(store, config))
    logger.info("run %s published: %d series (%d fell back), %d rows", report.run_id,
                report.series, report.failed, report.rows)
    store.dispose()


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = Settings()
    uvicorn.run("api.app:create_app", factory=True, host=args.host or settings.host,
                port=args.port or settings.port, workers=args.workers,
                log_config=uvicorn_log_config(args.log_level))


def _scheduler(_args: argparse.Namespace) -> None:
    run_scheduler(Settings())


def _add_ingest(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("ingest", help="load inquiry CSVs into the store (idempotent)")
    parser.add_argument("paths", nargs="+", help="CSV files (.csv or .csv.gz)")
    parser.set_defaults(handler=_ingest)


def _add_fit(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("fit", help="run the fit job now")
    parser.add_argument("--model", help="override the configured model (default: auto)")
    parser.set_defaults(handler=_fit)


def _add_serve(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("serve", help="start the API (uvicorn)")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int, default=1)
    parser.set_defaults(handler=_serve)


def _add_scheduler(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("scheduler", help="start the scheduler process")
    parser.set_defaults(handler=_scheduler)


OPERATOR_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (  # type: ignore[type-arg]
    _add_ingest, _add_fit, _add_serve, _add_scheduler, add_events_parser,
    add_keys_parser, add_alerts_parser, add_notify_parser,
)
