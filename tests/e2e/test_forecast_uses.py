"""What forecasts feed, against the real server over HTTP: a forecast written
to its database (as a forecasting run would) is read back, projected, and
turns into a commitment suggestion that, accepted, the account's orders consume."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests.e2e.conftest import Server, events_after, last_event_id, launch, ok, problem

from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.forecast.suggestions import Z_HI80
from earmark.service.uow import Store

TODAY = date(2026, 1, 5)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own: the test writes forecasts into its database."""
    running = launch(database_url, tmp_path)
    try:
        yield running
    finally:
        running.stop()
    text = running.log.read_text(errors="replace")
    assert "Traceback" not in text, text[-5000:]


def test_a_forecast_feeds_projection_and_an_accepted_commitment_that_orders_consume(
    server: Server, database_url: str
) -> None:
    api = server.client
    ok(api.put("/v1/items/COAT", json={"name": "Coat", "lead_time_days": 3}), 201)
    ok(api.put("/v1/locations/WEB", json={"name": "Web"}), 201)
    ok(api.put("/v1/accounts/acme", json={"name": "Acme"}), 201)
    ok(api.post("/v1/adjustments", json={"sku": "COAT", "location": "WEB", "quantity": 60,
                                         "reason": "initial"}), 201)
    ok(api.post("/v1/orders", json={"id": "SO-1", "account": "acme", "lines": [
        {"line": "1", "sku": "COAT", "location": "WEB", "quantity": 8}]}), 201)
    problem(api.get("/v1/forecasts/COAT", params={"location": "WEB"}), 404, "not_found")

    points = tuple(ForecastPoint(TODAY + timedelta(days=i), 6.0, 6.0 - Z_HI80, 6.0 + Z_HI80,
                                 4.0, 8.0) for i in range(1, 15))
    store = Store(database_url)
    try:
        with store.engine.begin() as conn:
            save_forecasts(conn, [PositionForecast("COAT", "WEB", "run-e2e", TODAY, "AutoARIMA",
                                                   points, Accuracy(0.7, 0.18), "SeasonalNaive",
                                                   Accuracy(1.0, 0.25))], datetime.now(UTC))
    finally:
        store.dispose()

    forecast = ok(api.get("/v1/forecasts/COAT", params={"location": "WEB"}))
    assert (forecast["model"], forecast["run_id"], len(forecast["points"])) == (
        "AutoARIMA", "run-e2e", 14)
    assert forecast["baseline"] == {"model": "SeasonalNaive", "mase": 1.0, "wape": 0.25}

    # 60 on hand, 8 on order today, then 6 a day: 52 - 6n falls below zero on day 9 (the 14th).
    projection = ok(api.get("/v1/projection/COAT", params={"location": "WEB"}))
    assert projection["days"][0]["projected_on_hand"] == 52
    assert projection["days"][8]["projected_on_hand"] == 4
    assert (projection["first_below_safety_stock"], projection["first_below_zero"]) == (
        "2026-01-14", "2026-01-14")

    listed = ok(api.get("/v1/suggestions", params={"kind": "commitment", "window_days": 7}))
    [suggestion] = listed["items"]
    # acme ordered all of it: P80 of 7 days = 42 + 0.8416 × √7 = 44.2 → 44.
    assert (suggestion["account"], suggestion["quantity"], suggestion["date"]) == (
        "acme", 44, "2026-01-12")
    seen = last_event_id(api)
    response = api.post(f"/v1/suggestions/{suggestion['id']}/accept", json={"window_days": 7},
                        headers={"Idempotency-Key": "e2e-accept"})
    created = ok(response, 201)
    assert response.headers["location"] == f"/v1/commitments/{suggestion['id']}"
    assert created == ok(api.get(f"/v1/commitments/{suggestion['id']}"))
    assert (created["kind"], created["quantity"], created["confirmed"]) == ("forecast", 44, 44)
    replay = api.post(f"/v1/suggestions/{suggestion['id']}/accept", json={"window_days": 7},
                      headers={"Idempotency-Key": "e2e-accept"})
    assert (replay.status_code, replay.json()) == (201, created)

    ok(api.post("/v1/orders", json={"id": "SO-2", "account": "acme", "lines": [
        {"line": "1", "sku": "COAT", "location": "WEB", "quantity": 5}]}), 201)
    consumed = ok(api.get(f"/v1/commitments/{suggestion['id']}"))
    assert (consumed["consumed"], consumed["remaining"]) == (5, 39)
    assert [e["type"] for e in events_after(api, seen)].count("commitment.consumed") == 1
