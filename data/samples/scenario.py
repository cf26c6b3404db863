"""The fixed story behind the Seoul sample: volumes, growth, weekly and yearly shape, events.

Everything here is seed-independent and dated in absolute terms, so the true mean of a given
day is the same whatever window is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

CATEGORIES: tuple[str, ...] = (
    "delivery",
    "refund",
    "payment",
    "account",
    "product",
    "app-bug",
    "membership",
    "other",
)
CHANNELS: tuple[str, ...] = ("phone", "chat", "email")

# Expected inquiries on a plain Wednesday at ANCHOR, rows = CATEGORIES, columns = CHANNELS.
BASE_DAILY = np.array(
    [
        [420.0, 520.0, 160.0],  # delivery
        [180.0, 220.0, 110.0],  # refund
        [150.0, 170.0, 60.0],  # payment
        [90.0, 120.0, 45.0],  # account
        [70.0, 110.0, 40.0],  # product
        [18.0, 35.0, 14.0],  # app-bug
        [6.0, 8.0, 3.0],  # membership
        [4.0, 5.0, 2.0],  # other
    ]
)
ANCHOR = date(2025, 1, 1)

# Growth per year: category x channel (customers move from phone and email to chat).
CATEGORY_GROWTH = np.array([0.06, 0.04, 0.05, 0.03, 0.08, 0.05, 0.10, 0.0])
CHANNEL_GROWTH = np.array([-0.03, 0.10, -0.06])

# Day-of-week factors, Monday..Sunday, per channel (phone: Saturday is a half day,
# Sunday closed).
WEEKDAY = np.array(
    [
        [1.18, 1.06, 1.00, 0.97, 0.93, 0.35, 0.0],
        [1.12, 1.04, 1.00, 0.98, 0.95, 0.62, 0.55],
        [1.15, 1.05, 1.00, 0.97, 0.92, 0.45, 0.42],
    ]
).T

# chat/email on a public holiday: the Sunday level times this; inside a Seollal/Chuseok
# break: the Sunday level times BREAK_FACTOR.
HOLIDAY_FACTOR = 0.95
BREAK_FACTOR = 0.55
# Rebound on the first working days after a break: 1 + amplitude * decay**k, k = 0, 1, 2.
REBOUND_BREAK = np.array([0.60, 0.40, 0.40])
REBOUND_HOLIDAY = np.array([0.15, 0.08, 0.08])
REBOUND_DECAY = 0.5
REBOUND_DAYS = 3

# Delivery rush before Seollal/Chuseok: peak uplift, peak days before the break, width.
PRE_BREAK_LIFT = 0.5
PRE_BREAK_PEAK_DAYS = 3.0
PRE_BREAK_WIDTH_DAYS = 2.0
PRE_BREAK_SPAN_DAYS = 12

# Smooth yearly wave per category: amplitude and day of year of the peak.
YEARLY_AMPLITUDE = np.array([0.05, 0.08, 0.04, 0.06, 0.05, 0.0, 0.03, 0.0])
YEARLY_PEAK_DOY = np.array([340, 15, 350, 70, 330, 1, 60, 1])
# Late-November online sales: (category, uplift, centre month-day, width in days).
NOVEMBER_SALES: tuple[tuple[str, float, tuple[int, int], float], ...] = (
    ("delivery", 0.30, (11, 28), 6.0),
    ("payment", 0.12, (11, 26), 5.0),
    ("refund", 0.15, (12, 6), 6.0),
)


@dataclass(frozen=True, slots=True)
class ScenarioEvent:
    """A dated event; `lifts` maps category -> (lasting or campaign lift, decaying surge).

    Campaigns lift their categories over [start, end] with a short tail. Launches and policy
    changes shift the level for good from `start` (lift) plus a surge decaying over
    `surge_days`; `end` closes that first surge. Outages act through the intraday spike
    table (OUTAGE_*) instead of a daily lift. `all_categories` writes an empty scope.
    """

    name: str
    kind: str
    start: date
    end: date
    lifts: dict[str, tuple[float, float]]
    surge_days: float = 5.0
    all_categories: bool = False

    @property
    def scope(self) -> str:
        return "" if self.all_categories else ";".join(self.lifts)


def _campaign(name: str, start: str, end: str, lift: float, cats: str) -> ScenarioEvent:
    """A campaign lifting the ';'-separated `cats` by `lift` over [start, end]."""
    lifts = dict.fromkeys(cats.split(";"), (lift, 0.0))
    return ScenarioEvent(
        name, "campaign", date.fromisoformat(start), date.fromisoformat(end), lifts
    )


# fmt: off
EVENTS: tuple[ScenarioEvent, ...] = (
    _campaign("spring-membership-promo", "2024-03-11", "2024-03-24", 0.45, "membership;payment"),
    _campaign("summer-sale-2024", "2024-07-08", "2024-07-14", 0.25, "delivery;refund;payment"),
    ScenarioEvent("app-v5-launch", "launch", date(2025, 4, 7), date(2025, 4, 20),
                  {"product": (0.25, 0.15), "app-bug": (0.35, 1.0)}, surge_days=7.0),
    _campaign("app-coupon-week", "2025-05-19", "2025-05-25", 0.30, "payment;account;app-bug"),
    _campaign("summer-sale-2025", "2025-07-14", "2025-07-20", 0.25, "delivery;refund;payment"),
    ScenarioEvent("refund-policy-change", "policy", date(2025, 9, 1), date(2025, 9, 7),
                  {"refund": (0.30, 0.40)}, surge_days=5.0),
    ScenarioEvent("anniversary-sale-2025", "campaign", date(2025, 10, 20), date(2025, 10, 26),
                  dict.fromkeys(CATEGORIES, (0.15, 0.0)), all_categories=True),
    _campaign("membership-renewal-push", "2026-04-13", "2026-04-26", 0.50, "membership"),
    ScenarioEvent("login-outage", "outage", date(2026, 10, 14), date(2026, 10, 14),
                  {"account": (0.0, 0.0), "app-bug": (0.0, 0.0)}),
    _campaign("autumn-coupon-2026", "2026-10-26", "2026-11-01", 0.30, "payment;account;app-bug"),
    _campaign("year-end-promo-2026", "2026-12-01", "2026-12-07", 0.35, "membership;payment"),
)
# fmt: on
# Known future events: events starting up to this many days after the window are listed.
FUTURE_EVENT_DAYS = 62

# The outage's intraday shape: first interval, number of 30-min intervals, and the factor
# on the mean per (category, channel).
OUTAGE_NAME = "login-outage"
OUTAGE_ONSET = "2026-10-14T10:30:00"
OUTAGE_INTERVALS = 7
OUTAGE_FACTORS: dict[tuple[str, str], float] = {
    ("app-bug", "phone"): 7.0,
    ("app-bug", "chat"): 8.0,
    ("app-bug", "email"): 4.0,
    ("account", "phone"): 4.0,
    ("account", "chat"): 5.0,
    ("account", "email"): 2.5,
}

# Gamma-Poisson noise: a day-level factor per series and a factor per 30-min cell.
DAY_NOISE_SHAPE = 150.0
CELL_NOISE_SHAPE = 25.0
