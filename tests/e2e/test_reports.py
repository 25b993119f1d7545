"""Money and service reports (API.md, "Money and service reports") over HTTP,
against one small history worked out by hand.

The history runs on a server of its own (the calendar moves), from Monday
2026-01-05 to Monday 2026-01-19, at location WEB (STORE is two days away):

items      cost   price  safety  on hand at WEB
COAT      10.00   25.00     0      5     PO-1: 10 units expected 01-12
HAT        4.00     -       0      4
BOOT      12.50   40.00     2     10     PO-2: 4 units expected 01-26
SCARF      2.00    5.00     0      7

01-05  SO-1 acme COAT 3            held 3 at placing, first promised 01-05
       SO-2 bolt COAT 4 at 30.00   held 2, 2 pegged to PO-1: first promised 01-12
       SO-4 bolt HAT 1 ship_to STORE   served from WEB, held 1: delivered 01-07
       SO-6 bolt HAT 5             held 3, 2 wait with no date: first promised null
       SO-7 acme BOOT 5            held 5, first promised 01-05
       C-1 bolt BOOT 3 (on-hand), C-2 bolt BOOT 4 need 02-02 (PO-2)
01-06  ship SO-1 3 (late by 1), SO-2 2 (early by 6), SO-4 1 (early by 1)
       PO-1 slips to 01-19: SO-2's promise moves 01-12 -> 01-19 (one change)
       SO-3 acme COAT 8            pegged to PO-1: first promised 01-19
       (the capital report is read here)
01-19  PO-1 received; ship SO-2 2 (late by 7), SO-3 8 (on the day)
       SO-5 acme COAT 2            nothing anywhere: unconfirmed, first promised
                                   01-19 + 14 days lead time = 02-02
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import DATABASES, Ids, Server, _database_url, launch, ok, problem


@dataclass
class History:
    server: Server
    capital_on_jan_6: dict[str, Any]
    capital_csv_on_jan_6: str

    @property
    def api(self) -> httpx.Client:
        return self.server.client


def _order(api: httpx.Client, oid: str, account: str, sku: str, quantity: int,
           **line: Any) -> dict[str, Any]:
    where = {} if "ship_to" in line else {"location": "WEB"}
    result: dict[str, Any] = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        {"line": "1", "sku": sku, "quantity": quantity, **where, **line}]}), 201)
    return result


def _ship(api: httpx.Client, oid: str, quantity: int) -> None:
    ok(api.post(f"/v1/orders/{oid}/ship", json={"lines": [{"line": "1", "quantity": quantity}]}))


def _build(api: httpx.Client) -> tuple[dict[str, Any], str]:
    for code in ("WEB", "STORE"):
        ok(api.put(f"/v1/locations/{code}", json={"name": code}), 201)
    ok(api.put("/v1/lanes/WEB/STORE", json={"transit_days": 2}), 201)
    for account in ("acme", "bolt"):
        ok(api.put(f"/v1/accounts/{account}", json={"name": account}), 201)
    items = {"COAT": ("10.00", "25.00", 0, 5, 14), "HAT": ("4.00", None, 0, 4, None),
             "BOOT": ("12.50", "40.00", 2, 10, None), "SCARF": ("2.00", "5.00", 0, 7, None)}
    for sku, (cost, price, safety, on_hand, lead) in items.items():
        body: dict[str, Any] = {"name": sku, "unit_cost": cost, "safety_stock": safety,
                                "lead_time_days": lead}
        if price is not None:
            body["unit_price"] = price
        ok(api.put(f"/v1/items/{sku}", json=body), 201)
        ok(api.post("/v1/adjustments", json={"sku": sku, "location": "WEB", "quantity": on_hand,
                                              "reason": "initial"}), 201)
    ok(api.post("/v1/receipts", json={"id": "PO-1", "sku": "COAT", "location": "WEB",
                                      "quantity": 10, "expected_date": "2026-01-12"}), 201)
    ok(api.post("/v1/receipts", json={"id": "PO-2", "sku": "BOOT", "location": "WEB",
                                      "quantity": 4, "expected_date": "2026-01-26"}), 201)
    so1 = _order(api, "SO-1", "acme", "COAT", 3)
    assert so1["lines"][0]["promised_date"] == "2026-01-05"
    so2 = _order(api, "SO-2", "bolt", "COAT", 4, unit_price="30.00")
    assert (so2["lines"][0]["allocated"], so2["lines"][0]["promised_date"]) == (2, "2026-01-12")
    assert so2["lines"][0]["unit_price"] == "30.00"
    so4 = _order(api, "SO-4", "bolt", "HAT", 1, ship_to="STORE")
    assert so4["lines"][0]["promised_date"] == "2026-01-07"
    so6 = _order(api, "SO-6", "bolt", "HAT", 5)
    assert (so6["lines"][0]["allocated"], so6["lines"][0]["promised_date"]) == (3, None)
    _order(api, "SO-7", "acme", "BOOT", 5)
    for cid, quantity, need in (("C-1", 3, "2026-01-20"), ("C-2", 4, "2026-02-02")):
        ok(api.post("/v1/commitments", json={"id": cid, "account": "bolt", "sku": "BOOT",
                                             "location": "WEB", "quantity": quantity,
                                             "need_date": need}), 201)
    ok(api.post("/v1/clock", json={"today": "2026-01-06"}))
    _ship(api, "SO-1", 3)
    _ship(api, "SO-2", 2)
    ok(api.post("/v1/orders/SO-4/ship", json={"lines": [{"line": "1", "quantity": 1}]}))
    ok(api.patch("/v1/receipts/PO-1", json={"expected_date": "2026-01-19"}))
    so3 = _order(api, "SO-3", "acme", "COAT", 8)
    assert so3["lines"][0]["promised_date"] == "2026-01-19"
    capital = ok(api.get("/v1/reports/capital"))
    capital_csv = api.get("/v1/reports/capital", headers={"Accept": "text/csv"})
    assert capital_csv.status_code == 200
    assert capital_csv.headers["content-type"].startswith("text/csv")
    ok(api.post("/v1/clock", json={"today": "2026-01-19"}))
    ok(api.post("/v1/receipts/PO-1/receive", json={}))
    _ship(api, "SO-2", 2)
    _ship(api, "SO-3", 8)
    so5 = _order(api, "SO-5", "acme", "COAT", 2)
    assert so5["lines"][0]["promised_date"] == "2026-02-02"
    return capital, capital_csv.text


@pytest.fixture(scope="module", params=DATABASES)
def history(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    directory = tmp_path_factory.mktemp(f"reports-{request.param}")
    for url in _database_url(request, directory):
        server = launch(url, directory)
        try:
            capital, capital_csv = _build(server.client)
            yield History(server, capital, capital_csv)
        finally:
            server.stop()


# ----------------------------------------------------------------------
# Capital, as read on 01-06 (after SO-3)
#
# COAT: on hand 0; PO-1's 10 units incoming (100.00); backordered SO-2 2 x 30.00
#   + SO-3 8 x 25.00 = 260.00, all due with PO-1 on 01-19 (week of Monday 01-19).
# HAT: on hand 3 (12.00), all held for SO-6 (12.00); SO-6's 2 waiting units have
#   no price: backordered revenue null, HAT counts as missing a price.
# BOOT: on hand 10 (125.00) = held 5 for SO-7 (62.50) + C-1's 3 (37.50) + free 2
#   (25.00), all of it safety stock; PO-2's 4 units (50.00) pegged to C-2.
# SCARF: 7 free units (14.00), no safety stock, no forecast: all excess.


def _row(report: dict[str, Any], sku: str, location: str = "WEB") -> dict[str, Any]:
    [row] = [r for r in report["by_sku"] if (r["sku"], r["location"]) == (sku, location)]
    return row


def test_capital_totals_sum_each_positions_units_times_cost(history: History) -> None:
    report = history.capital_on_jan_6
    assert report["currency"] == "USD"
    assert report["as_of"] == "2026-01-06"
    assert {name: report[name] for name in (
        "on_hand", "held", "committed_held", "free", "safety_stock", "incoming",
        "committed_incoming", "backordered_revenue", "excess")} == {
        "on_hand": "151.00", "held": "74.50", "committed_held": "37.50", "free": "39.00",
        "safety_stock": "25.00", "incoming": "150.00", "committed_incoming": "50.00",
        "backordered_revenue": "260.00", "excess": "14.00"}


def test_capital_rows_show_each_position(history: History) -> None:
    report = history.capital_on_jan_6
    assert _row(report, "BOOT") == {
        "sku": "BOOT", "location": "WEB", "on_hand": "125.00", "held": "62.50",
        "committed_held": "37.50", "free": "25.00", "safety_stock": "25.00",
        "incoming": "50.00", "committed_incoming": "50.00", "backordered_revenue": "0.00",
        "excess": "0.00"}
    coat = _row(report, "COAT")
    assert (coat["on_hand"], coat["incoming"], coat["backordered_revenue"]) == (
        "0.00", "100.00", "260.00")
    scarf = _row(report, "SCARF")
    assert (scarf["free"], scarf["excess"]) == ("14.00", "14.00")


def test_a_backorder_without_a_price_shows_null_and_is_counted(history: History) -> None:
    report = history.capital_on_jan_6
    hat = _row(report, "HAT")
    assert (hat["on_hand"], hat["held"], hat["free"], hat["backordered_revenue"]) == (
        "12.00", "12.00", "0.00", None)
    assert (report["missing_cost"], report["missing_price"]) == (0, 1)


def test_backordered_revenue_by_week_of_the_receipt_it_waits_for(history: History) -> None:
    assert history.capital_on_jan_6["by_week"] == [{"week": "2026-01-19", "value": "260.00"}]


def test_unconfirmed_backordered_revenue_has_a_week_of_its_own(history: History) -> None:
    # On 01-19 only SO-5 waits: 2 units x 25.00, no supply known; HAT's have no price.
    report = ok(history.api.get("/v1/reports/capital", params={"sku": "COAT"}))
    assert report["backordered_revenue"] == "50.00"
    assert report["by_week"] == [{"week": "unconfirmed", "value": "50.00"}]


def test_capital_filtered_by_sku_has_that_skus_rows_only(history: History) -> None:
    report = ok(history.api.get("/v1/reports/capital", params={"sku": "BOOT", "location": "WEB"}))
    assert [(r["sku"], r["location"]) for r in report["by_sku"]] == [("BOOT", "WEB")]
    assert (report["on_hand"], report["committed_incoming"]) == ("125.00", "50.00")


def test_capital_as_csv_has_a_row_per_position_and_the_total(history: History) -> None:
    rows = list(csv.DictReader(io.StringIO(history.capital_csv_on_jan_6)))
    total = rows[-1]
    assert (total["scope"], total["on_hand"], total["backordered_revenue"]) == (
        "total", "151.00", "260.00")
    boot = next(r for r in rows if r["sku"] == "BOOT")
    assert (boot["held"], boot["committed_held"], boot["currency"]) == ("62.50", "37.50", "USD")
    hat = next(r for r in rows if r["sku"] == "HAT")
    assert hat["backordered_revenue"] == ""


# ----------------------------------------------------------------------
# Service, as read on 01-19 (the default window: 2025-12-21 .. 2026-01-19)
#
# Ordered (units, held at placing, first promised - order day):
#   acme SO-1 3, 3, 0; SO-3 8, 0, 13; SO-5 2, 0, 14; SO-7 5, 5, 0
#   bolt SO-2 4, 2, 7; SO-4 1, 1, 2; SO-6 5, 3, - (no date)
#   fill 14/28; quoted wait (0*3 + 13*8 + 14*2 + 0*5 + 7*4 + 2*1) / 23 = 162/23
# Shipped (units, error days, on time):
#   acme SO-1 3, 1, no; SO-3 8, 0, yes    bolt SO-2 2, 6, yes; SO-4 1, 1, yes; SO-2 2, 7, no
#   on time 11/16; error mean (0*8 + 1*4 + 6*2 + 7*2)/16 = 30/16; p90 = 15th of 16 units = 7
# Waiting: SO-5 2 units for 0 days (0-7), SO-6 2 units for 14 days (8-30).


def _aging(zero_seven: tuple[int, int], eight_thirty: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"bucket": "0-7", "units": zero_seven[0], "lines": zero_seven[1]},
            {"bucket": "8-30", "units": eight_thirty[0], "lines": eight_thirty[1]},
            {"bucket": "31-90", "units": 0, "lines": 0},
            {"bucket": "90+", "units": 0, "lines": 0}]


def test_service_figures_over_the_default_window(history: History) -> None:
    report = ok(history.api.get("/v1/reports/service"))
    assert (report["from"], report["to"]) == ("2025-12-21", "2026-01-19")
    assert report["fill_rate"] == pytest.approx(14 / 28)
    assert report["on_time_rate"] == pytest.approx(11 / 16)
    assert report["promise_error_days_mean"] == pytest.approx(30 / 16)
    assert report["promise_error_days_p90"] == 7
    assert report["quoted_wait_days_mean"] == pytest.approx(162 / 23)
    assert report["promise_changes"] == 1
    assert report["aging"] == _aging((2, 1), (2, 1))


def test_service_figures_per_account(history: History) -> None:
    report = ok(history.api.get("/v1/reports/service"))
    acme, bolt = report["by_account"]
    assert acme["account"] == "acme"
    assert (acme["fill_rate"], acme["on_time_rate"]) == (pytest.approx(8 / 18), pytest.approx(8 / 11))
    assert acme["promise_error_days_mean"] == pytest.approx(3 / 11)
    assert acme["promise_error_days_p90"] == 1
    assert acme["quoted_wait_days_mean"] == pytest.approx(132 / 18)
    assert acme["promise_changes"] == 0
    assert acme["aging"] == _aging((2, 1), (0, 0))
    assert bolt["account"] == "bolt"
    assert (bolt["fill_rate"], bolt["on_time_rate"]) == (pytest.approx(6 / 10), pytest.approx(3 / 5))
    assert bolt["promise_error_days_mean"] == pytest.approx(27 / 5)
    assert bolt["promise_error_days_p90"] == 7
    assert bolt["quoted_wait_days_mean"] == pytest.approx(30 / 5)
    assert bolt["promise_changes"] == 1
    assert bolt["aging"] == _aging((0, 0), (2, 1))


def test_an_account_filter_reports_that_account_alone(history: History) -> None:
    report = ok(history.api.get("/v1/reports/service", params={"account": "acme"}))
    assert [a["account"] for a in report["by_account"]] == ["acme"]
    assert report["fill_rate"] == pytest.approx(8 / 18)
    assert report["on_time_rate"] == pytest.approx(8 / 11)
    assert report["promise_changes"] == 0


def test_a_one_day_window_counts_that_days_orders_and_shipments(history: History) -> None:
    # 01-06: SO-3 ordered (8 units, none held, wait 13); SO-1 (3, late by 1), SO-2 (2,
    # early by 6) and SO-4 (1, early by 1) shipped; PO-1's slip moved SO-2's promise.
    report = ok(history.api.get("/v1/reports/service",
                                params={"from": "2026-01-06", "to": "2026-01-06"}))
    assert report["fill_rate"] == 0
    assert report["quoted_wait_days_mean"] == 13
    assert report["on_time_rate"] == pytest.approx(3 / 6)
    assert report["promise_error_days_mean"] == pytest.approx(16 / 6)
    assert report["promise_error_days_p90"] == 6
    assert report["promise_changes"] == 1


def test_a_ship_to_line_is_measured_against_its_delivered_date(history: History) -> None:
    # HAT: SO-4 (ship_to STORE, 1 unit held, shipped on 01-06, delivered date 01-07)
    # and SO-6 (5 units, 3 held, no first promised date, never shipped).
    report = ok(history.api.get("/v1/reports/service", params={"sku": "HAT"}))
    assert report["fill_rate"] == pytest.approx(4 / 6)
    assert report["on_time_rate"] == 1
    assert report["promise_error_days_mean"] == 1
    assert report["quoted_wait_days_mean"] == 2


def test_a_window_with_nothing_in_it_says_null(history: History) -> None:
    report = ok(history.api.get("/v1/reports/service",
                                params={"from": "2025-06-01", "to": "2025-06-30"}))
    assert [report[name] for name in ("fill_rate", "on_time_rate", "promise_error_days_mean",
                                      "promise_error_days_p90", "quoted_wait_days_mean")] == [None] * 5
    assert report["promise_changes"] == 0


def test_a_window_that_ends_before_it_starts_is_refused(history: History) -> None:
    problem(history.api.get("/v1/reports/service",
                            params={"from": "2026-01-10", "to": "2026-01-01"}), 422)


def test_a_window_of_more_than_ten_years_is_refused(history: History) -> None:
    problem(history.api.get("/v1/reports/service",
                            params={"from": "0001-01-01", "to": "9999-12-31"}), 422)


def test_a_window_at_the_start_of_the_calendar_is_clipped_to_it(history: History) -> None:
    report = ok(history.api.get("/v1/reports/service", params={"to": "0001-01-05"}))
    assert (report["from"], report["to"], report["fill_rate"]) == ("0001-01-01", "0001-01-05", None)


def test_service_as_csv_has_a_row_per_account_and_the_total(history: History) -> None:
    response = history.api.get("/v1/reports/service", headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["scope"], r["account"]) for r in rows] == [
        ("account", "acme"), ("account", "bolt"), ("total", "")]
    assert float(rows[-1]["on_time_rate"]) == pytest.approx(11 / 16)
    assert (rows[-1]["aging_8-30_units"], rows[-1]["promise_error_days_p90"]) == ("2", "7")


# ----------------------------------------------------------------------
# Money on items and lines (the shared server)


def test_an_item_keeps_its_cost_and_price(api: httpx.Client, ids: Ids) -> None:
    sku = ids("PRICED")
    item = ok(api.put(f"/v1/items/{sku}", json={"name": "Priced", "unit_cost": "12.5",
                                               "unit_price": "25.00"}), 201)
    assert (item["unit_cost"], item["unit_price"]) == ("12.5", "25.00")
    assert ok(api.get(f"/v1/items/{sku}"))["unit_price"] == "25.00"


@pytest.mark.parametrize("price", ["-1.00", "1e3", "12.1234567", "twelve", 12.5])
def test_a_price_that_is_no_decimal_string_is_refused(api: httpx.Client, ids: Ids,
                                                      price: object) -> None:
    document = problem(api.put(f"/v1/items/{ids('BAD')}", json={"name": "x", "unit_price": price}),
                       422)
    assert document["errors"][0]["field"].endswith("unit_price")


def test_a_lines_own_price_is_answered_with_two_places_and_replays(api: httpx.Client,
                                                                   ids: Ids) -> None:
    sku, loc, account = ids("LP"), ids("LOC"), ids("acct")
    ok(api.put(f"/v1/items/{sku}", json={"name": "x", "unit_price": "9.99"}), 201)
    ok(api.put(f"/v1/locations/{loc}", json={"name": "x"}), 201)
    ok(api.put(f"/v1/accounts/{account}", json={"name": "x"}), 201)
    body = {"id": ids("SO"), "account": account, "lines": [
        {"line": "1", "sku": sku, "quantity": 1, "location": loc, "unit_price": "7.5"},
        {"line": "2", "sku": sku, "quantity": 1, "location": loc}]}
    placed = ok(api.post("/v1/orders", json=body), 201)
    assert placed["lines"][0]["unit_price"] == "7.50"
    assert "unit_price" not in placed["lines"][1]  # the item's price applies
    assert ok(api.post("/v1/orders", json=body), 200) == placed
    changed = {**body, "lines": [{**body["lines"][0], "unit_price": "8.00"}, body["lines"][1]]}
    problem(api.post("/v1/orders", json=changed), 409)
    bad = {**body, "id": ids("SO-BAD"), "lines": [{**body["lines"][0], "unit_price": "-1"}]}
    assert problem(api.post("/v1/orders", json=bad), 422)["errors"][0]["field"].endswith("unit_price")
