"""Helpers shared by the contract audits: small calls of the HTTP API that
check their own status, so that a test reads as the contract sentence it checks."""

from __future__ import annotations

from typing import Any

import httpx
from tests.e2e.conftest import Position, ok, problem


def receipt(api: httpx.Client, rid: str, at: Position, quantity: int, day: str,
            **extra: Any) -> dict[str, Any]:
    body = {"id": rid, "sku": at.sku, "location": at.location, "quantity": quantity,
            "expected_date": day, **extra}
    result: dict[str, Any] = ok(api.post("/v1/receipts", json=body), 201)
    return result


def line_body(at: Position, quantity: int, line: str = "1", **extra: Any) -> dict[str, Any]:
    return {"line": line, "sku": at.sku, "location": at.location, "quantity": quantity,
            **extra}


def place(api: httpx.Client, oid: str, account: str, at: Position, quantity: int,
          **line: Any) -> dict[str, Any]:
    body = {"id": oid, "account": account, "lines": [line_body(at, quantity, **line)]}
    result: dict[str, Any] = ok(api.post("/v1/orders", json=body), 201)
    return result


def line_of(api: httpx.Client, oid: str, line: str = "1") -> dict[str, Any]:
    order = ok(api.get(f"/v1/orders/{oid}"))
    return next(ln for ln in order["lines"] if ln["line"] == line)


def availability(api: httpx.Client, at: Position) -> dict[str, Any]:
    result: dict[str, Any] = ok(api.get(f"/v1/availability/{at.sku}",
                                        params={"location": at.location}))
    return result


def commit(api: httpx.Client, cid: str, account: str, at: Position, quantity: int,
           need_date: str, status: int = 201, **extra: Any) -> dict[str, Any]:
    body = {"id": cid, "account": account, "sku": at.sku, "location": at.location,
            "quantity": quantity, "need_date": need_date, **extra}
    response = api.post("/v1/commitments", json=body)
    if status >= 400:
        return problem(response, status)
    result: dict[str, Any] = ok(response, status)
    return result


ADDED_EVENT_FIELDS = frozenset({"cause", "confirmed", "customer_date", "old_customer_date",
                                "new_customer_date"})
"""Fields earmark's events carry beyond API.md's: why a change happened, whether
a line's date is confirmed, and the date its customer is told."""


def mine(events: list[dict[str, Any]], *refs: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, data) of the events that name one of ``refs``, without the fields
    earmark adds to API.md's (``cause``; ``confirmed`` and the customer dates
    on a line's dated events)."""
    out = []
    for event in events:
        data = {k: v for k, v in event["data"].items() if k not in ADDED_EVENT_FIELDS}
        if set(refs) & {str(v) for v in data.values()}:
            out.append((event["type"], data))
    return out
