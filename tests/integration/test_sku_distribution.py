"""Every hot statement on a position's tables names its sku, so that the
schema can be distributed by sku (Citus: each position's rows on one shard,
each statement routed to one shard).

One exception is an *entry lookup*: a read of a receipt, commitment or
order by the id the client named, before the sku is known (on Citus such a
read goes to every shard, once per command; all the work after it is routed)."""

from __future__ import annotations

import re
from datetime import date

from tests.integration.helpers import run, seed
from tests.integration.test_statement_count import counting

from earmark.service import commitments, orders, supply
from earmark.service.uow import Store

POSITION_TABLES = ("positions", "pegs", "order_lines", "receipts", "commitments", "stock_ledger")
FEB = date(2026, 2, 1)


def tables_named(statement: str) -> set[str]:
    words = set(re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO|COPY)\s+\"?(\w+)", statement, re.IGNORECASE))
    return words & set(POSITION_TABLES)


def names_its_sku(statement: str) -> bool:
    text = " ".join(statement.split()).lower()
    if text.startswith(("insert", "copy")):
        return "sku" in text.split("values")[0] if "values" in text else "sku" in text
    where = text.split(" where ", 1)
    return len(where) == 2 and "sku" in where[1]


ENTRY_LOOKUP = re.compile(
    r"^select .* where (receipts\.id|commitments\.id|order_lines\.order_id) (=|in) "
    r"(\S+|\([^)]*\))( and order_lines\.open > \S+)?( order by [\w., ]+)?"
    r"( limit \S+( offset \S+)?)?$")


def is_entry_lookup(statement: str) -> bool:
    return bool(ENTRY_LOOKUP.match(" ".join(statement.split()).lower()))


SLIP_BOOK = ("select receipts.supplier, receipts.slip_days from receipts "
             "where receipts.supplier is not null and receipts.slip_days is not null")
"""The other exception: the suppliers' recorded slips, read across skus (a
supplier's P90 pools its items, and the prior pools every supplier) once per
*slip epoch* and kept by the store (``Store.slip_book``), not per command."""


def is_slip_book(statement: str) -> bool:
    return " ".join(statement.split()).lower() == SLIP_BOOK


def hot_path(store: Store) -> list[str]:
    seed(store, on_hand=5, lead_time_days=7)
    with counting(store) as statements:
        assert run(store, supply.create_receipt,
                   supply.CreateReceipt("PO-1", "COAT", "WEB", 10, FEB)).ok
        for n in range(3):
            line = orders.LineIn("1", "COAT", 3, "WEB")
            assert run(store, orders.place_order, orders.PlaceOrder(f"SO-{n}", "acme", [line])).ok
        assert run(store, commitments.create_commitment, commitments.CreateCommitment(
            "C-1", "acme", "COAT", "WEB", 2, FEB, None, "contract", "partial")).ok
        consuming = orders.LineIn("1", "COAT", 1, "WEB")
        assert run(store, orders.place_order, orders.PlaceOrder("SO-C", "acme", [consuming])).ok
        assert run(store, orders.ship_order, orders.ShipOrder(
            "SO-0", [orders.LineQuantity("1", 3)])).ok
        assert run(store, orders.cancel_order, orders.CancelOrder("SO-2")).ok
        assert run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1")).ok
        assert run(store, supply.adjust, supply.Adjust("COAT", "WEB", 2, "count")).ok
    return statements


def test_every_statement_on_a_positions_tables_names_its_sku(store: Store) -> None:
    statements = hot_path(store)
    touching = [s for s in statements if tables_named(s)]
    assert touching, "the hot path touched no position table?"
    unrouted = [" ".join(s.split())[:200] for s in touching
                if not names_its_sku(s) and not is_entry_lookup(s) and not is_slip_book(s)]
    assert unrouted == []
    writes = [s for s in touching if not s.lstrip().lower().startswith("select")]
    assert writes and all(names_its_sku(s) for s in writes)
