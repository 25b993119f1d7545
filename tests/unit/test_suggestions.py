"""Suggestion arithmetic on hand-computed cases (no database): the reorder
point's receipt, the P80 forecast commitments, and stable ids."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import pytest

from earmark.forecast.projection import Dated, OpenCommitment, PositionState
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast
from earmark.forecast.suggestions import (
    COMMITMENT,
    RECEIPT,
    Z_HI80,
    CommitmentBasis,
    Params,
    ReceiptBasis,
    kind_of_id,
    lead_time_sigma_days,
    safety_stock,
    sigma,
    suggest_commitments,
    suggest_receipt,
    window_p80,
)

TODAY = date(2026, 1, 5)
Z95 = 1.6448536269514722  # z of a 95% service level
Z80 = 0.8416212335729143  # the 80th percentile of a standard normal


def forecast(means: list[float], sigma_per_day: float = 0.0, first: date | None = None,
             run_id: str = "run-1") -> PositionForecast:
    """Points from ``first`` (tomorrow) whose 80% interval puts σ at ``sigma_per_day``."""
    start = first or TODAY + timedelta(days=1)
    pts = tuple(
        ForecastPoint(start + timedelta(days=i), m, max(m - Z_HI80 * sigma_per_day, 0.0),
                      m + Z_HI80 * sigma_per_day, m - 2 * sigma_per_day, m + 2 * sigma_per_day)
        for i, m in enumerate(means)
    )
    return PositionForecast("COAT", "WEB", run_id, TODAY, "AutoETS", pts, Accuracy(0.8, 0.2),
                            "SeasonalNaive", Accuracy(1.0, 0.3))


def state(on_hand: int = 10, incoming: int = 6, open_orders: int = 3, safety_stock: int = 4,
          lead_time_days: int | None = 3, commitments: tuple[OpenCommitment, ...] = ()
          ) -> PositionState:
    return PositionState(
        "COAT", "WEB", TODAY, on_hand, safety_stock, lead_time_days,
        (Dated(date(2026, 1, 20), incoming),) if incoming else (),
        (Dated(date(2026, 1, 2), open_orders),) if open_orders else (),
        commitments,
    )


def test_sigma_is_read_from_the_upper_half_of_the_80_percent_interval() -> None:
    point = ForecastPoint(TODAY, 10.0, 0.0, 10.0 + 2 * 1.2815515655446004, 0.0, 20.0)
    assert sigma(point) == pytest.approx(2.0)


def test_a_receipt_is_suggested_up_to_the_order_up_to_level() -> None:
    """5 a day, no forecast error: lead time 3, review 2, item safety stock 4.
    Inventory position 10 + 6 - 3 = 13; reorder point 15 + 4 = 19 ≥ 13, so
    order up to 25 + 4 = 29: 16 units, expected today + 3."""
    suggestion = suggest_receipt(state(), forecast([5.0] * 10), Params(review_days=2))
    assert suggestion is not None
    assert (suggestion.kind, suggestion.quantity, suggestion.day) == (RECEIPT, 16, date(2026, 1, 8))
    basis = suggestion.basis
    assert isinstance(basis, ReceiptBasis)
    assert (basis.inventory_position, basis.demand_over_lead_time, basis.safety_stock,
            basis.reorder_point, basis.order_up_to) == (13, 15, 4, 19, 29)
    assert suggestion.account is None and suggestion.expires_on is None


def test_the_statistical_safety_stock_wins_when_larger_than_the_items() -> None:
    """σ 2 a day over a 4-day lead time: √(4 × 4) = 4; at 95%, 1.645 × 4 = 6.58
    > 4. Reorder point 20 + 6.58; no review days: 26.58 - 13 → 14 units."""
    suggestion = suggest_receipt(state(lead_time_days=4), forecast([5.0] * 10, sigma_per_day=2.0),
                                 Params(review_days=0))
    assert suggestion is not None
    basis = suggestion.basis
    assert isinstance(basis, ReceiptBasis)
    assert basis.statistical_safety_stock == pytest.approx(Z95 * 4)
    assert basis.reorder_point == pytest.approx(20 + Z95 * 4)
    assert suggestion.quantity == math.ceil(20 + Z95 * 4 - 13) == 14
    assert suggestion.day == date(2026, 1, 9)


def test_safety_stock_adds_lead_time_variance_to_demand_variance() -> None:
    """z · √(L·σ_d² + d²·σ_L²) at 95%, L 14, σ_d 2, d 6, σ_L 2:
    √(14 × 4 + 36 × 4) = √200 = 14.1421; × 1.6449 = 23.262."""
    assert safety_stock(Z95, 14 * 2.0**2, 6.0, 2.0) == pytest.approx(23.262, abs=0.001)
    assert safety_stock(Z95, 14 * 2.0**2, 6.0, 0.0) == pytest.approx(Z95 * math.sqrt(56))


def test_the_lead_time_sigma_is_the_spread_of_the_recorded_slips() -> None:
    """Slips 0, 0, 2, 2: mean 1, every deviation 1, σ_L = 1; one slip or none: 0."""
    assert lead_time_sigma_days([0, 0, 2, 2]) == pytest.approx(1.0)
    assert lead_time_sigma_days([5]) == 0.0
    assert lead_time_sigma_days([]) == 0.0


def test_supplier_slips_raise_the_suggested_safety_stock() -> None:
    """As the case above (5 a day, σ 2, L 4) with slips 0, 0, 2, 2 (σ_L 1):
    √(4 × 4 + 25 × 1) = √41; × 1.6449 = 10.532 > 4. Reorder point 30.532:
    ceil(30.532 - 13) = 18 units."""
    slipping = replace(state(lead_time_days=4), slip_days=(0, 0, 2, 2))
    suggestion = suggest_receipt(slipping, forecast([5.0] * 10, sigma_per_day=2.0),
                                 Params(review_days=0))
    assert suggestion is not None
    basis = suggestion.basis
    assert isinstance(basis, ReceiptBasis)
    assert basis.lead_time_sigma_days == pytest.approx(1.0)
    assert basis.statistical_safety_stock == pytest.approx(Z95 * math.sqrt(41))
    assert suggestion.quantity == 18


def test_no_receipt_above_the_reorder_point_or_without_a_lead_time() -> None:
    assert suggest_receipt(state(on_hand=100), forecast([5.0] * 10), Params()) is None
    assert suggest_receipt(state(lead_time_days=None), forecast([5.0] * 10), Params()) is None
    stale = forecast([5.0] * 3, first=TODAY - timedelta(days=5))
    assert suggest_receipt(state(), stale, Params()) is None


def test_open_backorders_lower_the_inventory_position() -> None:
    """Backorders of 20 take the position to 10 + 6 - 20 = -4: order up to 29 → 33."""
    suggestion = suggest_receipt(state(open_orders=20), forecast([5.0] * 10), Params(review_days=2))
    assert suggestion is not None and suggestion.quantity == 33


def test_open_commitments_count_as_demand_in_the_inventory_position() -> None:
    """10 on hand + 6 incoming − 3 on order − 9 committed (C-1, 5 needed on
    the 9th; C-2, 4 overdue, needed today) = 4; C-3's 50 expire before they
    are needed and count nothing. Reorder point 19 ≥ 4: order up to 29 → 25
    units (without the commitments, 16)."""
    commitments = (
        OpenCommitment("C-1", "acme", "contract", date(2026, 1, 9), None, 5),
        OpenCommitment("C-2", "bolt", "forecast", date(2026, 1, 3), date(2026, 1, 30), 4),
        OpenCommitment("C-3", "acme", "forecast", date(2026, 1, 20), date(2026, 1, 10), 50),
    )
    suggestion = suggest_receipt(state(commitments=commitments), forecast([5.0] * 10),
                                 Params(review_days=2))
    assert suggestion is not None
    basis = suggestion.basis
    assert isinstance(basis, ReceiptBasis)
    assert (basis.open_orders, basis.open_commitments, basis.inventory_position) == (3, 9, 4)
    assert suggestion.quantity == 25


def test_a_short_forecast_is_extended_flat_over_the_lead_time() -> None:
    """Two days of 4 and 6 (mean 5) cover a 3-day lead time + 2 review days as 5 a day."""
    suggestion = suggest_receipt(state(), forecast([4.0, 6.0]), Params(review_days=2))
    assert suggestion is not None
    basis = suggestion.basis
    assert isinstance(basis, ReceiptBasis)
    assert (basis.extended_days, basis.demand_over_lead_time, suggestion.quantity) == (3, 15, 16)


def test_a_commitment_lowers_the_inventory_position_not_the_demand_over_the_lead_time() -> None:
    """Reorder point = forecast over the lead time + safety stock; a
    commitment is booked demand, counted in the inventory position. A
    commitment of 30 needed in 2 days: demand over the lead time 3 × 5 = 15,
    reorder point 15 + 4 = 19, position 10 + 6 − 3 − 30 = −17, order up to
    5 × 5 + 4 = 29: 29 + 17 = 46 units (16 before commitments counted)."""
    held = (OpenCommitment("C-1", "acme", "contract", TODAY + timedelta(days=2), None, 30),)
    suggestion = suggest_receipt(state(commitments=held), forecast([5.0] * 10), Params(review_days=2))
    assert suggestion is not None
    basis = suggestion.basis
    assert isinstance(basis, ReceiptBasis)
    assert (basis.demand_over_lead_time, basis.reorder_point, basis.order_up_to,
            basis.inventory_position, suggestion.quantity) == (15, 19, 29, -17, 46)


def test_the_p80_of_a_window_is_of_its_sum_not_the_sum_of_daily_bounds() -> None:
    means = {TODAY + timedelta(days=i): 10.0 for i in range(1, 5)}
    sigmas = {d: 5.0 for d in means}
    total, p80 = window_p80(means, sigmas)
    assert total == 40
    assert p80 == pytest.approx(40 + Z80 * 10)  # σ of the sum: √(4 × 25) = 10


def test_commitments_are_suggested_by_each_accounts_share_less_what_it_holds() -> None:
    """10 a day over a 4-day window, σ 5: P80 = 40 + 0.8416 × 10 = 48.42.
    acme ordered 30 of 40 units: 0.75 × 48.42 = 36.3 → 36, less the 12 its
    open commitment holds: 24. bolt: 0.25 × 48.42 = 12.1 → 12."""
    held = (OpenCommitment("C-1", "acme", "key_account", date(2026, 2, 1), None, 12),)
    found = suggest_commitments(state(commitments=held), forecast([10.0] * 10, sigma_per_day=5.0),
                                {"bolt": 10, "acme": 30}, Params(window_days=4))
    assert [(s.account, s.quantity) for s in found] == [("acme", 24), ("bolt", 12)]
    acme = found[0]
    assert (acme.kind, acme.day, acme.expires_on) == (COMMITMENT, date(2026, 1, 9), date(2026, 1, 10))
    basis = acme.basis
    assert isinstance(basis, CommitmentBasis)
    assert (basis.account_share, basis.covered, basis.window_start) == (0.75, 12, date(2026, 1, 6))
    assert basis.forecast_p80 == pytest.approx(40 + Z80 * 10)


def test_an_account_whose_commitments_cover_its_share_gets_no_suggestion() -> None:
    held = (OpenCommitment("C-1", "acme", "forecast", date(2026, 2, 1), None, 40),)
    found = suggest_commitments(state(commitments=held), forecast([10.0] * 10),
                                {"acme": 5}, Params(window_days=4))
    assert found == []


def test_ids_are_stable_and_change_with_what_would_be_created() -> None:
    first = suggest_receipt(state(), forecast([5.0] * 10), Params(review_days=2))
    again = suggest_receipt(state(), forecast([5.0] * 10), Params(review_days=2))
    more = suggest_receipt(state(), forecast([5.0] * 10), Params(review_days=3))
    other_run = suggest_receipt(state(), forecast([5.0] * 10, run_id="run-2"), Params(review_days=2))
    assert first is not None and again is not None and more is not None and other_run is not None
    assert first.id == again.id
    assert len({first.id, more.id, other_run.id}) == 3
    assert kind_of_id(first.id) == RECEIPT and first.id.startswith("sg-r-")
    assert kind_of_id("sg-c-0123456789abcdef") == COMMITMENT
    assert kind_of_id("PO-1") is None


def test_a_commitment_released_by_the_windows_first_day_covers_none_of_it() -> None:
    """acme's 30 expiring tomorrow (the window's first day) are released before
    any of the window's orders arrive: the suggestion is its whole share, 40.
    One expiring the day after still covers: 40 - 30 = 10."""
    window = Params(window_days=4)
    released = (OpenCommitment("C-1", "acme", "forecast", TODAY, TODAY + timedelta(days=1), 30),)
    [full] = suggest_commitments(state(commitments=released), forecast([10.0] * 10),
                                 {"acme": 5}, window)
    assert full.quantity == 40
    assert isinstance(full.basis, CommitmentBasis) and full.basis.covered == 0
    kept = (OpenCommitment("C-1", "acme", "forecast", TODAY, TODAY + timedelta(days=2), 30),)
    [top_up] = suggest_commitments(state(commitments=kept), forecast([10.0] * 10),
                                   {"acme": 5}, window)
    assert top_up.quantity == 10


def test_a_receipt_suggestion_shows_how_short_the_safety_stock_buffer_is() -> None:
    """Held 9 of on-hand 10 with safety stock 4: the buffer lacks 9 + 4 - 10 = 3."""
    short = replace(state(on_hand=10, safety_stock=4), held=9)
    assert short.safety_stock_short == 3
    assert replace(short, held=6).safety_stock_short == 0
