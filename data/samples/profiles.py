"""Opening hours and intraday shapes per channel and day type, on a 30-minute grid."""

from __future__ import annotations

import numpy as np

from data.samples.calendar_kr import DAY_OFF, SATURDAY, WORKDAY

SLOTS_PER_DAY = 48
INTERVAL_MINUTES = 30

# Opening hours as [first slot, end slot) per channel and day type; None = closed.
OPEN_SLOTS: dict[str, dict[int, tuple[int, int] | None]] = {
    "phone": {WORKDAY: (18, 36), SATURDAY: (18, 26), DAY_OFF: None},  # 09-18, Sat 09-13
    "chat": {WORKDAY: (16, 44), SATURDAY: (16, 44), DAY_OFF: (16, 44)},  # 08-22
    "email": {WORKDAY: (0, 48), SATURDAY: (0, 48), DAY_OFF: (0, 48)},  # around the clock
}
LUNCH_SLOTS = (24, 26)  # 12:00-13:00

# Shapes: a floor plus Gaussian bumps (weight, centre hour, width in hours).
_Bumps = tuple[float, tuple[tuple[float, float, float], ...]]
_SHAPES: dict[str, dict[str, _Bumps]] = {
    "phone": {
        "week": (0.25, ((1.0, 10.75, 1.4), (0.9, 15.0, 1.8))),
        "rest": (0.25, ((1.0, 10.75, 1.4), (0.9, 15.0, 1.8))),
    },
    "chat": {
        "week": (0.15, ((0.9, 11.0, 2.0), (0.8, 15.0, 2.2), (0.45, 20.5, 1.3))),
        "rest": (0.2, ((0.8, 12.0, 2.5), (0.8, 16.0, 2.5), (0.6, 20.5, 1.5))),
    },
    "email": {
        "week": (0.06, ((1.0, 10.5, 2.5), (0.8, 15.0, 3.0), (0.3, 21.0, 2.0))),
        "rest": (0.1, ((0.8, 12.0, 3.5), (0.5, 20.0, 3.0))),
    },
}
_LUNCH_FACTOR = {"phone": 0.55, "chat": 0.85, "email": 1.0}


def intraday_profiles(channels: tuple[str, ...]) -> np.ndarray:
    """Share of a day's volume per slot: shape (day types, slots, channels).

    Each (day type, channel) column sums to 1 over its open slots and is 0 elsewhere;
    a channel closed on that day type is all zeros.
    """
    out = np.zeros((3, SLOTS_PER_DAY, len(channels)))
    hours = np.arange(SLOTS_PER_DAY) * INTERVAL_MINUTES / 60 + INTERVAL_MINUTES / 120
    for j, channel in enumerate(channels):
        for day_type in (WORKDAY, SATURDAY, DAY_OFF):
            window = OPEN_SLOTS[channel][day_type]
            if window is None:
                continue
            key = "week" if day_type == WORKDAY else "rest"
            shape = _shape(hours, _SHAPES[channel][key])
            shape[slice(*LUNCH_SLOTS)] *= _LUNCH_FACTOR[channel]
            mask = np.zeros(SLOTS_PER_DAY, dtype=bool)
            mask[slice(*window)] = True
            shape = np.where(mask, shape, 0.0)
            out[day_type, :, j] = shape / shape.sum()
    return out


def _shape(hours: np.ndarray, bumps: _Bumps) -> np.ndarray:
    floor, parts = bumps
    shape = np.full(hours.shape, floor)
    for weight, centre, width in parts:
        shape += weight * np.exp(-0.5 * ((hours - centre) / width) ** 2)
    return shape
