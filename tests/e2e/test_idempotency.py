"""Idempotency-Key: a retry gets the first answer and changes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import (
    Ids,
    Server,
    events_after,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)

from earmark.api import idempotency
from earmark.api.commands import Commands
from earmark.api.idempotency import Answer, IdempotentRequest
from earmark.service.clock import Clock
from earmark.service.uow import Store


def order_body(order_id: str, account: str, sku: str, location: str, quantity: int
               ) -> dict[str, Any]:
    return {"id": order_id, "account": account, "lines": [
        {"line": "1", "sku": sku, "location": location, "quantity": quantity}]}


def test_a_retry_with_the_same_key_gets_the_first_answer_and_changes_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    body = {"sku": at.sku, "location": at.location, "quantity": 2, "reason": "count"}
    key = {"Idempotency-Key": ids("key")}
    first = api.post("/v1/adjustments", json=body, headers=key)
    assert first.status_code == 201
    seen = last_event_id(api)
    # The same JSON, written differently, is the same request.
    again = api.post("/v1/adjustments", headers={**key, "content-type": "application/json"},
                     content=b'{ "reason":"count", "quantity":2, "location":"%s", "sku":"%s" }'
                     % (at.location.encode(), at.sku.encode()))
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers["Idempotent-Replayed"] == "true"
    assert events_after(api, seen) == []
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert position["on_hand"] == 7


def test_the_same_key_with_another_request_is_422(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 5)
    body = {"sku": at.sku, "location": at.location, "quantity": 2, "reason": "count"}
    key = {"Idempotency-Key": ids("key")}
    ok(api.post("/v1/adjustments", json=body, headers=key), 201)
    seen = last_event_id(api)
    problem(api.post("/v1/adjustments", json={**body, "quantity": 3}, headers=key), 422,
            "idempotency-key-reused")
    problem(api.post("/v1/promise", json={"sku": at.sku, "quantity": 1}, headers=key), 422,
            "idempotency-key-reused")
    assert events_after(api, seen) == []
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["on_hand"] == 7
    problem(api.post("/v1/adjustments", json=body, headers={"Idempotency-Key": "k" * 256}), 422,
            "validation")


def test_a_replay_returns_the_first_answer_even_when_state_has_moved_on(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    key = {"Idempotency-Key": ids("key")}
    body = {"id": ids("C"), "account": account, "sku": at.sku, "location": at.location,
            "quantity": 8, "need_date": "2026-02-01"}
    refused = api.post("/v1/commitments", json=body, headers=key)
    problem(refused, 409, "insufficient")
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 10, "reason": "count"}), 201)
    replayed = api.post("/v1/commitments", json=body, headers=key)
    assert (replayed.status_code, replayed.json()) == (409, refused.json())
    problem(api.get(f"/v1/commitments/{body['id']}"), 404)
    # Without the key the same request is a new attempt, and now succeeds.
    ok(api.post("/v1/commitments", json=body), 201)

    order = order_body(ids("SO"), account, at.sku, at.location, 1)
    key = {"Idempotency-Key": ids("key2")}
    placed = ok(api.post("/v1/orders", json=order, headers=key), 201)
    ok(api.post(f"/v1/orders/{order['id']}/cancel"))
    replayed = api.post("/v1/orders", json=order, headers=key)
    assert (replayed.status_code, replayed.json()) == (201, placed)


def allocated_events(api: httpx.Client, after: int, order_id: str) -> list[int]:
    return [e["data"]["quantity"] for e in events_after(api, after, "order.allocated")
            if e["data"]["order"] == order_id]


@pytest.mark.parametrize("refused_body, status", [
    pytest.param(b'{"id": "x", "account": "y", "lines": [{"line": "1", "sku": "s", '
                 b'"quantity": 0}]}', 422, id="quantity-0-is-422"),
    pytest.param(b'{"id": "x", "lines": [', 400, id="malformed-json-is-400"),
])
def test_a_body_refused_before_anything_ran_leaves_its_key_for_the_fixed_body(
    api: httpx.Client, ids: Ids, refused_body: bytes, status: int
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    key = {"Idempotency-Key": ids("key")}
    seen = last_event_id(api)
    refused = api.post("/v1/orders", content=refused_body,
                       headers={**key, "content-type": "application/json"})
    problem(refused, status, "validation" if status == 422 else "malformed-json")
    body = order_body(ids("SO"), account, at.sku, at.location, 2)
    placed = ok(api.post("/v1/orders", json=body, headers=key), 201)
    assert placed["lines"][0]["allocated"] == 2
    again = api.post("/v1/orders", json=body, headers=key)
    assert (again.status_code, again.json()) == (201, placed)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert allocated_events(api, seen, body["id"]) == [2]
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["allocated"] == 2


def test_a_refusal_by_a_rule_is_kept_under_its_key_and_replayed(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    key = {"Idempotency-Key": ids("key")}
    body = order_body(ids("SO"), account, at.sku, at.location, 3)
    body["lines"][0]["backorder"] = "reject"
    refused = api.post("/v1/orders", json=body, headers=key)
    problem(refused, 409, "rejected_not_available")
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 5, "reason": "count"}), 201)
    seen = last_event_id(api)
    replayed = api.post("/v1/orders", json=body, headers=key)
    assert (replayed.status_code, replayed.json()) == (409, refused.json())
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.headers["content-type"].startswith("application/problem+json")
    problem(api.get(f"/v1/orders/{body['id']}"), 404)
    assert events_after(api, seen) == []
    # The key was spent on that request: another body under it is refused.
    problem(api.post("/v1/orders", json={**body, "id": ids("SO2")}, headers=key), 422,
            "idempotency-key-reused")
    # A 422 from a rule (an unknown sku named in the body) is kept the same way.
    sku = ids("LATER")
    unknown = order_body(ids("SO3"), account, sku, at.location, 1)
    key = {"Idempotency-Key": ids("key2")}
    first = problem(api.post("/v1/orders", json=unknown, headers=key), 422, "unknown_sku")
    ok(api.put(f"/v1/items/{sku}", json={"name": "Now known"}), 201)
    again = api.post("/v1/orders", json=unknown, headers=key)
    assert (again.status_code, again.json()) == (422, first)
    problem(api.get(f"/v1/orders/{unknown['id']}"), 404)


def test_a_retried_receive_receives_once(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids)
    rid = ids("PO")
    ok(api.post("/v1/receipts", json={"id": rid, "sku": at.sku, "location": at.location,
                                      "quantity": 10, "expected_date": "2026-02-01"}), 201)
    key = {"Idempotency-Key": ids("key")}
    first = ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 3}, headers=key))
    assert ok(api.post(f"/v1/receipts/{rid}/receive", json={"quantity": 3},
                       headers=key)) == first
    assert ok(api.get(f"/v1/receipts/{rid}"))["received"] == 3
    # A POST without a body is replayed too.
    key = {"Idempotency-Key": ids("key-cancel")}
    cancelled = ok(api.post(f"/v1/receipts/{rid}/cancel", headers=key))
    assert ok(api.post(f"/v1/receipts/{rid}/cancel", headers=key)) == cancelled


def test_a_retried_batch_gets_the_first_results(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    batch = {"orders": [order_body(ids("B1"), account, at.sku, at.location, 2),
                        order_body(ids("B2"), ids("nobody"), at.sku, at.location, 2)]}
    key = {"Idempotency-Key": ids("key")}
    first = ok(api.post("/v1/orders:batch", json=batch, headers=key))
    assert [r["status"] for r in first["results"]] == [201, 422]
    seen = last_event_id(api)
    again = ok(api.post("/v1/orders:batch", json=batch, headers=key))
    assert again == first
    assert events_after(api, seen) == []
    problem(api.post("/v1/orders:batch", json={"orders": []}, headers=key), 422,
            "idempotency-key-reused")


def test_a_malformed_batch_leaves_its_key_for_the_fixed_batch(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    key = {"Idempotency-Key": ids("key")}
    problem(api.post("/v1/orders:batch", content=b'{"orders": [',
                     headers={**key, "content-type": "application/json"}), 400, "malformed-json")
    problem(api.post("/v1/orders:batch", json={"orders": "x"}, headers=key), 422, "validation")
    batch = {"orders": [order_body(ids("B1"), account, at.sku, at.location, 2)]}
    seen = last_event_id(api)
    first = ok(api.post("/v1/orders:batch", json=batch, headers=key))
    assert [r["status"] for r in first["results"]] == [201]
    again = api.post("/v1/orders:batch", json=batch, headers=key)
    assert (again.status_code, again.json()) == (200, first)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert allocated_events(api, seen, batch["orders"][0]["id"]) == [2]


def test_concurrent_retries_with_one_key_place_one_order(server: Server, ids: Ids) -> None:
    api = server.client
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    body = order_body(ids("SO"), account, at.sku, at.location, 2)
    key = {"Idempotency-Key": ids("key")}
    seen = last_event_id(api)

    def send(_: int) -> tuple[int, Any]:
        with server.new_client() as client:
            response = client.post("/v1/orders", json=body, headers=key)
            return response.status_code, response.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert {status for status, _ in answers} == {201}
    assert all(answer == answers[0][1] for _, answer in answers)
    allocated = [e for e in events_after(api, seen, "order.allocated")
                 if e["data"]["order"] == body["id"]]
    assert [e["data"]["quantity"] for e in allocated] == [2]
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["allocated"] == 2


def test_concurrent_creates_of_one_order_id_place_it_once(server: Server, ids: Ids) -> None:
    api = server.client
    at = make_position(api, ids, 3)
    account = make_account(api, ids)
    body = order_body(ids("SO"), account, at.sku, at.location, 1)

    def send(_: int) -> tuple[int, Any]:
        with server.new_client() as client:
            response = client.post("/v1/orders", json=body)
            return response.status_code, response.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert all(answer == answers[0][1] for _, answer in answers)
    assert ok(api.get(f"/v1/availability/{at.sku}",
                      params={"location": at.location}))["allocated"] == 1


def test_keys_are_kept_a_day_and_then_forgotten(tmp_path: Path) -> None:
    # In process: the retention is a day, too long to wait for over HTTP.
    store = Store(f"sqlite:///{tmp_path}/keys.db", Clock(frozen=date(2026, 1, 5)))
    store.upgrade()
    now = Clock.now()
    aged = {"old": now - idempotency.RETENTION - timedelta(minutes=1),
            "young": now - idempotency.RETENTION + timedelta(minutes=5)}
    for key, created in aged.items():
        with store.unit_of_work() as uow:
            idempotency.record(uow, IdempotentRequest(key, "POST", "/v1/promise", "h"),
                               Answer(200, {}), created)
            uow.tx.commit()
    Commands(store).replay(IdempotentRequest("any", "POST", "/v1/promise", "h"))
    with store.unit_of_work(write=False) as uow:
        assert idempotency.lookup(uow, IdempotentRequest("old", "POST", "/v1/promise",
                                                            "h")) is None
        assert idempotency.lookup(uow, IdempotentRequest("young", "POST", "/v1/promise",
                                                            "h")) == Answer(200, {})
    store.dispose()
