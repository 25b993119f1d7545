"""Every refused request is answered with a problem document and leaves no
trace: no event, no change to any figure or resource it named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import Ids, events_after, last_event_id, make_account, make_position, ok, problem

BIG = 10**12 + 1


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**names)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def line(**over: Any) -> dict[str, Any]:
    return {"line": "1", "sku": "{sku}", "location": "{loc}", "quantity": 1, **over}


def order(**over: Any) -> dict[str, Any]:
    return {"id": "{new}", "account": "{acct}", "lines": [line()], **over}


def receipt(**over: Any) -> dict[str, Any]:
    return {"id": "{new}", "sku": "{sku}", "location": "{loc}", "quantity": 1,
            "expected_date": "2026-02-01", **over}


def commitment(**over: Any) -> dict[str, Any]:
    return {"id": "{new}", "account": "{acct}", "sku": "{sku}", "location": "{loc}",
            "quantity": 1, "need_date": "2026-02-01", **over}


def adjustment(**over: Any) -> dict[str, Any]:
    return {"sku": "{sku}", "location": "{loc}", "quantity": 1, "reason": "count", **over}


MALFORMED = b'{"id": "x", "lines": [}'

# (case, method, path, body (bytes are sent as they are), status, problem type)
CASES: list[tuple[str, str, str, Any, int, str]] = [
    ("malformed order", "POST", "/v1/orders", MALFORMED, 400, "malformed-json"),
    ("malformed adjustment", "POST", "/v1/adjustments", MALFORMED, 400, "malformed-json"),
    ("malformed item", "PUT", "/v1/items/{sku}", MALFORMED, 400, "malformed-json"),
    ("malformed ship", "POST", "/v1/orders/{order}/ship", b"[1,", 400, "malformed-json"),
    ("no body", "POST", "/v1/orders", b"", 422, "validation"),
    ("not an object", "POST", "/v1/orders", b"[]", 422, "validation"),
    ("unknown sku in an order", "POST", "/v1/orders", order(lines=[line(sku="{new}")]), 422,
     "unknown_sku"),
    ("unknown sku in an adjustment", "POST", "/v1/adjustments", adjustment(sku="{new}"), 422,
     "unknown_sku"),
    ("unknown sku in a receipt", "POST", "/v1/receipts", receipt(sku="{new}"), 422,
     "unknown_sku"),
    ("unknown sku in a commitment", "POST", "/v1/commitments", commitment(sku="{new}"), 422,
     "unknown_sku"),
    ("unknown location", "POST", "/v1/orders", order(lines=[line(location="{new}")]), 422,
     "unknown_location"),
    ("unknown account", "POST", "/v1/orders", order(account="{new}"), 422, "unknown_account"),
    ("unknown account of a commitment", "POST", "/v1/commitments", commitment(account="{new}"),
     422, "unknown_account"),
    ("negative quantity", "POST", "/v1/orders", order(lines=[line(quantity=-1)]), 422,
     "validation"),
    ("zero quantity", "POST", "/v1/orders", order(lines=[line(quantity=0)]), 422, "validation"),
    ("oversized quantity", "POST", "/v1/orders", order(lines=[line(quantity=BIG)]), 422,
     "validation"),
    ("oversized receipt", "POST", "/v1/receipts", receipt(quantity=BIG), 422, "validation"),
    ("oversized adjustment", "POST", "/v1/adjustments", adjustment(quantity=-BIG), 422,
     "validation"),
    ("quantity as a string", "POST", "/v1/orders", order(lines=[line(quantity="1")]), 422,
     "validation"),
    ("fractional quantity", "POST", "/v1/receipts", receipt(quantity=1.5), 422, "validation"),
    ("boolean quantity", "POST", "/v1/commitments", commitment(quantity=True), 422,
     "validation"),
    ("bad order id", "POST", "/v1/orders", order(id="SO 1"), 422, "validation"),
    ("too long order id", "POST", "/v1/orders", order(id="x" * 65), 422, "validation"),
    ("bad line id", "POST", "/v1/orders", order(lines=[line(line="")]), 422, "validation"),
    ("duplicate line", "POST", "/v1/orders", order(lines=[line(), line()]), 422, "invalid"),
    ("impossible requested date", "POST", "/v1/orders",
     order(lines=[line(requested_date="2026-02-30")]), 422, "validation"),
    ("impossible expected date", "POST", "/v1/receipts", receipt(expected_date="2026-02-30"),
     422, "validation"),
    ("a date with a time", "POST", "/v1/commitments",
     commitment(need_date="2026-02-01T00:00:00"), 422, "validation"),
    ("a date as a number", "POST", "/v1/commitments", commitment(need_date=20260201), 422,
     "validation"),
    ("empty lines", "POST", "/v1/orders", order(lines=[]), 422, "validation"),
    ("unknown field", "POST", "/v1/orders", order(priority=1), 422, "validation"),
    ("unknown backorder policy", "POST", "/v1/orders", order(lines=[line(backorder="maybe")]),
     422, "validation"),
    ("unknown reason", "POST", "/v1/adjustments", adjustment(reason="theft"), 422,
     "validation"),
    ("unknown commitment mode", "POST", "/v1/commitments", commitment(mode="loose"), 422,
     "validation"),
    ("reused order id", "POST", "/v1/orders", order(id="{order}", lines=[line(quantity=2)]),
     409, "exists_with_different_content"),
    ("reused receipt id", "POST", "/v1/receipts", receipt(id="{receipt}", quantity=9), 409,
     "exists_with_different_content"),
    ("reused commitment id", "POST", "/v1/commitments",
     commitment(id="{commitment}", quantity=2), 409, "exists_with_different_content"),
    ("shipping more than is held", "POST", "/v1/orders/{order}/ship",
     {"lines": [{"line": "1", "quantity": 4}]}, 409, "not_held"),
    ("cancelling more than is open", "POST", "/v1/orders/{order}/cancel",
     {"lines": [{"line": "1", "quantity": 4}]}, 409, "exceeds_open"),
    ("releasing more than remains", "POST", "/v1/commitments/{commitment}/release",
     {"quantity": 2}, 409, "exceeds_open"),
    ("receiving more than is open", "POST", "/v1/receipts/{receipt}/receive",
     {"quantity": 11}, 409, "exceeds_open"),
    ("resizing below zero", "PATCH", "/v1/receipts/{receipt}", {"quantity": -1}, 422,
     "validation"),
    ("adjustment below zero", "POST", "/v1/adjustments", adjustment(quantity=-6), 422,
     "would_go_negative"),
    ("a strict commitment beyond supply", "POST", "/v1/commitments",
     commitment(quantity=100), 409, "insufficient"),
    ("clock backwards", "POST", "/v1/clock", {"today": "2026-01-04"}, 422, "clock_backwards"),
    ("clock to an impossible day", "POST", "/v1/clock", {"today": "2026-13-01"}, 422,
     "validation"),
    ("unknown order", "POST", "/v1/orders/{new}/ship", {"lines": [{"line": "1", "quantity": 1}]},
     404, "not_found"),
    ("unknown receipt", "PATCH", "/v1/receipts/{new}", {"quantity": 1}, 404, "not_found"),
    ("unknown route", "GET", "/v1/nothing/here", None, 404, "no-such-route"),
    ("unknown route under v1", "POST", "/v1/orders/{order}/refund", {}, 404, "no-such-route"),
    ("wrong method", "DELETE", "/v1/orders/{order}", None, 405, "method-not-allowed"),
]


@pytest.mark.parametrize(("case", "method", "path", "body", "status", "kind"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_refused_request_answers_a_problem_and_leaves_no_trace(
    api: httpx.Client, ids: Ids, case: str, method: str, path: str, body: Any, status: int,
    kind: str,
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    names = {"sku": at.sku, "loc": at.location, "acct": account, "new": ids("new"),
             "order": ids("SO"), "receipt": ids("PO"), "commitment": ids("C")}
    ok(api.post("/v1/orders", json=_fill(order(id="{order}", lines=[line(quantity=3)]),
                                         names)), 201)
    ok(api.post("/v1/receipts", json=_fill(receipt(id="{receipt}", quantity=10), names)), 201)
    ok(api.post("/v1/commitments", json=_fill(commitment(id="{commitment}"), names)), 201)
    state = _snapshot(api, names)
    seen = last_event_id(api)

    if isinstance(body, bytes):
        response = api.request(method, path.format(**names), content=body,
                               headers={"content-type": "application/json"})
    elif body is None:
        response = api.request(method, path.format(**names))
    else:
        response = api.request(method, path.format(**names), json=_fill(body, names))

    document = problem(response, status, kind)
    assert document["detail"]
    if status == 422 and kind == "validation":
        assert document["errors"], "a validation problem names the fields"
    assert events_after(api, seen) == []
    assert _snapshot(api, names) == state


def _snapshot(api: httpx.Client, names: dict[str, str]) -> str:
    reads = [
        f"/v1/availability/{names['sku']}?location={names['loc']}",
        f"/v1/orders/{names['order']}", f"/v1/receipts/{names['receipt']}",
        f"/v1/commitments/{names['commitment']}", f"/v1/orders/{names['new']}",
        f"/v1/receipts/{names['new']}", f"/v1/commitments/{names['new']}",
        f"/v1/items/{names['new']}", f"/v1/orders?account={names['acct']}", "/v1/clock",
    ]
    return json.dumps([(r.status_code, r.json()) for r in map(api.get, reads)])


def test_a_body_over_the_size_limit_is_413(api: httpx.Client) -> None:
    from earmark.api.middleware import BATCH_BODY_BYTES_MAX

    too_big = b'{"orders": [' + b" " * BATCH_BODY_BYTES_MAX + b"]}"
    problem(api.post("/v1/orders:batch", content=too_big,
                     headers={"content-type": "application/json"}), 413, "too-large")

    def chunks() -> Iterator[bytes]:
        yield b'{"orders": ['
        for _ in range(17):
            yield b" " * (1024 * 1024)
        yield b"]}"

    problem(api.post("/v1/orders:batch", content=chunks(),
                     headers={"content-type": "application/json"}), 413, "too-large")
    # Below the limit, a slow chunked body is read whole.
    ok(api.post("/v1/orders:batch", content=iter([b'{"orders":', b" " * 1000, b"[]}"]),
                headers={"content-type": "application/json"}))
