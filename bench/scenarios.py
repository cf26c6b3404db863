"""Stress scenarios: synthetic queues built to break forecasters, with known true means.

    python -m bench.scenarios [--scenarios NAME ...] [--origins N] [--markdown]

Each scenario is a small data set whose expected count per interval is known, so the
table shows how close every model comes to the noise floor (the WAPE of forecasting the
true mean), next to the seasonal-naive, 8-week-average and Prophet baselines:

- `level_shift`: volume steps up or down by 40-60% two weeks before the first origin;
- `recent_shift`: sixteen younger queues (five months) stepping up by 50% or down by 35%
  one to six weeks before the first origin;
- `trend`: steady growth (+40% a year) or decline (-25% a year) over two years;
- `low_volume`: 0.2 to 5 inquiries a day, mostly zeros on the quietest queues;
- `holidays_BR`, `holidays_JP`, `holidays_CN`: two years of a weekday-heavy queue that
  closes on the country's public holidays and gets a rebound after them (Carnival,
  Golden Week, the Spring Festival, China's weekend days worked in exchange for bridge
  days); the country is detected from the data, as
  `vocast forecast` does without `--holidays`;
- `new_queue`: six weeks of history only;
- `office_hours_60min`: hourly, open 09-18 on weekdays and 09-13 on Saturdays, with a
  lunch dip and low volumes, ten weeks of history;
- `raw_events_30min`: the same opening hours at 30 minutes, 0.1 to 8 contacts per open
  interval, sent as raw events would arrive: no row where nothing happened (scored on
  every open interval, zeros included);
- `hours_change_60min`: hourly, open 09-18 on weekdays until five weeks before the end,
  then 08-20 and Saturday mornings too;
- `month_cycle`: bills on the 1st (x1.6 fading over five days) and salaries on the 25th;
- `month_ends_DE`: a German office shut at weekends and on holidays, bills on the first
  working day of the month (x1.3) and payments due on the last (x1.6);
- `outage`: nine days recorded as zeros (a broken export) six weeks before the first origin;
- `weekend_change`: Saturday service stops, or Sunday volume doubles, three weeks before
  the first origin;
- `fading_incident`: an incident triples the volume one to three weeks before the first
  origin and halves back every three to seven days;
- `past_incident`: ten weeks of history before the first origin; an incident lifts the
  volume five, four, three and two times over four days two to five weeks before it,
  then is over;
- `dip_recovery`: a fault cuts the volume to 40% 5, 7, 10 or 14 days before the first
  origin, recovering by half every 2 to 5 days;
- `launch_rush`: a launch triples the volume 14, 21, 28 or 35 days before the first
  origin and settles at 1.5 times the old level, the rush halving every 3 or 5 days;
- `unmet_holidays_FR`: eight weeks of history before the first origin, closed on France's
  holidays, of which it met one (Easter Monday) before the May holidays;
- `yearly_closure`: three years of a Dutch queue shut 24-31 December every year, whatever
  the weekday, besides its public holidays; origins in the autumn and at Christmas;
- `broken_export_GB`: eight days recorded as zeros, the same weekdays a week later
  Easter's bank holidays, nine days before the first origin.

Counts are negative-binomial (overdispersed, as real queues are). The scenarios are
generated from a fixed seed; nothing is tuned to them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from bench import _datasets as ds
from bench.accuracy import DEFAULT_MODELS, run_timed
from forecast.calendar import holiday_names, make_up_workdays, working_days
from forecast.holiday_detect import detect_country
from forecast.series import Freq, SeriesKey

SEED = 11
END = pd.Timestamp("2026-06-30")
WEEKDAY_SHAPE = np.array([1.25, 1.1, 1.0, 1.0, 0.95, 0.45, 0.3])
DISPERSION = 60.0  # negative-binomial size: variance = mean + mean^2 / DISPERSION


def _yearly(index: pd.DatetimeIndex) -> np.ndarray:
    day = np.asarray(index.day_of_year, dtype=float)
    return np.asarray(1 + 0.15 * np.sin(2 * np.pi * (day - 80) / 365.25), dtype=float)


def _holiday_effect(days: pd.DatetimeIndex, country: str) -> np.ndarray:
    """Closed on holidays; the first working day after a break gets its backlog; a weekend
    day worked in exchange for a bridge day off is as busy as a weekday."""
    names = holiday_names(days, country)
    holiday = (names != "").to_numpy()
    worked = make_up_workdays(days, country) & ~holiday
    weekend = np.asarray(days.day_of_week >= 5) & ~worked
    weekday_level = WEEKDAY_SHAPE[:5].mean() / WEEKDAY_SHAPE[days.day_of_week]
    effect = np.where(holiday, 0.0, np.where(worked, weekday_level, 1.0))
    off = holiday | weekend
    run = 0
    for i in range(len(days)):
        if off[i]:
            run += 1
            continue
        if run and holiday[max(0, i - run):i].any():
            effect[i] *= 1.25 + 0.1 * min(run, 5)
        run = 0
    return effect


def _daily(levels: Sequence[float], days: int, *, country: str | None = None,
           shift: Callable[[pd.DatetimeIndex, int], np.ndarray] | None = None,
           seed: int = SEED, end: pd.Timestamp = END
           ) -> tuple[dict[SeriesKey, pd.Series], dict[SeriesKey, pd.Series]]:
    rng = np.random.default_rng(seed)
    index = pd.date_range(end=end, periods=days, freq="D")
    base = WEEKDAY_SHAPE[index.day_of_week] * _yearly(index)
    if country:
        base = base * _holiday_effect(index, country)
    series, truth = {}, {}
    for n, level in enumerate(levels):
        mean = level * base * (shift(index, n) if shift else 1.0)
        key = SeriesKey(f"queue{n + 1}", "")
        series[key] = pd.Series(ds.overdispersed_counts(rng, mean, size=DISPERSION), index=index)
        truth[key] = pd.Series(mean, index=index)
    return series, truth


def _level_shift(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """Series alternate between a step up (x1.6) and a step down (x0.6)."""
    at = END - pd.Timedelta(days=3 * 28 + 14)
    factor = 1.6 if n % 2 == 0 else 0.6
    return np.where(index >= at, factor, 1.0)


RECENT_SHIFT_DAYS = (7, 10, 14, 17, 21, 28, 35, 42)


def _recent_shift(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """Series n steps up (x1.5, even n) or down (x0.65) RECENT_SHIFT_DAYS[n // 2 % 8] days
    before the first origin: one to six weeks of the new level at the first origin, five
    to twelve at the last."""
    first_origin = END + pd.Timedelta(days=1) - pd.Timedelta(days=3 * 28)
    at = first_origin - pd.Timedelta(days=RECENT_SHIFT_DAYS[n // 2 % len(RECENT_SHIFT_DAYS)])
    return np.where(index >= at, 1.5 if n % 2 == 0 else 0.65, 1.0)


def _trend(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """Series alternate between steady growth (+40% a year) and decline (-25% a year)."""
    years = np.asarray((index - END) / pd.Timedelta(days=365.25), dtype=float)
    rate = 0.40 if n % 2 == 0 else -0.25
    return np.asarray(np.exp(np.log1p(rate) * years), dtype=float)


def _office_hours(levels: Sequence[float], weeks: int, country: str | None, *,
                  freq: Freq = Freq.H60
                  ) -> tuple[dict[SeriesKey, pd.Series], dict[SeriesKey, pd.Series]]:
    rng = np.random.default_rng(SEED)
    index = pd.date_range(end=END + pd.Timedelta(days=1) - freq.offset,
                          periods=weeks * 7 * freq.per_day, freq=freq.offset)
    weekday = np.asarray(index.day_of_week)
    hour = np.asarray(index.hour + index.minute / 60)
    open_ = ((weekday < 5) & (hour >= 9) & (hour < 18)) | ((weekday == 5) & (hour >= 9)
                                                           & (hour < 13))
    shape = np.where((hour >= 12) & (hour < 13), 0.6, 1.0) * (
        1 + 0.3 * np.exp(-((hour - 10) ** 2) / 2))
    days = index.normalize()
    closed_day = (holiday_names(days, country) != "").to_numpy()
    base = np.where(open_ & ~closed_day, shape * WEEKDAY_SHAPE[weekday], 0.0)
    series, truth = {}, {}
    for n, level in enumerate(levels):
        key = SeriesKey(f"queue{n + 1}", "")
        mean = level * base
        counts = pd.Series(ds.overdispersed_counts(rng, mean, size=DISPERSION), index=index)
        series[key] = counts[open_]  # an operating-hours-only export
        truth[key] = pd.Series(mean, index=index)
    return series, truth


def _hours_change(levels: Sequence[float], weeks: int, changed_weeks: int
                  ) -> tuple[dict[SeriesKey, pd.Series], dict[SeriesKey, pd.Series]]:
    """Hourly, open 09-18 on weekdays until `changed_weeks` before the end, then 08-20
    on weekdays and 09-13 on Saturdays too."""
    rng = np.random.default_rng(SEED)
    index = pd.date_range(end=END + pd.Timedelta(hours=23), periods=weeks * 7 * 24, freq="h")
    weekday = np.asarray(index.day_of_week)
    hour = np.asarray(index.hour, dtype=float)
    after = np.asarray(index >= END + pd.Timedelta(days=1) - pd.Timedelta(weeks=changed_weeks))
    before_open = (weekday < 5) & (hour >= 9) & (hour < 18)
    after_open = ((weekday < 5) & (hour >= 8) & (hour < 20)) | (
        (weekday == 5) & (hour >= 9) & (hour < 13))
    open_ = np.where(after, after_open, before_open)
    shape = 1 + 0.3 * np.exp(-((hour - 10) ** 2) / 2)
    base = np.where(open_, shape * WEEKDAY_SHAPE[weekday], 0.0)
    series, truth = {}, {}
    for n, level in enumerate(levels):
        key = SeriesKey(f"queue{n + 1}", "")
        mean = level * base
        counts = pd.Series(ds.overdispersed_counts(rng, mean, size=DISPERSION), index=index)
        series[key] = counts[open_]
        truth[key] = pd.Series(mean, index=index)
    return series, truth


def _month_cycle(index: pd.DatetimeIndex, _n: int) -> np.ndarray:
    """Bills land on the 1st (x1.6 fading over five days); salaries on the 25th (x1.2)."""
    day = np.asarray(index.day, dtype=float)
    return np.asarray(1 + 0.6 * np.exp(-(day - 1) / 2) + 0.2 * (np.abs(day - 25) <= 1),
                      dtype=float)


def _month_ends_on_working_days(index: pd.DatetimeIndex, _n: int) -> np.ndarray:
    """Shut at weekends; the first working day of the month (Germany's) x1.3, the last
    x1.6, wherever the weekend and holidays move them."""
    working = pd.Series(working_days(index, "DE"), index=index)
    month = index.year * 12 + index.month
    open_days = working[working.to_numpy()]
    firsts = open_days.groupby(month[working.to_numpy()]).head(1).index
    lasts = open_days.groupby(month[working.to_numpy()]).tail(1).index
    effect = np.where(index.isin(lasts), 1.6, np.where(index.isin(firsts), 1.3, 1.0))
    return np.where(index.day_of_week >= 5, 0.0, effect)


def _outage(index: pd.DatetimeIndex, _n: int) -> np.ndarray:
    """Nine days recorded as zeros (a broken export) six weeks before the first origin."""
    start = END - pd.Timedelta(days=3 * 28 + 42)
    return np.where((index >= start) & (index < start + pd.Timedelta(days=9)), 0.0, 1.0)


def _weekend_change(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """Saturday service stops (even series) or Sunday volume doubles (odd series) three
    weeks before the first origin."""
    at = END - pd.Timedelta(days=3 * 28 + 21)
    later = np.asarray(index >= at)
    weekday = np.asarray(index.day_of_week)
    if n % 2 == 0:
        return np.where(later & (weekday == 5), 0.0, 1.0)
    return np.where(later & (weekday == 6), 2.0, 1.0)


FIRST_ORIGIN = END + pd.Timedelta(days=1) - pd.Timedelta(days=3 * 28)
YEAR_END = pd.Timestamp("2026-01-19")  # origins 28 Oct, 25 Nov and 23 Dec 2025


def _fading_incident(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """An incident triples the volume 7, 10, 14 or 21 days before the first origin and
    halves back every 3, 5, 7 or 7 days: no new level."""
    since, half_life = ((7, 3.0), (10, 5.0), (14, 7.0), (21, 7.0))[n % 4]
    age = np.asarray((index - (FIRST_ORIGIN - pd.Timedelta(days=since))).days, dtype=float)
    return np.where(age >= 0, 1 + 2 * 0.5 ** (np.maximum(age, 0) / half_life), 1.0)


def _past_incident(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """An incident lifts the volume x5, x4, x3, x2 over four days from 14, 21, 28 or 35
    days before the first origin; then it is over."""
    since = (14, 21, 28, 35)[n % 4]
    age = np.asarray((index - (FIRST_ORIGIN - pd.Timedelta(days=since))).days)
    lift = np.array([5.0, 4.0, 3.0, 2.0])
    return np.where((age >= 0) & (age < 4), lift[np.clip(age, 0, 3)], 1.0)


def _dip_recovery(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """A fault cuts the volume to 40% 5, 7, 10 or 14 days before the first origin; the
    shortfall halves every 2, 3, 5 or 4 days."""
    since, half_life = ((5, 2.0), (7, 3.0), (10, 5.0), (14, 4.0))[n % 4]
    age = np.asarray((index - (FIRST_ORIGIN - pd.Timedelta(days=since))).days, dtype=float)
    return np.where(age >= 0, 1 - 0.6 * 0.5 ** (np.maximum(age, 0) / half_life), 1.0)


def _launch_rush(index: pd.DatetimeIndex, n: int) -> np.ndarray:
    """A launch triples the volume 14, 21, 28 or 35 days before the first origin and
    settles at 1.5x, the rush over it halving every 3 or 5 days."""
    since, half_life = ((14, 3.0), (21, 5.0), (28, 3.0), (35, 5.0))[n % 4]
    age = np.asarray((index - (FIRST_ORIGIN - pd.Timedelta(days=since))).days, dtype=float)
    return np.where(age >= 0, 1.5 + 1.5 * 0.5 ** (np.maximum(age, 0) / half_life), 1.0)


def _shut_between_the_years(index: pd.DatetimeIndex, _n: int) -> np.ndarray:
    """A company's days off: shut 24-31 December every year, whatever the weekday."""
    return np.where((index.month == 12) & (index.day >= 24), 0.0, 1.0)


def _export_broken_before_bank_holiday(index: pd.DatetimeIndex, _n: int) -> np.ndarray:
    """Eight days recorded as zeros up to the Monday a week before Easter Monday (6 April
    2026), nine days before the first origin."""
    return np.where((index >= "2026-03-23") & (index <= "2026-03-30"), 0.0, 1.0)


def _with_detected_country(name: str, freq: Freq, pair: tuple[dict[SeriesKey, pd.Series],
                                                             dict[SeriesKey, pd.Series]]
                           ) -> ds.Dataset:
    series, truth = pair
    total = pd.concat(series.values()).groupby(level=0).sum()
    daily = total.groupby(pd.DatetimeIndex(total.index).normalize()).sum()
    return ds.Dataset(name, freq, detect_country(daily), series, truth, available=len(series))


SCENARIOS: dict[str, Callable[[], ds.Dataset]] = {
    "level_shift": lambda: _with_detected_country(
        "level_shift", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, shift=_level_shift)),
    "recent_shift": lambda: _with_detected_country(
        "recent_shift", Freq.DAILY, _daily([300, 120, 60, 25] * 4, 150 + 3 * 28,
                                           shift=_recent_shift)),
    "trend": lambda: _with_detected_country(
        "trend", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, shift=_trend)),
    "low_volume": lambda: _with_detected_country(
        "low_volume", Freq.DAILY, _daily([0.2, 0.5, 1, 2, 5], 550)),
    "holidays_BR": lambda: _with_detected_country(
        "holidays_BR", Freq.DAILY, _daily([400, 90, 20], 2 * 365, country="BR")),
    "holidays_JP": lambda: _with_detected_country(
        "holidays_JP", Freq.DAILY, _daily([400, 90, 20], 2 * 365, country="JP")),
    "holidays_CN": lambda: _with_detected_country(
        "holidays_CN", Freq.DAILY, _daily([400, 90, 20], 2 * 365, country="CN")),
    "new_queue": lambda: _with_detected_country(
        "new_queue", Freq.DAILY, _daily([200, 40, 8], 6 * 7 + 3 * 28)),
    "office_hours_60min": lambda: _with_detected_country(
        "office_hours_60min", Freq.H60, _office_hours([30, 8, 2], 10 + 3, "DE")),
    "raw_events_30min": lambda: replace(_with_detected_country(
        "raw_events_30min", Freq.M30, _office_hours([8, 2, 0.5, 0.1], 10 + 3, None,
                                                    freq=Freq.M30)), sparse_input=True),
    "hours_change_60min": lambda: _with_detected_country(
        "hours_change_60min", Freq.H60, _hours_change([30, 8, 2], 10 + 3, 5)),
    "month_cycle": lambda: _with_detected_country(
        "month_cycle", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, shift=_month_cycle)),
    "month_ends_DE": lambda: _with_detected_country(
        "month_ends_DE", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, country="DE",
                                            shift=_month_ends_on_working_days)),
    "outage": lambda: _with_detected_country(
        "outage", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, shift=_outage)),
    "weekend_change": lambda: _with_detected_country(
        "weekend_change", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365,
                                             shift=_weekend_change)),
    "fading_incident": lambda: _with_detected_country(
        "fading_incident", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365,
                                              shift=_fading_incident)),
    "past_incident": lambda: _with_detected_country(
        "past_incident", Freq.DAILY, _daily([300, 120, 60, 25], 10 * 7 + 3 * 28,
                                            shift=_past_incident)),
    "dip_recovery": lambda: _with_detected_country(
        "dip_recovery", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, shift=_dip_recovery)),
    "launch_rush": lambda: _with_detected_country(
        "launch_rush", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, shift=_launch_rush)),
    "unmet_holidays_FR": lambda: _with_detected_country(
        "unmet_holidays_FR", Freq.DAILY, _daily([300, 90, 20], 8 * 7 + 3 * 28, country="FR")),
    "yearly_closure": lambda: _with_detected_country(
        "yearly_closure", Freq.DAILY, _daily([300, 120, 60, 25], 3 * 365, country="NL",
                                             shift=_shut_between_the_years, end=YEAR_END)),
    "broken_export_GB": lambda: _with_detected_country(
        "broken_export_GB", Freq.DAILY, _daily([300, 120, 60, 25], 2 * 365, country="GB",
                                               shift=_export_broken_before_bank_holiday)),
}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", nargs="+", choices=sorted(SCENARIOS),
                        default=list(SCENARIOS))
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--origin-hour", type=int, default=0, choices=range(24), metavar="H",
                        help="intraday origins at this hour (a file cut mid-day)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--detail", action="store_true", help="WAPE per series and origin")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    datasets = [SCENARIOS[name]() for name in args.scenarios]
    return run_timed(datasets, args, [f"{d.name}: country detected from the data: {d.country}"
                                      for d in datasets])


if __name__ == "__main__":
    sys.exit(main())
