"""Commitments over HTTP: strict and partial, consumption, release."""

from __future__ import annotations

from typing import Any

import httpx
from tests.e2e.conftest import (
    Ids,
    Position,
    events_after,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)


def commitment_body(cid: str, account: str, at: Position, quantity: int, need_date: str,
                    **more: Any) -> dict[str, Any]:
    return {"id": cid, "account": account, "sku": at.sku, "location": at.location,
            "quantity": quantity, "need_date": need_date, **more}


def test_a_strict_commitment_that_cannot_be_met_is_refused_with_its_shortfall(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 100)
    ok(api.post("/v1/receipts", json={"id": ids("PO"), "sku": at.sku, "location": at.location,
                                      "quantity": 50, "expected_date": "2026-03-01"}), 201)
    account = make_account(api, ids)
    seen = last_event_id(api)
    cid = ids("C")
    document = problem(api.post("/v1/commitments", json=commitment_body(
        cid, account, at, 130, "2026-02-01")), 409, "insufficient")
    assert (document["shortfall"], document["earliest_date"]) == (30, "2026-03-01")
    document = problem(api.post("/v1/commitments", json=commitment_body(
        cid, account, at, 200, "2026-02-01")), 409, "insufficient")
    assert (document["shortfall"], document["earliest_date"]) == (100, None)
    assert events_after(api, seen) == []
    problem(api.get(f"/v1/commitments/{cid}"), 404)
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["committed"] == 0


def test_a_strict_commitment_is_confirmed_replayed_and_conflicts(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 100)
    account = make_account(api, ids)
    body = commitment_body(ids("C"), account, at, 60, "2026-02-01", kind="project")
    seen = last_event_id(api)
    made = ok(api.post("/v1/commitments", json=body), 201)
    assert {k: made[k] for k in ("status", "quantity", "consumed", "remaining", "confirmed",
                                 "kind", "mode", "expires_on")} == {
        "status": "open", "quantity": 60, "consumed": 0, "remaining": 60, "confirmed": 60,
        "kind": "project", "mode": "strict", "expires_on": None}
    assert made["promises"] == [{"quantity": 60, "date": "2026-02-01", "confirmed": True}]
    assert [e["type"] for e in events_after(api, seen)] == ["commitment.confirmed"]
    assert ok(api.post("/v1/commitments", json=body), 200) == made
    problem(api.post("/v1/commitments", json={**body, "quantity": 61}), 409,
            "exists_with_different_content")
    assert ok(api.get(f"/v1/commitments/{body['id']}")) == made
    listed = ok(api.get("/v1/commitments", params={"account": account, "sku": at.sku,
                                                   "status": "open"}))
    assert listed["items"] == [made]


def test_a_partial_commitment_confirms_what_it_can_and_the_rest_waits(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10, item={"lead_time_days": 10})
    account = make_account(api, ids)
    made = ok(api.post("/v1/commitments", json=commitment_body(
        ids("C"), account, at, 15, "2026-01-10", mode="partial", kind="forecast")), 201)
    assert (made["remaining"], made["confirmed"]) == (15, 10)
    assert made["promises"] == [{"quantity": 10, "date": "2026-01-10", "confirmed": True},
                                {"quantity": 5, "date": "2026-01-15", "confirmed": False}]


def test_the_accounts_orders_consume_its_commitment(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 10)
    key_account = make_account(api, ids, "key")
    other = make_account(api, ids, "other")
    cid = ids("C")
    ok(api.post("/v1/commitments", json=commitment_body(cid, key_account, at, 8,
                                                        "2026-01-05")), 201)
    # Someone else gets only what is not earmarked.
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                             "quantity": 5, "account": other}))
    assert quote["complete"] is False
    assert ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                            "quantity": 5, "account": key_account}))["complete"]
    seen = last_event_id(api)
    placed = ok(api.post("/v1/orders", json={"id": ids("SO"), "account": key_account, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 5}]}), 201)
    assert placed["lines"][0]["allocated"] == 5
    commitment = ok(api.get(f"/v1/commitments/{cid}"))
    assert (commitment["consumed"], commitment["remaining"]) == (5, 3)
    consumed = events_after(api, seen, "commitment.consumed")
    assert [e["data"]["quantity"] for e in consumed] == [5]
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert (position["allocated"], position["committed"], position["available_now"]) == (5, 3, 2)


def test_releasing_gives_units_back_and_a_closed_commitment_cannot_be_released(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    cid = ids("C")
    ok(api.post("/v1/commitments", json=commitment_body(cid, account, at, 10, "2026-01-05")), 201)
    waiting = ok(api.post("/v1/orders", json={"id": ids("SO"), "account": make_account(
        api, ids, "b"), "lines": [{"line": "1", "sku": at.sku, "location": at.location,
                                   "quantity": 3}]}), 201)
    assert waiting["lines"][0]["allocated"] == 0
    seen = last_event_id(api)
    problem(api.post(f"/v1/commitments/{cid}/release", json={"quantity": 11}), 409, "exceeds_open")
    assert events_after(api, seen) == []
    part = ok(api.post(f"/v1/commitments/{cid}/release", json={"quantity": 4}))
    assert (part["released"], part["remaining"], part["status"]) == (4, 6, "open")
    assert ok(api.get(f"/v1/orders/{waiting['id']}"))["lines"][0]["allocated"] == 3
    rest = ok(api.post(f"/v1/commitments/{cid}/release"))
    assert (rest["remaining"], rest["status"]) == (0, "released")
    problem(api.post(f"/v1/commitments/{cid}/release"), 409, "not_open")
    problem(api.post(f"/v1/commitments/{ids('nope')}/release"), 404, "not_found")
    assert [e["type"] for e in events_after(api, seen, "commitment.released")] == [
        "commitment.released", "commitment.released"]


def test_an_expiry_date_must_lie_after_today(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    problem(api.post("/v1/commitments", json=commitment_body(
        ids("C"), account, at, 1, "2026-01-06", expires_on="2026-01-05")), 422, "invalid")


def test_a_line_lists_what_it_consumed_and_cancelling_gives_it_back_to_the_commitment(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    cid, oid = ids("C"), ids("SO")
    ok(api.post("/v1/commitments", json=commitment_body(cid, account, at, 5, "2026-01-10")), 201)
    placed = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 3}]}), 201)
    assert placed["lines"][0]["consumed"] == [{"commitment": cid, "quantity": 3}]
    assert ok(api.get(f"/v1/orders/{oid}"))["lines"][0]["consumed"] == [
        {"commitment": cid, "quantity": 3}]
    shown = ok(api.get(f"/v1/commitments/{cid}"))
    assert (shown["consumed"], shown["remaining"]) == (3, 2)

    cancelled = ok(api.post(f"/v1/orders/{oid}/cancel", json={}))
    assert "consumed" not in cancelled["lines"][0]
    shown = ok(api.get(f"/v1/commitments/{cid}"))
    assert (shown["consumed"], shown["remaining"], shown["confirmed"]) == (0, 5, 5)
    figures = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert (figures["committed"], figures["available_now"]) == (5, 5)
