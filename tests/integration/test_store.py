"""The Store contract, run on SQLite and PostgreSQL through the `store` fixture."""

from __future__ import annotations

import inspect
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import data.observations
from data.migrate import alembic_config, current_revision, head_revision, upgrade
from data.store import SqlStore, open_store
from data.tables import metadata
from forecast.errors import InvalidInput, InvalidParameter, NotFound
from forecast.series import Freq, SeriesKey
from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS, Store

pytestmark = pytest.mark.integration

TZ = "Asia/Seoul"
TABLES = {
    "series", "observations", "forecast_runs", "forecast_rows", "accuracy_rows",
    "current_run", "job_runs", "alembic_version",
}


def observations(category: str = "billing", channel: str = "phone", *, freq: str = "D",
                 start: str = "2026-01-01", periods: int = 10, base: float = 0.0) -> pd.DataFrame:
    ts = pd.date_range(start, periods=periods, freq=freq, tz=TZ)
    return pd.DataFrame({"ts": ts, "category": category, "channel": channel, "freq": freq,
                         "count": base + np.arange(periods, dtype=float)})


TWO_KEYS = (("billing", ""), ("refund", "chat"))


def forecasts(yhat: float, keys: tuple[tuple[str, str], ...] = TWO_KEYS, *, periods: int = 5,
              freq: str = "D") -> pd.DataFrame:
    ts = pd.date_range("2026-02-01", periods=periods, freq=freq, tz=TZ)
    parts = [
        pd.DataFrame({"ts": ts, "category": category, "channel": channel, "freq": freq,
                      "yhat": yhat, "lo80": yhat * 0.9, "hi80": yhat * 1.1,
                      "lo95": yhat * 0.8, "hi95": yhat * 1.2, "model": "seasonal_naive"})
        for category, channel in keys
    ]
    return pd.concat(parts, ignore_index=True).loc[:, list(FORECAST_COLUMNS)]


def accuracy() -> pd.DataFrame:
    return pd.DataFrame({
        "category": ["billing", "billing"], "channel": ["", ""], "freq": ["D", "D"],
        "model": ["ets", "seasonal_naive"], "folds": [3, 3], "wape": [0.12, 0.2],
        "mase": [0.8, np.nan], "bias": [-0.01, 0.03], "coverage80": [0.79, 0.7],
        "coverage95": [0.94, 0.9], "rank": [1, 2], "selected": [True, False],
    })


def no_accuracy() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in ACCURACY_COLUMNS})


def stored_rows(store: SqlStore) -> int:
    return sum(info.observations for info in store.list_series())


# --- schema ----------------------------------------------------------------------------


def test_open_creates_schema_and_reopening_changes_nothing(database_url: str) -> None:
    first = open_store(database_url)
    try:
        assert TABLES <= set(sa.inspect(first.engine).get_table_names())
        assert current_revision(first.engine) == head_revision() is not None
        with first.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), metadata) == []
        first.upsert_observations(observations())
    finally:
        first.dispose()
    if database_url.startswith("sqlite:///"):
        assert Path(database_url.removeprefix("sqlite:///")).is_file()
    again = open_store(database_url)
    try:
        assert current_revision(again.engine) == head_revision()
        assert stored_rows(again) == 10
        assert again.current_run_id() is None
    finally:
        again.dispose()


def test_downgrade_to_base_then_upgrade_again(store: SqlStore) -> None:
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(sa.inspect(store.engine).get_table_names()) <= {"alembic_version"}
    upgrade(store.engine)
    assert TABLES <= set(sa.inspect(store.engine).get_table_names())
    store.save_run("run-1", forecasts(1.0), no_accuracy())
    store.publish_run("run-1")
    assert store.current_run_id() == "run-1"


def test_sql_store_implements_every_store_method_with_its_signature() -> None:
    members = [name for name, value in vars(Store).items()
               if callable(value) and not name.startswith("_")]
    assert len(members) >= 12  # grows as features add store methods
    for name in members:
        assert inspect.signature(getattr(SqlStore, name)) == inspect.signature(
            getattr(Store, name)
        ), name


def test_unsupported_database_url_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="database_url"):
        open_store("mysql://user:secret@localhost/vocast")


# --- observations ----------------------------------------------------------------------


def test_upsert_is_idempotent(store: SqlStore) -> None:
    frame = pd.concat([observations(), observations("refund", "", periods=4)], ignore_index=True)
    first = store.upsert_observations(frame)
    assert (first.inserted, first.updated, first.unchanged) == (14, 0, 0)
    second = store.upsert_observations(frame)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 14)
    assert stored_rows(store) == 14


def test_upsert_updates_changed_counts_and_inserts_new_rows(store: SqlStore) -> None:
    store.upsert_observations(observations(periods=10))
    changed = observations(periods=12)
    changed.loc[[2, 5], "count"] = [100.0, 200.0]
    result = store.upsert_observations(changed)
    assert (result.inserted, result.updated, result.unchanged) == (2, 2, 8)
    history = store.load_history(SeriesKey("billing", "phone"), Freq.DAILY)
    assert history.tolist() == [0, 1, 100, 3, 4, 200, 6, 7, 8, 9, 10, 11]


def test_upsert_with_an_invalid_row_stores_nothing(store: SqlStore) -> None:
    frame = pd.concat([observations(), observations("refund", periods=3)], ignore_index=True)
    frame.loc[len(frame) - 1, "count"] = np.nan
    with pytest.raises(InvalidInput) as error:
        store.upsert_observations(frame)
    assert error.value.column == "count"
    assert store.list_series() == []


def test_upsert_failing_midway_rolls_back_everything(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.upsert_observations(observations())
    before = store.load_history(SeriesKey("billing", "phone"), Freq.DAILY)
    real_merge = data.observations._merge

    def merge_then_fail(connection: sa.Connection, rows: pd.DataFrame) -> tuple[int, int]:
        real_merge(connection, rows)
        raise RuntimeError("disk full")

    monkeypatch.setattr(data.observations, "_merge", merge_then_fail)
    batch = pd.concat([observations(base=50.0, periods=12), observations("new")], ignore_index=True)
    with pytest.raises(RuntimeError, match="disk full"):
        store.upsert_observations(batch)
    monkeypatch.undo()
    assert [info.key for info in store.list_series()] == [SeriesKey("billing", "phone")]
    after = store.load_history(SeriesKey("billing", "phone"), Freq.DAILY)
    pd.testing.assert_series_equal(after, before)


@pytest.mark.parametrize("missing", ["ts", "category", "freq", "count"])
def test_upsert_names_a_missing_column(store: SqlStore, missing: str) -> None:
    with pytest.raises(InvalidInput, match=missing) as error:
        store.upsert_observations(observations().drop(columns=[missing]))
    assert error.value.column == missing


def test_upsert_rejects_naive_timestamps_and_duplicate_keys(store: SqlStore) -> None:
    naive = observations()
    naive["ts"] = naive["ts"].dt.tz_localize(None)
    with pytest.raises(InvalidInput, match="tz-aware"):
        store.upsert_observations(naive)
    with pytest.raises(InvalidInput, match="same key twice"):
        store.upsert_observations(pd.concat([observations(), observations()], ignore_index=True))
    assert store.list_series() == []


def test_list_series_reports_ranges_and_counts(store: SqlStore) -> None:
    store.upsert_observations(pd.concat([
        observations("refund", "", periods=3, start="2026-03-01"),
        observations("billing", "phone", periods=10),
        observations("billing", "phone", freq="30min", periods=4, start="2026-01-05 09:00"),
    ], ignore_index=True))
    infos = store.list_series()
    assert [(i.key, i.freq, i.observations) for i in infos] == [
        (SeriesKey("billing", "phone"), Freq.M30, 4),
        (SeriesKey("billing", "phone"), Freq.DAILY, 10),
        (SeriesKey("refund", ""), Freq.DAILY, 3),
    ]
    half_hourly = infos[0]
    assert half_hourly.first_ts == pd.Timestamp("2026-01-05 09:00", tz=TZ)
    assert half_hourly.last_ts == pd.Timestamp("2026-01-05 10:30", tz=TZ)
    assert str(half_hourly.first_ts.tzinfo) == "UTC"


def test_observation_stamps_are_the_distinct_stamps_of_every_series(store: SqlStore) -> None:
    assert store.observation_stamps(Freq.DAILY).empty
    store.upsert_observations(pd.concat([
        observations("refund", "", periods=3, start="2026-01-02"),
        observations("billing", "phone", periods=4),
        observations("billing", "phone", freq="30min", periods=2, start="2026-01-05 09:00"),
    ], ignore_index=True))
    daily = store.observation_stamps(Freq.DAILY)
    assert str(daily.tz) == "UTC"
    assert daily.equals(pd.date_range("2026-01-01", periods=4, tz=TZ).tz_convert("UTC"))
    assert store.observation_stamps(Freq.M30).equals(
        pd.date_range("2026-01-05 09:00", periods=2, freq="30min", tz=TZ).tz_convert("UTC"))
    assert store.observation_stamps(Freq.H60).empty


def test_load_history_returns_utc_counts_in_range(store: SqlStore) -> None:
    frame = observations(periods=10)
    store.upsert_observations(frame)
    key = SeriesKey("billing", "phone")
    full = store.load_history(key, Freq.DAILY)
    assert full.name == "count"
    assert str(full.index.tz) == "UTC"
    assert full.index.equals(pd.DatetimeIndex(frame["ts"]).tz_convert("UTC"))
    ranged = store.load_history(key, Freq.DAILY, start=frame["ts"][2], end=frame["ts"][5])
    assert ranged.tolist() == [2.0, 3.0, 4.0]  # end is exclusive
    empty = store.load_history(key, Freq.DAILY, start=frame["ts"][9] + pd.Timedelta(days=1))
    assert empty.empty and str(empty.index.tz) == "UTC"
    with pytest.raises(NotFound, match="nobody"):
        store.load_history(SeriesKey("nobody"), Freq.DAILY)
    with pytest.raises(InvalidParameter, match="start"):
        store.load_history(key, Freq.DAILY, start=pd.Timestamp("2026-01-01").to_pydatetime())


# --- forecast runs ---------------------------------------------------------------------


def test_saved_run_is_invisible_until_published(store: SqlStore) -> None:
    store.save_run("run-1", forecasts(10.0), accuracy(), note="nightly")
    assert store.current_run_id() is None
    latest = store.latest_forecast()
    assert latest.empty
    assert list(latest.columns) == [*FORECAST_COLUMNS, "run_id"]
    assert list(store.latest_accuracy().columns) == [*ACCURACY_COLUMNS, "run_id"]
    (run,) = store.list_runs()
    assert (run.run_id, run.published_at, run.series, run.rows, run.note) == (
        "run-1", None, 2, 10, "nightly"
    )


def test_publish_flips_the_current_run(store: SqlStore) -> None:
    store.save_run("run-1", forecasts(10.0), no_accuracy())
    store.publish_run("run-1")
    store.save_run("run-2", forecasts(20.0), no_accuracy())
    assert set(store.latest_forecast()["yhat"]) == {10.0}
    store.publish_run("run-2")
    latest = store.latest_forecast()
    assert store.current_run_id() == "run-2"
    assert set(latest["run_id"]) == {"run-2"} and set(latest["yhat"]) == {20.0}
    runs = store.list_runs()
    assert [run.run_id for run in runs] == ["run-2", "run-1"]
    assert all(run.published_at is not None for run in runs)
    assert [run.run_id for run in store.list_runs(limit=1)] == ["run-2"]


def test_unknown_or_reused_run_ids_are_errors(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="missing-run"):
        store.publish_run("missing-run")
    store.save_run("run-1", forecasts(1.0), no_accuracy())
    with pytest.raises(InvalidParameter, match="run_id"):
        store.save_run("run-1", forecasts(2.0), no_accuracy())
    assert store.current_run_id() is None


def test_latest_forecast_round_trips_values_sorted(store: SqlStore) -> None:
    frame = forecasts(12.5, keys=(("refund", "chat"), ("billing", ""), ("billing", "phone")))
    frame.loc[frame.index[::2], "hi95"] = np.nan
    store.save_run("run-1", frame.sample(frac=1.0, random_state=1), no_accuracy())
    store.publish_run("run-1")
    latest = store.latest_forecast()
    expected = frame.sort_values(["category", "channel", "freq", "ts"], ignore_index=True)
    expected["ts"] = expected["ts"].dt.tz_convert("UTC")
    expected["run_id"] = "run-1"
    pd.testing.assert_frame_equal(latest, expected, check_dtype=False)
    assert str(latest["ts"].dt.tz) == "UTC"


def test_latest_forecast_filters(store: SqlStore) -> None:
    frame = pd.concat([forecasts(5.0), forecasts(1.0, keys=(("billing", ""),), freq="30min",
                                                  periods=4)], ignore_index=True)
    store.save_run("run-1", frame, no_accuracy())
    store.publish_run("run-1")
    days = pd.date_range("2026-02-01", periods=5, freq="D", tz=TZ)
    assert set(store.latest_forecast(category="refund")["channel"]) == {"chat"}
    assert len(store.latest_forecast(category="billing")) == 9
    assert len(store.latest_forecast(channel="")) == 9
    assert len(store.latest_forecast(category="billing", freq=Freq.M30)) == 4
    ranged = store.latest_forecast(freq=Freq.DAILY, start=days[1], end=days[3])
    assert sorted(set(ranged["ts"])) == list(days[1:3].tz_convert("UTC"))  # end exclusive
    assert len(ranged) == 4
    assert store.latest_forecast(category="nobody").empty


def test_accuracy_round_trip(store: SqlStore) -> None:
    store.save_run("run-1", forecasts(1.0), accuracy())
    store.publish_run("run-1")
    board = store.latest_accuracy()
    expected = accuracy().assign(run_id="run-1")
    pd.testing.assert_frame_equal(board, expected, check_dtype=False)
    assert board["selected"].dtype == bool
    assert np.isnan(board.loc[1, "mase"])


def test_readers_never_see_a_mix_of_two_runs(store: SqlStore) -> None:
    keys = tuple((f"cat{i}", "phone") for i in range(6))
    rows = len(forecasts(0.0, keys, periods=40))
    for run_id, yhat in (("a", 1.0), ("b", 2.0)):
        store.save_run(run_id, forecasts(yhat, keys, periods=40), no_accuracy())
    store.publish_run("a")
    expected = {"a": 1.0, "b": 2.0}
    stop, failures = threading.Event(), []

    def publish_alternately() -> None:
        try:
            for step in range(10_000):
                if stop.is_set():
                    return
                if step % 5 == 4:  # now and then also write a whole new run
                    expected[f"n{step}"] = float(step)
                    store.save_run(f"n{step}", forecasts(float(step), keys, periods=40),
                                   no_accuracy())
                    store.publish_run(f"n{step}")
                else:
                    store.publish_run("a" if step % 2 else "b")
        except Exception as error:  # reported by the reader below
            failures.append(error)

    writer = threading.Thread(target=publish_alternately)
    writer.start()
    seen: set[str] = set()
    deadline = time.monotonic() + 30
    try:
        while len(seen) < 4 and time.monotonic() < deadline and not failures:
            latest = store.latest_forecast()
            (run_id,) = set(latest["run_id"])
            assert len(latest) == rows
            assert set(latest["yhat"]) == {expected[run_id]}
            seen.add(run_id)
    finally:
        stop.set()
        writer.join()
    assert not failures
    assert len(seen) >= 2


# --- job runs --------------------------------------------------------------------------


def test_job_runs_are_recorded(store: SqlStore) -> None:
    fit = store.start_job("fit")
    alerts = store.start_job("alerts")
    store.finish_job(fit, "success", detail="4 series")
    store.finish_job(alerts, "failed", error="timeout")
    notify = store.start_job("notify")
    runs = store.list_job_runs()
    assert [(r.id, r.job, r.status) for r in runs] == [
        (notify, "notify", "running"), (alerts, "alerts", "failed"), (fit, "fit", "success"),
    ]
    assert runs[0].finished_at is None
    assert runs[1].error == "timeout" and runs[2].detail == "4 series"
    assert runs[2].finished_at is not None and runs[2].finished_at >= runs[2].started_at
    assert str(runs[2].started_at.tzinfo) == "UTC"
    assert len(store.list_job_runs(limit=2)) == 2
    with pytest.raises(NotFound, match="12345"):
        store.finish_job(12345, "success")
    with pytest.raises(InvalidParameter, match="status"):
        store.finish_job(fit, "done")
