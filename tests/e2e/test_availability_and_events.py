"""Availability, promise quotes, the backorder queue, and the event feed."""

from __future__ import annotations

import httpx
from tests.e2e.conftest import (
    Ids,
    events_after,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)


def test_availability_of_an_unknown_sku_or_location_is_404(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 1)
    problem(api.get(f"/v1/availability/{ids('nope')}"), 404, "not_found")
    problem(api.get(f"/v1/availability/{at.sku}", params={"location": ids("nope")}), 404)
    problem(api.get(f"/v1/availability/{at.sku}", params={"location": "bad id"}), 422)


def test_availability_without_a_location_sums_every_location_without_atp(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    other = ids("LOC-2")
    ok(api.put(f"/v1/locations/{other}", json={"name": "Second"}), 201)
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": other, "quantity": 7,
                                         "reason": "initial"}), 201)
    ok(api.post("/v1/receipts", json={"id": ids("PO"), "sku": at.sku, "location": other,
                                      "quantity": 4, "expected_date": "2026-02-01"}), 201)
    total = ok(api.get(f"/v1/availability/{at.sku}"))
    assert total == {"sku": at.sku, "location": None, "today": "2026-01-05", "on_hand": 12,
                     "allocated": 0, "committed": 0, "backordered": 0, "incoming": 4,
                     "safety_stock": 0, "available_now": 12, "safety_stock_short": 0}


def test_safety_stock_is_kept_out_of_what_can_be_promised(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 10, item={"safety_stock": 4})
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert (position["on_hand"], position["safety_stock"], position["available_now"]) == (10, 4, 6)
    assert position["atp"] == [{"date": "2026-01-05", "supply": 6, "available": 6}]


def test_a_promise_quote_holds_nothing(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 3, item={"lead_time_days": 7})
    ok(api.post("/v1/receipts", json={"id": ids("PO"), "sku": at.sku, "location": at.location,
                                      "quantity": 2, "expected_date": "2026-02-01"}), 201)
    before = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    seen = last_event_id(api)
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                             "quantity": 6, "requested_date": "2026-01-06"}))
    # Earliest first (API.md): the estimate for the waiting unit (today + 7
    # days) falls before the receipt's date, so it is listed before it.
    assert quote["promises"] == [
        {"quantity": 3, "date": "2026-01-06", "confirmed": True},
        {"quantity": 1, "date": "2026-01-12", "confirmed": False},
        {"quantity": 2, "date": "2026-02-01", "confirmed": True, "receipt": quote["promises"][2][
            "receipt"], "likely_by": "2026-02-01"},
    ]
    assert (quote["promised_date"], quote["complete"], quote["quantity"]) == (
        "2026-02-01", False, 6)
    assert ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                            "quantity": 5}))["complete"] is True
    assert events_after(api, seen) == []
    assert ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location})) == before
    problem(api.post("/v1/promise", json={"sku": ids("nope"), "quantity": 1}), 422, "unknown_sku")
    problem(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                          "quantity": 1, "account": ids("nobody")}), 422,
            "unknown_account")


def test_backorders_are_listed_in_serving_order(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 3})
    regular = make_account(api, ids, "regular", 100)
    vip = make_account(api, ids, "vip", 1)
    placed = []
    for n, account in enumerate((regular, regular, vip)):
        placed.append(ok(api.post("/v1/orders", json={"id": ids(f"SO{n}"), "account": account,
                                                      "lines": [{"line": "a", "sku": at.sku,
                                                                 "location": at.location,
                                                                 "quantity": n + 1}]}), 201))
    queue = ok(api.get("/v1/backorders", params={"sku": at.sku, "location": at.location}))
    assert [(b["order"], b["account"], b["backordered"], b["queue_position"], b["confirmed"],
             b["promised_date"]) for b in queue["items"]] == [
        (placed[2]["id"], vip, 3, 1, False, "2026-01-08"),
        (placed[0]["id"], regular, 1, 2, False, "2026-01-08"),
        (placed[1]["id"], regular, 2, 3, False, "2026-01-08"),
    ]
    assert ok(api.get(f"/v1/orders/{placed[0]['id']}"))["lines"][0]["queue_position"] == 2
    mine = ok(api.get("/v1/backorders", params={"sku": at.sku, "account": vip}))["items"]
    assert [b["order"] for b in mine] == [placed[2]["id"]]
    first = ok(api.get("/v1/backorders", params={"sku": at.sku, "limit": 2}))
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = ok(api.get("/v1/backorders", params={"sku": at.sku, "limit": 2,
                                                "cursor": first["next_cursor"]}))
    assert [b["order"] for b in rest["items"]] == [placed[1]["id"]]
    assert rest["next_cursor"] is None


def test_events_come_oldest_first_after_an_id_by_type_and_in_pages(
    api: httpx.Client, ids: Ids
) -> None:
    seen = last_event_id(api)
    at = make_position(api, ids, 5)
    for quantity in (1, 2, 3):
        ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                             "quantity": quantity, "reason": "count"}), 201)
    mine = [e for e in events_after(api, seen) if e["data"].get("sku") == at.sku]
    assert [e["data"]["quantity"] for e in mine] == [5, 1, 2, 3]
    assert all(e["type"] == "stock.adjusted" and e["at"].endswith("Z") for e in mine)
    assert [e["id"] for e in mine] == sorted(e["id"] for e in mine)
    page = ok(api.get("/v1/events", params={"after": mine[0]["id"], "limit": 2,
                                            "type": "stock.adjusted"}))
    assert all(e["id"] > mine[0]["id"] for e in page["items"])
    assert len(page["items"]) == 2 and page["next_cursor"] is not None
    following = ok(api.get("/v1/events", params={"cursor": page["next_cursor"], "limit": 1,
                                                 "type": "stock.adjusted"}))
    assert following["items"][0]["id"] > page["items"][-1]["id"]
    assert ok(api.get("/v1/events", params={"type": "no.such.type"}))["items"] == []
    problem(api.get("/v1/events", params={"after": -1}), 422, "validation")
    problem(api.get("/v1/events", params={"cursor": "abc"}), 422, "validation")


def test_health_and_clock_and_the_openapi_description(api: httpx.Client) -> None:
    health = ok(api.get("/healthz"))
    assert health["status"] == "ok" and health["database"] in ("sqlite", "postgresql")
    assert ok(api.get("/v1/clock")) == {"today": "2026-01-05", "frozen": True}
    schema = ok(api.get("/openapi.json"))
    documented = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert {
        ("GET", "/healthz"), ("PUT", "/v1/items/{sku}"), ("GET", "/v1/items/{sku}"),
        ("GET", "/v1/items"), ("PUT", "/v1/locations/{code}"), ("GET", "/v1/locations/{code}"),
        ("GET", "/v1/locations"), ("PUT", "/v1/accounts/{id}"), ("GET", "/v1/accounts/{id}"),
        ("GET", "/v1/accounts"), ("POST", "/v1/adjustments"), ("POST", "/v1/receipts"),
        ("PATCH", "/v1/receipts/{id}"), ("POST", "/v1/receipts/{id}/receive"),
        ("POST", "/v1/receipts/{id}/cancel"), ("POST", "/v1/orders"),
        ("GET", "/v1/orders/{id}"), ("GET", "/v1/orders"), ("POST", "/v1/orders/{id}/cancel"),
        ("POST", "/v1/orders/{id}/ship"), ("POST", "/v1/commitments"),
        ("GET", "/v1/commitments/{id}"), ("GET", "/v1/commitments"),
        ("POST", "/v1/commitments/{id}/release"), ("GET", "/v1/availability/{sku}"),
        ("POST", "/v1/promise"), ("GET", "/v1/backorders"), ("GET", "/v1/events"),
        ("POST", "/v1/clock"), ("POST", "/v1/orders:batch"),
    } <= documented
    problem_schema = schema["paths"]["/v1/orders"]["post"]["responses"]["409"]["content"]
    assert "application/problem+json" in problem_schema
