"""Tests that need a server and a database of their own: the calendar,
API keys, a database with exactly one location, a calendar that follows the
real date."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from tests.e2e.conftest import (
    Ids,
    StartServer,
    events_after,
    make_account,
    make_position,
    ok,
    problem,
)


def test_the_frozen_calendar_moves_forward_only_and_expires_commitments(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    waiting = make_account(api, ids, "waiting")
    cid = ids("C")
    ok(api.post("/v1/commitments", json={
        "id": cid, "account": account, "sku": at.sku, "location": at.location, "quantity": 10,
        "need_date": "2026-01-20", "expires_on": "2026-02-01"}), 201)
    oid = ids("SO")
    ok(api.post("/v1/orders", json={"id": oid, "account": waiting, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 4}]}), 201)

    moved = ok(api.post("/v1/clock", json={"today": "2026-01-31"}))
    assert moved == {"today": "2026-01-31", "frozen": True, "expired_commitments": 0}
    assert ok(api.get(f"/v1/commitments/{cid}"))["status"] == "open"

    moved = ok(api.post("/v1/clock", json={"today": "2026-02-01"}))
    assert moved["expired_commitments"] == 1
    assert ok(api.get("/v1/clock")) == {"today": "2026-02-01", "frozen": True}
    commitment = ok(api.get(f"/v1/commitments/{cid}"))
    assert (commitment["status"], commitment["remaining"]) == ("expired", 0)
    assert ok(api.get(f"/v1/orders/{oid}"))["lines"][0]["allocated"] == 4
    expired = events_after(api, 0, "commitment.expired")
    assert [e["data"] for e in expired] == [{"commitment": cid, "quantity": 10}]
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert position["today"] == "2026-02-01"

    problem(api.post("/v1/clock", json={"today": "2026-01-31"}), 422, "clock_backwards")
    assert ok(api.post("/v1/clock", json={"today": "2026-02-01"}))["expired_commitments"] == 0


def test_a_calendar_that_follows_the_real_date_cannot_be_moved(
    start_server: StartServer,
) -> None:
    api = start_server(env={"EARMARK_TODAY": ""}).client
    clock = ok(api.get("/v1/clock"))
    assert clock["frozen"] is False
    assert clock["today"] == datetime.now(UTC).date().isoformat()
    problem(api.post("/v1/clock", json={"today": "2099-01-01"}), 409, "clock_not_frozen")


def test_an_order_may_leave_out_the_location_while_exactly_one_exists(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    placed = ok(api.post("/v1/orders", json={"id": ids("SO"), "account": account, "lines": [
        {"line": "1", "sku": at.sku, "quantity": 1}]}), 201)
    assert placed["lines"][0]["location"] == at.location
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "quantity": 1}))
    assert quote["location"] == at.location


def test_with_api_keys_every_request_needs_a_bearer_key(start_server: StartServer) -> None:
    server = start_server(env={"EARMARK_API_KEYS": "alpha, beta"})
    url = server.url
    with httpx.Client(base_url=url) as anonymous:
        # The health check alone answers without a key, and tells nothing else.
        assert ok(anonymous.get("/healthz")) == {"status": "ok", "database": server.database}
        for method, path in (("GET", "/v1/items"), ("PUT", "/v1/items/X"),
                             ("GET", "/openapi.json"), ("GET", "/v1/no/such/route")):
            response = anonymous.request(method, path, json={"name": "x"})
            problem(response, 401, "unauthorized")
            assert response.headers["www-authenticate"] == "Bearer"
        problem(anonymous.get("/v1/items", headers={"Authorization": "Bearer gamma"}), 401)
        problem(anonymous.get("/v1/items", headers={"Authorization": "Basic alpha"}), 401)
    for key in ("alpha", "beta"):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as client:
            ok(client.get("/v1/items"))
            assert ok(client.get("/healthz"))["status"] == "ok"
            schema = ok(client.get("/openapi.json"))
            assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
            assert schema["paths"]["/healthz"]["get"]["security"] == []
            assert "401" not in schema["paths"]["/healthz"]["get"]["responses"]
            assert schema["paths"]["/v1/items"]["get"]["security"] == [{"bearer": []}]
            problem(client.get("/v1/no/such/route"), 404)
