"""Every registry model on small seeded series: shape, bounds, closed hours, holidays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.calendar import day_kinds, is_holiday_kind
from forecast.errors import InsufficientHistory, UnknownModel
from forecast.metrics import wape
from forecast.models.adjusted import CalendarAdjusted, broken_days
from forecast.models.ets import without_empty_days, without_isolated_outliers
from forecast.models.naive import SeasonalNaive
from forecast.models.registry import build_model, model_names
from forecast.openhours import prepare_history
from forecast.pipeline import SeriesRequest, forecast_series
from forecast.series import LEVELS, Forecast, Freq, SeriesKey

WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])  # Monday first
MONDAY = "2025-03-03"
KEY = SeriesKey("delivery", "phone")
PROPHET = ("prophet", "prophet_default")


def daily_counts(seed: int, *, weeks: int = 10, level: float = 200.0) -> pd.Series:
    """Poisson counts with a weekly shape, from a Monday."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(MONDAY, periods=7 * weeks, freq="D")
    return pd.Series(rng.poisson(level * WEEKLY[index.day_of_week]).astype(float), index=index)


def is_open(index: pd.DatetimeIndex) -> np.ndarray:
    """Weekdays 08-20, Saturday 09-13, closed Sunday."""
    hour, day = index.hour, index.day_of_week
    weekday = (day < 5) & (hour >= 8) & (hour < 20)
    return np.asarray(weekday | ((day == 5) & (hour >= 9) & (hour < 13)))


def hourly_counts(seed: int, *, weeks: int = 5, closed_rows: bool = False) -> pd.Series:
    """Poisson counts in open hours; closed hours absent (or zero with `closed_rows`)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(MONDAY, periods=7 * 24 * weeks, freq="h")
    shape = np.exp(-(((index.hour - 13) / 3.5) ** 2)) * WEEKLY[index.day_of_week]
    counts = pd.Series(rng.poisson(30.0 * shape + 1.0).astype(float), index=index)
    open_mask = is_open(index)
    return counts.where(open_mask, 0.0) if closed_rows else counts[open_mask]


def assert_valid(forecast: Forecast, *, start: pd.Timestamp, horizon: int) -> None:
    """Right stamps; finite, non-negative, nested bounds."""
    assert len(forecast.ds) == horizon and forecast.ds[0] == start
    lo95, hi95 = forecast.bounds[95]
    lo80, hi80 = forecast.bounds[80]
    for values in (forecast.mean, lo95, lo80, hi80, hi95):
        assert len(values) == horizon and np.isfinite(values).all()
    assert (lo95 >= 0).all()
    assert (lo95 <= lo80).all() and (lo80 <= forecast.mean).all()
    assert (forecast.mean <= hi80).all() and (hi80 <= hi95).all()



MODELS = [n for n in model_names() if n not in PROPHET]  # Prophet: one slow test below


def test_the_models_left_to_the_slow_test_are_registered() -> None:
    assert set(PROPHET) <= set(model_names())


def test_unknown_model_names_the_choices() -> None:
    with pytest.raises(UnknownModel, match="seasonal_naive"):
        build_model("arima", Freq.DAILY, horizon=7)


@pytest.fixture(scope="module")
def daily() -> pd.Series:
    return daily_counts(1)


@pytest.mark.parametrize("name", MODELS)
def test_daily_forecast_is_valid(name: str, daily: pd.Series) -> None:
    forecast = forecast_series(SeriesRequest(KEY, daily, Freq.DAILY), horizon=14, model=name)
    assert_valid(forecast, start=daily.index[-1] + pd.Timedelta(days=1), horizon=14)
    assert forecast.mean.sum() > 0


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("closed_rows", [False, True], ids=["closed-absent", "closed-zero"])
def test_hourly_forecast_is_valid_and_zero_when_closed(
    name: str, closed_rows: bool
) -> None:
    """Closed hours as zero rows used to make recent_mean see only the closed weekend."""
    counts = hourly_counts(2, closed_rows=closed_rows)
    start = pd.Timestamp(counts.index[-1].normalize() + pd.Timedelta(days=1))
    forecast = forecast_series(SeriesRequest(KEY, counts, Freq.H60), horizon=72, start=start,
                               model=name)
    assert_valid(forecast, start=start, horizon=72)
    closed = ~is_open(forecast.ds)
    for values in (forecast.mean, *forecast.bounds[80], *forecast.bounds[95]):
        assert (values[closed] == 0).all()
    assert (forecast.mean[~closed] > 0).all()


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), level=st.floats(0.2, 2_000.0),
       name=st.sampled_from(["seasonal_naive", "week_average", "recent_mean", "mstl"]))
def test_bounds_are_nested_for_any_level(seed: int, level: float, name: str) -> None:
    counts = daily_counts(seed, weeks=4, level=level)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    model = build_model(name, Freq.DAILY, horizon=7)
    if name == "mstl" and len(history.y) < 14:  # a quiet queue's first contact came late
        with pytest.raises(InsufficientHistory, match="needs at least 14"):
            model.fit(history)
        return
    if name == "seasonal_naive" and len(history.y) < 7:  # later still: under a week
        with pytest.raises(InsufficientHistory, match="needs at least 7"):
            model.fit(history)
        return
    forecast = model.fit(history).predict(21, LEVELS)
    assert_valid(forecast, start=counts.index[-1] + pd.Timedelta(days=1), horizon=21)


def _with_holidays(counts: pd.Series, days: list[str], share: float) -> pd.Series:
    out = counts.copy()
    for day in days:
        out[pd.Timestamp(day)] = np.round(out[pd.Timestamp(day)] * share)
    return out


US_HOLIDAYS = ["2025-04-18", "2025-05-26", "2025-06-19", "2025-07-04"]  # within 18 weeks


def test_calendar_adjusted_naive_does_not_repeat_last_weeks_holiday() -> None:
    index = pd.date_range(MONDAY, "2025-07-06", freq="D")  # ends the Sunday after 4 July
    normal = pd.Series(200.0 * WEEKLY[index.day_of_week], index=index)
    counts = _with_holidays(normal, US_HOLIDAYS, 0.1)
    history, _ = prepare_history(counts, KEY, Freq.DAILY, country="US")
    friday = 4  # 11 July, one week after the holiday
    plain = SeasonalNaive().fit(history).predict(7, LEVELS)
    adjusted = CalendarAdjusted(SeasonalNaive()).fit(history).predict(7, LEVELS)
    assert plain.mean[friday] == pytest.approx(0.1 * 200.0 * WEEKLY[4], abs=1.0)
    assert adjusted.mean[friday] == pytest.approx(200.0 * WEEKLY[4])
    np.testing.assert_allclose(adjusted.mean, 200.0 * WEEKLY)


def test_a_one_day_surge_is_not_repeated_but_a_lasting_rise_is_followed() -> None:
    index = pd.date_range(MONDAY, "2025-07-06", freq="D")
    normal = pd.Series(200.0 * WEEKLY[index.day_of_week], index=index)
    storm = normal.copy()
    storm[pd.Timestamp("2025-07-01")] *= 5  # an outage storm on a Tuesday, then calm
    history, _ = prepare_history(storm, KEY, Freq.DAILY)
    adjusted = CalendarAdjusted(SeasonalNaive()).fit(history).predict(7, LEVELS)
    np.testing.assert_allclose(adjusted.mean, 200.0 * WEEKLY, rtol=0.01)
    risen = normal.where(index < pd.Timestamp("2025-06-30"), normal * 2.5)  # a week at x2.5
    history, _ = prepare_history(risen, KEY, Freq.DAILY)
    adjusted = CalendarAdjusted(SeasonalNaive()).fit(history).predict(7, LEVELS)
    np.testing.assert_allclose(adjusted.mean, 2.5 * 200.0 * WEEKLY, rtol=0.01)


def test_an_outage_is_set_aside_but_a_weekday_no_longer_served_is_not() -> None:
    index = pd.date_range(MONDAY, "2025-07-06", freq="D")
    normal = pd.Series(200.0 * WEEKLY[index.day_of_week], index=index)
    broken = normal.copy()
    broken[(index >= pd.Timestamp("2025-06-18")) & (index < pd.Timestamp("2025-06-27"))] = 0.0
    history, _ = prepare_history(broken, KEY, Freq.DAILY)
    adjusted = CalendarAdjusted(SeasonalNaive()).fit(history).predict(14, LEVELS)
    np.testing.assert_allclose(adjusted.mean, 200.0 * np.tile(WEEKLY, 2), rtol=0.01)
    no_saturdays = normal.where((index < pd.Timestamp("2025-06-21"))
                                | (index.day_of_week != 5), 0.0)
    history, _ = prepare_history(no_saturdays, KEY, Freq.DAILY)
    adjusted = CalendarAdjusted(SeasonalNaive()).fit(history).predict(7, LEVELS)
    assert adjusted.mean[5] == 0.0  # 12 July, a Saturday
    longer = pd.date_range(MONDAY, "2026-03-15", freq="D")
    days_off = pd.Series(200.0 * WEEKLY[longer.day_of_week], index=longer)
    for first in ("2025-03-11", "2025-09-09", "2026-03-10", "2025-06-04"):
        days_off[pd.date_range(first, periods=2 if first != "2025-06-04" else 1)] = 0.0
    history, _ = prepare_history(days_off, KEY, Freq.DAILY)
    seen = CalendarAdjusted(SeasonalNaive()).fit(history).inner.history.y
    assert seen[pd.Timestamp("2025-03-12")] == 0.0  # closed again a year later: kept
    assert seen[pd.Timestamp("2025-09-10")] == pytest.approx(200.0 * WEEKLY[2])
    assert seen[pd.Timestamp("2025-06-04")] == 0.0  # one empty day: left to the models


def test_auto_beats_seasonal_naive_on_a_noisy_series_with_a_holiday() -> None:
    rng = np.random.default_rng(11)
    index = pd.date_range(MONDAY, "2025-08-03", freq="D")
    mean = 300.0 * WEEKLY[index.day_of_week] * rng.gamma(50.0, 1 / 50.0, size=len(index))
    counts = _with_holidays(pd.Series(rng.poisson(mean).astype(float), index=index),
                            US_HOLIDAYS, 0.15)
    origin = pd.Timestamp("2025-07-07")
    history, actual = counts[counts.index < origin], counts[counts.index >= origin]
    request = SeriesRequest(KEY, history, Freq.DAILY)
    scores = {}
    for name in ("auto", "seasonal_naive"):
        forecast = forecast_series(request, horizon=len(actual), model=name, country="US")
        scores[name] = wape(actual.to_numpy(), forecast.mean)
    assert scores["auto"] < 0.8 * scores["seasonal_naive"]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning:prophet")
def test_prophet_with_holidays_gives_a_valid_forecast(daily: pd.Series) -> None:
    forecast = forecast_series(SeriesRequest(KEY, daily, Freq.DAILY), horizon=14,
                               model="prophet", country="US")
    assert_valid(forecast, start=daily.index[-1] + pd.Timedelta(days=1), horizon=14)
    assert forecast.model == "prophet"
    weekday, sunday = forecast.mean[0], forecast.mean[6]  # the fixture starts on a Monday
    assert weekday > 2 * sunday


def test_week_average_fits_two_weeks_of_history_quietly() -> None:
    """Two weeks leave no in-sample backtest; that must not warn (warnings are errors)."""
    counts = daily_counts(5, weeks=2)
    forecast = forecast_series(SeriesRequest(KEY, counts, Freq.DAILY), horizon=7,
                               model="week_average")
    assert_valid(forecast, start=counts.index[-1] + pd.Timedelta(days=1), horizon=7)


def test_a_file_cut_mid_day_forecasts_the_rest_of_that_day_at_full_level() -> None:
    """The half day before the cutoff used to read as a collapse of the daily level."""
    counts = hourly_counts(3, weeks=6)
    cutoff = pd.Timestamp(counts.index[-1].normalize() - pd.Timedelta(days=2, hours=-12))
    history = counts[counts.index < cutoff]
    for name in ("daily_split", "auto"):
        noon = forecast_series(SeriesRequest(KEY, history, Freq.H60), horizon=24, start=cutoff,
                               model=name)
        midnight = forecast_series(
            SeriesRequest(KEY, history[history.index < cutoff.normalize()], Freq.H60),
            horizon=36, start=cutoff.normalize(), model=name)
        assert noon.ds[0] == cutoff
        assert noon.mean.sum() == pytest.approx(midnight.mean[12:].sum(), rel=0.02)


def test_the_next_days_are_the_same_in_a_short_and_a_one_week_request() -> None:
    counts = hourly_counts(4, weeks=6)
    request = SeriesRequest(KEY, counts, Freq.H60)
    short = forecast_series(request, horizon=72, model="auto")  # Sunday to Tuesday
    week = forecast_series(request, horizon=7 * 24, model="auto")
    assert short.mean.sum() > 0
    assert np.array_equal(short.mean, week.mean[:72])
    for level in LEVELS:
        assert np.array_equal(short.bounds[level][1], week.bounds[level][1][:72])


def test_ets_is_not_thrown_by_empty_days_but_follows_a_lasting_change() -> None:
    counts = daily_counts(3, weeks=5, level=1000.0)
    broken = counts.copy()
    broken.iloc[4:7] = 0.0  # a broken export in the first week (nothing before it)
    broken.iloc[16] = 0.0  # a holiday nobody named
    history, _ = prepare_history(broken, KEY, Freq.DAILY)
    forecast = build_model("ets", Freq.DAILY, horizon=14).fit(history).predict(14, LEVELS)
    expected = 1000.0 * np.tile(WEEKLY, 2)
    assert wape(expected, forecast.mean) < 0.08
    shifted = counts.where(np.arange(len(counts)) < len(counts) - 10, counts * 2)
    history, _ = prepare_history(shifted, KEY, Freq.DAILY)
    forecast = build_model("ets", Freq.DAILY, horizon=7).fit(history).predict(7, LEVELS)
    assert forecast.mean.sum() > 1.7 * 1000.0 * WEEKLY.sum()  # the last 10 days' level


def test_a_late_empty_day_does_not_pull_the_ets_level_down() -> None:
    counts = daily_counts(5, weeks=10, level=1000.0)
    closed = counts.copy()
    closed.iloc[-5] = 0.0  # a holiday of a country not named, in the last week
    history, _ = prepare_history(closed, KEY, Freq.DAILY)
    forecast = build_model("ets", Freq.DAILY, horizon=14).fit(history).predict(14, LEVELS)
    assert wape(1000.0 * np.tile(WEEKLY, 2), forecast.mean) < 0.05  # 0.095 when read as 0


def test_empty_days_of_busy_slots_are_read_as_their_neighbours_middle() -> None:
    rng = np.random.default_rng(1)
    logged = np.log1p(rng.poisson(500.0, 70).astype(float))
    logged[6::7] = 0.0  # closed every Sunday: the season, not an outlier
    holes = logged.copy()
    holes[[10, 38, 68]] = 0.0  # closures early, mid-way and in the last week
    holes[[43, 50, 57, 64]] = 0.0  # a weekday served no more in the last four weeks
    holes[[45, 46]] = 0.0  # two days running (a broken export): the calendar's to judge
    _assert_only_read_as_neighbours(without_empty_days(holes, 7), holes, [10, 38, 68])
    low = np.log1p(rng.poisson(3.0, 70).astype(float))  # empty days are noise at 3 a day
    np.testing.assert_array_equal(without_empty_days(low, 7), low)
    short = holes[:17]  # under three seasons: fewer neighbours, the same reading
    np.testing.assert_allclose(without_empty_days(short, 7)[[0, 15]], short[[0, 15]])
    assert without_empty_days(short, 7)[10] == pytest.approx(np.log(500.0), abs=0.15)


def test_early_outliers_are_read_as_their_neighbours_middle() -> None:
    rng = np.random.default_rng(0)
    logged = np.log1p(rng.poisson(500.0, 70).astype(float))
    dipped = logged.copy()
    dipped[[2, 9]] = 0.0  # two weeks running on one weekday, from the first
    dipped[18] = np.log1p(5000.0)  # a tenfold surge
    dipped[45] = 0.0  # past the first three weeks: left to the smoothing
    _assert_only_read_as_neighbours(without_isolated_outliers(dipped, 7), dipped, [2, 9, 18])
    low = np.log1p(rng.poisson(3.0, 70).astype(float))  # empty days are noise at 3 a day
    np.testing.assert_array_equal(without_isolated_outliers(low, 7), low)


def _assert_only_read_as_neighbours(cleaned: np.ndarray, original: np.ndarray,
                                    positions: list[int]) -> None:
    """`positions` now hold the level of 500 a day around them; nothing else moved."""
    np.testing.assert_allclose(cleaned[positions], np.log(500.0), atol=0.15)
    untouched = np.delete(np.arange(len(original)), positions)
    np.testing.assert_array_equal(cleaned[untouched], original[untouched])


def test_one_day_of_intraday_history_gets_bands_of_a_counts_noise() -> None:
    index = pd.date_range("2024-01-08", periods=48, freq="30min")
    y = pd.Series(np.where((index.hour >= 8) & (index.hour < 18), 36.0, 0.0), index=index)
    forecast = build_model("recent_mean", Freq.M30, horizon=48).fit(
        prepare_history(y, SeriesKey("a", ""), Freq.M30)[0]).predict(48, LEVELS)
    busy = forecast.mean > 0
    lo, hi = forecast.bounds[95]
    assert np.allclose(hi[busy] - forecast.mean[busy], 1.96 * 6, rtol=0.01)  # sqrt(36) = 6
    assert np.allclose(forecast.mean[busy] - lo[busy], 1.96 * 6, rtol=0.01)


def _heating_mean(days: pd.DatetimeIndex) -> np.ndarray:
    """Complaints about heating: 20 a day in summer, 420 at their mid-January peak."""
    phase = 2 * np.pi * (days.day_of_year.to_numpy() - 15) / 365.25
    return np.asarray(20 + 400 * np.maximum(np.cos(phase), 0) ** 2, dtype=float)


def test_the_year_over_year_index_counts_the_season_climb_once() -> None:
    days = pd.date_range("2021-11-01", "2024-11-05", freq="D")  # cut on the autumn climb
    for seed in range(3):
        rng = np.random.default_rng(seed)
        y = pd.Series(rng.poisson(_heating_mean(days)).astype(float), index=days)
        history, _ = prepare_history(y, KEY, Freq.DAILY)
        forecast = build_model("ets_yoy", Freq.DAILY, horizon=28).fit(history).predict(28, LEVELS)
        truth = _heating_mean(pd.DatetimeIndex(forecast.ds)).sum()
        assert 0.7 < forecast.mean.sum() / truth < 1.35  # a trend too had given up to 2.4


def test_a_broken_export_before_a_bank_holiday_is_still_set_aside() -> None:
    # Ten empty days; the Monday after them is a bank holiday, their second week's
    # neighbours are their first week, the bank holiday and days after the end.
    index = pd.date_range("2024-06-03", "2025-06-01", freq="D")
    rng = np.random.default_rng(1)
    counts = pd.Series(rng.poisson(100.0 * WEEKLY[index.day_of_week]).astype(float), index=index)
    kinds = day_kinds(pd.DatetimeIndex(index), "GB")
    counts[kinds.map(is_holiday_kind).to_numpy(dtype=bool)] = 0.0  # shut on holidays
    counts["2025-05-12":"2025-05-21"] = 0.0
    history, _ = prepare_history(counts, KEY, Freq.DAILY, country="GB")
    seen = CalendarAdjusted(SeasonalNaive()).fit(history).inner.history.y
    assert seen["2025-05-12":"2025-05-21"].min() > 20.0
    assert broken_days(history).sum() == 10
    forecast = build_model("auto", Freq.DAILY, horizon=28).fit(history).predict(28, LEVELS)
    weekdays = pd.DatetimeIndex(forecast.ds).day_of_week < 5
    assert forecast.mean[weekdays].min() > 70.0
    # Its empty days are not scored in the backtests either: no band down to nothing.
    assert np.median(forecast.bounds[95][0][weekdays] / forecast.mean[weekdays]) > 0.5


def test_folds_trained_up_to_a_broken_export_do_not_blow_up_the_bands() -> None:
    # Five weeks of 1,500 a day with eight empty days in the middle: a fold trained up to
    # them cannot tell them from a closure and forecasts nothing, then 1,500 came.
    index = pd.date_range("2025-12-14", periods=35, freq="D")
    rng = np.random.default_rng(3)
    counts = pd.Series(rng.poisson(1500.0 * WEEKLY[index.day_of_week]).astype(float),
                       index=index)
    counts["2025-12-25":"2026-01-01"] = 0.0
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = build_model("auto", Freq.DAILY, horizon=28).fit(history).predict(28, LEVELS)
    assert forecast.mean.min() > 0.3 * 1500.0
    assert np.max(forecast.bounds[80][1] / forecast.mean) < 1.5  # had reached x24
    assert np.max(forecast.bounds[95][1] / forecast.mean) < 2.0


def test_a_holiday_not_met_yet_has_bands_from_shut_to_a_normal_day() -> None:
    index = pd.date_range("2024-01-08", "2024-04-21", freq="D")
    rng = np.random.default_rng(2)
    counts = pd.Series(rng.poisson(100.0 * WEEKLY[index.day_of_week]).astype(float), index=index)
    kinds = day_kinds(pd.DatetimeIndex(index), "DE")
    counts[kinds.map(is_holiday_kind).to_numpy(dtype=bool)] = 0.0  # Easter: shut
    history, _ = prepare_history(counts, KEY, Freq.DAILY, country="DE")
    forecast = build_model("auto", Freq.DAILY, horizon=28).fit(history).predict(28, LEVELS)
    ds = pd.DatetimeIndex(forecast.ds)
    may_day = int(np.flatnonzero(ds == pd.Timestamp("2024-05-01"))[0])
    assert forecast.mean[may_day] == 0.0  # shut like Good Friday and Easter Monday
    assert forecast.bounds[95][1][may_day] >= forecast.bounds[95][1][may_day - 7] > 100.0
    fitted = build_model("auto", Freq.DAILY, horizon=28).fit(history)
    short = fitted.predict(may_day + 1, LEVELS)  # no normal day after it in the horizon
    assert short.bounds[95][1][may_day] == pytest.approx(forecast.bounds[95][1][may_day])
    early = counts[:"2024-03-27"]  # Easter not met yet: forecast open, but it may shut
    history, _ = prepare_history(early, KEY, Freq.DAILY, country="DE")
    forecast = build_model("auto", Freq.DAILY, horizon=28).fit(history).predict(28, LEVELS)
    good_friday = pd.DatetimeIndex(forecast.ds) == pd.Timestamp("2024-03-29")
    assert forecast.mean[good_friday][0] > 50.0
    assert forecast.bounds[80][0][good_friday][0] == 0.0


def test_a_year_of_intraday_history_brings_in_the_yearly_candidates() -> None:
    stamps = pd.date_range("2024-08-01", "2025-12-01", freq="60min", inclusive="left")
    open_hours = (stamps.hour >= 8) & (stamps.hour < 20)
    days = stamps.normalize()
    from_peak = (days.day_of_year - 349 + 182) % 365 - 182  # days from December 15th
    december = np.exp(-0.5 * (from_peak / 8.0) ** 2)
    mean = np.where(open_hours, 10.0 * (1 + 1.5 * december), 0.0)
    y = pd.Series(np.random.default_rng(2).poisson(mean).astype(float), index=stamps)
    request = SeriesRequest(KEY, y, Freq.parse("60min"))
    forecast = forecast_series(request, horizon=14 * 24, model="auto", country=None)
    ds = pd.DatetimeIndex(forecast.ds)
    second_week = forecast.mean[ds >= "2025-12-08"].sum()
    last_week = y[y.index >= "2025-11-24"].sum()
    assert forecast.model.startswith("combo:") or forecast.model in (
        "week_average_yoy", "ets_yoy", "harmonic")
    assert second_week > 1.5 * last_week  # the December peak a year ago comes again
