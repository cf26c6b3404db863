"""Model names -> specs. Jobs and the CLI ask for models by name."""

from __future__ import annotations

from collections.abc import Callable

from forecast.errors import UnknownModel
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.auto import AutoModel
from forecast.models.base import Forecaster
from forecast.models.ets import Ets
from forecast.models.harmonic import Harmonic
from forecast.models.mstl import Mstl
from forecast.models.naive import RecentMean, SeasonalNaive, WeekAverage
from forecast.models.prophet import ProphetModel
from forecast.models.sarimax import Sarimax
from forecast.models.split import DailySplit
from forecast.models.yearly import YearlyAdjusted, has_yearly_history, spans_a_year
from forecast.series import Freq, History

Builder = Callable[[Freq, int], Forecaster]


def _ets(freq: Freq, _horizon: int) -> Forecaster:
    if freq.is_intraday:
        return CalendarAdjusted(DailySplit(Ets()), name="ets")
    return CalendarAdjusted(Ets(), name="ets")


def _candidates(history: History) -> list[Forecaster]:
    """What `auto` compares for this series."""

    def built(*names: str) -> list[Forecaster]:
        return [MODELS[name](history.freq, 0) for name in names]

    # Smoothest first: where a short history's folds cannot tell them apart (one week
    # read, so all three agree), the one averaging the most weeks wins the tie.
    models = built("week_average_cal")
    models.append(CalendarAdjusted(WeekAverage(weeks=4, how="median", name="week_median"),
                                   name="week_median_cal"))
    models += built("seasonal_naive_cal")
    models += built("ets")
    long_daily = has_yearly_history(history)
    if long_daily:
        # Under a year, few folds decide, and STL's flat recent level only doubles ETS's
        # role with more noise (6-14 weeks of a new queue: 0.175 -> 0.149 WAPE without it).
        models += built("mstl")
    elif history.freq.is_intraday:
        models += built("split_week_average")
    if spans_a_year(history):  # daily, or a year and more of intraday history
        models += built("week_average_yoy", "ets_yoy", "harmonic")
    return models


def _fallbacks(history: History) -> list[Forecaster]:
    del history
    return [
        CalendarAdjusted(WeekAverage(weeks=8), name="week_average_cal"),
        SeasonalNaive(),
        RecentMean(),
    ]


MODELS: dict[str, Builder] = {
    "seasonal_naive": lambda _f, _h: SeasonalNaive(),
    "week_average": lambda _f, _h: WeekAverage(weeks=8),
    "ets": _ets,
    "mstl": lambda _f, _h: CalendarAdjusted(Mstl(), name="mstl"),
    "daily_split": lambda _f, _h: CalendarAdjusted(DailySplit(Ets()), name="daily_split"),
    "prophet": lambda _f, _h: ProphetModel(with_holidays=True),
    "prophet_default": lambda _f, _h: ProphetModel(with_holidays=False, name="prophet_default"),
    "recent_mean": lambda _f, _h: RecentMean(),
    "sarimax": lambda _f, _h: DailySplit(Sarimax(), name="sarimax"),
    "split_week_average": lambda _f, _h: CalendarAdjusted(
        DailySplit(WeekAverage(weeks=8)), name="split_week_average"),
    "week_average_yoy": lambda _f, _h: CalendarAdjusted(
        YearlyAdjusted(WeekAverage(weeks=8)), name="week_average_yoy", follow_level_shifts=False),
    "ets_yoy": lambda freq, _h: CalendarAdjusted(
        YearlyAdjusted(DailySplit(Ets(trend=False)) if freq.is_intraday else Ets(trend=False)),
        name="ets_yoy", follow_level_shifts=False),
    "seasonal_naive_cal": lambda _f, _h: CalendarAdjusted(SeasonalNaive(),
                                                          name="seasonal_naive_cal"),
    "week_average_cal": lambda _f, _h: CalendarAdjusted(WeekAverage(weeks=8),
                                                        name="week_average_cal"),
    "harmonic": lambda freq, _h: CalendarAdjusted(
        DailySplit(Harmonic()) if freq.is_intraday else Harmonic(), name="harmonic",
        follow_level_shifts=False),
    "auto": lambda _f, horizon: AutoModel(_candidates, _fallbacks, horizon),
}


def model_names() -> list[str]:
    return sorted(MODELS)


def build_model(name: str, freq: Freq, *, horizon: int) -> Forecaster:
    """The spec registered under `name` for series at `freq`, backtested over `horizon`."""
    builder = MODELS.get(name)
    if builder is None:
        raise UnknownModel(name, model_names())
    return builder(freq, horizon)
