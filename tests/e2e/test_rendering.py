"""Orders are encoded once, as the service built them (earmark.api.rendering):
the bytes on the wire are exactly those their response model writes, for every
shape an order takes (allocated, backordered on a receipt, consuming a
commitment, cancelled, shipped, in a batch, replayed under its key)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from tests.e2e.conftest import Ids, make_account, make_position, ok
from tests.e2e.contract_helpers import line_body, receipt

from earmark.api.schemas.common import Out
from earmark.api.schemas.orders import OrderOut


def model_bytes(out: type[Out], document: Any) -> bytes:
    """What the API wrote when every answer went through its model and the stdlib."""
    dumped = out.model_validate(document).model_dump(mode="json", exclude_unset=True)
    return json.dumps(dumped, ensure_ascii=False, separators=(",", ":")).encode()


def assert_model_bytes(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.content == model_bytes(OrderOut, response.json())
    document: dict[str, Any] = response.json()
    return document


def test_every_shape_of_an_order_is_written_as_its_model_writes_it(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 4, item={"lead_time_days": 14})
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 3, "2026-01-12")
    cid = ids("C")
    ok(api.post("/v1/commitments", json={"id": cid, "account": account, "sku": at.sku,
                                         "location": at.location, "quantity": 2,
                                         "need_date": "2026-01-05"}), 201)
    oid = ids("SO")
    placed = assert_model_bytes(api.post("/v1/orders", json={
        "id": oid, "account": account,
        "lines": [line_body(at, 2), line_body(at, 5, "2", requested_date="2026-01-06"),
                  line_body(at, 40, "3")]}), 201)
    lines = placed["lines"]
    assert lines[0]["consumed"] == [{"commitment": cid, "quantity": 2}]
    assert "consumed" not in lines[1]
    assert any("receipt" in p for line in lines for p in line["promises"])
    assert lines[0]["queue_position"] is None and lines[2]["queue_position"] is not None
    assert placed["created_at"].endswith("Z")
    assert assert_model_bytes(api.get(f"/v1/orders/{oid}"), 200) == placed

    shipped = assert_model_bytes(api.post(f"/v1/orders/{oid}/ship", json={
        "lines": [{"line": "1", "quantity": 1}]}), 200)
    assert shipped["lines"][0]["shipped"] == 1
    cancelled = assert_model_bytes(api.post(f"/v1/orders/{oid}/cancel", json={}), 200)
    assert cancelled["status"] == "closed"
    assert assert_model_bytes(api.get(f"/v1/orders/{oid}"), 200) == cancelled


def test_an_order_replayed_under_its_key_and_the_orders_of_a_batch_keep_those_bytes(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    body = {"id": ids("SO"), "account": account, "lines": [line_body(at, 7)]}
    key = {"Idempotency-Key": ids("KEY")}
    first = api.post("/v1/orders", json=body, headers=key)
    again = api.post("/v1/orders", json=body, headers=key)
    assert_model_bytes(first, 201)
    assert_model_bytes(again, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content

    orders = [{"id": ids(f"SO{n}"), "account": account, "lines": [line_body(at, n)]}
              for n in (1, 2)]
    batch = api.post("/v1/orders:batch", json={"orders": orders}, headers={
        "Idempotency-Key": ids("BATCH-KEY")})
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == [201, 201]
    for result in results:
        assert model_bytes(OrderOut, result["body"]) == json.dumps(
            result["body"], ensure_ascii=False, separators=(",", ":")).encode()
    assert json.dumps(batch.json(), ensure_ascii=False, separators=(",", ":")).encode() \
        == batch.content
