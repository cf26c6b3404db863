"""`Store.published_run`: the current run's record in one read, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from data.store import SqlStore
from tests.integration.conftest_api import empty_accuracy, forecast_frame

pytestmark = pytest.mark.integration


def test_published_run_follows_the_pointer(store: SqlStore) -> None:
    assert store.published_run() is None
    for run_id in ("run-1", "run-2"):
        store.save_run(run_id, forecast_frame(), empty_accuracy(), note=run_id)
    assert store.published_run() is None  # saved is not published
    store.publish_run("run-1")
    first = store.published_run()
    assert first is not None and first.run_id == "run-1" and first.note == "run-1"
    assert first.published_at is not None and first.published_at.utcoffset() is not None
    assert first.rows == len(forecast_frame())
    store.publish_run("run-2")
    second = store.published_run()
    assert second is not None and second.run_id == "run-2"
    store.publish_run("run-1")  # back again: a later published_at
    again = store.published_run()
    assert again is not None and again.run_id == "run-1"
    assert second.published_at is not None and again.published_at is not None
    assert again.published_at >= second.published_at >= first.published_at
    assert store.current_run_id() == "run-1"
