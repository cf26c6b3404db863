"""The `vocast` command: operator commands over the store, and file-in/file-out contracts."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from forecast.errors import ForecastError
from jobs.contract import add_forecast_parser, add_staffing_parser
from jobs.logs import configure_logging

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vocast", description="Forecast contact-center inquiries, staff them, alert on spikes."
    )
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING, ERROR")
    sub = parser.add_subparsers(dest="command", required=True)
    add_forecast_parser(sub)
    add_staffing_parser(sub)
    for register in _operator_commands():
        register(sub)
    return parser


def _operator_commands() -> list:  # type: ignore[type-arg]
    from jobs.commands import OPERATOR_COMMANDS

    return list(OPERATOR_COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        args.handler(args)
    except ForecastError as exc:
        print(f"vocast {args.command}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error; keep Python from reporting
        # the failed flush of stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (OSError, ValueError) as exc:
        print(f"vocast {args.command}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
