"""Day effects: how far each kind of day (a holiday, a day around a break, an event)
sits from a normal day of the same queue, read from its daily totals against the same
weekdays around it. A lone surge on an ordinary day (an outage storm) and a run of empty
days in a busy queue (a broken export) get a ratio of their own too, so that models can
read them as normal days; they are never repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecast.calendar import (
    BRIDGE,
    EVENT,
    MAKE_UP_WORKDAY,
    MAX_DAY_EFFECT,
    NORMAL,
    RETAIL_DAY,
    day_runs,
    holidays_inside_other_breaks,
    is_holiday_kind,
    kind_family,
    ratio_to_neighbouring_weeks,
    same_weekday_median,
    short_break_family,
    shrunk_effect,
)
from forecast.holiday_level import WeekLevelEffects, week_level_effects
from forecast.models.base import MEDIAN_EFFICIENCY, robust_sd
from forecast.yearly_dates import DAYS_KEYED, date_factors, date_keys, on_dates, yearly_date_effects

MIN_RATIO_TO_RESCALE = 0.15  # a day under this share of normal is a closure
_OPEN_AS_USUAL = 0.8
_SURGE_RATIO = 2.0
_SURGE_WEEKS = (-4, -3, -2, -1, 1, 2, 3, 4)
_MAX_SURGE_DAYS = 2
# A longer rise (an incident's tickets over a few days) is a surge too where the week
# after it is back to normal.
_MAX_EPISODE_DAYS = 7
_BACK_TOLERANCE = 0.25
_MIN_OUTAGE_REFERENCE = 10.0  # a day usually this busy is empty only when something broke
_YEAR, _YEAR_SLACK = 364, 3
_MIN_NOISE_DAYS = 28  # ordinary days needed to read the day-to-day noise of the ratios
# A holiday's own effect leans on "no effect" as on a quarter of a day seen, not a whole
# one: holidays recur much as they were (two US Thanksgivings at 0.35 of a normal day
# had read as 0.54), and a reading within the day-to-day noise is discounted anyway.
_HOLIDAY_PRIOR_DAYS = 0.25


@dataclass(frozen=True, slots=True)
class DayEffects:
    """Multiplicative effect per day kind and per family, and the pooled effect of unseen
    holidays."""

    by_kind: dict[str, float]
    unseen_holiday: float
    # Where this queue's open holidays run at a level of their own whatever the weekday
    # (forecast.holiday_level), their effects on the week's mean day.
    week_level: WeekLevelEffects | None = None
    # Where the queue closed on every holiday it met on a working day: the holidays it has
    # not met yet close too, except those of `commonly_worked` (forecast.calendar).
    unseen_closed: bool = False
    commonly_worked: frozenset[str] = frozenset()
    holidays_met: int = 0  # holidays read on a working day
    # Dates (month, day) the queue shut every year it was seen, holiday or not: a
    # company's days off between Christmas and New Year.
    annual_closures: frozenset[tuple[int, int]] = frozenset()
    # Dates an ordinary day runs off its level every year (forecast.yearly_dates).
    yearly_dates: dict[tuple[int, int], float] = field(default_factory=dict)

    def day_factors(self, days: pd.DatetimeIndex, kinds: pd.Series) -> pd.Series:
        """The multiplier per day of `days` (of `kinds`): its kind's (and on an ordinary
        day, its date's), and 0 on a date the queue shuts every year."""
        day_kinds = kinds.reindex(days)
        factors = pd.Series([self.factor(kind, int(weekday)) for kind, weekday in
                             zip(day_kinds, days.day_of_week, strict=True)],
                            index=days, dtype=float)
        if self.yearly_dates:
            ordinary = (day_kinds == NORMAL).to_numpy()
            factors[ordinary] *= date_factors(days[ordinary], self.yearly_dates)
        factors[on_dates(days, self.annual_closures)] = 0.0
        return factors

    def factor(self, kind: str, weekday: int | None = None) -> float:
        """The multiplier on a normal day's forecast for a day of `kind` (on `weekday`,
        Monday = 0, where holidays are read on the week's level)."""
        if self.unseen_closed and self._unmet(kind) and kind not in self.commonly_worked:
            return 0.0
        if weekday is not None and self.week_level is not None:
            effect = self._week_level_effect(self.week_level, kind)
            factor = self.week_level.factor(effect, weekday) if effect is not None else None
            if factor is not None:
                return float(min(factor, MAX_DAY_EFFECT))
        if kind == NORMAL:
            return 1.0
        if kind in self.by_kind:
            return self.by_kind[kind]
        if is_holiday_kind(kind):
            return self.unseen_holiday
        family, _, holiday = kind.partition(":")
        if family in (RETAIL_DAY, MAKE_UP_WORKDAY):  # learnt as a family, else ordinary
            return self.by_kind.get(family, 1.0)
        if family == EVENT or self.factor(holiday) >= _OPEN_AS_USUAL:
            return 1.0  # no break around a holiday the queue works through as usual
        if family in self.by_kind:
            return self.by_kind[family]
        fallback = short_break_family(family)
        return self.by_kind.get(fallback, 1.0) if fallback else 1.0

    def is_guess(self, kind: str) -> bool:
        """Whether a day of `kind` is a holiday whose running is a guess: not met yet, and
        either no holiday met at all or only closures (it may shut, or may not)."""
        return self._unmet(kind) and (self.unseen_closed or not self.holidays_met)

    def _unmet(self, kind: str) -> bool:
        return is_holiday_kind(kind) and kind not in self.by_kind

    def _week_level_effect(self, levels: WeekLevelEffects, kind: str) -> float | None:
        if kind in self.by_kind and kind not in levels.by_kind:
            return None  # a closure, or a holiday the week's level could not read
        return levels.effect(kind)


def off_weekdays(daily: pd.Series) -> tuple[int, ...]:
    """Weekdays this series is closed or quiet on (under 2/3 of the typical weekday): the
    weekend of its customers, which joins holidays next to it into one break."""
    means = daily.groupby(pd.DatetimeIndex(daily.index).day_of_week).mean()
    if means.empty or means.max() <= 0:
        return (5, 6)
    return tuple(int(d) for d in means.index if means[d] < means.median() * 2 / 3)


def learn_day_effects(daily: pd.Series, kinds: pd.Series, whole: pd.Series | None = None,
                      *, commonly_worked: frozenset[str] = frozenset(),
                      without_calendar: bool = False) -> tuple[DayEffects, pd.Series]:
    """Effects per kind from daily totals, and each special day's (and lone surge's or
    outage's) own ratio to a normal day (NaN on ordinary days). Days not `whole` (an
    intraday history's first or last day, cut short) are neither yardsticks nor read.
    Holidays not met yet are read as the holidays met: closed where every one met was a
    closure (but `commonly_worked` ones), else at the open ones' median. A queue
    `without_calendar` (no country) reads the dates it runs low on every year instead
    (forecast.yearly_dates): its Christmas and New Year.

    A family's effect (all `post_holiday_1` days) is shrunk towards normal by its count of
    days, n/(n+1); a kind of that family (`post_holiday_1:Chuseok`) is shrunk towards the
    family's effect the same way. A holiday is shrunk towards normal, except a closure.
    """
    cut_short = ~whole if whole is not None else pd.Series(False, index=daily.index)
    normal = (kinds == NORMAL) & ~cut_short
    ratio, reference = ratio_to_neighbouring_weeks(daily, normal)
    unread = cut_short | _on_days_off(reference, normal)
    ratio[unread] = np.nan
    outages = _outages(daily, normal, ~cut_short)
    usable = normal & ~outages
    if outages.any():  # an empty day is no yardstick for the days around it
        ratio, reference = ratio_to_neighbouring_weeks(daily, usable)
        unread = cut_short | _on_days_off(reference, usable)
        ratio[unread] = np.nan
    # A surge stands out from its weekday over four weeks either side, not only from the
    # nearest: one empty neighbour (a holiday, a broken export) is no yardstick.
    wide = same_weekday_median(daily, usable, _SURGE_WEEKS)
    surge_reference = np.fmax(reference, wide)
    surge_ratio = ((daily + 0.5) / (surge_reference + 0.5)).where(~cut_short)
    surges = _surges(daily, surge_ratio, surge_reference, usable)
    ratio[surges] = surge_ratio[surges]
    annual = _annual_closures(ratio, reference)
    lone = surges | outages | on_dates(pd.DatetimeIndex(daily.index), annual)
    noise = _ratio_noise(ratio[normal & ~lone])
    yearly = yearly_date_effects(ratio, normal & ~lone, noise) if without_calendar else {}
    if yearly:  # read as normal days, their effect put back on the forecast
        lone = lone | (normal & on_dates(pd.DatetimeIndex(daily.index), frozenset(yearly)))
    ratio[(kinds == NORMAL) & ~lone] = np.nan
    own = _without_days_lent_to_breaks(ratio, kinds)
    by_kind, raw = _effects_by_kind(own.dropna(), kinds, noise)
    # Bridge and shopping days that this queue works like any other stay in the history as
    # they are: replaced by their neighbours, two low ones had lifted a short history's
    # Mondays and Fridays by 3% (a US office of 12 weeks).
    ordinary_kinds = _ordinary_kinds(own.dropna(), kinds, noise)
    if ordinary_kinds:
        ratio[kinds.isin(ordinary_kinds)] = np.nan
    closures = {k for k, r in raw.items() if r < MIN_RATIO_TO_RESCALE}
    week_level = week_level_effects(daily, kinds, own, reference,
                                    ordinary=normal & ~lone, closures=closures)
    effects = DayEffects(by_kind, 1.0, week_level, annual_closures=annual,
                         yearly_dates=yearly)
    return _with_unmet_holidays(effects, raw, commonly_worked), ratio


def _with_unmet_holidays(effects: DayEffects, raw: dict[str, float],
                         commonly_worked: frozenset[str]) -> DayEffects:
    """`effects` with how the holidays not met yet run, from the `raw` median ratios of
    those met."""
    # A queue that closed on every holiday it met closes on the next one (a bank in
    # Israel met Pesach and Shavuot, not Rosh Hashanah yet; with one met, a closure is
    # still the likelier, two to one by the rule of succession); one that worked some
    # holidays decides per holiday, and the dip on those it worked carries over.
    met = [r for k, r in raw.items() if is_holiday_kind(k)]
    open_holidays = [effects.by_kind[k] for k, r in raw.items()
                     if is_holiday_kind(k) and r >= MIN_RATIO_TO_RESCALE]
    return replace(effects,
                   unseen_holiday=float(np.median(open_holidays)) if open_holidays else 1.0,
                   unseen_closed=bool(met) and not open_holidays,
                   commonly_worked=commonly_worked, holidays_met=len(met))


def _annual_closures(ratio: pd.Series, reference: pd.Series) -> frozenset[tuple[int, int]]:
    """Dates a busy queue shut in two years or more and worked in none, whatever their
    kind each year: a company's days off between Christmas and New Year, and the holidays
    on fixed dates it shuts on (a date only some years a holiday, worked the others, is
    not one)."""
    busy = (reference >= _MIN_OUTAGE_REFERENCE).to_numpy()
    values = ratio.to_numpy(dtype=float)
    keys = date_keys(pd.DatetimeIndex(ratio.index))
    size = 13 * DAYS_KEYED
    shut = np.bincount(keys[busy & (values < MIN_RATIO_TO_RESCALE)], minlength=size)
    worked = np.bincount(keys[busy & (values >= _OPEN_AS_USUAL / 2)], minlength=size)
    return frozenset((int(k) // DAYS_KEYED, int(k) % DAYS_KEYED)
                     for k in np.flatnonzero((shut >= 2) & (worked == 0)))


def _on_days_off(reference: pd.Series, normal: pd.Series) -> pd.Series:
    """Days whose weekday the queue (almost) never works around them: a holiday on a
    Sunday of a queue shut on Sundays tells nothing of the holiday (0 against 0)."""
    typical = reference[normal].median()
    if not np.isfinite(typical) or typical <= 0:
        return pd.Series(False, index=reference.index)
    return reference < min(MIN_RATIO_TO_RESCALE * typical, 1.0)


def _ratio_noise(ordinary: pd.Series) -> float:
    """The day-to-day spread of ordinary days' log ratios to their neighbouring weeks
    (0 where too few days are read to tell)."""
    logs = np.log(ordinary.dropna().to_numpy(dtype=float))
    return robust_sd(logs) if len(logs) >= _MIN_NOISE_DAYS else 0.0


def _effects_by_kind(known: pd.Series, kinds: pd.Series, noise: float = 0.0
                     ) -> tuple[dict[str, float], dict[str, float]]:
    """From the `known` ratios of special days: the shrunk effect per family and per kind,
    and each kind's raw median ratio. An effect is also kept only as far as it stands out
    from the `noise` of a day's ratio (see `_beyond_noise`)."""
    known_kinds = kinds.reindex(known.index).astype(str)
    grouped = known_kinds.str.contains(":") & ~known_kinds.str.startswith(f"{EVENT}:")
    by_kind: dict[str, float] = {}
    families = known[grouped].groupby(known_kinds[grouped].map(kind_family)).agg(["median", "size"])
    for family, median, n in families.itertuples():
        by_kind[str(family)] = _beyond_noise(median, n, 1.0, noise)
    raw: dict[str, float] = {}
    for kind, median, n in known.groupby(known_kinds).agg(["median", "size"]).itertuples():
        kind = str(kind)
        raw[kind] = float(median)
        closure = raw[kind] < MIN_RATIO_TO_RESCALE
        holiday = kind_family(kind) == kind
        prior = 1.0 if holiday else by_kind.get(kind_family(kind), 1.0)
        weight = _HOLIDAY_PRIOR_DAYS if holiday else 1.0
        by_kind[kind] = raw[kind] if closure else _beyond_noise(median, n, prior, noise, weight)
    return by_kind, raw


def _ordinary_kinds(known: pd.Series, kinds: pd.Series, noise: float) -> set[str]:
    """Bridge and shopping days whose days' median ratio lies within a standard error of
    1: days like any other of this queue, kept in the history as they are."""
    if noise <= 0:
        return set()
    logs: dict[str, list[float]] = {}
    for kind, value in zip(kinds.reindex(known.index).astype(str), known.to_numpy(dtype=float),
                           strict=True):
        if kind_family(kind) in (BRIDGE, RETAIL_DAY):
            logs.setdefault(kind, []).append(float(np.log(max(value, 1e-3))))
    return {kind for kind, values in logs.items()
            if abs(float(np.median(values))) < MEDIAN_EFFICIENCY * noise / np.sqrt(len(values))}


def _beyond_noise(median: float, n: int, towards: float, noise: float,
                  prior_days: float = 1.0) -> float:
    """The median ratio of `n` days shrunk towards `towards` (`shrunk_effect`, with a
    prior worth `prior_days` days), and then by d^2 / (d^2 + se^2), d its log distance
    from `towards` and se the standard error of a median of n days of `noise`: a run-up
    day of a queue without a run-up is read from a handful of noisy days and would
    repeat their noise; a clear effect is kept."""
    effect = shrunk_effect(median, n, towards=towards, prior_days=prior_days)
    if noise <= 0 or towards <= 0:
        return effect
    distance = float(np.log(max(float(median), 1e-3) / towards))
    error = MEDIAN_EFFICIENCY * noise / np.sqrt(n)
    weight = distance ** 2 / (distance ** 2 + error ** 2) if distance else 0.0
    return towards + weight * (effect - towards)


def _without_days_lent_to_breaks(ratio: pd.Series, kinds: pd.Series) -> pd.Series:
    """`ratio` without the holidays that fell inside another holiday's long break, where
    the same holiday was also seen on its own: those days tell of the break, not of it."""
    inside = holidays_inside_other_breaks(kinds)
    text = kinds.astype(str)
    alone = set(text[~inside & text.map(is_holiday_kind).astype(bool) & ratio.notna()])
    return ratio.mask(inside & text.isin(alone))


def _surges(daily: pd.Series, ratio: pd.Series, reference: pd.Series, usable: pd.Series
            ) -> pd.Series:
    """Ordinary days far above `reference` (`ratio` = daily over it), beyond chance for
    counts of that size (an outage storm, a viral post, an incident's tickets): rescaled
    like special days so that they do not lift the weeks after them. A run of up to
    `_MAX_SURGE_DAYS` counts where the days after it are back (`_back_to_normal`) or a
    week has passed (a step the level shift reads then); one of up to
    `_MAX_EPISODE_DAYS` where the week after it is back."""
    high = (ratio > _SURGE_RATIO) & (daily - reference > 4 * np.sqrt(reference.clip(lower=1)) + 10)
    index = pd.DatetimeIndex(daily.index)
    is_high = high.to_numpy(dtype=bool)
    surge_days = index[is_high]
    out = np.zeros(len(index), dtype=bool)
    calm: pd.Series | None = None  # each day's weekday, high days aside
    for first, last in day_runs(is_high):
        # A rise that lasts (or runs to the end) is a new level; a surge every year at that
        # time is a season of its own.
        days, seen_after = last - first + 1, len(index) - 1 - last
        if seen_after == 0 or days > _MAX_EPISODE_DAYS:
            continue
        if days > _MAX_SURGE_DAYS or seen_after < 7:
            if calm is None:
                calm = same_weekday_median(daily, usable & ~high, _SURGE_WEEKS)
            week = slice(last + 1, last + 8)
            if not _back_to_normal(daily.iloc[week], calm.iloc[week], usable.iloc[week],
                                   whole_week=days > _MAX_SURGE_DAYS):
                continue
        if not _recurs_yearly(index[first:last + 1], surge_days):
            out[first:last + 1] = True
    return pd.Series(out, index=daily.index)


def _back_to_normal(daily: pd.Series, reference: pd.Series, usable: pd.Series, *,
                    whole_week: bool) -> bool:
    """Whether the days after a rise (their usable ones) sum to their references, within a
    quarter or a Poisson count's three standard deviations: a surge that has gone, not one
    wearing off (forecast.fading_surge) or a new level. A rise of more than
    `_MAX_SURGE_DAYS` needs a `whole_week` after it (at least three days read); a shorter
    one is judged on the days there are, and passes where none can be read."""
    read = usable & reference.notna()
    if whole_week and (len(daily) < 7 or read.sum() < 3):
        return False
    seen, expected = float(daily[read].sum()), float(reference[read].sum())
    return abs(seen - expected) <= max(_BACK_TOLERANCE * expected, 3.0 * float(np.sqrt(expected)))


def _outages(daily: pd.Series, normal: pd.Series, readable: pd.Series) -> pd.Series:
    """Two or more ordinary days in a row of a busy queue that fell to (almost) nothing
    and came back (a broken export, an unannounced closure): made normal, so the level
    and the weekly shape after them are learnt from the days the queue worked. A closure
    still going on at the end or on the next normal day of the same weekday after it (a
    weekday no longer served; a holiday then tells nothing), or one every year, is left
    as it is. Days not `readable` (cut short) are none."""
    def too_low(neighbours: pd.Series) -> tuple[pd.Series, pd.Series]:
        ratio, reference = ratio_to_neighbouring_weeks(daily, neighbours)
        return readable & (ratio < MIN_RATIO_TO_RESCALE) & (
            reference >= _MIN_OUTAGE_REFERENCE), reference

    low, reference = too_low(normal)
    if low.any():  # a long run's second week read its first as a neighbour: read again
        more, reference = too_low(normal & ~low)
        low |= more
    index = pd.DatetimeIndex(daily.index)
    low_days = index[low.to_numpy(dtype=bool)]
    values = daily.to_numpy(dtype=float)
    expected = reference.to_numpy(dtype=float)
    is_normal = normal.to_numpy(dtype=bool)
    n = len(index)
    out = np.zeros(n, dtype=bool)
    for first, last in day_runs(low.to_numpy(dtype=bool)):
        checks = [(i, _next_normal_same_weekday(i, last, is_normal))
                  for i in range(max(first, last - 6), last + 1)]
        lasting = last + 7 >= n or any(
            values[j] < MIN_RATIO_TO_RESCALE * expected[i] for i, j in checks if j < n)
        # One empty day is most often a holiday the calendar does not know: left to the
        # models, which it barely moves; a run of them drags levels and weekly shapes.
        if last > first and not lasting and not _recurs_yearly(index[first:last + 1], low_days):
            out[first:last + 1] = True
    return pd.Series(out, index=daily.index)


def _next_normal_same_weekday(day: int, last: int, is_normal: np.ndarray) -> int:
    """The first normal day of `day`'s weekday after `last` (past the end if none)."""
    later = day + 7
    while later <= last or (later < len(is_normal) and not is_normal[later]):
        later += 7
    return later


def _recurs_yearly(run: pd.DatetimeIndex, marked_days: pd.DatetimeIndex) -> bool:
    """Whether another such day falls about a year before or after any day of `run`."""
    return any(np.abs((marked_days - day).days - sign * _YEAR).min() <= _YEAR_SLACK
               for day in run for sign in (-1, 1))
