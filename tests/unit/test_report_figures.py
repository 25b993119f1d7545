"""The small rules the reports are made of: money rounded half up once, the
week's Monday, percentiles by nearest rank, aging buckets."""

from __future__ import annotations

from datetime import date

import pytest

from earmark.domain.money import is_money, micros, micros_out, money_out, week_of
from earmark.service.service_levels import aging_bucket, default_window, nearest_rank


@pytest.mark.parametrize(("units", "cost", "shown"), [
    (1, "12.345", "12.35"),  # half up, not to even
    (3, "0.005", "0.02"),  # 0.015 -> 0.02
    (7, "1.2", "8.40"),
    (0, "99.99", "0.00"),
    # The largest quantity at the largest price: exact, however long.
    (1_000_000_000_000, "999999999999.999999", "999999999999999999000000.00"),
])
def test_money_is_units_times_millionths_rounded_half_up_once(units: int, cost: str,
                                                            shown: str) -> None:
    value = micros(cost)
    assert value is not None
    assert micros_out(units * value) == shown


def test_a_missing_cost_stays_missing() -> None:
    assert (micros(None), micros_out(None), money_out(None)) == (None, None, None)


@pytest.mark.parametrize(("text", "ok"), [("25.00", True), ("0", True), ("1.123456", True),
                                           ("1.1234567", False), ("-1", False), ("1e3", False),
                                           (".5", False)])
def test_a_price_is_a_decimal_string_of_at_most_six_places(text: str, ok: bool) -> None:
    assert is_money(text) is ok


def test_a_week_is_named_by_its_monday() -> None:
    assert [week_of(date(2026, 2, d)) for d in (1, 2, 8)] == [
        date(2026, 1, 26), date(2026, 2, 2), date(2026, 2, 2)]


def test_the_p90_is_the_smallest_value_nine_tenths_of_the_units_do_not_exceed() -> None:
    # 16 units: errors 0 (8 units), 1 (4), 6 (2), 7 (2); the 15th unit has 7.
    assert nearest_rank({0: 8, 1: 4, 6: 2, 7: 2}, 0.9) == 7
    # 10 units: the 9th unit has 1.
    assert nearest_rank({0: 5, 1: 4, 30: 1}, 0.9) == 1
    assert nearest_rank({}, 0.9) is None


@pytest.mark.parametrize(("days", "bucket"), [(0, "0-7"), (7, "0-7"), (8, "8-30"), (30, "8-30"),
                                              (31, "31-90"), (90, "31-90"), (91, "90+")])
def test_aging_buckets_by_days_since_ordered(days: int, bucket: str) -> None:
    assert aging_bucket(days) == bucket


def test_the_default_window_is_the_30_days_ending_on_to() -> None:
    assert default_window(date(2026, 1, 19), None, None) == (date(2025, 12, 21), date(2026, 1, 19))
    assert default_window(date(2026, 1, 19), None, date(2026, 1, 31)) == (
        date(2026, 1, 2), date(2026, 1, 31))
