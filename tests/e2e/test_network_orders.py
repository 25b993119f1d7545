"""Order lines placed by ``ship_to`` (DESIGN.md "Network promising", API.md
"Network"), end to end over HTTP.

Today is 2026-01-05. Each test builds its own small network: an item, the
ship-to location STORE and locations with lanes to it (WEB two days away,
HUB one day, FAR three days). Expected values are worked out by hand in the
comments; a part's promises are dated at its location, the line's are
delivered dates (+ the part's transit days).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from tests.e2e.conftest import Ids, events_after, last_event_id, ok, problem

TRANSIT = {"STORE": 0, "HUB": 1, "WEB": 2, "FAR": 3}


@dataclass
class Net:
    api: httpx.Client
    ids: Ids
    sku: str
    account: str
    codes: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return self.codes[name]

    def receipt(self, rid: str, name: str, quantity: int, day: str) -> str:
        rid = self.ids(rid)
        ok(self.api.post("/v1/receipts", json={
            "id": rid, "sku": self.sku, "location": self[name], "quantity": quantity,
            "expected_date": day}), 201)
        return rid

    def line(self, quantity: int, **extra: Any) -> dict[str, Any]:
        return {"line": "1", "sku": self.sku, "quantity": quantity, "ship_to": self["STORE"],
                **extra}

    def order(self, oid: str, quantity: int, status: int = 201, **extra: Any) -> dict[str, Any]:
        response = self.api.post("/v1/orders", json={
            "id": self.ids(oid), "account": self.account, "lines": [self.line(quantity, **extra)]})
        if status >= 400:
            return problem(response, status)
        result: dict[str, Any] = ok(response, 201)
        return result

    def position(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = ok(self.api.get(f"/v1/availability/{self.sku}",
                                                 params={"location": self[name]}))
        return result

    def positions(self) -> dict[str, tuple[int, int, int]]:
        """(on-hand, allocated, backordered) at every location of the network."""
        return {name: (p["on_hand"], p["allocated"], p["backordered"])
                for name in self.codes for p in [self.position(name)]}


def network(api: httpx.Client, ids: Ids, on_hand: dict[str, int], *,
            lead_time_days: int | None = None) -> Net:
    """STORE and the named locations (lanes to STORE with TRANSIT days), with ``on_hand``."""
    item: dict[str, Any] = {"name": "A coat"}
    if lead_time_days is not None:
        item["lead_time_days"] = lead_time_days
    net = Net(api, ids, ids("COAT"), ids("acct"))
    ok(api.put(f"/v1/items/{net.sku}", json=item), 201)
    ok(api.put(f"/v1/accounts/{net.account}", json={"name": "A customer"}), 201)
    for name in ["STORE", *on_hand]:
        if name in net.codes:
            continue
        net.codes[name] = ids(name)
        ok(api.put(f"/v1/locations/{net[name]}", json={"name": name}), 201)
        if name != "STORE":
            ok(api.put(f"/v1/lanes/{net[name]}/{net['STORE']}",
                       json={"transit_days": TRANSIT[name]}), 201)
    for name, units in on_hand.items():
        if units:
            ok(api.post("/v1/adjustments", json={"sku": net.sku, "location": net[name],
                                                 "quantity": units, "reason": "initial"}), 201)
    return net


def promise(quantity: int, day: str | None, confirmed: bool = True,
            receipt: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"quantity": quantity, "date": day, "confirmed": confirmed}
    if receipt is not None:
        # No positive slip is recorded on these servers: likely by the date itself.
        entry["receipt"] = receipt
        entry["likely_by"] = day
    return entry


def part(location: str, quantity: int, promises: list[dict[str, Any]], *, allocated: int = 0,
         shipped: int = 0, cancelled: int = 0) -> dict[str, Any]:
    return {"location": location, "transit_days": TRANSIT_OF[location], "quantity": quantity,
            "allocated": allocated,
            "backordered": quantity - allocated - shipped - cancelled,
            "shipped": shipped, "cancelled": cancelled, "promises": promises}


TRANSIT_OF: dict[str, int] = {}
"""Transit days by location code, filled in by :func:`parts_of`."""


def parts_of(net: Net) -> None:
    for name, code in net.codes.items():
        TRANSIT_OF[code] = TRANSIT[name]


# ----------------------------------------------------------------------
# N1: whole from one place


def test_a_coat_sold_at_a_store_without_stock_ships_whole_from_web(
    api: httpx.Client, ids: Ids
) -> None:
    # STORE has none on hand (no candidate for itself); WEB, two days away, has 5.
    net = network(api, ids, {"STORE": 0, "WEB": 5})
    parts_of(net)
    order = net.order("SO", 3)
    line = order["lines"][0]
    assert {k: line[k] for k in ("location", "ship_to", "split", "quantity", "allocated",
                                 "backordered", "promises", "promised_date", "queue_position",
                                 "status")} == {
        "location": net["WEB"], "ship_to": net["STORE"], "split": False, "quantity": 3,
        "allocated": 3, "backordered": 0,
        "promises": [promise(3, "2026-01-07")],  # held today at WEB, + 2 days
        "promised_date": "2026-01-07", "queue_position": None, "status": "allocated"}
    assert line["parts"] == [part(net["WEB"], 3, [promise(3, "2026-01-05")], allocated=3)]
    assert ok(api.get(f"/v1/orders/{order['id']}")) == order
    assert net.positions() == {"STORE": (0, 0, 0), "WEB": (5, 3, 0)}


def test_n1_the_candidate_that_delivers_every_unit_earliest_wins(
    api: httpx.Client, ids: Ids
) -> None:
    # STORE expects 5 on 2026-01-15 (a candidate for itself, delivered then);
    # WEB (2 days) holds 5 now: delivered 2026-01-07. WEB wins.
    net = network(api, ids, {"STORE": 0, "WEB": 5})
    net.receipt("PO-S", "STORE", 5, "2026-01-15")
    line = net.order("SO", 5)["lines"][0]
    assert (line["location"], line["promised_date"]) == (net["WEB"], "2026-01-07")


def test_n1_ties_go_to_candidate_order(api: httpx.Client, ids: Ids) -> None:
    # HUB (1 day) expects 5 tomorrow: delivered 2026-01-07. WEB (2 days) holds
    # 5 now: delivered 2026-01-07 too. The tie goes to HUB (fewer transit days).
    net = network(api, ids, {"HUB": 0, "WEB": 5})
    po = net.receipt("PO-H", "HUB", 5, "2026-01-06")
    line = net.order("SO", 5)["lines"][0]
    assert line["location"] == net["HUB"]
    assert line["promises"] == [promise(5, "2026-01-07", receipt=po)]
    # Under deny only units held now count: WEB.
    denied = net.order("SO-D", 5, backorder="deny")["lines"][0]
    assert (denied["location"], denied["allocated"]) == (net["WEB"], 5)


def test_n1_need_date_at_a_candidate_is_the_requested_date_less_transit(
    api: httpx.Client, ids: Ids
) -> None:
    # Requested 2026-01-20 at STORE; WEB is 2 days away, so WEB needs them on
    # 2026-01-18: rule 1 pegs backward from there, the receipt of 2026-01-16
    # before today's stock. Promised 2026-01-18 at WEB, delivered 2026-01-20.
    net = network(api, ids, {"WEB": 5})
    parts_of(net)
    po = net.receipt("PO-W", "WEB", 5, "2026-01-16")
    line = net.order("SO", 3, requested_date="2026-01-20")["lines"][0]
    assert line["parts"] == [part(net["WEB"], 3, [promise(3, "2026-01-18", receipt=po)])]
    assert line["promises"] == [promise(3, "2026-01-20", receipt=po)]
    assert net.position("WEB")["available_now"] == 5


# ----------------------------------------------------------------------
# N2: split when asked


def split_network(api: httpx.Client, ids: Ids) -> tuple[Net, str]:
    """STORE holds 2, WEB 1 and expects 3 on 2026-01-09; nobody serves 6 alone."""
    net = network(api, ids, {"STORE": 2, "WEB": 1}, lead_time_days=14)
    parts_of(net)
    return net, net.receipt("PO-W", "WEB", 3, "2026-01-09")


def test_n2_split_takes_free_on_hand_first_then_the_rest_goes_whole_by_n1(
    api: httpx.Client, ids: Ids
) -> None:
    # Shelves: STORE 2, WEB 1. The rest (3) by N1: at STORE 2+3 leaves 3
    # waiting; at WEB 1+3 pegs all (1 held, 3 on the receipt) -> WEB.
    net, po = split_network(api, ids)
    line = net.order("SO", 6, split=True)["lines"][0]
    assert line["parts"] == [
        part(net["STORE"], 2, [promise(2, "2026-01-05")], allocated=2),
        part(net["WEB"], 4, [promise(1, "2026-01-05"), promise(3, "2026-01-09", receipt=po)],
             allocated=1),
    ]
    assert {k: line[k] for k in ("location", "split", "allocated", "backordered", "promises",
                                 "promised_date", "queue_position", "status")} == {
        "location": None, "split": True, "allocated": 3, "backordered": 3,
        "promises": [promise(2, "2026-01-05"), promise(1, "2026-01-07"),
                     promise(3, "2026-01-11", receipt=po)],
        "promised_date": "2026-01-11", "queue_position": 1, "status": "partially_allocated"}
    assert net.positions() == {"STORE": (2, 2, 0), "WEB": (1, 1, 3)}


def test_without_split_the_line_waits_whole_where_fewest_units_wait(
    api: httpx.Client, ids: Ids
) -> None:
    # N3: WEB pegs 4 of 6 (2 wait), STORE 2 of 6 (4 wait) -> all 6 at WEB;
    # the 2 waiting are estimated today + 14 days = 2026-01-19 at WEB,
    # delivered 2026-01-21.
    net, po = split_network(api, ids)
    line = net.order("SO", 6)["lines"][0]
    assert line["location"] == net["WEB"]
    assert line["promises"] == [promise(1, "2026-01-07"), promise(3, "2026-01-11", receipt=po),
                                promise(2, "2026-01-21", False)]
    assert (line["promised_date"], line["queue_position"]) == ("2026-01-21", 1)


def test_n3_the_rest_of_a_split_line_waits_where_fewest_units_wait(
    api: httpx.Client, ids: Ids
) -> None:
    # Shelves STORE 1, WEB 1; the rest (4) fits nowhere: STORE would leave 4
    # waiting, WEB 4, HUB (which expects 2) 2 -> HUB gets the 4, 2 of them wait.
    net = network(api, ids, {"STORE": 1, "HUB": 0, "WEB": 1}, lead_time_days=10)
    parts_of(net)
    po = net.receipt("PO-H", "HUB", 2, "2026-01-08")
    line = net.order("SO", 6, split=True)["lines"][0]
    assert [(p["location"], p["quantity"]) for p in line["parts"]] == [
        (net["STORE"], 1), (net["HUB"], 4), (net["WEB"], 1)]
    assert line["parts"][1]["promises"] == [promise(2, "2026-01-08", receipt=po),
                                            promise(2, "2026-01-15", False)]
    # Delivered: STORE today, HUB +1, WEB +2; HUB's waiting units 2026-01-16.
    assert line["promises"] == [promise(1, "2026-01-05"), promise(1, "2026-01-07"),
                                promise(2, "2026-01-09", receipt=po), promise(2, "2026-01-16", False)]
    assert line["queue_position"] == 1
    backorders = ok(api.get("/v1/backorders", params={"sku": net.sku}))["items"]
    assert [(b["location"], b["backordered"], b["promised_date"]) for b in backorders] == [
        (net["HUB"], 4, "2026-01-16")]


# ----------------------------------------------------------------------
# Backorder deny and reject across candidates


def test_deny_holds_what_the_shelves_have_and_cancels_the_rest(api: httpx.Client, ids: Ids) -> None:
    # Split: STORE 1, WEB 3 held; the 1 left goes to STORE (N3 tie, first) and is cancelled.
    net = network(api, ids, {"STORE": 1, "WEB": 3})
    parts_of(net)
    seen = last_event_id(api)
    line = net.order("SO", 5, split=True, backorder="deny")["lines"][0]
    assert line["parts"] == [
        part(net["STORE"], 2, [promise(1, "2026-01-05")], allocated=1, cancelled=1),
        part(net["WEB"], 3, [promise(3, "2026-01-05")], allocated=3)]
    assert (line["allocated"], line["cancelled"], line["status"]) == (4, 1, "allocated")
    cancelled = [e["data"] for e in events_after(api, seen, "order.cancelled")]
    assert cancelled == [{"order": net.ids("SO"), "line": "1", "location": net["STORE"],
                          "quantity": 1}]
    # Without split: WEB leaves 2 not held, STORE 4 -> whole at WEB, 2 cancelled.
    other = network(api, Ids(), {"STORE": 1, "WEB": 3})
    parts_of(other)
    whole = other.order("SO-2", 5, backorder="deny")["lines"][0]
    assert whole["parts"] == [part(other["WEB"], 5, [promise(3, "2026-01-05")], allocated=3,
                                   cancelled=2)]


def test_reject_refuses_unless_every_unit_is_held_now_and_changes_nothing(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, {"STORE": 1, "WEB": 3})
    before = net.positions()
    # Not split: no one place holds 4.
    problem(api.post("/v1/orders", json={"id": ids("SO-1"), "account": net.account,
                                         "lines": [net.line(4, backorder="reject")]}), 409)
    # Split: 1 + 3 = 4 can be held, 5 cannot.
    problem(api.post("/v1/orders", json={"id": ids("SO-2"), "account": net.account,
                                         "lines": [net.line(5, backorder="reject", split=True)]}),
            409)
    assert net.positions() == before
    problem(api.get(f"/v1/orders/{ids('SO-1')}"), 404)
    problem(api.get(f"/v1/orders/{ids('SO-2')}"), 404)
    line = net.order("SO-3", 4, backorder="reject", split=True)["lines"][0]
    assert [(p["location"], p["allocated"]) for p in line["parts"]] == [
        (net["STORE"], 1), (net["WEB"], 3)]


# ----------------------------------------------------------------------
# Cancel and ship


def test_cancel_gives_up_the_part_with_the_latest_delivered_date_first(
    api: httpx.Client, ids: Ids
) -> None:
    net, po = split_network(api, ids)
    order = net.order("SO", 6, split=True)  # STORE 2 (delivered 01-05), WEB 4 (latest 01-11)
    seen = last_event_id(api)
    after = ok(api.post(f"/v1/orders/{order['id']}/cancel",
                        json={"lines": [{"line": "1", "quantity": 4}]}))
    # WEB's 4 go first: its 3 on the receipt (rule 9: reverse bucket order), then its held 1.
    assert [(p["location"], p["cancelled"], p["allocated"]) for p in after["lines"][0]["parts"]] == [
        (net["STORE"], 0, 2), (net["WEB"], 4, 0)]
    assert [e["data"] for e in events_after(api, seen, "order.cancelled")] == [
        {"order": order["id"], "line": "1", "location": net["WEB"], "quantity": 4}]
    assert net.positions() == {"STORE": (2, 2, 0), "WEB": (1, 0, 0)}
    problem(api.post(f"/v1/orders/{order['id']}/cancel",
                     json={"lines": [{"line": "1", "quantity": 3}]}), 409)


def test_cancel_ties_go_to_the_farther_part_first(api: httpx.Client, ids: Ids) -> None:
    # Requested 2026-01-20: STORE's 2 and WEB's 2 are both delivered 2026-01-20.
    net = network(api, ids, {"STORE": 2, "WEB": 2})
    order = net.order("SO", 4, split=True, requested_date="2026-01-20")
    assert [p["quantity"] for p in order["lines"][0]["parts"]] == [2, 2]
    after = ok(api.post(f"/v1/orders/{order['id']}/cancel",
                        json={"lines": [{"line": "1", "quantity": 1}]}))
    assert [p["cancelled"] for p in after["lines"][0]["parts"]] == [0, 1]  # WEB is farther


def test_ship_names_the_part_by_its_location(api: httpx.Client, ids: Ids) -> None:
    net, _ = split_network(api, ids)
    order = net.order("SO", 6, split=True)
    oid = order["id"]
    before = net.positions()
    seen = last_event_id(api)
    # Several parts: the location is required, and must be one of them.
    problem(api.post(f"/v1/orders/{oid}/ship", json={"lines": [{"line": "1", "quantity": 1}]}),
            422)
    problem(api.post(f"/v1/orders/{oid}/ship", json={
        "lines": [{"line": "1", "quantity": 1, "location": ids("ELSEWHERE")}]}), 422)
    assert net.positions() == before and ok(api.get(f"/v1/orders/{oid}")) == order
    assert events_after(api, seen) == []
    # WEB holds only 1: 2 cannot ship from there.
    problem(api.post(f"/v1/orders/{oid}/ship", json={
        "lines": [{"line": "1", "quantity": 2, "location": net["WEB"]}]}), 409)
    shipped = ok(api.post(f"/v1/orders/{oid}/ship", json={
        "lines": [{"line": "1", "quantity": 2, "location": net["STORE"]},
                  {"line": "1", "quantity": 1, "location": net["WEB"]}]}))
    line = shipped["lines"][0]
    assert [(p["location"], p["shipped"], p["allocated"]) for p in line["parts"]] == [
        (net["STORE"], 2, 0), (net["WEB"], 1, 0)]
    assert (line["shipped"], line["allocated"], line["backordered"]) == (3, 0, 3)
    assert net.positions() == {"STORE": (0, 0, 0), "WEB": (0, 0, 3)}
    assert [e["data"] for e in events_after(api, seen, "order.shipped")] == [
        {"order": oid, "line": "1", "location": net["STORE"], "quantity": 2},
        {"order": oid, "line": "1", "location": net["WEB"], "quantity": 1}]


def test_a_line_with_one_part_ships_without_naming_it(api: httpx.Client, ids: Ids) -> None:
    net = network(api, ids, {"WEB": 5})
    order = net.order("SO", 3)
    shipped = ok(api.post(f"/v1/orders/{order['id']}/ship",
                          json={"lines": [{"line": "1", "quantity": 3}]}))
    assert shipped["lines"][0]["shipped"] == 3
    assert net.position("WEB")["on_hand"] == 2


# ----------------------------------------------------------------------
# Quotes and availability by ship_to


def test_a_promise_by_ship_to_answers_what_a_line_placed_now_gets(
    api: httpx.Client, ids: Ids
) -> None:
    net, _ = split_network(api, ids)
    scenarios: list[tuple[int, dict[str, Any]]] = [
        (3, {}), (6, {}), (6, {"split": True}), (2, {"requested_date": "2026-01-20"}),
        (5, {"split": True})]
    for n, (quantity, extra) in enumerate(scenarios):
        quote = ok(api.post("/v1/promise", json={
            "sku": net.sku, "quantity": quantity, "ship_to": net["STORE"],
            "account": net.account, **extra}))
        line = net.order(f"SO-{n}", quantity, **extra)["lines"][0]
        assert {k: quote[k] for k in ("location", "ship_to", "promises", "promised_date")} == {
            k: line[k] for k in ("location", "ship_to", "promises", "promised_date")}
        assert quote["parts"] == [{k: p[k] for k in ("location", "transit_days", "quantity",
                                                     "promises")} for p in line["parts"]]
        assert quote["complete"] == all(q["confirmed"] for q in line["promises"])
        # Cancelled again, so that the next quote starts from the same stock.
        ok(api.post(f"/v1/orders/{net.ids(f'SO-{n}')}/cancel", json={}))


def test_availability_by_ship_to_lists_every_candidate_in_delivered_dates(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, {"STORE": 2, "HUB": 0, "WEB": 4, "FAR": 0})
    net.receipt("PO-H", "HUB", 5, "2026-01-09")
    net.order("SO", 1)  # held at STORE (N1: delivered today)
    found = ok(api.get(f"/v1/availability/{net.sku}", params={"ship_to": net["STORE"]}))
    assert found == {"sku": net.sku, "ship_to": net["STORE"], "today": "2026-01-05",
                     "candidates": [
        {"location": net["STORE"], "transit_days": 0, "available_now": 1,
         "atp": [{"date": "2026-01-05", "supply": 2, "available": 1}]},
        {"location": net["HUB"], "transit_days": 1, "available_now": 0,
         "atp": [{"date": "2026-01-06", "supply": 0, "available": 0},
                 {"date": "2026-01-10", "supply": 5, "available": 5}]},
        {"location": net["WEB"], "transit_days": 2, "available_now": 4,
         "atp": [{"date": "2026-01-07", "supply": 4, "available": 4}]},
        {"location": net["FAR"], "transit_days": 3, "available_now": 0,
         "atp": [{"date": "2026-01-08", "supply": 0, "available": 0}]}]}
    problem(api.get(f"/v1/availability/{net.sku}",
                    params={"ship_to": net["STORE"], "location": net["WEB"]}), 422)
    problem(api.get(f"/v1/availability/{net.sku}", params={"ship_to": ids("NOWHERE")}), 404)


# ----------------------------------------------------------------------
# Events, the queue, supply that moves


def test_order_events_carry_the_part_location(api: httpx.Client, ids: Ids) -> None:
    net = network(api, ids, {"WEB": 1}, lead_time_days=10)
    seen = last_event_id(api)
    order = net.order("SO", 3)
    events = [(e["type"], {k: v for k, v in e["data"].items() if k != "cause"})
              for e in events_after(api, seen) if e["type"].startswith("order.")]
    where = {"order": order["id"], "line": "1", "sku": net.sku, "location": net["WEB"]}
    # 1 held; 2 waiting, estimated 2026-01-15 at WEB: delivered 2026-01-17.
    assert events == [("order.allocated", {**where, "quantity": 1}),
                      ("order.backordered", {**where, "quantity": 2,
                                             "promised_date": "2026-01-17",
                                             "customer_date": "2026-01-17",
                                             "confirmed": False})]


def test_a_receipt_slip_at_web_moves_the_store_customers_promised_date(
    api: httpx.Client, ids: Ids
) -> None:
    net = network(api, ids, {"WEB": 0})
    po = net.receipt("PO-W", "WEB", 5, "2026-01-10")
    order = net.order("SO", 3)
    assert order["lines"][0]["promised_date"] == "2026-01-12"
    seen = last_event_id(api)
    ok(api.patch(f"/v1/receipts/{po}", json={"expected_date": "2026-01-20"}))
    line = ok(api.get(f"/v1/orders/{order['id']}"))["lines"][0]
    assert line["promised_date"] == "2026-01-22"
    changed = [{k: v for k, v in e["data"].items() if k != "cause"}
               for e in events_after(api, seen, "order.promise_changed")]
    assert changed == [{"order": order["id"], "line": "1", "sku": net.sku,
                        "location": net["WEB"], "old_date": "2026-01-12",
                        "new_date": "2026-01-22", "old_customer_date": "2026-01-12",
                        "new_customer_date": "2026-01-22", "confirmed": True}]


def test_every_waiting_part_is_a_backorder_row_with_the_lines_promised_date(
    api: httpx.Client, ids: Ids
) -> None:
    # Split: STORE 2 held, WEB 4 (1 held, 3 on the receipt). Two units of
    # STORE are damaged: STORE's part loses its hold (rule 4) and waits too.
    net, po = split_network(api, ids)
    order = net.order("SO", 6, split=True)
    ok(api.post("/v1/adjustments", json={"sku": net.sku, "location": net["STORE"],
                                         "quantity": -2, "reason": "damage"}), 201)
    line = ok(api.get(f"/v1/orders/{order['id']}"))["lines"][0]
    # STORE's 2 wait, estimated 2026-01-19; WEB's latest is 2026-01-11.
    assert line["promises"] == [promise(1, "2026-01-07"), promise(3, "2026-01-11", receipt=po),
                                promise(2, "2026-01-19", False)]
    assert line["queue_position"] == 1  # STORE's, the first in candidate order
    rows = ok(api.get("/v1/backorders", params={"sku": net.sku}))["items"]
    assert sorted((r["location"], r["backordered"], r["promised_date"], r["confirmed"])
                  for r in rows) == sorted([
        (net["STORE"], 2, "2026-01-19", False), (net["WEB"], 3, "2026-01-19", True)])


def test_ship_to_orders_placed_in_a_batch_get_what_they_get_one_by_one(
    api: httpx.Client, ids: Ids
) -> None:
    def lines(net: Net, placed: list[dict[str, Any]]) -> list[Any]:
        names = {code: name for name, code in net.codes.items()}
        return [[{**{k: v for k, v in ln.items() if k not in ("parts", "location", "ship_to", "sku")},
                  "parts": [(names[p["location"]], p["quantity"], p["allocated"], p["promises"])
                            for p in ln["parts"]]}
                 for ln in order["lines"]] for order in placed]

    def bodies(net: Net) -> list[dict[str, Any]]:
        return [{"id": net.ids(f"SO-{n}"), "account": net.account, "lines": [
            {"line": "1", "sku": net.sku, "quantity": q, "ship_to": net["STORE"], "split": s},
            {"line": "2", "sku": net.sku, "quantity": 1, "ship_to": net["STORE"]}]}
            for n, (q, s) in enumerate([(2, False), (4, True), (3, False)])]

    alone = network(api, ids, {"STORE": 2, "WEB": 3}, lead_time_days=7)
    one_by_one = [ok(api.post("/v1/orders", json=body), 201) for body in bodies(alone)]
    batched_net = network(api, Ids(), {"STORE": 2, "WEB": 3}, lead_time_days=7)
    batch = ok(api.post("/v1/orders:batch", json={"orders": bodies(batched_net)}))
    assert [r["status"] for r in batch["results"]] == [201, 201, 201]
    assert lines(batched_net, [r["body"] for r in batch["results"]]) == lines(alone, one_by_one)


# ----------------------------------------------------------------------
# A line placed by location is one part, as before


def test_a_line_placed_by_location_has_one_part_and_no_ship_to(api: httpx.Client, ids: Ids) -> None:
    net = network(api, ids, {"WEB": 5})
    parts_of(net)
    order = ok(api.post("/v1/orders", json={"id": ids("SO"), "account": net.account, "lines": [
        {"sku": net.sku, "quantity": 2, "location": net["WEB"]}]}), 201)
    line = order["lines"][0]
    assert (line["location"], line["ship_to"], line["split"]) == (net["WEB"], None, False)
    # No transit: the line is delivered where it is served from.
    assert line["parts"] == [{**part(net["WEB"], 2, [promise(2, "2026-01-05")], allocated=2),
                              "transit_days": 0}]


# ----------------------------------------------------------------------
# Bad input: 422, nothing changed


def test_bad_ship_to_lines_are_refused_and_change_nothing(api: httpx.Client, ids: Ids) -> None:
    net = network(api, ids, {"STORE": 1, "WEB": 3})
    before = net.positions()
    seen = last_event_id(api)
    oid = ids("SO")
    for line, field_name in [
        (net.line(1, location=net["WEB"]), "lines[0].ship_to"),
        (net.line(1, ship_to=ids("NOWHERE")), "lines[0].ship_to"),
        (net.line(0), "lines[0].quantity"),
    ]:
        document = problem(api.post("/v1/orders", json={"id": oid, "account": net.account,
                                                        "lines": [line]}), 422)
        assert [e["field"] for e in document["errors"]] == [field_name]
    problem(api.post("/v1/promise", json={"sku": net.sku, "quantity": 1, "ship_to": net["STORE"],
                                          "location": net["WEB"]}), 422)
    problem(api.post("/v1/promise", json={"sku": net.sku, "quantity": 1,
                                          "ship_to": ids("NOWHERE")}), 422, "unknown_location")
    problem(api.get(f"/v1/orders/{oid}"), 404)
    assert net.positions() == before
    assert events_after(api, seen) == []
