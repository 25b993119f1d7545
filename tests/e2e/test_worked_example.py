"""DESIGN.md's worked example, over HTTP, with its exact numbers."""

from __future__ import annotations

import httpx
from tests.e2e.conftest import Ids, events_after, last_event_id, make_account, make_position, ok


def test_worked_example_over_http(api: httpx.Client, ids: Ids) -> None:
    beam = make_position(api, ids, 2000, name="BEAM-W12")
    bigdev = make_account(api, ids, "bigdev")
    acme = make_account(api, ids, "acme")
    feb, mar = ids("PO-FEB"), ids("PO-MAR")
    for receipt, quantity, day in ((feb, 5000, "2026-02-01"), (mar, 6000, "2026-03-01")):
        ok(api.post("/v1/receipts", json={"id": receipt, "sku": beam.sku,
                                          "location": beam.location, "quantity": quantity,
                                          "expected_date": day}), 201)

    commitment = ok(api.post("/v1/commitments", json={
        "id": ids("C-STEEL-Q2"), "account": bigdev, "sku": beam.sku, "location": beam.location,
        "quantity": 10000, "need_date": "2026-04-01", "expires_on": "2026-06-30",
        "kind": "contract", "mode": "strict"}), 201)
    assert commitment["status"] == "open"
    assert commitment["confirmed"] == 10000
    assert commitment["remaining"] == 10000
    # Backward pegging: March's 6,000 and 4,000 of February, none of today's stock.
    assert sorted((p["receipt"], p["quantity"]) for p in commitment["promises"]) == sorted(
        [(feb, 4000), (mar, 6000)])

    position = ok(api.get(f"/v1/availability/{beam.sku}", params={"location": beam.location}))
    assert position == {
        "sku": beam.sku, "location": beam.location, "today": "2026-01-05",
        "on_hand": 2000, "allocated": 0, "committed": 10000, "backordered": 0,
        "incoming": 11000, "safety_stock": 0, "available_now": 2000, "safety_stock_short": 0,
        "atp": [{"date": "2026-01-05", "supply": 2000, "available": 2000},
                {"date": "2026-02-01", "supply": 5000, "available": 1000},
                {"date": "2026-03-01", "supply": 6000, "available": 0}],
    }

    order = ok(api.post("/v1/orders", json={"id": ids("SO"), "account": acme, "lines": [
        {"line": "1", "sku": beam.sku, "location": beam.location, "quantity": 3000}]}), 201)
    line = order["lines"][0]
    assert (line["allocated"], line["backordered"]) == (2000, 1000)
    assert line["promises"] == [
        {"quantity": 2000, "date": "2026-01-05", "confirmed": True},
        {"quantity": 1000, "date": "2026-02-01", "confirmed": True, "receipt": feb,
         "likely_by": "2026-02-01"},
    ]
    assert line["promised_date"] == "2026-02-01"
    assert line["queue_position"] == 1
    assert line["status"] == "partially_allocated"

    # The March receipt slips to May: the commitment's 6,000 follow it and are at risk.
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{mar}", json={"expected_date": "2026-05-01"}))
    at_risk = events_after(api, seen, "commitment.at_risk")
    assert [{k: e["data"][k] for k in ("commitment", "shortfall", "earliest_date")}
            for e in at_risk] == [
        {"commitment": commitment["id"], "shortfall": 6000, "earliest_date": "2026-05-01"}]
