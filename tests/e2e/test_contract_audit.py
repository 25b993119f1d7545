"""A literal reading of API.md and DESIGN.md ("Promising semantics"), checked
over real HTTP.

Each test names the rule it checks and asserts what the documents say. The
first group reproduces the documents' own examples number for number; the
last group ("A 5xx is always a bug", "every request needs a key") holds the
places where the server differs from a literal reading.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import (
    Ids,
    Position,
    StartServer,
    events_after,
    free_port,
    last_event_id,
    make_account,
    make_position,
    ok,
    problem,
)
from tests.e2e.contract_helpers import (
    availability,
    commit,
    line_of,
    mine,
    place,
    receipt,
)

TODAY = "2026-01-05"


# ----------------------------------------------------------------------
# Helpers


def adjust(api: httpx.Client, at: Position, quantity: int, reason: str = "count"
           ) -> dict[str, Any]:
    result: dict[str, Any] = ok(api.post("/v1/adjustments", json={
        "sku": at.sku, "location": at.location, "quantity": quantity, "reason": reason}), 201)
    return result["position"]


def worked_example(api: httpx.Client, ids: Ids) -> tuple[Position, str, str, str, str]:
    """DESIGN.md's example up to the confirmed commitment: (position, feb, mar,
    commitment id, the developer's account)."""
    beam = make_position(api, ids, 2000, name="BEAM-W12")
    bigdev = make_account(api, ids, "bigdev")
    feb, mar = ids("PO-FEB"), ids("PO-MAR")
    receipt(api, feb, beam, 5000, "2026-02-01")
    receipt(api, mar, beam, 6000, "2026-03-01")
    cid = ids("C-STEEL-Q2")
    commit(api, cid, bigdev, beam, 10000, "2026-04-01", expires_on="2026-06-30",
           kind="contract", mode="strict")
    return beam, feb, mar, cid, bigdev


# ----------------------------------------------------------------------
# The documents' own examples


def test_worked_example_every_number_from_commitment_to_slip(api: httpx.Client, ids: Ids) -> None:
    """DESIGN.md worked example, with the ATP lines of API.md and every event."""
    seen = last_event_id(api)
    beam, feb, mar, cid, _ = worked_example(api, ids)

    commitment = ok(api.get(f"/v1/commitments/{cid}"))
    assert {k: commitment[k] for k in ("status", "quantity", "consumed", "remaining",
                                       "confirmed", "need_date", "expires_on", "kind",
                                       "mode")} == {
        "status": "open", "quantity": 10000, "consumed": 0, "remaining": 10000,
        "confirmed": 10000, "need_date": "2026-04-01", "expires_on": "2026-06-30",
        "kind": "contract", "mode": "strict"}
    # Backward: March's 6,000 and 4,000 of February; today's stock stays free.
    assert commitment["promises"] == [
        {"quantity": 4000, "date": "2026-04-01", "confirmed": True, "receipt": feb,
         "likely_by": "2026-04-01"},
        {"quantity": 6000, "date": "2026-04-01", "confirmed": True, "receipt": mar,
         "likely_by": "2026-04-01"},
    ]
    assert availability(api, beam) == {
        "sku": beam.sku, "location": beam.location, "today": TODAY,
        "on_hand": 2000, "allocated": 0, "committed": 10000, "backordered": 0,
        "incoming": 11000, "safety_stock": 0, "available_now": 2000, "safety_stock_short": 0,
        "atp": [{"date": "2026-01-05", "supply": 2000, "available": 2000},
                {"date": "2026-02-01", "supply": 5000, "available": 1000},
                {"date": "2026-03-01", "supply": 6000, "available": 0}],
    }
    # "exactly what an order line placed now would get"
    acme = make_account(api, ids, "acme")
    quote = ok(api.post("/v1/promise", json={"sku": beam.sku, "location": beam.location,
                                             "quantity": 3000, "account": acme}))
    expected_promises = [
        {"quantity": 2000, "date": "2026-01-05", "confirmed": True},
        {"quantity": 1000, "date": "2026-02-01", "confirmed": True, "receipt": feb,
         "likely_by": "2026-02-01"},
    ]
    assert quote["promises"] == expected_promises
    assert (quote["promised_date"], quote["complete"]) == ("2026-02-01", True)

    oid = ids("SO")
    line = place(api, oid, acme, beam, 3000)["lines"][0]
    assert {k: line[k] for k in ("quantity", "allocated", "backordered", "shipped",
                                 "cancelled", "promises", "promised_date", "queue_position",
                                 "status")} == {
        "quantity": 3000, "allocated": 2000, "backordered": 1000, "shipped": 0,
        "cancelled": 0, "promises": expected_promises, "promised_date": "2026-02-01",
        "queue_position": 1, "status": "partially_allocated"}
    assert line_of(api, oid) == line
    assert availability(api, beam)["atp"] == [
        {"date": "2026-01-05", "supply": 2000, "available": 0},
        {"date": "2026-02-01", "supply": 5000, "available": 0},
        {"date": "2026-03-01", "supply": 6000, "available": 0}]
    queue = ok(api.get("/v1/backorders", params={"sku": beam.sku}))["items"]
    assert queue == [{"order": oid, "line": "1", "account": acme, "sku": beam.sku,
                      "location": beam.location, "backordered": 1000, "queue_position": 1,
                      "promised_date": "2026-02-01", "confirmed": True}]

    before_slip = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{mar}", json={"expected_date": "2026-05-01"}))
    slipped = ok(api.get(f"/v1/commitments/{cid}"))
    assert slipped["promises"] == [
        {"quantity": 4000, "date": "2026-04-01", "confirmed": True, "receipt": feb,
         "likely_by": "2026-04-01"},
        {"quantity": 6000, "date": "2026-05-01", "confirmed": True, "receipt": mar,
         "likely_by": "2026-05-01"},
    ]
    assert (slipped["confirmed"], slipped["status"]) == (10000, "open")
    assert [e for e in mine(events_after(api, before_slip), cid, oid)
            if e[0] != "receipt.changed"] == [
        ("commitment.at_risk", {"commitment": cid, "shortfall": 6000,
                                "earliest_date": "2026-05-01"})]
    assert line_of(api, oid)["promised_date"] == "2026-02-01"

    assert mine(events_after(api, seen), cid, oid)[:3] == [
        ("commitment.confirmed", {"commitment": cid, "quantity": 10000,
                                  "promised_date": "2026-04-01"}),
        ("order.allocated", {"order": oid, "line": "1", "sku": beam.sku,
                             "location": beam.location, "quantity": 2000}),
        ("order.backordered", {"order": oid, "line": "1", "sku": beam.sku,
                               "location": beam.location, "quantity": 1000,
                               "promised_date": "2026-02-01"}),
    ]


def test_rule_4_a_slipped_receipt_keeps_its_pegs_and_rule_3_makes_them_earlier(
    api: httpx.Client, ids: Ids
) -> None:
    """The worked example without the order: the 6,000 follow March to May,
    then rule 3's second step moves 3,000 of them onto the free 2,000 of today
    and 1,000 of February, so only 3,000 are late."""
    beam, feb, mar, cid, _ = worked_example(api, ids)
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{mar}", json={"expected_date": "2026-05-01"}))
    assert ok(api.get(f"/v1/commitments/{cid}"))["promises"] == [
        {"quantity": 2000, "date": "2026-04-01", "confirmed": True},
        {"quantity": 5000, "date": "2026-04-01", "confirmed": True, "receipt": feb,
         "likely_by": "2026-04-01"},
        {"quantity": 3000, "date": "2026-05-01", "confirmed": True, "receipt": mar,
         "likely_by": "2026-05-01"},
    ]
    assert mine(events_after(api, seen, "commitment.at_risk"), cid) == [
        ("commitment.at_risk", {"commitment": cid, "shortfall": 3000,
                                "earliest_date": "2026-05-01"})]
    assert availability(api, beam)["atp"] == [
        {"date": "2026-01-05", "supply": 2000, "available": 0},
        {"date": "2026-02-01", "supply": 5000, "available": 0},
        {"date": "2026-05-01", "supply": 6000, "available": 3000}]


def test_api_md_order_example_is_reproduced_number_for_number(
    api: httpx.Client, ids: Ids
) -> None:
    """API.md's SO-1001: three lines ahead in the queue, 1 unit on hand, PO-7
    on 2026-03-16, lead time 98 days (2026-01-05 + 98 = 2026-04-13)."""
    coat = make_position(api, ids, 0, item={"lead_time_days": 98}, name="COAT-XL")
    acme = make_account(api, ids, "acme")
    receipt(api, ids("PO-1"), coat, 3, "2026-05-01")
    for n in range(3):
        place(api, ids(f"SO-EARLY{n}"), acme, coat, 1, requested_date="2026-06-01")
    adjust(api, coat, 1, "initial")
    po7 = ids("PO-7")
    receipt(api, po7, coat, 1, "2026-03-16")
    oid = ids("SO-1001")
    order = place(api, oid, acme, coat, 3, requested_date="2026-03-02", backorder="allow")
    assert (order["id"], order["account"], order["status"]) == (oid, acme, "open")
    line = order["lines"][0]
    assert {k: line[k] for k in ("line", "sku", "location", "quantity", "allocated",
                                 "backordered", "shipped", "cancelled", "promises",
                                 "promised_date", "queue_position", "status")} == {
        "line": "1", "sku": coat.sku, "location": coat.location, "quantity": 3,
        "allocated": 1, "backordered": 2, "shipped": 0, "cancelled": 0,
        "promises": [{"quantity": 1, "date": "2026-03-02", "confirmed": True},
                     {"quantity": 1, "date": "2026-03-16", "confirmed": True, "receipt": po7,
                      "likely_by": "2026-03-16"},
                     {"quantity": 1, "date": "2026-04-13", "confirmed": False}],
        "promised_date": "2026-04-13", "queue_position": 4, "status": "partially_allocated"}
    assert ok(api.get(f"/v1/orders/{oid}")) == order


# ----------------------------------------------------------------------
# Orders: defaults, policies, statuses, the queue


def test_requested_date_defaults_to_today_and_backorder_to_the_items_policy(
    api: httpx.Client, ids: Ids
) -> None:
    allow = make_position(api, ids, 1, name="ALLOW")
    deny = make_position(api, ids, 1, item={"backorders": "deny"}, name="DENY")
    account = make_account(api, ids)
    line = place(api, ids("SO-A"), account, allow, 3)["lines"][0]
    assert (line["requested_date"], line["backorder"]) == (TODAY, "allow")
    assert (line["allocated"], line["backordered"], line["cancelled"]) == (1, 2, 0)
    line = place(api, ids("SO-D"), account, deny, 3)["lines"][0]
    assert line["backorder"] == "deny"
    assert (line["allocated"], line["backordered"], line["cancelled"]) == (1, 0, 2)
    # The line may still say "allow" for an item that denies.
    line = place(api, ids("SO-DA"), account, deny, 3, backorder="allow")["lines"][0]
    assert (line["backorder"], line["allocated"], line["backordered"]) == ("allow", 0, 3)


def test_backorder_deny_with_nothing_on_hand_cancels_the_line_and_closes_the_order(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 5})
    account = make_account(api, ids)
    seen = last_event_id(api)
    oid = ids("SO")
    order = place(api, oid, account, at, 4, backorder="deny")
    assert order["status"] == "closed"
    line = order["lines"][0]
    assert {k: line[k] for k in ("allocated", "backordered", "cancelled", "promises",
                                 "promised_date", "queue_position", "status")} == {
        "allocated": 0, "backordered": 0, "cancelled": 4, "promises": [],
        "promised_date": None, "queue_position": None, "status": "cancelled"}
    assert mine(events_after(api, seen), oid) == [
        ("order.cancelled", {"order": oid, "line": "1", "quantity": 4})]


def test_backorder_reject_counts_held_units_of_the_accounts_own_commitments(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    owner, other = make_account(api, ids, "owner"), make_account(api, ids, "other")
    cid = ids("C")
    commit(api, cid, owner, at, 5, TODAY)
    # Nothing is free on hand: another account is refused, the owner is not.
    problem(api.post("/v1/orders", json={"id": ids("SO-X"), "account": other, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 1,
         "backorder": "reject"}]}), 409)
    line = place(api, ids("SO-O"), owner, at, 5, backorder="reject")["lines"][0]
    assert (line["allocated"], line["status"]) == (5, "allocated")
    assert ok(api.get(f"/v1/commitments/{cid}"))["status"] == "consumed"


def test_line_status_takes_each_documented_value_and_the_order_closes(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    oid = ids("SO")
    order = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
        {"line": "a", "sku": at.sku, "location": at.location, "quantity": 3},
        {"line": "b", "sku": at.sku, "location": at.location, "quantity": 4},
        {"line": "c", "sku": at.sku, "location": at.location, "quantity": 2},
        {"line": "d", "sku": at.sku, "location": at.location, "quantity": 1}]}), 201)
    assert [(ln["line"], ln["allocated"], ln["backordered"], ln["status"])
            for ln in order["lines"]] == [
        ("a", 3, 0, "allocated"), ("b", 2, 2, "partially_allocated"),
        ("c", 0, 2, "backordered"), ("d", 0, 1, "backordered")]
    order = ok(api.post(f"/v1/orders/{oid}/ship", json={"lines": [
        {"line": "a", "quantity": 3}, {"line": "b", "quantity": 2}]}))
    order = ok(api.post(f"/v1/orders/{oid}/cancel", json={"lines": [
        {"line": "b"}, {"line": "c"}]}))
    statuses = {ln["line"]: ln["status"] for ln in order["lines"]}
    assert statuses == {"a": "shipped", "b": "closed", "c": "cancelled", "d": "backordered"}
    assert order["status"] == "open"
    order = ok(api.post(f"/v1/orders/{oid}/cancel"))
    assert order["status"] == "closed"
    assert all(ln["promised_date"] is None and ln["queue_position"] is None
               and ln["promises"] == [] for ln in order["lines"])
    assert availability(api, at)["on_hand"] == 0


def test_cancel_and_ship_refuse_more_than_is_open_or_held_with_409(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    oid = ids("SO")
    place(api, oid, account, at, 5)
    problem(api.post(f"/v1/orders/{oid}/cancel", json={"lines": [
        {"line": "1", "quantity": 6}]}), 409)
    problem(api.post(f"/v1/orders/{oid}/ship", json={"lines": [
        {"line": "1", "quantity": 3}]}), 409)
    line = line_of(api, oid)
    assert (line["allocated"], line["backordered"], line["shipped"], line["cancelled"]) == (
        2, 3, 0, 0)


def test_promised_date_is_null_when_any_promise_is_null_and_when_nothing_is_open(
    api: httpx.Client, ids: Ids
) -> None:
    no_lead = make_position(api, ids, 1, name="NOLEAD")
    lead = make_position(api, ids, 1, item={"lead_time_days": 10}, name="LEAD")
    account = make_account(api, ids)
    line = place(api, ids("SO-N"), account, no_lead, 3)["lines"][0]
    assert line["promises"] == [{"quantity": 1, "date": TODAY, "confirmed": True},
                                {"quantity": 2, "date": None, "confirmed": False}]
    assert line["promised_date"] is None
    line = place(api, ids("SO-L"), account, lead, 3)["lines"][0]
    assert line["promises"] == [{"quantity": 1, "date": TODAY, "confirmed": True},
                                {"quantity": 2, "date": "2026-01-15", "confirmed": False}]
    assert line["promised_date"] == "2026-01-15"
    oid = ids("SO-C")
    place(api, oid, account, lead, 1)
    line = ok(api.post(f"/v1/orders/{oid}/cancel"))["lines"][0]
    assert (line["promises"], line["promised_date"]) == ([], None)


def test_confirmed_promise_dates_are_the_later_of_supply_date_and_requested_date(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    po = ids("PO")
    receipt(api, po, at, 1, "2026-02-01")
    # Rule 1 backward: a line needed 2026-03-01 takes February's receipt first.
    line = place(api, ids("SO-LATE"), account, at, 1, requested_date="2026-03-01")["lines"][0]
    assert line["promises"] == [{"quantity": 1, "date": "2026-03-01", "confirmed": True,
                                 "receipt": po, "likely_by": "2026-03-01"}]
    assert (line["allocated"], line["backordered"], line["status"]) == (0, 1, "backordered")
    # ... and leaves today's unit free for today's orders.
    line = place(api, ids("SO-NOW"), account, at, 1, requested_date="2026-01-02")["lines"][0]
    assert line["promises"] == [{"quantity": 1, "date": TODAY, "confirmed": True}]


def test_queue_position_follows_priority_then_arrival_and_is_null_when_nothing_is_backordered(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    regular = make_account(api, ids, "regular", 100)
    vip = make_account(api, ids, "vip", 5)
    first = place(api, ids("SO-1"), regular, at, 1)["lines"][0]
    assert (first["allocated"], first["queue_position"]) == (1, None)
    second = place(api, ids("SO-2"), regular, at, 2)["lines"][0]
    third = place(api, ids("SO-3"), vip, at, 2)["lines"][0]
    assert (second["queue_position"], third["queue_position"]) == (1, 1)
    assert line_of(api, ids("SO-2"))["queue_position"] == 2
    queue = ok(api.get("/v1/backorders", params={"sku": at.sku, "location": at.location}))
    assert [(b["order"], b["queue_position"]) for b in queue["items"]] == [
        (ids("SO-3"), 1), (ids("SO-2"), 2)]
    # Freed supply is handed out in queue order: the key account first.
    adjust(api, at, 2, "return")
    assert (line_of(api, ids("SO-3"))["allocated"], line_of(api, ids("SO-2"))["allocated"]) == (
        2, 0)
    assert line_of(api, ids("SO-2"))["queue_position"] == 1


# ----------------------------------------------------------------------
# Commitments


def test_a_refused_strict_commitment_says_its_shortfall_and_earliest_date(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 100)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 500, "2026-03-01")
    before = availability(api, at)
    refused = commit(api, ids("C1"), account, at, 300, "2026-02-01", status=409)
    assert (refused["shortfall"], refused["earliest_date"]) == (200, "2026-03-01")
    refused = commit(api, ids("C2"), account, at, 700, "2026-02-01", status=409)
    assert (refused["shortfall"], refused["earliest_date"]) == (600, None)
    assert availability(api, at) == before
    problem(api.get(f"/v1/commitments/{ids('C1')}"), 404)
    # The mode defaults to strict.
    assert commit(api, ids("C3"), account, at, 100, "2026-02-01")["mode"] == "strict"


def test_a_partial_commitment_confirms_what_it_can_and_the_rest_waits_in_the_queue(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 100)
    account = make_account(api, ids)
    cid = ids("C")
    made = commit(api, cid, account, at, 300, "2026-02-01", mode="partial")
    assert {k: made[k] for k in ("status", "remaining", "confirmed", "consumed")} == {
        "status": "open", "remaining": 300, "confirmed": 100, "consumed": 0}
    assert made["promises"] == [{"quantity": 100, "date": "2026-02-01", "confirmed": True},
                                {"quantity": 200, "date": None, "confirmed": False}]
    seen = last_event_id(api)
    po = ids("PO")
    receipt(api, po, at, 150, "2026-01-20")
    served = ok(api.get(f"/v1/commitments/{cid}"))
    assert (served["confirmed"], served["remaining"]) == (250, 300)
    assert mine(events_after(api, seen, "commitment.confirmed"), cid) == [
        ("commitment.confirmed", {"commitment": cid, "quantity": 150,
                                  "promised_date": "2026-02-01"})]
    assert availability(api, at)["committed"] == 300


def test_commitment_status_consumed_released_and_the_counts(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 20)
    account, other = make_account(api, ids), make_account(api, ids, "other")
    consumed_id, released_id = ids("C-CONS"), ids("C-REL")
    commit(api, consumed_id, account, at, 6, "2026-01-10")
    commit(api, released_id, other, at, 10, "2026-01-10")

    seen = last_event_id(api)
    oid = ids("SO")
    line = place(api, oid, account, at, 4)["lines"][0]
    assert (line["allocated"], line["status"]) == (4, "allocated")
    consumed = ok(api.get(f"/v1/commitments/{consumed_id}"))
    assert {k: consumed[k] for k in ("status", "consumed", "remaining", "confirmed")} == {
        "status": "open", "consumed": 4, "remaining": 2, "confirmed": 2}
    assert mine(events_after(api, seen, "commitment.consumed"), consumed_id) == [
        ("commitment.consumed", {"commitment": consumed_id, "order": oid, "line": "1",
                                 "quantity": 4, "remaining": 2})]
    place(api, ids("SO-2"), account, at, 3)
    consumed = ok(api.get(f"/v1/commitments/{consumed_id}"))
    assert {k: consumed[k] for k in ("status", "consumed", "remaining", "confirmed")} == {
        "status": "consumed", "consumed": 6, "remaining": 0, "confirmed": 0}
    problem(api.post(f"/v1/commitments/{consumed_id}/release"), 409)

    problem(api.post(f"/v1/commitments/{released_id}/release", json={"quantity": 11}), 409)
    part = ok(api.post(f"/v1/commitments/{released_id}/release", json={"quantity": 4}))
    assert (part["status"], part["remaining"], part["confirmed"]) == ("open", 6, 6)
    seen = last_event_id(api)
    done = ok(api.post(f"/v1/commitments/{released_id}/release"))
    assert (done["status"], done["remaining"], done["confirmed"], done["promises"]) == (
        "released", 0, 0, [])
    assert mine(events_after(api, seen, "commitment.released"), released_id) == [
        ("commitment.released", {"commitment": released_id, "quantity": 6})]
    problem(api.post(f"/v1/commitments/{released_id}/release"), 409)
    listed = ok(api.get("/v1/commitments", params={"account": other, "status": "released"}))
    assert [c["id"] for c in listed["items"]] == [released_id]


def test_rule_7_an_order_consumes_the_earliest_needed_commitment_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    po = ids("PO")
    receipt(api, po, at, 10, "2026-02-01")
    later, earlier = ids("C-LATER"), ids("C-EARLIER")
    commit(api, later, account, at, 4, "2026-03-01")   # created first
    commit(api, earlier, account, at, 4, "2026-02-10")
    seen = last_event_id(api)
    oid = ids("SO")
    line = place(api, oid, account, at, 6, requested_date="2026-02-15")["lines"][0]
    assert line["promises"] == [{"quantity": 6, "date": "2026-02-15", "confirmed": True,
                                 "receipt": po, "likely_by": "2026-02-15"}]
    assert [(c["id"], c["consumed"], c["remaining"]) for c in (
        ok(api.get(f"/v1/commitments/{earlier}")), ok(api.get(f"/v1/commitments/{later}")))] == [
        (earlier, 4, 0), (later, 2, 2)]
    assert mine(events_after(api, seen, "commitment.consumed"), oid) == [
        ("commitment.consumed", {"commitment": earlier, "order": oid, "line": "1",
                                 "quantity": 4, "remaining": 0}),
        ("commitment.consumed", {"commitment": later, "order": oid, "line": "1",
                                 "quantity": 2, "remaining": 2}),
    ]


def test_rule_7_a_deny_line_takes_over_only_held_units_of_commitments(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 4)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 10, "2026-02-01")
    held, incoming = ids("C-HELD"), ids("C-INCOMING")
    commit(api, held, account, at, 2, TODAY)              # pegs 2 of today's stock
    commit(api, incoming, account, at, 3, "2026-02-10")   # pegs February's receipt
    line = place(api, ids("SO"), account, at, 6, backorder="deny")["lines"][0]
    assert (line["allocated"], line["backordered"], line["cancelled"], line["status"]) == (
        4, 0, 2, "allocated")
    assert ok(api.get(f"/v1/commitments/{held}"))["status"] == "consumed"
    untouched = ok(api.get(f"/v1/commitments/{incoming}"))
    assert (untouched["consumed"], untouched["remaining"], untouched["confirmed"]) == (0, 3, 3)


def test_rule_9_a_partial_cancel_gives_up_waiting_units_then_the_latest_pegs(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    po = ids("PO")
    receipt(api, po, at, 1, "2026-02-01")
    oid = ids("SO")
    line = place(api, oid, account, at, 4)["lines"][0]
    assert [p["quantity"] for p in line["promises"]] == [1, 1, 2]
    line = ok(api.post(f"/v1/orders/{oid}/cancel", json={"lines": [
        {"line": "1", "quantity": 3}]}))["lines"][0]
    assert line["promises"] == [{"quantity": 1, "date": TODAY, "confirmed": True}]
    assert (line["allocated"], line["backordered"], line["cancelled"], line["status"]) == (
        1, 0, 3, "allocated")
    # The receipt's unit is free again.
    assert availability(api, at)["atp"][-1] == {"date": "2026-02-01", "supply": 1,
                                                "available": 1}


# ----------------------------------------------------------------------
# Supply: receipts, adjustments, rules 3, 4 and 5


RECEIPT_SCENARIOS = [
    # (operation, body, expected status, receipt status after, received, open)
    ("receive", {"quantity": 3}, 200, "open", 3, 7),
    ("patch", {"quantity": 2}, 422, "open", 3, 7),
    ("receive", {"quantity": 8}, 409, "open", 3, 7),
    ("patch", {"quantity": 8, "expected_date": "2026-02-10"}, 200, "open", 3, 5),
    ("receive", None, 200, "received", 8, 0),
    ("receive", None, 409, "received", 8, 0),
    ("patch", {"expected_date": "2026-02-11"}, 409, "received", 8, 0),
    ("cancel", None, 409, "received", 8, 0),
]


def test_a_receipt_moves_through_open_and_received_by_the_documented_rules(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids)
    rid = ids("PO")
    made = receipt(api, rid, at, 10, "2026-02-01", source="harvest")
    assert {k: made[k] for k in ("quantity", "received", "open", "status", "source")} == {
        "quantity": 10, "received": 0, "open": 10, "status": "open", "source": "harvest"}
    for operation, body, status, after, received, open_ in RECEIPT_SCENARIOS:
        if operation == "patch":
            response = api.patch(f"/v1/receipts/{rid}", json=body)
        else:
            response = api.post(f"/v1/receipts/{rid}/{operation}", json=body)
        assert response.status_code == status, (operation, body, response.text)
        now = ok(api.get(f"/v1/receipts/{rid}"))
        assert (now["status"], now["received"], now["open"]) == (after, received, open_), (
            operation, body)
    assert availability(api, at)["on_hand"] == 8

    cancelled = ids("PO-C")
    receipt(api, cancelled, at, 4, "2026-02-01")
    ok(api.post(f"/v1/receipts/{cancelled}/receive", json={"quantity": 1}))
    gone = ok(api.post(f"/v1/receipts/{cancelled}/cancel"))
    assert (gone["status"], gone["received"], gone["open"]) == ("cancelled", 1, 0)
    for operation in ("receive", "cancel"):
        problem(api.post(f"/v1/receipts/{cancelled}/{operation}"), 409)
    problem(api.patch(f"/v1/receipts/{cancelled}", json={"quantity": 5}), 409)
    assert availability(api, at)["incoming"] == 0


def test_rule_4_a_cancelled_receipt_unpegs_and_its_lines_wait_again(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 30})
    account = make_account(api, ids)
    po = ids("PO")
    receipt(api, po, at, 2, "2026-02-01")
    oid = ids("SO")
    assert place(api, oid, account, at, 2)["lines"][0]["promised_date"] == "2026-02-01"
    seen = last_event_id(api)
    ok(api.post(f"/v1/receipts/{po}/cancel"))
    line = line_of(api, oid)
    assert line["promises"] == [{"quantity": 2, "date": "2026-02-04", "confirmed": False}]
    assert mine(events_after(api, seen, "order.promise_changed"), oid) == [
        ("order.promise_changed", {"order": oid, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-02-01",
                                   "new_date": "2026-02-04"})]


def test_rule_3_freed_supply_serves_waiting_units_first_then_makes_pegged_units_earlier(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 60})
    account = make_account(api, ids)
    mar = ids("PO-MAR")
    receipt(api, mar, at, 5, "2026-03-01")
    first, second = ids("SO-A"), ids("SO-B")
    place(api, first, account, at, 3)
    line = place(api, second, account, at, 4)["lines"][0]
    assert line["promises"] == [
        {"quantity": 2, "date": "2026-03-01", "confirmed": True, "receipt": mar, "likely_by": "2026-03-01"},
        {"quantity": 2, "date": "2026-03-06", "confirmed": False}]
    seen = last_event_id(api)
    adjust(api, at, 3, "return")
    # Step 1: the 2 waiting units of the second line; step 2: one of the first
    # line's March units moves to today.
    assert line_of(api, first)["promises"] == [
        {"quantity": 1, "date": TODAY, "confirmed": True},
        {"quantity": 2, "date": "2026-03-01", "confirmed": True, "receipt": mar, "likely_by": "2026-03-01"}]
    assert line_of(api, second)["promises"] == [
        {"quantity": 2, "date": TODAY, "confirmed": True},
        {"quantity": 2, "date": "2026-03-01", "confirmed": True, "receipt": mar, "likely_by": "2026-03-01"}]
    assert availability(api, at)["atp"] == [
        {"date": TODAY, "supply": 3, "available": 0},
        {"date": "2026-03-01", "supply": 5, "available": 1}]
    assert sorted(mine(events_after(api, seen), first, second), key=repr) == sorted([
        ("order.allocated", {"order": first, "line": "1", "sku": at.sku,
                             "location": at.location, "quantity": 1}),
        ("order.allocated", {"order": second, "line": "1", "sku": at.sku,
                             "location": at.location, "quantity": 2}),
        ("order.promise_changed", {"order": second, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-03-06",
                                   "new_date": "2026-03-01"}),
    ], key=repr)


def test_a_negative_adjustment_takes_held_units_back_lowest_priority_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    low = make_account(api, ids, "low", 500)
    high = make_account(api, ids, "high", 10)
    low_order, high_order = ids("SO-LOW"), ids("SO-HIGH")
    place(api, low_order, low, at, 3)  # arrives first, but ranks last
    place(api, high_order, high, at, 2)
    seen = last_event_id(api)
    position = adjust(api, at, -2, "damage")
    assert (position["on_hand"], position["allocated"], position["backordered"]) == (3, 3, 2)
    assert (line_of(api, low_order)["allocated"], line_of(api, high_order)["allocated"]) == (1, 2)
    assert mine(events_after(api, seen, "order.backordered"), low_order) == [
        ("order.backordered", {"order": low_order, "line": "1", "sku": at.sku,
                               "location": at.location, "quantity": 2,
                               "promised_date": None})]
    problem(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                              "quantity": -4, "reason": "damage"}), 422)


def test_rule_5_receiving_makes_pegged_units_held_in_rank_order(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    regular = make_account(api, ids, "regular", 100)
    vip = make_account(api, ids, "vip", 1)
    po = ids("PO")
    receipt(api, po, at, 10, "2026-02-01")
    first, second = ids("SO-REG"), ids("SO-VIP")
    place(api, first, regular, at, 3)
    place(api, second, vip, at, 3)
    seen = last_event_id(api)
    ok(api.post(f"/v1/receipts/{po}/receive", json={"quantity": 4}))
    assert (line_of(api, second)["allocated"], line_of(api, first)["allocated"]) == (3, 1)
    assert line_of(api, first)["promises"] == [
        {"quantity": 1, "date": TODAY, "confirmed": True},
        {"quantity": 2, "date": "2026-02-01", "confirmed": True, "receipt": po, "likely_by": "2026-02-01"}]
    allocated = mine(events_after(api, seen, "order.allocated"), first, second)
    assert sorted(allocated, key=repr) == sorted([
        ("order.allocated", {"order": second, "line": "1", "sku": at.sku,
                             "location": at.location, "quantity": 3}),
        ("order.allocated", {"order": first, "line": "1", "sku": at.sku,
                             "location": at.location, "quantity": 1})], key=repr)
    # The 4 units left beyond the pegs are free.
    assert availability(api, at)["atp"] == [
        {"date": TODAY, "supply": 4, "available": 0},
        {"date": "2026-02-01", "supply": 6, "available": 4}]


# ----------------------------------------------------------------------
# Availability and promising


def test_available_now_is_never_negative_and_atp_merges_supply_of_one_date(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3, item={"safety_stock": 5})
    receipt(api, ids("PO-NOW"), at, 2, TODAY)  # due today: shares the on-hand entry's date
    receipt(api, ids("PO-A"), at, 4, "2026-02-01")
    receipt(api, ids("PO-B"), at, 6, "2026-02-01")
    position = availability(api, at)
    assert (position["on_hand"], position["safety_stock"], position["available_now"],
            position["incoming"]) == (3, 5, 0, 12)
    assert position["atp"] == [{"date": TODAY, "supply": 2, "available": 2},
                               {"date": "2026-02-01", "supply": 10, "available": 10}]


def test_the_sum_of_atp_available_is_what_can_still_be_promised(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    receipt(api, ids("PO"), at, 20, "2026-03-01")
    commit(api, ids("C"), account, at, 12, "2026-04-01")
    place(api, ids("SO"), account, at, 4)  # consumes 4 of the commitment
    position = availability(api, at)
    total = sum(entry["available"] for entry in position["atp"])
    assert total == 18
    full = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                            "quantity": total}))
    assert full["complete"] is True
    over = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                            "quantity": total + 1}))
    assert over["complete"] is False
    assert over["promises"][-1] == {"quantity": 1, "date": None, "confirmed": False}


def test_availability_without_a_location_sums_every_figure(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 4)
    other = ids("LOC-2")
    ok(api.put(f"/v1/locations/{other}", json={"name": "Second"}), 201)
    account = make_account(api, ids)
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": other, "quantity": 6,
                                         "reason": "initial"}), 201)
    place(api, ids("SO"), account, at, 6)
    commit(api, ids("C"), account, Position(at.sku, other), 2, "2026-02-01")
    total = ok(api.get(f"/v1/availability/{at.sku}"))
    assert total == {"sku": at.sku, "location": None, "today": TODAY, "on_hand": 10,
                     "allocated": 4, "committed": 2, "backordered": 2, "incoming": 0,
                     "safety_stock": 0, "available_now": 4, "safety_stock_short": 0}


def test_a_promise_quote_includes_consumption_of_the_accounts_commitments(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 3)
    owner, stranger = make_account(api, ids, "owner"), make_account(api, ids, "stranger")
    commit(api, ids("C"), owner, at, 3, "2026-01-10")
    for account, complete in ((owner, True), (stranger, False)):
        quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                                 "quantity": 3, "account": account}))
        assert set(quote) >= {"sku", "location", "quantity", "promises", "promised_date",
                              "complete"}
        assert (quote["location"], quote["complete"]) == (at.location, complete)


# ----------------------------------------------------------------------
# Events, idempotency, notices, webhooks


def test_order_events_carry_the_documented_data(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 2)
    account = make_account(api, ids)
    oid = ids("SO")
    seen = last_event_id(api)
    place(api, oid, account, at, 3)
    ok(api.post(f"/v1/orders/{oid}/ship", json={"lines": [{"line": "1", "quantity": 2}]}))
    ok(api.post(f"/v1/orders/{oid}/cancel"))
    where = {"order": oid, "line": "1", "sku": at.sku, "location": at.location}
    assert mine(events_after(api, seen), oid) == [
        ("order.allocated", {**where, "quantity": 2}),
        ("order.backordered", {**where, "quantity": 1, "promised_date": None}),
        ("order.shipped", {"order": oid, "line": "1", "quantity": 2}),
        ("order.cancelled", {"order": oid, "line": "1", "quantity": 1}),
    ]
    page = ok(api.get("/v1/events", params={"after": seen, "type": "order.shipped",
                                            "limit": 1}))
    assert [e["type"] for e in page["items"]] == ["order.shipped"]
    assert all(e["id"] > seen for e in page["items"])


def test_an_idempotent_retry_of_a_refusal_gets_the_refusal_even_after_supply_arrives(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    key = {"Idempotency-Key": ids("key")}
    body = {"id": ids("C"), "account": account, "sku": at.sku, "location": at.location,
            "quantity": 5, "need_date": "2026-02-01"}
    first = problem(api.post("/v1/commitments", json=body, headers=key), 409)
    adjust(api, at, 10, "initial")
    again = problem(api.post("/v1/commitments", json=body, headers=key), 409)
    assert again == first
    problem(api.get(f"/v1/commitments/{body['id']}"), 404)
    problem(api.post("/v1/commitments", json={**body, "quantity": 4}, headers=key), 422)
    problem(api.post("/v1/receipts", json={"id": ids("PO"), "sku": at.sku,
                                           "location": at.location, "quantity": 1,
                                           "expected_date": "2026-02-01"}, headers=key), 422)


@pytest.mark.parametrize("first_body", [
    pytest.param(b'{"id": "x", "lines": [{"quantity": -1}]}', id="schema-422"),
    pytest.param(b'{"id": ', id="malformed-400"),
])
def test_idempotency_a_body_refused_before_anything_ran_leaves_the_key_unused(
    api: httpx.Client, ids: Ids, first_body: bytes
) -> None:
    """API.md: "a body refused as malformed or invalid before anything ran
    (400, or 422 for validation) leaves the key unused, so the client can fix
    the body and retry with it"."""
    at = make_position(api, ids, 1)
    account = make_account(api, ids)
    key = {"Idempotency-Key": ids("key"), "content-type": "application/json"}
    first = api.post("/v1/orders", content=first_body, headers=key)
    assert first.status_code in (400, 422)
    oid = ids("SO")
    second = api.post("/v1/orders", headers=key, content=json.dumps({
        "id": oid, "account": account, "lines": [
            {"line": "1", "sku": at.sku, "location": at.location, "quantity": 1}]}).encode())
    assert ok(second, 201)["id"] == oid
    # The refused body, sent again, is refused again on its own merits (not a
    # replay, nor a key reused: it never reaches the key).
    again = api.post("/v1/orders", content=first_body, headers=key)
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert "Idempotent-Replayed" not in again.headers


def test_a_larger_receipt_is_freed_supply_for_waiting_lines(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 40})
    account = make_account(api, ids)
    po = ids("PO")
    receipt(api, po, at, 1, "2026-02-01")
    oid = ids("SO")
    assert place(api, oid, account, at, 3)["lines"][0]["promised_date"] == "2026-02-14"
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{po}", json={"quantity": 3}))
    assert line_of(api, oid)["promises"] == [
        {"quantity": 3, "date": "2026-02-01", "confirmed": True, "receipt": po, "likely_by": "2026-02-01"}]
    assert mine(events_after(api, seen, "order.promise_changed"), oid) == [
        ("order.promise_changed", {"order": oid, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-02-14",
                                   "new_date": "2026-02-01"})]
    assert ok(api.get("/v1/backorders", params={"sku": at.sku}))["items"][0]["confirmed"] is True


def test_notices_tell_the_account_in_words_newest_last(api: httpx.Client, ids: Ids) -> None:
    at = make_position(api, ids, 0, item={"lead_time_days": 5})
    account = make_account(api, ids)
    oid = ids("SO")
    place(api, oid, account, at, 2)
    problem(api.get(f"/v1/accounts/{ids('nobody')}/notices"), 404)
    deadline = time.monotonic() + 15
    items: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        items = ok(api.get(f"/v1/accounts/{account}/notices"))["items"]
        if items:
            break
        time.sleep(0.2)
    assert items, "no notice within 15 s"
    notice = items[0]
    assert {"id", "event_id", "at", "subject", "text", "html"} <= set(notice)
    assert notice["order"] == oid
    assert oid in notice["subject"] and notice["text"] and notice["html"]
    adjust(api, at, 2, "return")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        items = ok(api.get(f"/v1/accounts/{account}/notices"))["items"]
        if len(items) > 1:
            break
        time.sleep(0.2)
    assert [n["id"] for n in items] == sorted(n["id"] for n in items)
    assert len(items) > 1


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server spelling
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    handler = type("Receiver", (_Receiver,), {"received": []})
    http = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}/hook", handler.received
    finally:
        http.shutdown()
        http.server_close()


def test_a_webhook_delivery_is_the_event_signed_with_the_secret(
    start_server: StartServer, ids: Ids,
    receiver: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    api = start_server(env={"EARMARK_DISPATCH_POLL_SECONDS": "0.1"}).client
    url, received = receiver
    made = ok(api.post("/v1/webhooks", json={"url": url, "events": ["stock.adjusted"],
                                             "secret": "s3cret"}), 201)
    assert set(made) == {"id", "url", "events", "created_at"}
    at = make_position(api, ids, 3)
    event = events_after(api, 0, "stock.adjusted")[-1]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not received:
        time.sleep(0.1)
    assert received, "nothing delivered within 15 s"
    headers, body = received[0]
    assert json.loads(body) == event
    assert headers["earmark-event-id"] == str(event["id"])
    timestamp = headers["earmark-timestamp"]
    digest = hmac.new(b"s3cret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["earmark-signature"] == f"v1={digest}"
    assert event["data"]["sku"] == at.sku
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        deliveries = ok(api.get(f"/v1/webhooks/{made['id']}/deliveries"))["items"]
        if deliveries and deliveries[0]["status"] == "delivered":
            break
        time.sleep(0.1)
    assert {k: deliveries[0][k] for k in ("event_id", "attempts", "status",
                                          "last_status_code", "next_attempt_at")} == {
        "event_id": event["id"], "attempts": 1, "status": "delivered",
        "last_status_code": 204, "next_attempt_at": None}
    assert ok(api.get(f"/v1/webhooks/{made['id']}")) == made
    assert api.delete(f"/v1/webhooks/{made['id']}").status_code == 204
    problem(api.get(f"/v1/webhooks/{made['id']}"), 404)


def test_the_openapi_description_lists_every_endpoint_of_api_md(api: httpx.Client) -> None:
    schema = ok(api.get("/openapi.json"))
    documented = {(method.upper(), path) for path, ops in schema["paths"].items()
                  for method in ops}
    assert {
        ("POST", "/v1/webhooks"), ("GET", "/v1/webhooks"), ("GET", "/v1/webhooks/{id}"),
        ("DELETE", "/v1/webhooks/{id}"), ("GET", "/v1/webhooks/{id}/deliveries"),
        ("GET", "/v1/accounts/{id}/notices"), ("POST", "/v1/orders:batch"),
        ("GET", "/v1/backorders"), ("POST", "/v1/promise"), ("GET", "/healthz"),
    } <= documented


# ----------------------------------------------------------------------
# Servers of their own: the calendar, locations, API keys, binding


def test_the_calendar_expires_commitments_and_alone_moves_no_promise(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    at = make_position(api, ids, 3, item={"lead_time_days": 10})
    owner, waiting = make_account(api, ids, "owner"), make_account(api, ids, "waiting")
    cid = ids("C")
    commit(api, cid, owner, at, 3, "2026-01-25", expires_on="2026-01-20")
    oid = ids("SO")
    line = place(api, oid, waiting, at, 4)["lines"][0]
    assert line["promises"] == [{"quantity": 4, "date": "2026-01-15", "confirmed": False}]
    lead_only = make_position(api, ids, 0, item={"lead_time_days": 10}, name="LEAD")
    lone = ids("SO-LONE")
    place(api, lone, waiting, lead_only, 1)

    seen = last_event_id(api)
    problem(api.post("/v1/clock", json={"today": "2026-01-01"}), 422)
    ok(api.post("/v1/clock", json={"today": "2026-01-19"}))
    assert ok(api.get(f"/v1/commitments/{cid}"))["status"] == "open"
    # The calendar alone moves the estimate of waiting units, without an event.
    assert line_of(api, lone)["promised_date"] == "2026-01-29"
    assert events_after(api, seen) == []

    ok(api.post("/v1/clock", json={"today": "2026-01-20"}))
    expired = ok(api.get(f"/v1/commitments/{cid}"))
    assert (expired["status"], expired["remaining"], expired["confirmed"]) == ("expired", 0, 0)
    line = line_of(api, oid)
    assert line["promises"] == [{"quantity": 3, "date": "2026-01-20", "confirmed": True},
                                {"quantity": 1, "date": "2026-01-30", "confirmed": False}]
    assert mine(events_after(api, seen), cid, oid, lone) == [
        ("commitment.expired", {"commitment": cid, "quantity": 3}),
        ("order.allocated", {"order": oid, "line": "1", "sku": at.sku,
                             "location": at.location, "quantity": 3}),
    ]
    # requested_date defaults to the new today.
    assert place(api, ids("SO-NEW"), waiting, at, 1)["lines"][0]["requested_date"] == "2026-01-20"
    problem(api.post(f"/v1/commitments/{cid}/release"), 409)


def test_location_may_be_left_out_only_while_exactly_one_location_exists(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    sku = ids("SKU")
    ok(api.put(f"/v1/items/{sku}", json={"name": "An item"}), 201)
    account = make_account(api, ids)
    quote = {"sku": sku, "quantity": 1}
    line = {"line": "1", "sku": sku, "quantity": 1}
    problem(api.post("/v1/promise", json=quote), 422)
    problem(api.post("/v1/orders", json={"id": ids("SO-0"), "account": account,
                                         "lines": [line]}), 422)
    only = ids("ONLY")
    ok(api.put(f"/v1/locations/{only}", json={"name": "Only"}), 201)
    assert ok(api.post("/v1/promise", json=quote))["location"] == only
    placed = ok(api.post("/v1/orders", json={"id": ids("SO-1"), "account": account,
                                             "lines": [line]}), 201)
    assert placed["lines"][0]["location"] == only
    ok(api.put(f"/v1/locations/{ids('SECOND')}", json={"name": "Second"}), 201)
    problem(api.post("/v1/promise", json=quote), 422)
    problem(api.post("/v1/orders", json={"id": ids("SO-2"), "account": account,
                                         "lines": [line]}), 422)


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "earmark.api"],
    [str(Path(sys.executable).parent / "earmark"), "serve"],
])
def test_without_api_keys_the_server_refuses_a_non_loopback_address(
    tmp_path: Path, command: list[str]
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EARMARK_")}
    env.update({"EARMARK_DATABASE_URL": f"sqlite:///{tmp_path}/earmark.db",
                "EARMARK_TODAY": TODAY})
    process = subprocess.run([*command, "--host", "0.0.0.0", "--port", str(free_port())],
                             env=env, capture_output=True, timeout=60)
    assert process.returncode != 0


def test_with_api_keys_a_request_without_a_key_is_401_everywhere_but_the_health_check(
    start_server: StartServer,
) -> None:
    """API.md: "every request needs Authorization: Bearer <key> except GET
    /healthz (load balancers and probes call it without one; it tells
    nothing but liveness)"."""
    running = start_server(env={"EARMARK_API_KEYS": "k1,k2"},
                           headers={"Authorization": "Bearer k1"})
    bare = httpx.Client(base_url=running.url)
    for path in ("/v1/items", "/openapi.json", "/v1/no-such-path"):
        problem(bare.get(path), 401)
    assert ok(bare.get("/healthz")) == {"status": "ok", "database": running.database}
    problem(bare.post("/healthz"), 401)
    keyed = httpx.Client(base_url=running.url, headers={"Authorization": "Bearer k2"})
    assert keyed.get("/healthz").status_code == 200
    assert keyed.get("/v1/items").status_code == 200


# ----------------------------------------------------------------------
# "A 5xx is always a bug"


def closing_client(running: Any) -> httpx.Client:
    """A client that opens a connection per request: after a 500 the server
    drops the connection, which must not hide the next answer."""
    return httpx.Client(base_url=running.url, timeout=60, headers={"Connection": "close"})


def test_a_page_cursor_with_a_huge_offset_is_refused_not_a_5xx(
    start_server: StartServer,
) -> None:
    api = closing_client(start_server())
    cursor = base64.urlsafe_b64encode(json.dumps({"o": 10**30}).encode()).decode()
    answers = {path: api.get(path, params={"cursor": cursor}).status_code
               for path in ("/v1/items", "/v1/orders", "/v1/backorders", "/v1/commitments",
                            "/v1/accounts", "/v1/locations")}
    assert answers == dict.fromkeys(answers, 422)


def test_text_with_a_nul_character_is_refused_or_kept_never_a_5xx(
    start_server: StartServer, ids: Ids
) -> None:
    api = closing_client(start_server())
    at = make_position(api, ids)
    attempts = [
        ("PUT", f"/v1/items/{ids('NUL')}", {"name": "a\u0000b"}),
        ("PUT", f"/v1/items/{ids('NUL-U')}", {"name": "ok", "unit": "kg\u0000"}),
        ("PUT", f"/v1/locations/{ids('NUL')}", {"name": "a\u0000b"}),
        ("PUT", f"/v1/accounts/{ids('NUL')}", {"name": "a\u0000b"}),
        ("POST", "/v1/adjustments", {"sku": at.sku, "location": at.location, "quantity": 1,
                                     "reason": "count", "note": "x\u0000y"}),
        ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["*"],
                                  "secret": "s\u0000"}),
    ]
    answers = [(path, api.request(method, path, json=body).status_code)
               for method, path, body in attempts]
    assert [(path, status) for path, status in answers if status >= 500] == []


def test_a_waiting_estimate_beyond_the_last_calendar_day_is_not_a_5xx(
    start_server: StartServer, ids: Ids
) -> None:
    api = closing_client(start_server())
    at = make_position(api, ids, 0, item={"lead_time_days": 30})
    account = make_account(api, ids)
    moved = api.post("/v1/clock", json={"today": "9999-12-20"})
    assert moved.status_code in (200, 422), moved.text
    responses = [
        api.post("/v1/orders", json={"id": ids("SO"), "account": account, "lines": [
            {"line": "1", "sku": at.sku, "location": at.location, "quantity": 1}]}),
        api.post("/v1/promise", json={"sku": at.sku, "location": at.location, "quantity": 1}),
        api.get("/v1/backorders", params={"sku": at.sku}),
    ]
    assert [r.status_code < 500 for r in responses] == [True, True, True], [
        (r.request.url.path, r.status_code) for r in responses]
