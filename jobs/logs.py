"""Logging for entry points: JSON lines when not on a terminal, plain text on one."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SECRET_WORDS = ("password", "token", "secret", "api_key", "hooks.slack.com")
# Secrets that must never reach a log even by accident: API keys (their public prefix
# is kept) and the secret path of Slack incoming webhooks.
_SECRETS = re.compile(r"(vck_[0-9a-f]{8}_)[A-Za-z0-9_-]+|(hooks\.slack\.com/services/)\S+")


def redact(text: str) -> str:
    """`text` with API key secrets and Slack webhook paths replaced by `[redacted]`."""
    return _SECRETS.sub(lambda m: (m.group(1) or m.group(2)) + "[redacted]", text)


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for field in ("category", "model", "run_id", "job"):
            if hasattr(record, field):
                payload[field] = getattr(record, field)
        if record.exc_info:
            payload["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


def uvicorn_log_config(level: str = "INFO") -> dict[str, Any]:
    """`logging.config.dictConfig` settings for `uvicorn.run(log_config=...)`: the same
    output as `configure_logging`, applied by uvicorn in every worker process, with
    uvicorn's own loggers (access log included) propagating to the root handler."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.PlainFormatter", "fmt": PLAIN_FORMAT} if sys.stderr.isatty()
        else {"()": f"{__name__}.JsonFormatter"})
    quiet = {"level": "WARNING", "handlers": [], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"vocast": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "vocast",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            **{name: {"level": level.upper(), "handlers": [], "propagate": True}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            "cmdstanpy": quiet, "prophet.plot": quiet,
        },
    }


def configure_logging(level: str = "INFO") -> None:
    """Configure the root logger once, to stderr."""
    handler = logging.StreamHandler(sys.stderr)
    if sys.stderr.isatty():
        handler.setFormatter(PlainFormatter(PLAIN_FORMAT))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet.plot").disabled = True
