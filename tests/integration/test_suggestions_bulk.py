"""GET /v1/suggestions reads every position with a forecast in a fixed number
of statements, and lists exactly what computing each position on its own
gives: the reference below reads one position at a time, as the listing
once did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from tests.integration.helpers import make_late
from tests.integration.test_forecast_uses import TODAY, day, ok, save_forecast
from tests.integration.test_statement_count import counting

from earmark.api.app import create_app
from earmark.forecast.planning import (
    KIND_ORDER,
    projection_of,
    projection_out,
    suggestion_out,
    suggestions,
)
from earmark.forecast.projection import Dated, OpenCommitment, PositionState, project
from earmark.forecast.store import (
    Accuracy,
    ForecastPoint,
    PositionForecast,
    forecasts_of,
    latest_forecast,
    save_forecasts,
)
from earmark.forecast.suggestions import (
    COMMITMENT,
    RECEIPT,
    SHARE_HISTORY_DAYS,
    Params,
    Suggestion,
    suggest_commitments,
    suggest_receipt,
)
from earmark.service.uow import Store
from earmark.settings import Settings
from earmark.store import tables as t

ACCOUNTS = ("acme", "bolt", "cedar")


@pytest.fixture
def api(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store, Settings(dispatch=False))) as client:
        yield client


# ----------------------------------------------------------------------
# The reference: one position at a time


def reference_state(tx: Connection, sku: str, location: str, today: date
                    ) -> PositionState | None:
    item = tx.execute(
        select(t.items.c.safety_stock, t.items.c.lead_time_days).where(t.items.c.sku == sku)
    ).first()
    if item is None:
        return None
    stored = tx.execute(
        select(t.positions.c.on_hand, t.positions.c.held).where(
            t.positions.c.sku == sku, t.positions.c.location == location)
    ).first()
    on_hand, held = stored if stored is not None else (0, 0)
    r, ol, c = t.receipts, t.order_lines, t.commitments
    receipts = tuple(
        Dated(d, int(q)) for d, q in tx.execute(
            select(r.c.expected_date, r.c.quantity - r.c.received)
            .where(r.c.sku == sku, r.c.location == location, r.c.status == "open",
                   r.c.quantity > r.c.received)
            .order_by(r.c.expected_date, r.c.seq)))
    orders = tuple(
        Dated(d, int(q)) for d, q in tx.execute(
            select(ol.c.requested_date, ol.c.open)
            .where(ol.c.sku == sku, ol.c.location == location, ol.c.open > 0)
            .order_by(ol.c.requested_date, ol.c.seq, ol.c.idx)))
    commitments = tuple(
        OpenCommitment(row.id, row.account, row.kind, row.need_date, row.expires_on,
                       int(row.remaining))
        for row in tx.execute(
            select(c.c.id, c.c.account, c.c.kind, c.c.need_date, c.c.expires_on,
                   (c.c.quantity - c.c.consumed - c.c.released).label("remaining"))
            .where(c.c.sku == sku, c.c.location == location, c.c.status == "open")
            .order_by(c.c.seq))
        if int(row.remaining) > 0)
    return PositionState(sku, location, today, int(on_hand or 0), int(item.safety_stock),
                         item.lead_time_days, receipts, orders, commitments, int(held or 0))


def reference_ordered(tx: Connection, sku: str, location: str, first: date, last: date
                      ) -> dict[str, int]:
    ol, o = t.order_lines, t.orders
    rows = tx.execute(
        select(ol.c.account, func.sum(ol.c.quantity))
        .join(o, o.c.id == ol.c.order_id)
        .where(ol.c.sku == sku, ol.c.location == location,
               o.c.ordered_on >= first, o.c.ordered_on <= last)
        .group_by(ol.c.account))
    return {account: int(total) for account, total in rows if total}


def reference(tx: Connection, today: date, params: Params, *, sku: str | None = None,
              location: str | None = None, kind: str | None = None,
              account: str | None = None) -> list[Suggestion]:
    found: list[Suggestion] = []
    for forecast in forecasts_of(tx, sku):
        if location is not None and forecast.location != location:
            continue
        state = reference_state(tx, forecast.sku, forecast.location, today)
        if state is None:
            continue
        if kind in (None, RECEIPT) and (receipt := suggest_receipt(state, forecast, params)):
            found.append(receipt)
        if kind in (None, COMMITMENT):
            first = today - timedelta(days=SHARE_HISTORY_DAYS - 1)
            ordered = reference_ordered(tx, forecast.sku, forecast.location, first, today)
            found += suggest_commitments(state, forecast, ordered, params)
    if account is not None:
        found = [s for s in found if s.account == account]
    return sorted(found, key=lambda s: (s.sku, s.location, KIND_ORDER[s.kind], s.account or ""))


# ----------------------------------------------------------------------
# A catalogue


def position(i: int) -> tuple[str, str]:
    return f"S{i // 2:02d}", ("WEB", "SHOP")[i % 2]


def save_stale_forecast(store: Store, sku: str, location: str) -> None:
    """A forecast whose every point is on or before today."""
    made = TODAY - timedelta(days=10)
    points = tuple(ForecastPoint(made + timedelta(days=k + 1), 2.0, 1.0, 3.0, 0.5, 3.5)
                   for k in range(5))
    forecast = PositionForecast(sku, location, "run-old", made, "AutoETS", points,
                                Accuracy(None, None), "SeasonalNaive", Accuracy(None, None))
    with store.engine.begin() as conn:
        save_forecasts(conn, [forecast], datetime.now(UTC))


def build(api: TestClient, store: Store, count: int, *, unforecast: int = 2) -> None:
    """``count`` positions with forecasts (and ``unforecast`` more without), with
    stock, receipts, orders and commitments of several accounts."""
    for account in ACCOUNTS:
        ok(api.put(f"/v1/accounts/{account}", json={"name": account.title()}), 201)
    for code in ("WEB", "SHOP"):
        ok(api.put(f"/v1/locations/{code}", json={"name": code.title()}), 201)
    for i in range(count + unforecast):
        sku, location = position(i)
        if i % 2 == 0:
            item: dict[str, Any] = {"name": sku, "safety_stock": (i // 2) % 3 * 2}
            if (i // 2) % 5 != 4:
                item["lead_time_days"] = 2 + (i // 2) % 4
            ok(api.put(f"/v1/items/{sku}", json=item), 201)
        stock = 40 if i % 3 == 1 else i * 3
        if stock:
            ok(api.post("/v1/adjustments", json={"sku": sku, "location": location,
                                                 "quantity": stock, "reason": "initial"}), 201)
        if i % 2 == 0:
            ok(api.post("/v1/receipts", json={"id": f"PO-{i}", "sku": sku, "location": location,
                                              "quantity": 5 + i,
                                              "expected_date": day(6 + i % 3)}), 201)
        if i % 3 == 0:
            ok(api.post("/v1/receipts", json={"id": f"PO-LATE-{i}", "sku": sku,
                                              "location": location, "quantity": 3,
                                              "expected_date": day(5)}), 201)
            make_late(store, f"PO-LATE-{i}", date.fromisoformat(day(2)))
        if i % 7 != 6:  # some positions have no orders at all
            for n, account in enumerate(ACCOUNTS[: 1 + i % 3]):
                line: dict[str, Any] = {"line": "1", "sku": sku, "location": location,
                                        "quantity": 1 + (i + n) % 4}
                if n == 1:
                    line["requested_date"] = day(7 + i % 4)
                ok(api.post("/v1/orders", json={"id": f"SO-{i}-{n}", "account": account,
                                                "lines": [line]}), 201)
        if i % 3 == 1:
            ok(api.post("/v1/commitments", json={"id": f"C-{i}", "account": "acme", "sku": sku,
                                                 "location": location, "quantity": 4,
                                                 "need_date": day(9)}), 201)
        if i < count:
            forecast(store, i)


def forecast(store: Store, i: int) -> None:
    sku, location = position(i)
    if i % 6 == 5:
        save_stale_forecast(store, sku, location)
    else:
        save_forecast(store, [1.0 + i % 4 + k * 0.25 for k in range(14)],
                      sigma=0.5 * (i % 3), sku=sku, location=location, run_id=f"run-{i}")


def listing(api: TestClient, **query: str) -> list[dict[str, Any]]:
    body = ok(api.get("/v1/suggestions", params={"limit": 500, **query}))
    items: list[dict[str, Any]] = body["items"]
    return items


# ----------------------------------------------------------------------


FILTERS: list[dict[str, str]] = [
    {}, {"sku": "S01"}, {"location": "SHOP"}, {"sku": "S02", "location": "WEB"},
    {"account": "acme"}, {"account": "bolt", "kind": "commitment"}, {"kind": "receipt"},
    {"kind": "commitment"}, {"account": "acme", "kind": "receipt"}, {"sku": "NOPE"},
]


@pytest.mark.parametrize("query", FILTERS, ids=lambda q: ",".join(f"{k}={v}" for k, v in q.items())
                         or "all")
def test_the_listing_is_what_each_position_computes_alone(api: TestClient, store: Store,
                                                          query: dict[str, str]) -> None:
    build(api, store, 12)
    for params in (Params(), Params(service_level=0.99, review_days=3, window_days=10)):
        with store.unit_of_work() as uow:
            got = suggestions(uow.tx, uow.today, params, **query)
            want = reference(uow.tx, uow.today, params, **query)
        assert got == want
    shown = listing(api, **query)
    with store.unit_of_work() as uow:
        assert shown == [suggestion_out(s)
                         for s in reference(uow.tx, uow.today, Params(), **query)]
    if not query:
        assert {s["kind"] for s in shown} == {RECEIPT, COMMITMENT}  # both are exercised


def test_the_projection_of_each_position_is_unchanged(api: TestClient, store: Store) -> None:
    build(api, store, 12)
    with store.unit_of_work() as uow:
        for i in range(14):
            sku, location = position(i)
            state = reference_state(uow.tx, sku, location, uow.today)
            assert state is not None
            stored = latest_forecast(uow.tx, sku, location)
            want = projection_out(state, stored, project(state, stored.points if stored else ()))
            assert projection_of(uow.tx, sku, location, uow.today) == want
        assert projection_of(uow.tx, "NOPE", "WEB", uow.today) is None


COUNTED: list[dict[str, str]] = [
    {}, {"sku": "S01"}, {"location": "SHOP"}, {"account": "acme"}, {"kind": "receipt"},
    {"kind": "commitment"}, {"sku": "S00", "location": "WEB"},
]
"""Filters that find forecasts among 3 positions as among 12 (one that finds
none answers after reading the forecasts)."""
STATEMENTS_MAX = 10
"""The transaction's own, the forecasts, and one query per kind of row: items
and positions, receipts, order lines, commitments, ordered units; the
positions with backorders that a lane leads into (transfer suggestions); and
the suppliers' recorded slips (σ_L of the safety stock)."""


def statements_listing(api: TestClient, store: Store) -> dict[str, int]:
    counts: dict[str, int] = {}
    for query in COUNTED:
        with counting(store) as statements:
            listing(api, **query)
        counts[str(query)] = len(statements)
    return counts


def test_the_listing_costs_the_same_statements_for_3_and_12_positions(
        api: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # Whether API keys have been made is asked at most once a second
    # (earmark.api.keyring); here once, before counting, not whenever a second
    # happens to pass during a counted listing.
    monkeypatch.setattr("earmark.api.keyring.RECHECK_SECONDS", 3600.0)
    build(api, store, 3, unforecast=11)
    assert len(listing(api)) > 0
    small = statements_listing(api, store)
    for i in range(3, 12):
        forecast(store, i)
    assert len(listing(api)) > 10
    large = statements_listing(api, store)
    assert large == small
    assert max(large.values()) <= STATEMENTS_MAX
