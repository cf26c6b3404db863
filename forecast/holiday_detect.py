"""Which country's public holidays a history follows, when nobody said.

Each day's total is compared with the same weekday in the neighbouring weeks (a missing
working day counts as closed). A country fits when half or more of the working days its
calendar marks as holidays dip clearly (beyond the days' own noise, and far more often
than its ordinary working days do); among those, the one with the most dipping holidays
net of the ones that do not wins, so a US center closed on Thanksgiving and July 4 picks
the US over Canada, which shares only New Year, Labour Day and Christmas. Three holidays
are needed, or two that were shut and that no other country shares.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from forecast.calendar import holiday_names, ratio_to_neighbouring_weeks
from forecast.errors import InvalidParameter
from forecast.models.base import robust_sd

logger = logging.getLogger(__name__)

COUNTRIES = (
    "US", "CA", "MX", "BR", "AR", "CL", "CO", "PE", "GB", "IE", "FR", "DE", "NL", "BE",
    "LU", "CH", "AT", "IT", "ES", "PT", "DK", "SE", "NO", "FI", "IS", "PL", "CZ", "SK",
    "HU", "RO", "BG", "GR", "HR", "SI", "EE", "LV", "LT", "UA", "RU", "TR", "IL", "EG",
    "ZA", "NG", "KE", "MA", "AE", "SA", "IN", "PK", "BD", "LK", "CN", "HK", "TW", "JP",
    "KR", "SG", "MY", "TH", "VN", "PH", "ID", "AU", "NZ",
)
MIN_HOLIDAYS = 3
# Two holidays do where both were shut and no other country has the same two: half a
# year of a US bank met only Memorial Day and July 4 (Christmas and New Year, shut in
# dozens of countries, tell none of them).
MIN_CLOSED_HOLIDAYS = 2
CLOSED_RATIO = 0.25
MIN_MEAN_DIP = 0.35
# ... and DIP_Z standard errors of the days' own noise: a queue of two calls a day has
# some country whose three holidays came in low by chance (29 of 40 such queues of 120
# days without any holiday read one; 0 at 20 calls a day).
DIP_Z = 3.0
MIN_SHARE_DIPPING = 0.5
# ... and more of them than ordinary working days dip (noise, days missing from the
# export) would by chance: a binomial tail under this, the ordinary days' share of dips
# (at least MIN_BASE_RATE) the chance. Six missing days in 150 of 20 calls a day had read
# a country in 10 of 40 queues.
MAX_CHANCE = 0.01
MIN_BASE_RATE = 0.01
_DIP_RATIO = 0.75
_MIN_DAYS = 56


def detect_country(daily: pd.Series) -> str | None:
    """The ISO code of the country whose holidays this daily total (naive midnights,
    missing days allowed) dips on, or None when no country clearly fits."""
    ratio = _ratio_to_neighbouring_weeks(daily)
    if ratio is None or ratio.empty:  # too short, or no working day with contacts
        return None
    values = ratio.to_numpy(dtype=float)
    noise = robust_sd(values)
    dipped = values < _DIP_RATIO
    fits: list[tuple[int, float, str, int]] = []
    for country in COUNTRIES:
        marked = _holiday_marks(ratio, country)
        if marked is None:
            continue
        dips = values[marked]
        if not _enough_holidays(dips):
            continue
        mean_dip = float(np.mean(1.0 - np.minimum(dips, 1.5)))
        dipping = int(np.sum(dipped[marked]))
        base_rate = max(float(np.mean(dipped[~marked])), MIN_BASE_RATE)
        if (mean_dip < max(MIN_MEAN_DIP, DIP_Z * noise / np.sqrt(len(dips)))
                or dipping < MIN_SHARE_DIPPING * len(dips)
                or stats.binom.sf(dipping - 1, len(dips), base_rate) > MAX_CHANCE):
            continue
        # Net evidence first: neighbours share a few holidays, the right country most.
        fits.append((dipping - (len(dips) - dipping), mean_dip, country, len(dips)))
    if not fits:
        return None
    best = max(fits, key=lambda fit: fit[:2])  # the first listed of equals
    if best[3] < MIN_HOLIDAYS and sum(fit[:2] == best[:2] for fit in fits) > 1:
        return None  # two closures that other countries' holidays explain as well
    logger.info("holidays detected: %s (mean dip %.2f)", best[2], best[1])
    return best[2]


def _enough_holidays(dips: np.ndarray) -> bool:
    """Enough holidays to read a country from: MIN_HOLIDAYS, or MIN_CLOSED_HOLIDAYS shut."""
    return len(dips) >= MIN_HOLIDAYS or (
        len(dips) >= MIN_CLOSED_HOLIDAYS and bool(np.all(dips < CLOSED_RATIO)))


def _ratio_to_neighbouring_weeks(daily: pd.Series) -> pd.Series | None:
    """Each working weekday's total over the median of the same weekday 1-2 weeks away."""
    index = pd.DatetimeIndex(daily.index).normalize()
    totals = pd.Series(daily.to_numpy(dtype=float), index=index).groupby(level=0).sum()
    if len(totals) < _MIN_DAYS:
        return None
    grid = pd.date_range(totals.index[0], totals.index[-1], freq="D")
    means = totals.groupby(totals.index.day_of_week).mean()
    working = [int(d) for d in means.index if means[d] >= means.max() / 3]
    full = totals.reindex(grid)
    full[np.isin(grid.day_of_week, working) & full.isna().to_numpy()] = 0.0  # closed
    ratio, reference = ratio_to_neighbouring_weeks(full)
    keep = np.isin(grid.day_of_week, working) & reference.gt(0).to_numpy()
    return ratio[keep].dropna()


def _holiday_marks(ratio: pd.Series, country: str) -> np.ndarray | None:
    """True on the days of `ratio` that are the country's holidays (None: unknown code)."""
    names = _names(country, pd.Timestamp(ratio.index[0]), pd.Timestamp(ratio.index[-1]))
    if names is None:
        return None
    return np.asarray((names.reindex(ratio.index).fillna("") != "").to_numpy(), dtype=bool)


@lru_cache(maxsize=256)
def _names(country: str, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series | None:
    try:
        return holiday_names(pd.date_range(first, last, freq="D"), country)
    except InvalidParameter:  # a code this version of `holidays` lacks
        return None
