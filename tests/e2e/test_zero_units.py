"""API.md "Conventions": quantities are "≥ 1 in every request body that asks
for units (0 is 422, the same everywhere)". One row per path that asks for
units: each answers 0 with the same validation problem naming the field, and
changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import Ids, Position, last_event_id, make_account, make_position, ok, problem


@dataclass(frozen=True)
class World:
    """A position with stock, an open receipt with nothing received, an
    order holding units and an open commitment: every path has something
    to act on."""

    at: Position
    account: str
    order: str
    receipt: str
    commitment: str
    new: str


def build(api: httpx.Client, ids: Ids) -> World:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    world = World(at, account, ids("SO"), ids("PO"), ids("C"), ids("NEW"))
    ok(api.post("/v1/receipts", json={"id": world.receipt, "sku": at.sku,
                                      "location": at.location, "quantity": 10,
                                      "expected_date": "2026-02-01"}), 201)
    ok(api.post("/v1/orders", json={"id": world.order, "account": account, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 2}]}), 201)
    ok(api.post("/v1/commitments", json={"id": world.commitment, "account": account,
                                         "sku": at.sku, "location": at.location, "quantity": 1,
                                         "need_date": "2026-02-01", "mode": "partial"}), 201)
    return world


def state(api: httpx.Client, world: World) -> dict[str, Any]:
    return {
        "position": ok(api.get(f"/v1/availability/{world.at.sku}",
                               params={"location": world.at.location})),
        "order": ok(api.get(f"/v1/orders/{world.order}")),
        "receipt": ok(api.get(f"/v1/receipts/{world.receipt}")),
        "commitment": ok(api.get(f"/v1/commitments/{world.commitment}")),
        "new order": api.get(f"/v1/orders/{world.new}").status_code,
        "new receipt": api.get(f"/v1/receipts/{world.new}").status_code,
        "new commitment": api.get(f"/v1/commitments/{world.new}").status_code,
        "last event": last_event_id(api),
    }


def fill(value: Any, world: World) -> Any:
    names = {"sku": world.at.sku, "loc": world.at.location, "acct": world.account,
             "order": world.order, "receipt": world.receipt, "commitment": world.commitment,
             "new": world.new}
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    return value


NEW_ORDER = {"id": "{new}", "account": "{acct}", "lines": [
    {"line": "1", "sku": "{sku}", "location": "{loc}", "quantity": 0}]}

# (method, path, body with a 0, the field the problem names)
ZERO_UNITS: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "order line": ("POST", "/v1/orders", NEW_ORDER, "lines[0].quantity"),
    "commitment": ("POST", "/v1/commitments", {
        "id": "{new}", "account": "{acct}", "sku": "{sku}", "location": "{loc}", "quantity": 0,
        "need_date": "2026-02-01", "mode": "partial"}, "quantity"),
    "receipt": ("POST", "/v1/receipts", {
        "id": "{new}", "sku": "{sku}", "location": "{loc}", "quantity": 0,
        "expected_date": "2026-02-01"}, "quantity"),
    # The receipt's new total: nothing is received yet, so only the rule of
    # units (not "below what was received") refuses it.
    "receipt patch": ("PATCH", "/v1/receipts/{receipt}", {"quantity": 0}, "quantity"),
    "receive": ("POST", "/v1/receipts/{receipt}/receive", {"quantity": 0}, "quantity"),
    "order cancel": ("POST", "/v1/orders/{order}/cancel",
                     {"lines": [{"line": "1", "quantity": 0}]}, "lines[0].quantity"),
    "order ship": ("POST", "/v1/orders/{order}/ship",
                   {"lines": [{"line": "1", "quantity": 0}]}, "lines[0].quantity"),
    "commitment release": ("POST", "/v1/commitments/{commitment}/release", {"quantity": 0},
                           "quantity"),
    "adjustment": ("POST", "/v1/adjustments", {
        "sku": "{sku}", "location": "{loc}", "quantity": 0, "reason": "count"}, "quantity"),
    "promise quote": ("POST", "/v1/promise", {"sku": "{sku}", "location": "{loc}",
                                              "quantity": 0}, "quantity"),
}


def assert_zero_refused(document: dict[str, Any], field: str) -> None:
    assert document["type"] == "urn:earmark:problem:validation"
    assert document["errors"] == [
        {"field": field, "message": "Input should not be 0: 0 units change nothing"}]


@pytest.mark.parametrize("case", list(ZERO_UNITS))
def test_zero_units_is_the_same_422_naming_the_field_and_changes_nothing(
    api: httpx.Client, ids: Ids, case: str
) -> None:
    world = build(api, ids)
    method, path, body, field = ZERO_UNITS[case]
    before = state(api, world)
    response = api.request(method, fill(path, world), json=fill(body, world),
                           headers={"Idempotency-Key": ids("key")})
    assert_zero_refused(problem(response, 422), field)
    assert state(api, world) == before


def test_zero_units_in_a_batch_is_that_orders_422_and_places_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    world = build(api, ids)
    before = state(api, world)
    results = ok(api.post("/v1/orders:batch", json={"orders": [fill(NEW_ORDER, world)]}))
    [result] = results["results"]
    assert result["status"] == 422
    assert_zero_refused(result["body"], "lines[0].quantity")
    assert state(api, world) == before
