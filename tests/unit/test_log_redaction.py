"""Log output never carries API key secrets or Slack webhook paths."""

from __future__ import annotations

import json
import logging

from jobs.logs import JsonFormatter, PlainFormatter, redact

KEY = "vck_1a2b3c4d_Zx-9_secretpart"
SLACK = "https://hooks.slack.com/services/T000/B000/abcdef"


def test_redact_keeps_the_public_prefix_only() -> None:
    text = redact(f"key {KEY} posted to {SLACK} ok")
    assert text == ("key vck_1a2b3c4d_[redacted] posted to "
                    "https://hooks.slack.com/services/[redacted] ok")
    assert redact("nothing secret, vck_short") == "nothing secret, vck_short"


def test_both_formatters_redact_messages_and_tracebacks() -> None:
    try:
        raise ValueError(f"bad webhook {SLACK}")
    except ValueError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "using %s", (KEY,),
                                   (type(exc), exc, exc.__traceback__))
    for line in (JsonFormatter().format(record), PlainFormatter().format(record)):
        assert "secretpart" not in line and "abcdef" not in line
    assert json.loads(JsonFormatter().format(record))["message"] == (
        "using vck_1a2b3c4d_[redacted]")
