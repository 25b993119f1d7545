"""What forecasts feed, over the API on SQLite and PostgreSQL: the stored
forecast, the projection, the suggestions, and accepting one through the
same command as POST /v1/receipts or POST /v1/commitments.

Forecasts are written directly with ``save_forecasts`` (the contract of the
forecasting runs), so no model is fitted here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.integration.helpers import make_late

from earmark.api.app import create_app
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.forecast.suggestions import Z_HI80
from earmark.service import commitments as commitment_handlers
from earmark.service.check import check_store
from earmark.service.uow import Store
from earmark.settings import Settings

TODAY = date(2026, 1, 5)


def day(n: int) -> str:
    return date(2026, 1, n).isoformat()


@pytest.fixture
def api(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store, Settings(dispatch=False))) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    return response.json()


def problem(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    document: dict[str, Any] = response.json()
    if kind is not None:
        assert document["type"] == f"urn:earmark:problem:{kind}", document
    return document


def save_forecast(store: Store, means: list[float], *, sigma: float = 0.0, sku: str = "COAT",
                  location: str = "WEB", run_id: str = "run-1", model: str = "AutoETS",
                  method_reason: str | None = None) -> PositionForecast:
    """A forecast made today, from tomorrow, whose 80% intervals put each day's σ at ``sigma``."""
    points = tuple(
        ForecastPoint(TODAY + timedelta(days=i + 1), m, max(m - Z_HI80 * sigma, 0.0),
                      m + Z_HI80 * sigma, max(m - 2 * sigma, 0.0), m + 2 * sigma)
        for i, m in enumerate(means)
    )
    forecast = PositionForecast(sku, location, run_id, TODAY, model, points,
                                Accuracy(0.81, 0.22), "SeasonalNaive", Accuracy(1.0, 0.31),
                                method_reason)
    with store.engine.begin() as conn:
        save_forecasts(conn, [forecast], datetime.now(UTC))
    return forecast


def seed(api: TestClient, *, on_hand: int = 0, lead_time_days: int | None = 3,
         safety_stock: int = 0, accounts: tuple[str, ...] = ("acme", "bolt")) -> None:
    item: dict[str, Any] = {"name": "Coat", "safety_stock": safety_stock}
    if lead_time_days is not None:
        item["lead_time_days"] = lead_time_days
    ok(api.put("/v1/items/COAT", json=item), 201)
    ok(api.put("/v1/locations/WEB", json={"name": "Web shop"}), 201)
    for account in accounts:
        ok(api.put(f"/v1/accounts/{account}", json={"name": account.title()}), 201)
    if on_hand:
        ok(api.post("/v1/adjustments", json={"sku": "COAT", "location": "WEB",
                                             "quantity": on_hand, "reason": "initial"}), 201)


def order(api: TestClient, oid: str, account: str, quantity: int,
          requested_date: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"line": "1", "sku": "COAT", "location": "WEB", "quantity": quantity}
    if requested_date:
        line["requested_date"] = requested_date
    body: dict[str, Any] = ok(api.post("/v1/orders", json={"id": oid, "account": account,
                                                           "lines": [line]}), 201)
    return body


def events(api: TestClient, after: int = 0) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api.get("/v1/events", params={"after": after, "limit": 1000}))[
        "items"]
    return items


def last_event(api: TestClient) -> int:
    seen = events(api)
    return int(seen[-1]["id"]) if seen else 0


# ----------------------------------------------------------------------
# GET /v1/forecasts/{sku}


def test_the_forecast_of_a_position_reads_as_stored(api: TestClient, store: Store) -> None:
    seed(api)
    problem(api.get("/v1/forecasts/COAT", params={"location": "WEB"}), 404, "not_found")
    saved = save_forecast(store, [4.0, 5.5, 6.0], sigma=1.0)
    body = ok(api.get("/v1/forecasts/COAT", params={"location": "WEB"}))
    assert {k: body[k] for k in ("sku", "location", "run_id", "made_on", "model", "method",
                                 "method_reason", "horizon_days")} == {
        "sku": "COAT", "location": "WEB", "run_id": "run-1", "made_on": TODAY.isoformat(),
        "model": "AutoETS", "method": "AutoETS", "method_reason": None, "horizon_days": 3}
    assert body["accuracy"] == {"mase": 0.81, "wape": 0.22}
    assert body["baseline"] == {"model": "SeasonalNaive", "mase": 1.0, "wape": 0.31}
    assert [p["date"] for p in body["points"]] == [day(6), day(7), day(8)]
    assert body["points"][1] == {"date": day(7), "mean": 5.5, "lo80": saved.points[1].lo80,
                                 "hi80": saved.points[1].hi80, "lo95": 3.5, "hi95": 7.5}
    # The only location may be left out, as for an order line.
    assert ok(api.get("/v1/forecasts/COAT")) == body


@pytest.mark.parametrize("model, reason", [("Naive", "too_little_history"),
                                           ("SeasonalNaive", "model_failed")])
def test_a_fallback_forecast_says_its_method_is_fallback_and_why(
    api: TestClient, store: Store, model: str, reason: str
) -> None:
    seed(api)
    save_forecast(store, [2.0, 3.0], model=model, method_reason=reason)
    body = ok(api.get("/v1/forecasts/COAT", params={"location": "WEB"}))
    assert (body["method"], body["method_reason"], body["model"]) == ("fallback", reason, model)
    used = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))["forecast"]
    assert (used["method"], used["method_reason"], used["model"]) == ("fallback", reason, model)


def test_forecast_reads_answer_problems_for_unknown_or_ambiguous_positions(
    api: TestClient, store: Store
) -> None:
    seed(api)
    save_forecast(store, [1.0])
    problem(api.get("/v1/forecasts/NOPE", params={"location": "WEB"}), 404, "not_found")
    problem(api.get("/v1/forecasts/COAT", params={"location": "NOWHERE"}), 404, "not_found")
    problem(api.get("/v1/projection/NOPE"), 404, "not_found")
    problem(api.get("/v1/forecasts/COAT", params={"location": "bad location"}), 422, "validation")
    ok(api.put("/v1/locations/STORE", json={"name": "A store"}), 201)
    document = problem(api.get("/v1/forecasts/COAT"), 422, "location_required")
    assert document["errors"][0]["field"] == "location"
    problem(api.get("/v1/projection/COAT"), 422, "location_required")
    problem(api.get("/v1/forecasts/COAT", params={"location": "STORE"}), 404, "not_found")


# ----------------------------------------------------------------------
# GET /v1/projection/{sku}


def test_projection_dates_over_the_api_on_the_hand_computed_case(
    api: TestClient, store: Store
) -> None:
    """tests/unit/test_projection.py's case, made of real rows: on-hand 20,
    safety stock 5; receipts of 10 on the 8th and of 3 overdue; lines of 4
    overdue and 9 on the 7th; 3 a day forecast from the 6th to the 14th, the
    7th's consumed by the line of 9 → on-hand 19 16 7 14 11 8 5 2 -1 -4: below
    safety stock on the 12th, below zero on the 13th."""
    seed(api, on_hand=20, safety_stock=5)
    ok(api.post("/v1/receipts", json={"id": "PO-1", "sku": "COAT", "location": "WEB",
                                      "quantity": 10, "expected_date": day(8)}), 201)
    ok(api.post("/v1/receipts", json={"id": "PO-LATE", "sku": "COAT", "location": "WEB",
                                      "quantity": 3, "expected_date": day(5)}), 201)
    make_late(store, "PO-LATE", date.fromisoformat(day(2)))
    order(api, "SO-1", "acme", 4, day(3))
    order(api, "SO-2", "bolt", 9, day(7))
    without = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    assert without["forecast"] is None and without["stale_forecast"] is False
    assert len(without["days"]) == 28 and without["first_below_zero"] is None
    save_forecast(store, [3.0] * 9)
    body = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    assert (body["today"], body["on_hand"], body["safety_stock"]) == (TODAY.isoformat(), 20, 5)
    assert body["forecast"] == {"run_id": "run-1", "model": "AutoETS", "method": "AutoETS",
                                "method_reason": None, "made_on": TODAY.isoformat(),
                                "first_date": day(6), "last_date": day(14)}
    assert [d["date"] for d in body["days"]] == [day(n) for n in range(5, 15)]
    assert [d["projected_on_hand"] for d in body["days"]] == [19, 16, 7, 14, 11, 8, 5, 2, -1, -4]
    assert body["days"][0] == {"date": day(5), "receipts": 3, "orders": 4, "commitments": 0,
                               "forecast": 0, "expected_demand": 4, "projected_on_hand": 19}
    assert body["days"][2]["expected_demand"] == 9
    assert (body["first_below_safety_stock"], body["first_below_zero"]) == (day(12), day(13))


def test_a_commitment_is_netted_against_the_forecast_of_its_need_date(
    api: TestClient, store: Store
) -> None:
    """On-hand 40; a commitment of 15 needed on the 8th; 2 a day from the 6th
    to the 15th. Expected demand 0, 2, 2, max(2, 15) = 15, then 2 a day: the
    projected on-hand ends at 40 − 15 − 9 × 2 = 7."""
    seed(api, on_hand=40)
    ok(api.post("/v1/commitments", json={"id": "C-1", "account": "acme", "sku": "COAT",
                                         "location": "WEB", "quantity": 15, "need_date": day(8)}),
       201)
    save_forecast(store, [2.0] * 10)
    body = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    assert [d["commitments"] for d in body["days"]] == [0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 0]
    assert [d["expected_demand"] for d in body["days"]] == [0, 2, 2, 15, 2, 2, 2, 2, 2, 2, 2]
    assert [d["projected_on_hand"] for d in body["days"]] == [40, 38, 36, 21, 19, 17, 15, 13, 11,
                                                              9, 7]


# ----------------------------------------------------------------------
# GET /v1/suggestions and accepting a receipt


def test_an_open_commitment_counts_as_demand_in_a_receipt_suggestion(
    api: TestClient, store: Store
) -> None:
    """As the case below, with a commitment of 7 needed on the 9th: the
    inventory position 10 + 6 − 3 − 7 = 6, so 29 − 6 = 23 units (16 without it)."""
    seed(api, on_hand=10, safety_stock=4)
    ok(api.post("/v1/receipts", json={"id": "PO-1", "sku": "COAT", "location": "WEB",
                                      "quantity": 6, "expected_date": day(20)}), 201)
    order(api, "SO-1", "acme", 3)
    ok(api.post("/v1/commitments", json={"id": "C-1", "account": "bolt", "sku": "COAT",
                                         "location": "WEB", "quantity": 7, "need_date": day(9),
                                         "mode": "partial"}), 201)
    save_forecast(store, [5.0] * 10)
    [suggestion] = ok(api.get("/v1/suggestions", params={"kind": "receipt", "review_days": 2}))[
        "items"]
    assert {k: suggestion["basis"][k] for k in ("open_orders", "open_commitments",
                                                "inventory_position")} == {
        "open_orders": 3, "open_commitments": 7, "inventory_position": 6}
    # Held 3 + 3 of on-hand 10 with safety stock 4: the buffer is whole.
    assert suggestion["basis"]["safety_stock_short"] == 0
    assert suggestion["quantity"] == 23


def test_a_receipt_suggestion_is_accepted_through_the_receipt_command(
    api: TestClient, store: Store
) -> None:
    """Lead time 3, item safety stock 4, no forecast error, 5 a day: the
    inventory position 10 + 6 - 3 = 13 is below the reorder point 19, so 16
    units are suggested for today + 3 (review 2 days: up to 29)."""
    seed(api, on_hand=10, safety_stock=4)
    ok(api.post("/v1/receipts", json={"id": "PO-1", "sku": "COAT", "location": "WEB",
                                      "quantity": 6, "expected_date": day(20)}), 201)
    order(api, "SO-1", "acme", 3)
    save_forecast(store, [5.0] * 10)
    params = {"kind": "receipt", "review_days": 2}
    page = ok(api.get("/v1/suggestions", params=params))
    assert page["next_cursor"] is None
    [suggestion] = page["items"]
    sid = suggestion["id"]
    assert {k: suggestion[k] for k in ("kind", "sku", "location", "account", "quantity", "date",
                                       "expires_on", "run_id", "model", "method")} == {
        "kind": "receipt", "sku": "COAT", "location": "WEB", "account": None, "quantity": 16,
        "date": day(8), "expires_on": None, "run_id": "run-1", "model": "AutoETS",
        "method": "AutoETS"}
    assert suggestion["request"] == {"id": sid, "sku": "COAT", "location": "WEB", "quantity": 16,
                                     "expected_date": day(8), "source": "purchase"}
    assert {k: suggestion["basis"][k] for k in ("open_commitments", "inventory_position",
                                                "reorder_point", "order_up_to", "safety_stock")} == {
        "open_commitments": 0, "inventory_position": 13, "reorder_point": 19, "order_up_to": 29,
        "safety_stock": 4}
    # Listed with other parameters, it is another suggestion: accepting with the defaults finds none.
    problem(api.post(f"/v1/suggestions/{sid}/accept"), 404, "not_found")
    seen = last_event(api)
    response = api.post(f"/v1/suggestions/{sid}/accept", json={"review_days": 2})
    created = ok(response, 201)
    assert response.headers["location"] == f"/v1/receipts/{sid}"
    assert created == ok(api.get(f"/v1/receipts/{sid}"))
    assert {k: created[k] for k in ("quantity", "open", "expected_date", "source", "status")} == {
        "quantity": 16, "open": 16, "expected_date": day(8), "source": "purchase", "status": "open"}
    assert [(e["type"], e["data"]["receipt"]) for e in events(api, seen)] == [
        ("receipt.changed", sid)]
    assert ok(api.get("/v1/suggestions", params=params))["items"] == []
    problem(api.post(f"/v1/suggestions/{sid}/accept", json={"review_days": 2}), 409,
            "already_accepted")
    assert check_store(store)[1] == []


# ----------------------------------------------------------------------
# Accepting a commitment (issue 7, 5c)


def test_an_accepted_commitment_suggestion_is_created_by_the_commitment_command_and_consumed(
    api: TestClient, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """acme ordered 30 and bolt 10 of the position today; 10 a day with σ 5
    over a 4-day window: P80 = 40 + 0.8416 × 10 = 48.4, so acme 36 and bolt
    12. acme's, accepted, is created by create_commitment itself (the handler
    of POST /v1/commitments), and acme's next order consumes it."""
    seed(api, on_hand=100)
    order(api, "SO-1", "acme", 30)
    order(api, "SO-2", "bolt", 10)
    save_forecast(store, [10.0] * 28, sigma=5.0)
    listed = ok(api.get("/v1/suggestions", params={"kind": "commitment", "window_days": 4}))["items"]
    assert [(s["account"], s["quantity"], s["date"], s["expires_on"]) for s in listed] == [
        ("acme", 36, day(9), day(10)), ("bolt", 12, day(9), day(10))]
    acme, bolt = listed
    sid = acme["id"]
    assert acme["request"] == {"id": sid, "account": "acme", "sku": "COAT", "location": "WEB",
                               "quantity": 36, "need_date": day(9), "expires_on": day(10),
                               "kind": "forecast", "mode": "strict"}
    handled: list[commitment_handlers.CreateCommitment] = []
    create = commitment_handlers.create_commitment

    def spy(uow: Any, cmd: commitment_handlers.CreateCommitment) -> Any:
        handled.append(cmd)
        return create(uow, cmd)

    monkeypatch.setattr(commitment_handlers, "create_commitment", spy)
    seen = last_event(api)
    accept = {"window_days": 4}
    response = api.post(f"/v1/suggestions/{sid}/accept", json=accept,
                        headers={"Idempotency-Key": "accept-acme"})
    created = ok(response, 201)
    assert response.headers["location"] == f"/v1/commitments/{sid}"
    assert handled == [commitment_handlers.CreateCommitment(
        sid, "acme", "COAT", "WEB", 36, date(2026, 1, 9), date(2026, 1, 10), "forecast", "strict")]
    assert created == ok(api.get(f"/v1/commitments/{sid}"))
    assert {k: created[k] for k in ("account", "kind", "mode", "quantity", "consumed", "remaining",
                                    "confirmed", "status")} == {
        "account": "acme", "kind": "forecast", "mode": "strict", "quantity": 36, "consumed": 0,
        "remaining": 36, "confirmed": 36, "status": "open"}
    assert [(e["type"], e["data"]["commitment"]) for e in events(api, seen)] == [
        ("commitment.confirmed", sid)]
    # A retry with the key answers the same and changes nothing; another body under it is refused.
    replay = api.post(f"/v1/suggestions/{sid}/accept", json=accept,
                      headers={"Idempotency-Key": "accept-acme"})
    assert (replay.status_code, replay.json()) == (201, created)
    assert replay.headers["location"] == f"/v1/commitments/{sid}"
    problem(api.post(f"/v1/suggestions/{sid}/accept", json={"window_days": 4, "mode": "partial"},
                     headers={"Idempotency-Key": "accept-acme"}), 422, "idempotency-key-reused")
    # Without a key, a second accept finds it accepted.
    problem(api.post(f"/v1/suggestions/{sid}/accept", json=accept), 409, "already_accepted")
    assert len(handled) == 1
    assert len(events(api, seen)) == 1
    # acme's share is covered now; bolt's suggestion is unchanged, id and all.
    again = ok(api.get("/v1/suggestions", params={"kind": "commitment", "window_days": 4}))["items"]
    assert again == [bolt]
    # acme's next order consumes the forecast commitment.
    order(api, "SO-3", "acme", 5)
    after = ok(api.get(f"/v1/commitments/{sid}"))
    assert (after["consumed"], after["remaining"]) == (5, 31)
    consumed = [e for e in events(api, seen) if e["type"] == "commitment.consumed"]
    assert [(e["data"]["commitment"], e["data"]["order"], e["data"]["quantity"])
            for e in consumed] == [(sid, "SO-3", 5)]
    assert check_store(store)[1] == []


def test_a_strict_suggestion_supply_cannot_confirm_is_refused_and_may_be_accepted_partial(
    api: TestClient, store: Store
) -> None:
    seed(api, on_hand=12, accounts=("acme",))
    order(api, "SO-1", "acme", 10)
    save_forecast(store, [10.0] * 28)
    [suggestion] = ok(api.get("/v1/suggestions", params={"kind": "commitment", "window_days": 4}))[
        "items"]
    assert suggestion["quantity"] == 40
    sid = suggestion["id"]
    seen = last_event(api)
    refused = problem(api.post(f"/v1/suggestions/{sid}/accept", json={"window_days": 4}), 409,
                      "insufficient")
    assert refused["shortfall"] == 38
    assert events(api, seen) == []
    problem(api.get(f"/v1/commitments/{sid}"), 404)
    created = ok(api.post(f"/v1/suggestions/{sid}/accept",
                          json={"window_days": 4, "mode": "partial", "id": "C-ACME-FC"}), 201)
    assert (created["id"], created["mode"], created["confirmed"]) == ("C-ACME-FC", "partial", 2)
    problem(api.post(f"/v1/suggestions/{sid}/accept",
                     json={"window_days": 4, "id": "C-ACME-FC"}), 409, "already_accepted")


def test_bad_accepts_and_lists_answer_problems_and_change_nothing(
    api: TestClient, store: Store
) -> None:
    seed(api, on_hand=10, safety_stock=4)
    order(api, "SO-1", "acme", 3)
    save_forecast(store, [5.0] * 10)
    [receipt] = ok(api.get("/v1/suggestions", params={"kind": "receipt"}))["items"]
    seen = last_event(api)
    rid = receipt["id"]
    problem(api.post("/v1/suggestions/sg-c-0000000000000000/accept"), 404, "not_found")
    problem(api.post("/v1/suggestions/PO-1/accept"), 404, "not_found")
    problem(api.post(f"/v1/suggestions/{rid}/accept", json={"mode": "partial"}), 422, "invalid")
    problem(api.post(f"/v1/suggestions/{rid}/accept", json={"service_level": 2}), 422, "validation")
    problem(api.post(f"/v1/suggestions/{rid}/accept", json={"quantity": 5}), 422, "validation")
    problem(api.post(f"/v1/suggestions/{rid}/accept", json={"id": "no spaces"}), 422, "validation")
    problem(api.post(f"/v1/suggestions/{rid}/accept", content=b"{",
                     headers={"content-type": "application/json"}), 400, "malformed-json")
    problem(api.get("/v1/suggestions", params={"kind": "bogus"}), 422, "validation")
    problem(api.get("/v1/suggestions", params={"window_days": 0}), 422, "validation")
    problem(api.get("/v1/suggestions", params={"service_level": 0.2}), 422, "validation")
    assert events(api, seen) == []
    assert ok(api.get("/v1/receipts"))["items"] == []
    assert ok(api.get("/v1/suggestions", params={"kind": "receipt"}))["items"] == [receipt]


def test_suggestions_are_paged_and_filtered(api: TestClient, store: Store) -> None:
    seed(api, on_hand=10, safety_stock=4)
    order(api, "SO-1", "acme", 3)
    order(api, "SO-2", "bolt", 1)
    save_forecast(store, [5.0] * 30)
    every = ok(api.get("/v1/suggestions"))["items"]
    assert [(s["kind"], s["account"]) for s in every] == [
        ("receipt", None), ("commitment", "acme"), ("commitment", "bolt")]
    first = ok(api.get("/v1/suggestions", params={"limit": 2}))
    second = ok(api.get("/v1/suggestions", params={"limit": 2, "cursor": first["next_cursor"]}))
    assert first["items"] + second["items"] == every and second["next_cursor"] is None
    assert ok(api.get("/v1/suggestions", params={"account": "bolt"}))["items"] == every[2:]
    assert ok(api.get("/v1/suggestions", params={"sku": "COAT", "location": "WEB",
                                                 "kind": "commitment"}))["items"] == every[1:]
    assert ok(api.get("/v1/suggestions", params={"location": "ELSEWHERE"}))["items"] == []


# ----------------------------------------------------------------------
# Edge cases: a stale forecast, an item without lead time, parameters on accept


def test_a_stale_forecast_is_shown_but_feeds_neither_projection_nor_suggestions(
    api: TestClient, store: Store
) -> None:
    """A forecast made 20 days ago whose 10 days are all past: still readable,
    but the projection counts no forecast (and says so) and nothing is suggested."""
    seed(api, on_hand=5)
    order(api, "SO-1", "acme", 2)
    made_on = TODAY - timedelta(days=20)
    points = tuple(ForecastPoint(made_on + timedelta(days=i), 50.0, 40.0, 60.0, 30.0, 70.0)
                   for i in range(1, 11))
    with store.engine.begin() as conn:
        save_forecasts(conn, [PositionForecast("COAT", "WEB", "run-old", made_on, "AutoETS", points,
                                               Accuracy(None, None), "SeasonalNaive",
                                               Accuracy(None, None))], datetime.now(UTC))
    shown = ok(api.get("/v1/forecasts/COAT", params={"location": "WEB"}))
    assert (shown["run_id"], shown["horizon_days"], shown["accuracy"]) == (
        "run-old", 10, {"mase": None, "wape": None})
    body = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    assert (body["forecast"], body["stale_forecast"]) == (None, True)
    assert len(body["days"]) == 28 and all(d["forecast"] == 0 for d in body["days"])
    assert {d["projected_on_hand"] for d in body["days"]} == {3}
    assert (body["first_below_safety_stock"], body["first_below_zero"]) == (None, None)
    assert ok(api.get("/v1/suggestions"))["items"] == []


def test_an_item_without_a_lead_time_gets_commitment_suggestions_but_no_receipt(
    api: TestClient, store: Store
) -> None:
    """No lead time dates no receipt, however short the position: only acme's
    forecast commitment (5 a day over 28 days, all of it acme's: 140)."""
    seed(api, lead_time_days=None, accounts=("acme",))
    order(api, "SO-1", "acme", 4)  # backordered: nothing on hand
    save_forecast(store, [5.0] * 28)
    listed = ok(api.get("/v1/suggestions"))["items"]
    assert [(s["kind"], s["account"], s["quantity"]) for s in listed] == [
        ("commitment", "acme", 140)]
    assert ok(api.get("/v1/suggestions", params={"kind": "receipt"}))["items"] == []
    body = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    assert body["first_below_zero"] == TODAY.isoformat()
    assert body["days"][1]["projected_on_hand"] == -9


def test_accept_passes_the_service_level_and_the_receipts_source(
    api: TestClient, store: Store
) -> None:
    """σ 2 a day: the 99% level's safety stock is larger than the default 95%'s,
    so its receipt is another suggestion, found on accept only with its level."""
    seed(api, on_hand=10)
    save_forecast(store, [5.0] * 10, sigma=2.0)
    default = ok(api.get("/v1/suggestions", params={"kind": "receipt"}))["items"]
    [high] = ok(api.get("/v1/suggestions", params={"kind": "receipt", "service_level": 0.99}))[
        "items"]
    assert [s["id"] for s in default] != [high["id"]]
    assert high["basis"]["service_level"] == 0.99
    sid = high["id"]
    problem(api.post(f"/v1/suggestions/{sid}/accept"), 404, "not_found")
    # Like every number of a body, the level is a JSON number, not a string.
    problem(api.post(f"/v1/suggestions/{sid}/accept", json={"service_level": "0.99"}), 422,
            "validation")
    created = ok(api.post(f"/v1/suggestions/{sid}/accept",
                          json={"service_level": 0.99, "source": "production"}), 201)
    assert (created["id"], created["quantity"], created["source"]) == (
        sid, high["quantity"], "production")


def test_suggestions_are_filtered_by_sku(api: TestClient, store: Store) -> None:
    seed(api, on_hand=1)
    ok(api.put("/v1/items/HAT", json={"name": "Hat", "lead_time_days": 2}), 201)
    save_forecast(store, [5.0] * 10)
    save_forecast(store, [3.0] * 10, sku="HAT")
    every = ok(api.get("/v1/suggestions", params={"kind": "receipt"}))["items"]
    assert [s["sku"] for s in every] == ["COAT", "HAT"]
    assert ok(api.get("/v1/suggestions", params={"sku": "HAT"}))["items"] == every[1:]
    assert ok(api.get("/v1/suggestions", params={"sku": "NOPE"}))["items"] == []


# ----------------------------------------------------------------------
# The position page's forecast chart


def chart_data(api: TestClient, sku: str = "COAT", location: str = "WEB") -> Any:
    page = api.get(f"/positions/{sku}/{location}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    if 'class="forecast-data">' not in page.text:
        return None
    return json.loads(page.text.split('class="forecast-data">')[1].split("</script>")[0])


def test_the_position_pages_forecast_chart_reads_the_apis_forecast_and_projection(
    api: TestClient, store: Store
) -> None:
    """On-hand 10, a line of 4 on the 7th; 3 a day forecast from the 6th (σ 1).
    Day by day the chart has what /v1/forecasts and /v1/projection say."""
    seed(api, on_hand=10)
    order(api, "SO-1", "acme", 4, day(7))
    assert chart_data(api) is None
    page = api.get("/positions/COAT/WEB").text
    assert "No current forecast of this position" in page
    saved = save_forecast(store, [3.0, 3.0, 3.0], sigma=1.0)
    chart = chart_data(api)
    projection = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    shown = ok(api.get("/v1/forecasts/COAT", params={"location": "WEB"}))
    assert chart["dates"] == [d["date"] for d in projection["days"]] == [day(n) for n in range(5, 9)]
    assert chart["projected_on_hand"] == [d["projected_on_hand"] for d in projection["days"]]
    assert chart["projected_on_hand"] == [10, 7, 3, 0]  # the 7th: the line of 4 consumes its 3
    assert chart["forecast"] == [None] + [p["mean"] for p in shown["points"]]
    assert chart["lo80"] == [None] + [round(p.lo80, 2) for p in saved.points]
    assert chart["hi80"] == [None] + [round(p.hi80, 2) for p in saved.points]
    assert (chart["method"], chart["method_reason"], chart["model"]) == ("AutoETS", None, "AutoETS")


def test_the_position_page_says_a_fallback_forecast_is_one(api: TestClient, store: Store) -> None:
    seed(api)
    save_forecast(store, [1.0, 2.0], model="Naive", method_reason="too_little_history")
    assert chart_data(api)["method"] == "fallback"
    page = api.get("/positions/COAT/WEB").text
    assert 'data-method="fallback"' in page
    assert "(too little history; Naive made the points)" in page
