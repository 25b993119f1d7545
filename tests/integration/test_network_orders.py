"""Lines placed by ship_to at the service layer, on SQLite and PostgreSQL:
their part rows, the positions they lock and create, batches, and what
``earmark check`` proves about them."""

from __future__ import annotations

from sqlalchemy import select, update
from tests.integration.helpers import run, seed
from tests.integration.test_statement_count import counting

from earmark.service import master, network, orders, supply
from earmark.service.check import check_store
from earmark.service.uow import Store
from earmark.store import tables as t


def seed_network(store: Store, *, store_on_hand: int = 2, web_on_hand: int = 1,
                 far: int = 0) -> None:
    """COAT at STORE (ship-to) and WEB (2 days away), FAR (5 days) with ``far``."""
    seed(store, location="STORE", on_hand=store_on_hand, lead_time_days=14)
    for code, days in (("WEB", 2), ("FAR", 5), ("EMPTY", 3)):
        assert run(store, master.upsert_location, master.UpsertLocation(code, code)).ok
        assert run(store, network.set_lane, network.SetLane(code, "STORE", days)).ok
    if web_on_hand:
        assert run(store, supply.adjust, supply.Adjust("COAT", "WEB", web_on_hand, "initial")).ok
    if far:
        assert run(store, supply.adjust, supply.Adjust("COAT", "FAR", far, "initial")).ok


def ship_to(order_id: str, quantity: int, *, split: bool = False) -> orders.PlaceOrder:
    return orders.PlaceOrder(order_id, "acme", [
        orders.LineIn("1", "COAT", quantity, ship_to="STORE", split=split)])


def part_rows(store: Store, order_id: str) -> list[dict[str, object]]:
    with store.unit_of_work(write=False) as uow:
        ol = t.order_lines.c
        rows = uow.tx.execute(
            select(ol.location, ol.quantity, ol.allocated, ol.open, ol.ship_to, ol.split,
                   ol.transit_days).where(ol.order_id == order_id).order_by(ol.location)
        ).mappings().all()
    return [dict(row) for row in rows]


def stored_positions(store: Store) -> set[tuple[str, str]]:
    with store.unit_of_work(write=False) as uow:
        return {(r[0], r[1]) for r in uow.tx.execute(
            select(t.positions.c.sku, t.positions.c.location)).all()}


def test_a_split_line_is_one_row_per_part_with_the_lines_ship_to(store: Store) -> None:
    seed_network(store)
    assert run(store, orders.place_order, ship_to("SO-1", 3, split=True)).ok
    assert part_rows(store, "SO-1") == [
        {"location": "STORE", "quantity": 2, "allocated": 2, "open": 2, "ship_to": "STORE",
         "split": True, "transit_days": 0},
        {"location": "WEB", "quantity": 1, "allocated": 1, "open": 1, "ship_to": "STORE",
         "split": True, "transit_days": 2},
    ]
    assert check_store(store)[1] == []


def test_planning_creates_no_position_where_no_part_is_placed(store: Store) -> None:
    # EMPTY and FAR have lanes to STORE but no stock: they are tried, never stored.
    seed_network(store)
    assert run(store, orders.place_order, ship_to("SO-1", 3, split=True)).ok
    assert stored_positions(store) == {("COAT", "STORE"), ("COAT", "WEB")}


def test_a_line_that_waits_creates_the_position_it_waits_at(store: Store) -> None:
    # Nothing anywhere: N3 ties, the first candidate (WEB, 2 days) gets the line.
    seed_network(store, store_on_hand=0, web_on_hand=0)
    assert run(store, orders.place_order, ship_to("SO-1", 3)).ok
    assert [(r["location"], r["open"], r["allocated"]) for r in part_rows(store, "SO-1")] == [
        ("WEB", 3, 0)]
    assert ("COAT", "WEB") in stored_positions(store)
    assert check_store(store)[1] == []


def test_a_batch_locks_the_candidates_of_its_ship_to_lines_with_its_other_positions(
    store: Store,
) -> None:
    seed_network(store, far=4)
    commands = [ship_to(f"SO-{n}", 1) for n in range(5)]
    commands.append(orders.PlaceOrder("SO-PLAIN", "acme", [orders.LineIn("1", "COAT", 1, "STORE")]))
    with counting(store) as statements, store.unit_of_work() as uow:
        uow.defer_commit = True
        uow.expect_orders(cmd.id for cmd in commands)
        uow.expect_positions([("COAT", "STORE")])
        uow.expect_ship_to([("COAT", "STORE")])
        uow.prefetch()
        assert all(orders.place_order(uow, cmd).ok for cmd in commands)
        uow.commit_now()
    locks = [s for s in statements if "FROM positions" in s and "positions.version" in s]
    assert len(locks) == 1, locks
    assert check_store(store)[1] == []


def test_check_finds_parts_of_a_line_that_disagree(store: Store) -> None:
    seed_network(store)
    assert run(store, orders.place_order, ship_to("SO-1", 3, split=True)).ok
    with store.engine.begin() as tx:
        ol = t.order_lines
        tx.execute(update(ol).where(ol.c.order_id == "SO-1", ol.c.location == "WEB")
                   .values(idx=7, seq=ol.c.seq + 1))
    found = [str(f) for f in check_store(store)[1]]
    assert found == ["COAT @ WEB: line SO-1/1: its parts at STORE and WEB differ in idx, seq"]


def test_check_finds_a_location_line_with_two_parts(store: Store) -> None:
    seed(store, on_hand=5)
    assert run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [
        orders.LineIn("1", "COAT", 2, "WEB")])).ok
    with store.engine.begin() as tx:
        row = dict(tx.execute(select(t.order_lines).where(t.order_lines.c.order_id == "SO-1"))
                   .mappings().one())
        tx.execute(t.order_lines.insert().values({**row, "location": "ELSEWHERE", "open": 0,
                                                  "quantity": 0, "allocated": 0}))
    found = [str(f) for f in check_store(store)[1]]
    assert "COAT @ ELSEWHERE: line SO-1/1 is placed by location but has 2 parts" in found


def test_check_finds_a_part_whose_allocated_counter_drifts(store: Store) -> None:
    seed_network(store)
    assert run(store, orders.place_order, ship_to("SO-1", 3, split=True)).ok
    with store.engine.begin() as tx:
        ol = t.order_lines
        tx.execute(update(ol).where(ol.c.order_id == "SO-1", ol.c.location == "WEB")
                   .values(allocated=0))
    store.forget_kept_positions()
    found = [str(f) for f in check_store(store)[1]]
    assert found == ["COAT @ WEB: line SO-1/1 allocated counter 0 != held pegs 1"]


def test_cancel_and_ship_change_only_the_named_part(store: Store) -> None:
    seed_network(store)
    assert run(store, orders.place_order, ship_to("SO-1", 3, split=True)).ok
    shipped = run(store, orders.ship_order, orders.ShipOrder("SO-1", [
        orders.LineQuantity("1", 1, "WEB")]))
    assert shipped.ok, shipped.detail
    assert [(r["location"], r["open"], r["allocated"]) for r in part_rows(store, "SO-1")] == [
        ("STORE", 2, 2), ("WEB", 0, 0)]
    assert run(store, orders.cancel_order, orders.CancelOrder("SO-1")).ok
    assert [(r["location"], r["open"]) for r in part_rows(store, "SO-1")] == [
        ("STORE", 0), ("WEB", 0)]
    assert check_store(store)[1] == []


def test_the_writers_hints_name_the_ship_to_of_a_ship_to_line() -> None:
    from earmark.api.commands import _hints

    command = orders.PlaceOrder("SO-1", "acme", [
        orders.LineIn("1", "COAT", 1, ship_to="STORE"), orders.LineIn("2", "COAT", 1, "WEB")])
    assert _hints(command) == {"order_ids": ("SO-1",), "positions": (("COAT", "WEB"),),
                               "ship_to": (("COAT", "STORE"),)}
