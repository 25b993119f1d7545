"""Transfers over HTTP (DESIGN.md and API.md, "Network"): demand at ``from``,
a receipt at ``to`` that follows it, ship, receive, cancel, and the chain
that carries a supplier's slip at ``from`` to the customers at ``to``.

Today is 2026-01-05. The network of every test: WEB and STORE, one lane
WEB -> STORE of 2 days; every expected figure is worked out by hand in the
comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from tests.e2e.conftest import (
    Ids,
    events_after,
    last_event_id,
    make_account,
    ok,
    problem,
)

TODAY = "2026-01-05"
ARRIVES = "2026-01-07"  # today + 2 days of transit


@dataclass
class Network:
    sku: str
    web: str
    store: str
    account: str


def network(api: httpx.Client, ids: Ids, web_on_hand: int = 10) -> Network:
    net = Network(ids("COAT"), ids("WEB"), ids("STORE"), make_account(api, ids))
    ok(api.put(f"/v1/items/{net.sku}", json={"name": "A coat"}), 201)
    for code in (net.web, net.store):
        ok(api.put(f"/v1/locations/{code}", json={"name": code}), 201)
    ok(api.put(f"/v1/lanes/{net.web}/{net.store}", json={"transit_days": 2}), 201)
    if web_on_hand:
        ok(api.post("/v1/adjustments", json={"sku": net.sku, "location": net.web,
                                             "quantity": web_on_hand, "reason": "initial"}), 201)
    return net


def transfer(api: httpx.Client, net: Network, tid: str, quantity: int, status: int = 201,
             **extra: Any) -> dict[str, Any]:
    body = {"id": tid, "sku": net.sku, "from": net.web, "to": net.store, "quantity": quantity,
            "priority": 1000, **extra}
    answer: dict[str, Any] = ok(api.post("/v1/transfers", json=body), status)
    return answer


def store_order(api: httpx.Client, net: Network, order_id: str, quantity: int) -> dict[str, Any]:
    line: dict[str, Any] = ok(api.post("/v1/orders", json={
        "id": order_id, "account": net.account,
        "lines": [{"line": "1", "sku": net.sku, "location": net.store, "quantity": quantity}],
    }), 201)["lines"][0]
    return line


def line_of(api: httpx.Client, order_id: str) -> dict[str, Any]:
    line: dict[str, Any] = ok(api.get(f"/v1/orders/{order_id}"))["lines"][0]
    return line


def position(api: httpx.Client, net: Network, location: str) -> dict[str, Any]:
    figures: dict[str, Any] = ok(api.get(f"/v1/availability/{net.sku}",
                                         params={"location": location}))
    return figures


def test_a_transfer_serves_a_waiting_store_order_and_ships_and_arrives(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids)
    order_id, tid = ids("SO"), ids("T")
    waiting = store_order(api, net, order_id, 3)
    # STORE has nothing and the item no lead time: the 3 units wait, undated.
    assert (waiting["allocated"], waiting["backordered"], waiting["promised_date"]) == (0, 3, None)
    seen = last_event_id(api)

    created = transfer(api, net, tid, 3)
    # Held from WEB's on-hand today; at STORE it is a receipt due today + 2.
    assert {k: created[k] for k in ("id", "sku", "from", "to", "quantity", "shipped", "received",
                                    "cancelled", "in_transit", "allocated", "open", "transit_days",
                                    "need_date", "expected_date", "priority", "status")} == {
        "id": tid, "sku": net.sku, "from": net.web, "to": net.store, "quantity": 3, "shipped": 0,
        "received": 0, "cancelled": 0, "in_transit": 0, "allocated": 3, "open": 3,
        "transit_days": 2, "need_date": None, "expected_date": ARRIVES, "priority": 1000,
        "status": "open"}
    assert created["promises"] == [{"quantity": 3, "date": TODAY, "confirmed": True}]
    receipt = ok(api.get(f"/v1/receipts/{tid}"))
    assert {k: receipt[k] for k in ("location", "quantity", "received", "open", "expected_date",
                                    "source", "status")} == {
        "location": net.store, "quantity": 3, "received": 0, "open": 3, "expected_date": ARRIVES,
        "source": "transfer", "status": "open"}
    line = line_of(api, order_id)
    assert line["promises"] == [{"quantity": 3, "date": ARRIVES, "confirmed": True,
                                 "receipt": tid, "likely_by": ARRIVES}]
    assert line["promised_date"] == ARRIVES
    # Transfers out count in none of WEB's allocated, committed or backordered:
    # they only make less of it free.
    web = position(api, net, net.web)
    assert {k: web[k] for k in ("on_hand", "allocated", "committed", "backordered",
                                "available_now")} == {
        "on_hand": 10, "allocated": 0, "committed": 0, "backordered": 0, "available_now": 7}
    store = position(api, net, net.store)
    assert (store["incoming"], store["backordered"], store["atp"][-1]) == (
        3, 3, {"date": ARRIVES, "supply": 3, "available": 0})
    events = events_after(api, seen)
    assert [e["data"] for e in events if e["type"] == "transfer.created"] == [
        {"transfer": tid, "sku": net.sku, "from": net.web, "to": net.store, "quantity": 3}]
    moved = [e["data"] for e in events if e["type"] == "order.promise_changed"]
    assert [(m["order"], m["location"], m["old_date"], m["new_date"]) for m in moved] == [
        (order_id, net.store, None, ARRIVES)]

    seen = last_event_id(api)
    shipped = ok(api.post(f"/v1/transfers/{tid}/ship"))
    assert {k: shipped[k] for k in ("shipped", "in_transit", "allocated", "open", "status",
                                    "expected_date")} == {
        "shipped": 3, "in_transit": 3, "allocated": 0, "open": 0, "status": "in_transit",
        "expected_date": ARRIVES}
    assert shipped["promises"] == []
    web = position(api, net, net.web)
    assert (web["on_hand"], web["available_now"]) == (7, 7)
    assert line_of(api, order_id)["promised_date"] == ARRIVES  # shipped today: today + 2
    assert [e["data"]["quantity"] for e in events_after(api, seen, "transfer.shipped")] == [3]

    seen = last_event_id(api)
    received = ok(api.post(f"/v1/transfers/{tid}/receive"))
    assert {k: received[k] for k in ("shipped", "received", "in_transit", "status")} == {
        "shipped": 3, "received": 3, "in_transit": 0, "status": "received"}
    line = line_of(api, order_id)
    assert (line["allocated"], line["backordered"], line["status"]) == (3, 0, "allocated")
    store = position(api, net, net.store)
    assert (store["on_hand"], store["allocated"], store["incoming"]) == (3, 3, 0)
    receipt = ok(api.get(f"/v1/receipts/{tid}"))
    assert (receipt["status"], receipt["received"], receipt["open"]) == ("received", 3, 0)
    events = events_after(api, seen)
    assert [e["data"]["quantity"] for e in events if e["type"] == "transfer.received"] == [3]
    assert [(e["data"]["order"], e["data"]["quantity"]) for e in events
            if e["type"] == "order.allocated"] == [(order_id, 3)]


def test_a_supplier_slip_at_the_source_moves_the_store_customers_promise(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, web_on_hand=0)
    order_id, tid, po = ids("SO"), ids("T"), ids("PO")
    ok(api.post("/v1/receipts", json={"id": po, "sku": net.sku, "location": net.web,
                                      "quantity": 5, "expected_date": "2026-01-10"}), 201)
    # Needed at STORE on 01-12, so at WEB on 01-10: the PO of 01-10 pegs it in time.
    created = transfer(api, net, tid, 5, need_date="2026-01-12")
    assert created["promises"] == [{"quantity": 5, "date": "2026-01-10", "confirmed": True,
                                    "receipt": po, "likely_by": "2026-01-10"}]
    assert created["expected_date"] == "2026-01-12"
    line = store_order(api, net, order_id, 5)
    assert line["promised_date"] == "2026-01-12"
    seen = last_event_id(api)

    ok(api.patch(f"/v1/receipts/{po}", json={"expected_date": "2026-01-15"}))
    # The PO keeps its peg and slips 5 days; the transfer's units are promised at
    # WEB on 01-15, arrive at STORE on 01-17, and so does the store customer's order.
    assert ok(api.get(f"/v1/transfers/{tid}"))["expected_date"] == "2026-01-17"
    assert ok(api.get(f"/v1/receipts/{tid}"))["expected_date"] == "2026-01-17"
    assert line_of(api, order_id)["promised_date"] == "2026-01-17"
    events = events_after(api, seen)
    changed = [e["data"] for e in events if e["type"] == "receipt.changed"]
    assert [(c["receipt"], c["expected_date"]) for c in changed] == [
        (po, "2026-01-15"), (tid, "2026-01-17")]
    [moved] = [e["data"] for e in events if e["type"] == "order.promise_changed"]
    assert {k: moved[k] for k in ("order", "sku", "location", "old_date", "new_date",
                                  "cause")} == {
        "order": order_id, "sku": net.sku, "location": net.store, "old_date": "2026-01-12",
        "new_date": "2026-01-17", "cause": "receipt_delayed"}


def test_a_transfer_that_cannot_peg_every_unit_is_refused_with_shortfall_and_earliest_date(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, web_on_hand=2)
    tid, po = ids("T"), ids("PO")
    ok(api.post("/v1/receipts", json={"id": po, "sku": net.sku, "location": net.web,
                                      "quantity": 10, "expected_date": "2026-01-10"}), 201)
    before = position(api, net, net.web)
    seen = last_event_id(api)
    # Without need_date every unit must come from free on-hand now: 2 of 5. All
    # 5 could be pegged on 01-10 (2 on hand, 3 of the PO), at STORE on 01-12.
    refused = problem(api.post("/v1/transfers", json={
        "id": tid, "sku": net.sku, "from": net.web, "to": net.store, "quantity": 5}), 409,
        "insufficient")
    assert (refused["shortfall"], refused["earliest_date"], refused["earliest_arrival"]) == (
        3, "2026-01-10", "2026-01-12")
    # Needed at STORE on 01-11, so at WEB on 01-09: the PO comes a day late.
    late = problem(api.post("/v1/transfers", json={
        "id": tid, "sku": net.sku, "from": net.web, "to": net.store, "quantity": 5,
        "need_date": "2026-01-11"}), 409, "insufficient")
    assert (late["shortfall"], late["earliest_date"]) == (3, "2026-01-10")
    problem(api.get(f"/v1/transfers/{tid}"), 404)
    problem(api.get(f"/v1/receipts/{tid}"), 404)
    assert position(api, net, net.web) == before
    assert events_after(api, seen) == []
    # By 01-12 at STORE it is met, from the PO alone (rule 1: latest first).
    met = transfer(api, net, tid, 5, need_date="2026-01-12")
    assert met["promises"] == [{"quantity": 5, "date": "2026-01-10", "confirmed": True,
                                "receipt": po, "likely_by": "2026-01-10"}]


def test_cancelling_gives_the_units_back_at_the_source_and_takes_them_from_the_store(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids)
    order_id, tid = ids("SO"), ids("T")
    store_order(api, net, order_id, 3)
    transfer(api, net, tid, 3)
    assert line_of(api, order_id)["promised_date"] == ARRIVES
    seen = last_event_id(api)

    cancelled = ok(api.post(f"/v1/transfers/{tid}/cancel"))
    assert {k: cancelled[k] for k in ("cancelled", "open", "allocated", "status")} == {
        "cancelled": 3, "open": 0, "allocated": 0, "status": "cancelled"}
    assert position(api, net, net.web)["available_now"] == 10
    receipt = ok(api.get(f"/v1/receipts/{tid}"))
    assert (receipt["status"], receipt["open"]) == ("cancelled", 0)
    line = line_of(api, order_id)
    assert (line["backordered"], line["promised_date"], line["promises"]) == (
        3, None, [{"quantity": 3, "date": None, "confirmed": False}])
    events = events_after(api, seen)
    assert [e["data"]["quantity"] for e in events if e["type"] == "transfer.cancelled"] == [3]
    assert [(e["data"]["old_date"], e["data"]["new_date"]) for e in events
            if e["type"] == "order.promise_changed"] == [(ARRIVES, None)]
    problem(api.post(f"/v1/transfers/{tid}/cancel"), 409, "not_open")
    problem(api.post(f"/v1/transfers/{tid}/ship"), 409, "not_open")


def test_cancelling_after_a_partial_shipment_keeps_the_units_in_transit(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids)
    tid = ids("T")
    transfer(api, net, tid, 5)
    problem(api.post(f"/v1/transfers/{tid}/ship", json={"quantity": 6}), 409, "not_held")
    problem(api.post(f"/v1/transfers/{tid}/receive"), 409, "exceeds_open")
    ok(api.post(f"/v1/transfers/{tid}/ship", json={"quantity": 2}))
    after = ok(api.post(f"/v1/transfers/{tid}/cancel"))
    assert {k: after[k] for k in ("shipped", "cancelled", "in_transit", "open", "status")} == {
        "shipped": 2, "cancelled": 3, "in_transit": 2, "open": 0, "status": "in_transit"}
    receipt = ok(api.get(f"/v1/receipts/{tid}"))
    assert (receipt["quantity"], receipt["open"], receipt["expected_date"], receipt["status"]) == (
        2, 2, ARRIVES, "open")
    # WEB: 10 - 2 shipped; the 3 cancelled are free again.
    assert (position(api, net, net.web)["on_hand"], position(api, net, net.web)["available_now"]) \
        == (8, 8)
    problem(api.post(f"/v1/transfers/{tid}/receive", json={"quantity": 3}), 409, "exceeds_open")
    done = ok(api.post(f"/v1/transfers/{tid}/receive", json={"quantity": 2}))
    assert (done["received"], done["status"]) == (2, "received")
    assert position(api, net, net.store)["on_hand"] == 2
    assert ok(api.get(f"/v1/receipts/{tid}"))["status"] == "received"


def test_lost_supply_at_the_source_unpegs_the_transfer_and_its_receipt_shrinks(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, web_on_hand=3)
    order_id, tid = ids("SO"), ids("T")
    transfer(api, net, tid, 3)
    store_order(api, net, order_id, 3)
    seen = last_event_id(api)
    # Two units are damaged at WEB: rule 4 takes them from the transfer (the only
    # demand there); its receipt at STORE keeps 1 unit, and the store order 1.
    ok(api.post("/v1/adjustments", json={"sku": net.sku, "location": net.web, "quantity": -2,
                                         "reason": "damage"}), 201)
    moved = ok(api.get(f"/v1/transfers/{tid}"))
    assert (moved["allocated"], moved["open"], moved["promises"]) == (
        1, 3, [{"quantity": 1, "date": TODAY, "confirmed": True},
               {"quantity": 2, "date": None, "confirmed": False}])
    assert ok(api.get(f"/v1/receipts/{tid}"))["open"] == 1
    line = line_of(api, order_id)
    assert (line["promises"], line["promised_date"]) == (
        [{"quantity": 1, "date": ARRIVES, "confirmed": True, "receipt": tid, "likely_by": ARRIVES},
         {"quantity": 2, "date": None, "confirmed": False}], None)
    events = events_after(api, seen)
    assert [(e["data"]["receipt"], e["data"]["open"]) for e in events
            if e["type"] == "receipt.changed"] == [(tid, 1)]
    assert [(e["data"]["order"], e["data"]["new_date"]) for e in events
            if e["type"] == "order.promise_changed"] == [(order_id, None)]
    # Stock counted in at WEB pegs the transfer again, and its receipt grows back.
    ok(api.post("/v1/adjustments", json={"sku": net.sku, "location": net.web, "quantity": 2,
                                         "reason": "count"}), 201)
    assert ok(api.get(f"/v1/receipts/{tid}"))["open"] == 3
    assert line_of(api, order_id)["promised_date"] == ARRIVES


def test_bad_transfers_are_refused_and_change_nothing(api: httpx.Client, ids: Ids) -> None:
    net = network(api, ids)
    other = ids("ELSEWHERE")
    ok(api.put(f"/v1/locations/{other}", json={"name": other}), 201)
    taken = ids("PO")
    ok(api.post("/v1/receipts", json={"id": taken, "sku": net.sku, "location": net.store,
                                      "quantity": 1, "expected_date": "2026-02-01"}), 201)
    tid = ids("T")
    good = {"id": tid, "sku": net.sku, "from": net.web, "to": net.store, "quantity": 2}
    before = (position(api, net, net.web), position(api, net, net.store))
    seen = last_event_id(api)
    problem(api.post("/v1/transfers", json={**good, "sku": ids("NOPE")}), 422, "unknown_sku")
    problem(api.post("/v1/transfers", json={**good, "from": ids("NOPE")}), 422,
            "unknown_location")
    problem(api.post("/v1/transfers", json={**good, "to": ids("NOPE")}), 422, "unknown_location")
    problem(api.post("/v1/transfers", json={**good, "to": net.web}), 422, "invalid")
    problem(api.post("/v1/transfers", json={**good, "to": other}), 422, "no_lane")
    problem(api.post("/v1/transfers", json={**good, "from": net.store, "to": net.web}), 422,
            "no_lane")  # lanes are one-way
    problem(api.post("/v1/transfers", json={**good, "quantity": 0}), 422)
    problem(api.post("/v1/transfers", json={**good, "priority": 1001}), 422)
    problem(api.post("/v1/transfers", json={**good, "id": taken}), 409,
            "exists_with_different_content")
    problem(api.get(f"/v1/transfers/{tid}"), 404)
    problem(api.post(f"/v1/transfers/{tid}/ship"), 404)
    assert (position(api, net, net.web), position(api, net, net.store)) == before
    assert events_after(api, seen) == []

    created = transfer(api, net, tid, 2, status=201)
    assert transfer(api, net, tid, 2, status=200) == created  # an identical replay
    problem(api.post("/v1/transfers", json={**good, "priority": 1000, "quantity": 3}), 409,
            "exists_with_different_content")
    # The receipt at STORE is the transfer's: changed only through the transfer.
    problem(api.patch(f"/v1/receipts/{tid}", json={"quantity": 9}), 409, "transfer_receipt")
    problem(api.post(f"/v1/receipts/{tid}/receive"), 409, "transfer_receipt")
    problem(api.post(f"/v1/receipts/{tid}/cancel"), 409, "transfer_receipt")
    problem(api.post("/v1/receipts", json={"id": tid, "sku": net.sku, "location": net.store,
                                           "quantity": 2, "expected_date": ARRIVES,
                                           "source": "transfer"}), 409)
    assert ok(api.get(f"/v1/receipts/{tid}"))["open"] == 2


def test_transfers_are_listed_by_sku_from_to_and_status(api: httpx.Client, ids: Ids) -> None:
    net = network(api, ids)
    first, second = ids("T1"), ids("T2")
    transfer(api, net, first, 1)
    transfer(api, net, second, 2)
    ok(api.post(f"/v1/transfers/{second}/ship"))
    listed = ok(api.get("/v1/transfers", params={"sku": net.sku, "limit": 1}))
    assert [t["id"] for t in listed["items"]] == [first]
    rest = ok(api.get("/v1/transfers", params={"sku": net.sku, "cursor": listed["next_cursor"]}))
    assert ([t["id"] for t in rest["items"]], rest["next_cursor"]) == ([second], None)
    assert [t["id"] for t in ok(api.get("/v1/transfers", params={
        "sku": net.sku, "status": "in_transit"}))["items"]] == [second]
    assert [t["id"] for t in ok(api.get("/v1/transfers", params={
        "from": net.web, "to": net.store}))["items"]] == [first, second]
    assert ok(api.get("/v1/transfers", params={"from": net.store}))["items"] == []
    assert len(ok(api.get("/v1/transfers", params={"sku": net.sku, "status": ""}))["items"]) == 2
    problem(api.get("/v1/transfers", params={"status": "lost"}), 422)


def test_webhooks_subscribe_to_transfer_events(api: httpx.Client) -> None:
    made = ok(api.post("/v1/webhooks", json={
        "url": "http://127.0.0.1:9/hook", "secret": "s",
        "events": ["transfer.created", "transfer.shipped", "transfer.received",
                   "transfer.cancelled"]}), 201)
    assert api.delete(f"/v1/webhooks/{made['id']}").status_code == 204


# ----------------------------------------------------------------------
# Rebalancing suggestions


def suggested(api: httpx.Client, net: Network) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(api.get("/v1/suggestions", params={
        "sku": net.sku, "kind": "transfer"}))["items"]
    return items


def test_free_stock_elsewhere_is_suggested_for_waiting_units_and_accepted_as_a_transfer(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids)
    order_id = ids("SO")
    store_order(api, net, order_id, 3)
    [suggestion] = suggested(api, net)
    sid = suggestion["id"]
    assert sid.startswith("sg-t-")
    # The 3 units wait undated: shipped now from WEB's 10 free, they arrive 01-07.
    assert {k: suggestion[k] for k in ("kind", "sku", "from", "to", "location", "quantity",
                                       "arrives", "earlier_by_days", "orders")} == {
        "kind": "transfer", "sku": net.sku, "from": net.web, "to": net.store,
        "location": net.store, "quantity": 3, "arrives": ARRIVES, "earlier_by_days": None,
        "orders": [order_id]}
    assert suggestion["request"] == {"id": sid, "sku": net.sku, "from": net.web, "to": net.store,
                                     "quantity": 3}
    assert ok(api.get("/v1/suggestions", params={"sku": net.sku}))["items"] == [suggestion]
    assert suggested(api, net) == [suggestion]  # the same suggestion, the same id
    assert ok(api.get("/v1/suggestions", params={"sku": net.sku, "kind": "receipt"}))[
        "items"] == []

    response = api.post(f"/v1/suggestions/{sid}/accept")
    created = ok(response, 201)
    assert response.headers["location"] == f"/v1/transfers/{sid}"
    assert created == ok(api.get(f"/v1/transfers/{sid}"))
    assert {k: created[k] for k in ("from", "to", "quantity", "allocated", "expected_date")} == {
        "from": net.web, "to": net.store, "quantity": 3, "allocated": 3,
        "expected_date": ARRIVES}
    assert line_of(api, order_id)["promised_date"] == ARRIVES
    assert suggested(api, net) == []
    problem(api.post(f"/v1/suggestions/{sid}/accept"), 409, "already_accepted")


def test_a_transfer_is_suggested_only_where_it_comes_earlier_and_of_at_most_the_free_stock(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, web_on_hand=2)
    ok(api.put(f"/v1/items/{net.sku}", json={"name": "A coat", "lead_time_days": 7}), 200)
    soon, later = ids("SO-SOON"), ids("SO-LATER")
    # SOON (3 units) is served on 01-06 by a receipt at STORE: a transfer from
    # WEB would arrive 01-07, later; no suggestion serves it.
    ok(api.post("/v1/receipts", json={"id": ids("PO"), "sku": net.sku, "location": net.store,
                                      "quantity": 3, "expected_date": "2026-01-06"}), 201)
    store_order(api, net, soon, 3)
    assert suggested(api, net) == []
    # LATER (4 units) waits, estimated today + 7 = 01-12. WEB has 2 free: a
    # transfer of 2 arriving 01-07 makes two units 5 days earlier.
    store_order(api, net, later, 4)
    [suggestion] = suggested(api, net)
    assert {k: suggestion[k] for k in ("from", "quantity", "arrives", "earlier_by_days",
                                       "orders")} == {
        "from": net.web, "quantity": 2, "arrives": ARRIVES, "earlier_by_days": 5,
        "orders": [later]}
    # A nearer location with free stock is a suggestion of its own.
    hub = ids("HUB")
    ok(api.put(f"/v1/locations/{hub}", json={"name": hub}), 201)
    ok(api.put(f"/v1/lanes/{hub}/{net.store}", json={"transit_days": 1}), 201)
    ok(api.post("/v1/adjustments", json={"sku": net.sku, "location": hub, "quantity": 9,
                                         "reason": "initial"}), 201)
    listed = suggested(api, net)
    assert [(s["from"], s["quantity"], s["arrives"], s["earlier_by_days"]) for s in listed] == [
        (hub, 4, "2026-01-06", 6), (net.web, 2, ARRIVES, 5)]
