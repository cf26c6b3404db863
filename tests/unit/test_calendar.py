"""Day kinds around holiday breaks, and the effects learnt for them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.alert_check import AlertConfig, explain_days
from forecast.calendar import (
    check_country,
    commonly_worked_holidays,
    day_kinds,
    describe_kind,
    holidays_inside_other_breaks,
    is_holiday_kind,
    kind_family,
    ratio_to_neighbouring_weeks,
    short_break_family,
)
from forecast.day_effects import DayEffects, learn_day_effects, off_weekdays
from forecast.errors import InvalidParameter
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.ets import Ets
from forecast.models.mstl import Mstl
from forecast.models.naive import WeekAverage
from forecast.openhours import prepare_history
from forecast.series import Freq, History, SeriesKey
from forecast.settings import Settings

KEY = SeriesKey("delivery", "chat")


def _kinds(first: str, last: str, country: str = "KR") -> dict[str, str]:
    days = pd.date_range(first, last)
    return {d.strftime("%m-%d"): k for d, k in day_kinds(days, country).items()}


def test_a_long_break_has_a_run_up_days_inside_and_a_rebound() -> None:
    kinds = _kinds("2026-09-16", "2026-10-02")  # Chuseok: Thursday 24 to Saturday 26
    assert [kinds[d] for d in ("09-17", "09-18", "09-21", "09-22", "09-23")] == [
        "pre_break_5:Chuseok", "pre_break_4:Chuseok", "pre_break_3:Chuseok",
        "pre_break_2:Chuseok", "pre_break_1:Chuseok"]
    assert kinds["09-16"] == "normal"  # the run-up is five working days
    assert kinds["09-25"] == "Chuseok"
    assert kinds["09-27"] == "break_day:Chuseok"  # the Sunday inside the break
    assert [kinds[d] for d in ("09-28", "09-29", "09-30")] == [
        "post_break_1:Chuseok", "post_break_2:Chuseok", "post_break_3:Chuseok"]


def test_a_single_holiday_next_to_a_weekend_is_a_short_break() -> None:
    kinds = _kinds("2025-08-27", "2025-09-05", "US")  # Labor Day: Monday 1 September
    assert kinds["08-29"] == "pre_holiday_1:Labor Day"  # the Friday before the weekend
    assert kinds["08-28"] == "normal"
    assert kinds["08-30"] == "normal"  # an ordinary weekend, not a break day
    assert [kinds[d] for d in ("09-02", "09-03", "09-04")] == [
        "post_holiday_1:Labor Day", "post_holiday_2:Labor Day", "normal"]


def test_a_break_keeps_the_name_of_the_holiday_filling_most_of_it() -> None:
    kinds = _kinds("2025-09-29", "2025-10-15")  # Foundation Day, Chuseok, Hangul Day in one
    assert kinds["10-02"] == "pre_break_1:Chuseok"
    assert kinds["10-10"] == "post_break_1:Chuseok"


def test_a_holiday_inside_another_holidays_break_is_told_apart() -> None:
    days = pd.date_range("2024-09-01", "2025-10-31")
    kinds = day_kinds(days, "KR")
    inside = holidays_inside_other_breaks(kinds)
    found = {d.strftime("%Y-%m-%d"): kinds[d] for d in days[inside.to_numpy()]}
    # 2025: Foundation Day (Friday 3) and Hangul Day (Thursday 9) close the Chuseok break;
    # 2024: both fell on their own, and Chuseok itself is the break's name.
    assert found == {"2025-10-03": "National Foundation Day", "2025-10-09": "Hangul Day",
                     "2025-01-27": "Temporary Public Holiday"}


def test_a_holiday_is_learnt_from_the_years_it_fell_on_its_own() -> None:
    days = pd.date_range("2024-08-01", "2025-11-30")
    kinds = day_kinds(days, "KR")
    daily = pd.Series(100.0, index=days)
    daily[kinds.to_numpy() != "normal"] = 20.0  # every break and holiday deep
    daily["2024-10-09"] = 60.0  # Hangul Day on its own: a lighter holiday
    effects, _ = learn_day_effects(daily, kinds)
    # seen once, it leans on "no effect" as on a quarter of a day: 1/1.25 of its reading
    assert effects.by_kind["Hangul Day"] == pytest.approx(1 - 0.8 * (1 - 60.5 / 100.5),
                                                          rel=1e-3)


def test_kind_helpers() -> None:
    assert kind_family("post_holiday_2:Chuseok") == "post_holiday_2"
    assert short_break_family("pre_break_1") == "pre_holiday_1"
    assert short_break_family("post_holiday_1") is None
    assert is_holiday_kind("Chuseok") and not is_holiday_kind("pre_holiday_1:Chuseok")
    assert not is_holiday_kind("normal")
    assert describe_kind("pre_holiday_1:Labor Day") == "working day 1 before Labor Day"
    assert describe_kind("pre_break_2:Chuseok") == "working day 2 before the Chuseok break"
    assert describe_kind("break_day:Chuseok") == "day off inside the Chuseok break"
    assert describe_kind("event:launch") is None


def test_off_weekdays_are_the_quiet_ones_even_when_open() -> None:
    index = pd.date_range("2026-01-05", periods=28, freq="D")
    shape = np.array([1.1, 1.0, 1.0, 1.0, 0.95, 0.6, 0.55])
    assert off_weekdays(pd.Series(100 * shape[index.day_of_week], index=index)) == (5, 6)
    flat = pd.Series(100.0, index=index)
    assert off_weekdays(flat) == ()


def test_a_kind_seen_once_leans_on_its_family_and_an_open_holiday_breaks_nothing() -> None:
    effects = DayEffects({"post_holiday_1": 1.3, "post_holiday_1:Chuseok": 1.6,
                          "Labor Day": 0.0, "Columbus Day": 1.0}, unseen_holiday=1.0)
    assert effects.factor("post_holiday_1:Chuseok") == 1.6
    assert effects.factor("post_holiday_1:Labor Day") == 1.3  # closed: family rebound
    assert effects.factor("post_holiday_1:Columbus Day") == 1.0  # worked through
    assert effects.factor("post_holiday_1:Veterans Day") == 1.0  # unseen, open as usual
    assert effects.factor("event:launch") == 1.0


def test_a_long_breaks_rebound_is_its_own_family_and_falls_back_on_a_short_breaks() -> None:
    effects = DayEffects({"post_holiday_1": 1.2, "post_break_1": 1.5, "pre_holiday_1": 1.1,
                          "Chuseok": 0.2, "Korean New Year": 0.2}, unseen_holiday=0.5)
    assert effects.factor("post_break_1:Chuseok") == 1.5  # the long breaks' own rebound
    assert effects.factor("post_holiday_1:Chuseok") == 1.2
    assert effects.factor("pre_break_1:Korean New Year") == 1.1  # no long break seen yet
    assert effects.factor("pre_break_3:Korean New Year") == 1.0


def test_learnt_rebound_is_shrunk_towards_the_family() -> None:
    days = pd.date_range("2025-06-02", periods=10 * 7, freq="D")
    daily = pd.Series(100.0, index=days)
    kinds = pd.Series("normal", index=days, dtype=object)
    for day, kind in (("2025-06-10", "post_holiday_1:A"), ("2025-07-08", "post_holiday_1:B"),
                      ("2025-07-29", "post_holiday_1:B")):
        daily[day] = 150.0
        kinds[day] = kind
    effects, _ = learn_day_effects(daily, kinds)
    family = effects.by_kind["post_holiday_1"]
    assert 1.0 < family < 1.5
    assert family < effects.by_kind["post_holiday_1:B"] < 1.5
    assert effects.by_kind["post_holiday_1:A"] == pytest.approx(family + 0.5 * (1.5 - family),
                                                                rel=1e-3)



def test_an_effect_within_the_day_to_day_noise_is_not_repeated_and_a_clear_one_is() -> None:
    days = pd.date_range("2025-01-06", periods=20 * 7, freq="D")
    daily = pd.Series(np.random.default_rng(3).poisson(100, len(days)).astype(float),
                      index=days)
    kinds = pd.Series("normal", index=days, dtype=object)
    for day, kind, value in (("2025-02-11", "pre_break_4:A", 109.0),  # +9%: noise
                             ("2025-04-08", "pre_break_4:A", 109.0),
                             ("2025-02-18", "post_break_1:A", 150.0),  # +50%: a rebound
                             ("2025-04-15", "post_break_1:A", 150.0)):
        daily[day], kinds[day] = value, kind
    effects, _ = learn_day_effects(daily, kinds)
    noisy, clear = effects.by_kind["pre_break_4:A"], effects.by_kind["post_break_1:A"]
    # n / (n + 1) alone keeps 1 + 2/3 * 0.09 = 1.06 and 1.33 of the families
    assert 1.0 <= noisy < 1.035
    assert clear > effects.by_kind["post_break_1"] > 1.3

def test_a_lone_surge_is_made_normal_unless_it_comes_every_year() -> None:
    days = pd.date_range("2024-01-01", periods=2 * 364 + 28, freq="D")
    daily = pd.Series(100.0, index=days)
    kinds = pd.Series("normal", index=days, dtype=object)
    daily["2025-03-12"] = 400.0  # an outage storm, once
    daily[["2024-12-27", "2025-12-26"]] = 300.0  # every year after Christmas
    daily[pd.date_range("2025-06-03", periods=9)] = 300.0  # nine days: maybe a level
    _, ratio = learn_day_effects(daily, kinds)
    assert ratio["2025-03-12"] == pytest.approx(400.5 / 100.5)
    assert ratio[["2024-12-27", "2025-12-26"]].isna().all()
    assert ratio.drop(pd.Timestamp("2025-03-12")).isna().all()


def test_an_incidents_few_days_are_a_surge_once_the_week_after_is_back() -> None:
    days = pd.date_range("2025-01-06", periods=10 * 7, freq="D")
    daily = pd.Series(5.0, index=days)
    kinds = pd.Series("normal", index=days, dtype=object)
    incident = pd.date_range("2025-02-03", periods=4)
    daily[incident] = [144.0, 117.0, 87.0, 40.0]  # an incident's tickets, Monday on
    _, ratio = learn_day_effects(daily, kinds)
    np.testing.assert_allclose(ratio[incident], (daily[incident] + 0.5) / 5.5)
    assert ratio.drop(incident).isna().all()
    # the same rise in the last week is not known to be over; a rise that comes back the
    # next week (Monday to Thursday, every week from then on) is the queue's new shape
    for rise in (days[-6:-2], days[(days >= incident[0]) & (days.day_of_week < 4)]):
        risen = pd.Series(5.0, index=days)
        risen[rise] = 100.0
        _, ratio = learn_day_effects(risen, kinds)
        assert not (ratio > 1).any()




def test_an_ordinary_day_between_empty_neighbours_is_no_surge() -> None:
    days = pd.date_range("2026-03-01", "2026-05-24", freq="D")  # Sundays first and last
    daily = pd.Series(2400.0, index=days)
    kinds = pd.Series("normal", index=days, dtype=object)
    daily["2026-05-03"] = 0.0  # a closed holiday on a Sunday
    kinds["2026-05-03"] = "Holiday A"
    daily["2026-05-10"] = 0.0  # one Sunday the export missed
    daily["2026-05-24"] = 0.0  # and the last Sunday a closed holiday
    kinds["2026-05-24"] = "Holiday B"
    _, ratio = learn_day_effects(daily, kinds)
    assert np.isnan(ratio["2026-05-17"])  # its nearest normal neighbour was empty
    daily["2026-05-17"] = 9000.0  # but a real storm that day still stands out
    _, ratio = learn_day_effects(daily, kinds)
    assert ratio["2026-05-17"] == pytest.approx(9000.5 / 2400.5)
def test_ets_and_mstl_fit_two_weeks_of_history() -> None:
    rng = np.random.default_rng(3)
    daily_index = pd.date_range("2026-02-02", periods=14, freq="D")
    daily = pd.Series(rng.poisson(200, size=14).astype(float), index=daily_index)
    history, _ = prepare_history(daily, KEY, Freq.DAILY)
    forecast = Ets().fit(history).predict(7)
    assert np.all(forecast.mean > 100) and np.all(forecast.mean < 300)
    hourly_index = pd.date_range("2026-02-02", periods=14 * 24, freq="h")
    hourly = pd.Series(rng.poisson(20, size=len(hourly_index)).astype(float),
                       index=hourly_index)
    history, _ = prepare_history(hourly, KEY, Freq.H60)
    assert len(Mstl().fit(history).predict(24).mean) == 24


def test_peak_explanations_name_the_days_around_a_break() -> None:
    days = pd.date_range("2026-09-22", "2026-09-23")
    notes = explain_days(days, KEY, AlertConfig(country="KR"))
    assert notes == ("working day 2 before the Chuseok break",
                     "working day 1 before the Chuseok break")


def test_holiday_names_are_the_same_every_year() -> None:
    kinds = _kinds("2026-05-01", "2026-05-09", country="CN")
    assert kinds["05-04"] == "Labor Day"  # 'Labor Day (observed)'
    assert kinds["05-05"] == "Day off"  # 'Day off (substituted from 05/09/2026)'
    us = _kinds("2026-07-02", "2026-07-03", country="US")
    assert us["07-03"] == "Independence Day"  # 'Independence Day (observed)'


def test_a_subdivision_has_its_own_holidays() -> None:
    assert check_country(" de-by ") == "DE-BY"
    assert _kinds("2026-01-06", "2026-01-06", country="DE-BY")["01-06"] == "Epiphany"
    assert _kinds("2026-01-06", "2026-01-06", country="DE")["01-06"] == "normal"
    assert _kinds("2026-03-31", "2026-03-31", country="US-CA")["03-31"] == "Cesar Chavez Day"
    with pytest.raises(InvalidParameter, match="DE-XX"):
        check_country("DE-XX")


def test_settings_refuse_an_unknown_holiday_country() -> None:
    assert Settings(holiday_country="us-ca").holiday_country == "US-CA"
    assert Settings(holiday_country=" ").holiday_country is None
    with pytest.raises(ValueError, match="holiday_country must be a country code"):
        Settings(holiday_country="XY")


def test_a_weekend_day_worked_for_a_bridge_is_its_own_kind() -> None:
    kinds = _kinds("2026-05-06", "2026-05-10", country="CN")
    assert kinds["05-09"] == "make_up_workday:Saturday"
    assert kinds["05-10"] == "normal"
    assert kinds["05-06"] == "post_break_1:Labor Day"  # May Day's five days off
    effects = DayEffects({"make_up_workday": 2.4}, unseen_holiday=0.0)
    assert effects.factor("make_up_workday:Sunday") == 2.4



def test_a_day_inside_a_cluster_of_holidays_still_has_a_reference() -> None:
    days = pd.date_range("2026-08-03", periods=10 * 7, freq="D")
    daily = pd.Series(100.0, index=days)
    normal = pd.Series(True, index=days)
    monday = pd.Timestamp("2026-09-14")
    for weeks in (-2, -1, 0, 1, 2):  # five Mondays in a row are special
        normal[monday + pd.Timedelta(weeks=weeks)] = False
    daily[monday] = 0.0
    ratio, reference = ratio_to_neighbouring_weeks(daily, normal)
    assert reference[monday] == 100.0
    assert ratio[monday] < 0.01


def _closed_on_holidays(first: str, last: str, country: str) -> tuple[pd.Series, pd.Series]:
    """Daily totals of a weekday-only queue shut on every public holiday of `country`."""
    days = pd.date_range(first, last, freq="D")
    kinds = day_kinds(days, country, off_weekdays=(5, 6))
    daily = pd.Series(np.where(days.day_of_week < 5, 100.0, 0.0), index=days)
    daily[kinds.map(is_holiday_kind).to_numpy(dtype=bool)] = 0.0
    return daily, kinds


def test_a_holiday_on_a_weekday_never_worked_is_not_read_as_open() -> None:
    # Christmas 2022 fell on a Sunday (the queue's day off) and was observed on Tuesday.
    daily, kinds = _closed_on_holidays("2022-10-03", "2023-01-29", "GB")
    effects, ratio = learn_day_effects(daily, kinds)
    assert np.isnan(ratio["2022-12-25"])
    assert effects.factor("Christmas Day") < 0.01  # read on the Tuesday only: shut


def test_holidays_not_met_yet_close_where_every_holiday_met_did() -> None:
    daily, kinds = _closed_on_holidays("2024-01-08", "2024-09-27", "DE")
    effects, _ = learn_day_effects(daily, kinds)
    assert effects.factor("Christmas Day") == 0.0  # met none yet: closed like the others
    one_met = learn_day_effects(daily[:"2024-03-30"], kinds[:"2024-03-30"])[0]  # Good Friday
    assert one_met.factor("Labor Day") == 0.0
    assert learn_day_effects(daily[:"2024-03-27"], kinds[:"2024-03-27"])[0].factor(
        "Labor Day") == 1.0  # none met: nothing to go by
    # One worked holiday: closing is decided per holiday again.
    daily["2024-05-01"] = 80.0
    effects, _ = learn_day_effects(daily, kinds)
    assert effects.factor("Christmas Day") == pytest.approx(effects.factor("Labor Day"))
    assert effects.factor("Christmas Day") > 0.5


def test_holidays_most_businesses_work_through_stay_open_when_unseen() -> None:
    daily, kinds = _closed_on_holidays("2024-01-08", "2024-09-27", "US")
    worked = commonly_worked_holidays("US")
    assert {"Columbus Day", "Veterans Day"} <= worked and "Thanksgiving Day" not in worked
    effects, _ = learn_day_effects(daily, kinds, commonly_worked=worked)
    assert effects.factor("Thanksgiving Day") == 0.0
    assert effects.factor("Columbus Day") == 1.0
    assert commonly_worked_holidays("DE") == frozenset()


def test_days_a_company_shuts_every_year_though_no_holiday_are_forecast_shut() -> None:
    days = pd.date_range("2022-06-06", "2025-12-20", freq="D")
    kinds = day_kinds(days, "NL")
    daily = pd.Series(np.where(days.day_of_week < 5, 100.0, 20.0), index=days)
    between = (days.month == 12) & (days.day >= 27) & (days.day <= 31)
    daily[between] = 0.0  # shut between Christmas and New Year, whatever the weekday
    daily["2023-08-15"] = 0.0  # once, in one year only: no yearly closure
    effects, ratio = learn_day_effects(daily, kinds)
    assert {(12, 27), (12, 29), (12, 30)} <= effects.annual_closures
    assert (8, 15) not in effects.annual_closures
    assert ratio["2024-12-30"] < 0.15  # read as a closure, so the models see a normal day
    history = History(key=KEY, freq=Freq.DAILY, y=daily, country="NL")
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(14)
    ds = pd.DatetimeIndex(forecast.ds)
    shut = (ds.month == 12) & (ds.day >= 27)
    assert forecast.mean[shut].max() == 0.0
    assert forecast.mean[~shut & (ds.day_of_week < 5) & (ds.day != 25) & (ds.day != 26)].min() > 90


def test_black_friday_and_cyber_monday_are_days_of_their_own_in_every_country() -> None:
    for country in ("US", "GB", "KR"):
        kinds = day_kinds(pd.date_range("2025-11-20", "2025-12-05"), country)
        assert kinds["2025-11-28"] == "retail_day:Black Friday"
        assert kinds["2025-12-01"] == "retail_day:Cyber Monday"
    assert day_kinds(pd.date_range("2024-11-20", "2024-12-05"), "US")["2024-12-02"] == \
        "retail_day:Cyber Monday"  # Thanksgiving on the 28th that year
    assert describe_kind("retail_day:Black Friday") == "Black Friday"
    assert (day_kinds(pd.date_range("2025-11-20", "2025-12-05"), None) == "normal").all()


def test_a_shops_black_friday_surge_repeats_and_a_bank_without_one_runs_as_usual() -> None:
    days = pd.date_range("2023-06-05", "2025-11-16", freq="D")
    rng = np.random.default_rng(5)
    ordinary = rng.poisson(np.where(days.day_of_week < 5, 200.0, 80.0)).astype(float)
    for surging, expected in ((True, (450.0, 800.0)), (False, (160.0, 240.0))):
        daily = pd.Series(ordinary, index=days)
        if surging:  # Black Friday 2023 and 2024 at three times a Friday
            daily[["2023-11-24", "2024-11-29"]] = 600.0
        history = History(key=KEY, freq=Freq.DAILY, y=daily, country="US")
        forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(21)
        black_friday = forecast.mean[pd.DatetimeIndex(forecast.ds) == "2025-11-28"][0]
        assert expected[0] < black_friday < expected[1]


def test_a_lone_working_day_between_a_holiday_and_the_weekend_is_a_bridge() -> None:
    kinds = _kinds("2025-05-26", "2025-06-24", "DE")
    assert kinds["05-30"] == "bridge:Ascension Day"  # Thursday's holiday, then the weekend
    assert kinds["06-06"] == "pre_holiday_1:Pentecost Monday"  # already a kind of its own
    assert _kinds("2015-12-28", "2016-01-08", "NL")["01-02"] == "normal"  # a Saturday
    assert describe_kind("bridge:Ascension Day") == "bridge day next to Ascension Day"


def test_an_office_that_empties_on_bridge_days_is_forecast_to_again() -> None:
    days = pd.date_range("2022-06-06", "2025-05-25", freq="D")
    kinds = day_kinds(days, "DE")
    rng = np.random.default_rng(8)
    daily = pd.Series(rng.poisson(np.where(days.day_of_week < 5, 300.0, 0.0)), index=days,
                      dtype=float)
    daily[kinds.map(is_holiday_kind).to_numpy(dtype=bool)] = 0.0
    bridges = kinds.str.startswith("bridge:").to_numpy(dtype=bool)
    assert bridges.sum() >= 4
    daily[bridges] = rng.poisson(150.0, bridges.sum())  # half the staff and customers off
    history = History(key=KEY, freq=Freq.DAILY, y=daily, country="DE")
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(14)
    by_day = pd.Series(forecast.mean, index=pd.DatetimeIndex(forecast.ds))
    assert 120 < by_day["2025-05-30"] < 200  # the Friday after Ascension Day
    assert by_day["2025-05-28"] > 250


def test_shopping_days_worked_like_any_other_stay_in_the_history_as_they_are() -> None:
    days = pd.date_range("2024-09-02", "2025-12-07", freq="D")
    daily = pd.Series(np.random.default_rng(12).poisson(
        np.where(days.day_of_week < 5, 300.0, 0.0)), index=days, dtype=float)
    daily[["2025-11-28", "2025-12-01"]] = [285.0, 290.0]  # a little low: a day's noise
    kinds = day_kinds(pd.DatetimeIndex(days), "US", off_weekdays=(5, 6))
    daily[kinds.map(is_holiday_kind).to_numpy(dtype=bool)] = 0.0
    _, ratio = learn_day_effects(daily, kinds)
    assert np.isnan(ratio["2025-11-28"]) and np.isnan(ratio["2025-12-01"])
    daily[["2024-11-29", "2025-11-28"]] = 900.0  # a shop's Black Friday, every year
    _, ratio = learn_day_effects(daily, kinds)
    assert ratio["2025-11-28"] > 2.5


def test_a_jump_in_the_last_days_is_a_surge_only_where_the_days_after_are_back() -> None:
    days = pd.date_range("2025-01-06", periods=18, freq="D")  # a young queue, Monday first
    daily = pd.Series(20.0, index=days)
    kinds = pd.Series("normal", index=days, dtype=object)
    storm = daily.copy()
    storm[days[14]] = 80.0  # a Monday's storm, then three ordinary days
    _, ratio = learn_day_effects(storm, kinds)
    assert ratio[days[14]] > 3.0
    step = daily.copy()
    step[days[14:]] = [60.0, 50.0, 36.0, 34.0]  # the first days of a new level
    _, ratio = learn_day_effects(step, kinds)
    assert not (ratio > 1).any()
