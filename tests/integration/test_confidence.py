"""Suppliers' slips and the confidence dates they give (API.md "Confidence
dates"), on hand-computed slip histories, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from tests.integration.helpers import run, seed

from earmark.notify import notices
from earmark.notify.outbox import transaction
from earmark.service import commitments as cm
from earmark.service import master, orders, suppliers, supply
from earmark.service.queries import get_order, list_events
from earmark.service.uow import Store

TODAY = date(2026, 1, 5)
HISTORY_SKU = "PARTS"


def day(n: int) -> date:
    return TODAY + timedelta(days=n)


def record_history(store: Store, history: list[tuple[str | None, int]]) -> None:
    """Receipts of HISTORY_SKU, each received in full ``slip`` days after its
    first expected date: receipt i is expected on day 10 + 3i, and they are
    received in the order of their receipt days (the clock only moves on)."""
    run(store, master.upsert_item, master.UpsertItem(HISTORY_SKU, "Parts"))
    planned = []
    for i, (supplier, slip) in enumerate(history):
        expected = day(10 + 3 * i)
        rid = f"H-{i}"
        assert run(store, supply.create_receipt, supply.CreateReceipt(
            rid, HISTORY_SKU, "WEB", 1, expected, supplier=supplier)).ok
        planned.append((expected + timedelta(days=slip), rid))
    for arrives, rid in sorted(planned):
        move_clock(store, arrives)
        assert run(store, supply.receive_receipt, supply.ReceiveReceipt(rid)).ok


def move_clock(store: Store, to: date) -> None:
    with store.unit_of_work() as uow:
        today = uow.today
    if to > today:
        assert run(store, cm.advance_clock, cm.AdvanceClock(to)).ok


def supplier(store: Store, supplier_id: str) -> dict[str, object] | None:
    with store.unit_of_work(write=False) as uow:
        return suppliers.get_supplier(uow, supplier_id)


def line(store: Store, order_id: str) -> dict[str, object]:
    with store.unit_of_work(write=False) as uow:
        found = get_order(uow.tx, order_id, uow.today)
    assert found is not None
    return dict(found["lines"][0])


# Ten slips of ACME: sorted -1, 0, 0, 1, 1, 2, 2, 3, 5, 8 (sum 21).
ACME_SLIPS = [2, 0, -1, 5, 1, 3, 0, 8, 1, 2]


def test_a_receipt_received_in_full_records_its_slip_for_its_supplier(store: Store) -> None:
    seed(store)
    assert run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-1", "COAT", "WEB", 10, day(5), supplier="acme-mills")).ok
    move_clock(store, day(8))
    partly = run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1", 4)).value
    assert partly["slip_days"] is None  # still open: nothing recorded yet
    done = run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1")).value
    assert (done["first_expected_date"], done["supplier"], done["slip_days"]) == (
        "2026-01-10", "acme-mills", 3)
    assert supplier(store, "acme-mills") == {
        "id": "acme-mills", "receipts": 1, "received": 1,
        "slip_days": {"mean": 3.0, "p50": 3, "p90": 3}, "on_time_share": 0.0,
        "histogram": [{"slip_days": 3, "receipts": 1}]}


def test_a_receipt_keeps_its_first_expected_date_when_it_moves(store: Store) -> None:
    seed(store)
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-1", "COAT", "WEB", 10, day(5), supplier="acme-mills"))
    moved = run(store, supply.patch_receipt, supply.PatchReceipt("PO-1", expected_date=day(9))).value
    assert (moved["expected_date"], moved["first_expected_date"]) == ("2026-01-14", "2026-01-10")
    move_clock(store, day(9))
    received = run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1")).value
    assert received["slip_days"] == 4


def test_slip_distribution_is_by_nearest_rank_on_a_hand_computed_history(store: Store) -> None:
    seed(store)
    record_history(store, [("acme", s) for s in ACME_SLIPS])
    # n = 10: P50 is the 5th smallest (1), P90 the 9th (5); 3 of 10 slips are <= 0.
    assert supplier(store, "acme") == {
        "id": "acme", "receipts": 10, "received": 10,
        "slip_days": {"mean": 2.1, "p50": 1, "p90": 5}, "on_time_share": 0.3,
        "histogram": [{"slip_days": -1, "receipts": 1}, {"slip_days": 0, "receipts": 2},
                      {"slip_days": 1, "receipts": 2}, {"slip_days": 2, "receipts": 2},
                      {"slip_days": 3, "receipts": 1}, {"slip_days": 5, "receipts": 1},
                      {"slip_days": 8, "receipts": 1}]}


def test_receipts_without_supplier_and_transfer_receipts_record_no_slip(store: Store) -> None:
    seed(store)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 2, day(1)))
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-2", "COAT", "WEB", 2, day(1), source="transfer", supplier="acme"))
    move_clock(store, day(3))
    assert run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1")).value["slip_days"] is None
    assert run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-2")).value["slip_days"] is None
    assert supplier(store, "acme") == {
        "id": "acme", "receipts": 1, "received": 0,
        "slip_days": {"mean": None, "p50": None, "p90": None}, "on_time_share": None,
        "histogram": []}


def test_an_unknown_supplier_is_not_found_and_the_list_pages_by_id(store: Store) -> None:
    seed(store)
    for rid, name in (("PO-1", "zeta"), ("PO-2", "alpha"), ("PO-3", "alpha")):
        run(store, supply.create_receipt, supply.CreateReceipt(rid, "COAT", "WEB", 1, day(2),
                                                               supplier=name))
    assert supplier(store, "nobody") is None
    with store.unit_of_work(write=False) as uow:
        first = suppliers.list_suppliers(uow, None, 1)
        assert [(s["id"], s["receipts"]) for s in first["items"]] == [("alpha", 2)]
        rest = suppliers.list_suppliers(uow, ("alpha",), 10)
    assert [s["id"] for s in rest["items"]] == ["zeta"]
    assert rest["next_cursor"] is None


def test_without_any_recorded_slip_likely_by_is_the_date_itself(store: Store) -> None:
    seed(store)
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-1", "COAT", "WEB", 5, day(20), supplier="acme"))
    placed = run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "acme", [orders.LineIn("1", "COAT", 2, "WEB")])).value["lines"][0]
    assert placed["promises"] == [{"quantity": 2, "date": "2026-01-25", "confirmed": True,
                                   "receipt": "PO-1", "likely_by": "2026-01-25"}]
    assert (placed["promised_date"], placed["promised_date_p90"], placed["customer_date"]) == (
        "2026-01-25", "2026-01-25", "2026-01-25")


def confident_store(store: Store) -> None:
    """ACME with 10 slips (own P90: 5 days); SLOWCO with 2 (12 and 10 days),
    too few for its own P90. Pooled, the 12 slips sorted are -1, 0, 0, 1, 1,
    2, 2, 3, 5, 8, 10, 12: the P90 is the 11th (ceil(0.9 x 12) = 11), 10 days."""
    seed(store, accounts={"plain": 100, "careful": 100})
    record_history(store, [("acme", s) for s in ACME_SLIPS] + [("slowco", 12), ("slowco", 10)])
    move_clock(store, date(2026, 3, 2))


def test_likely_by_adds_the_suppliers_p90_or_the_pooled_one(store: Store) -> None:
    confident_store(store)
    for rid, name, on in (("PO-A", "acme", 10), ("PO-S", "slowco", 20), ("PO-N", None, 30)):
        assert run(store, supply.create_receipt, supply.CreateReceipt(
            rid, "COAT", "WEB", 1, date(2026, 3, on), supplier=name)).ok
    placed = run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "plain", [orders.LineIn("1", "COAT", 3, "WEB")])).value["lines"][0]
    assert [(p["receipt"], p["date"], p["likely_by"]) for p in placed["promises"]] == [
        ("PO-A", "2026-03-10", "2026-03-15"),   # acme's own P90: 5 days
        ("PO-S", "2026-03-20", "2026-03-30"),   # 2 slips only: the pooled P90, 10 days
        ("PO-N", "2026-03-30", "2026-04-09"),   # no supplier: the pooled P90
    ]
    assert (placed["promised_date"], placed["promised_date_p90"], placed["customer_date"]) == (
        "2026-03-30", "2026-04-09", "2026-03-30")
    assert line(store, "SO-1")["promised_date_p90"] == "2026-04-09"


def test_likely_by_is_never_before_the_date(store: Store) -> None:
    seed(store)
    record_history(store, [("early", -2)] * 10)  # P90 -2: always early
    move_clock(store, date(2026, 3, 2))
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-1", "COAT", "WEB", 1, date(2026, 3, 10), supplier="early"))
    placed = run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "acme", [orders.LineIn("1", "COAT", 1, "WEB")])).value["lines"][0]
    assert placed["promises"][0]["likely_by"] == "2026-03-10"
    assert placed["promised_date_p90"] == "2026-03-10"


def test_the_accounts_promise_basis_wins_over_the_items(store: Store) -> None:
    confident_store(store)
    run(store, master.upsert_item, master.UpsertItem("COAT", "Coat", promise_basis="p90"))
    run(store, master.upsert_account, master.UpsertAccount("plain", "Plain", 100, "expected"))
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-A", "COAT", "WEB", 4, date(2026, 3, 10), supplier="acme"))
    for oid, account in (("SO-1", "plain"), ("SO-2", "careful")):
        run(store, orders.place_order, orders.PlaceOrder(
            oid, account, [orders.LineIn("1", "COAT", 2, "WEB")]))
    # plain says expected; careful says nothing, so the item's p90 holds.
    assert line(store, "SO-1")["customer_date"] == "2026-03-10"
    assert line(store, "SO-2")["customer_date"] == "2026-03-15"


def test_a_commitment_states_its_p90_date(store: Store) -> None:
    confident_store(store)
    run(store, master.upsert_account, master.UpsertAccount("careful", "Careful", 100, "p90"))
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-S", "COAT", "WEB", 5, date(2026, 3, 20), supplier="slowco"))
    made = run(store, cm.create_commitment, cm.CreateCommitment(
        "C-1", "careful", "COAT", "WEB", 5, date(2026, 3, 15), mode="partial")).value
    # Pegged to slowco's receipt of 2026-03-20; slowco has 2 slips: the pooled P90, 10 days.
    assert made["promises"][0]["likely_by"] == "2026-03-30"
    assert (made["promised_date"], made["promised_date_p90"], made["customer_date"]) == (
        "2026-03-20", "2026-03-30", "2026-03-30")


def test_likely_by_counts_from_the_promised_date_not_the_receipts(store: Store) -> None:
    confident_store(store)
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-A", "COAT", "WEB", 2, date(2026, 3, 10), supplier="acme"))
    placed = run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "plain", [orders.LineIn("1", "COAT", 2, "WEB", date(2026, 3, 20))])).value
    # The entry's date is the requested date (later than the receipt's); + acme's 5 days.
    assert placed["lines"][0]["promises"][0]["likely_by"] == "2026-03-25"


def test_a_delay_tells_a_p90_customer_its_p90_dates(store: Store) -> None:
    confident_store(store)
    run(store, master.upsert_account, master.UpsertAccount("careful", "Careful", 100, "p90"))
    run(store, supply.create_receipt, supply.CreateReceipt(
        "PO-A", "COAT", "WEB", 2, date(2026, 3, 10), supplier="acme"))
    run(store, orders.place_order, orders.PlaceOrder(
        "SO-1", "careful", [orders.LineIn("1", "COAT", 2, "WEB")]))
    with store.unit_of_work(write=False) as uow:
        mark = list_events(uow.tx, 0, None, 1000)["items"][-1]["id"]
    run(store, supply.patch_receipt, supply.PatchReceipt("PO-A", expected_date=date(2026, 3, 12)))
    with store.unit_of_work(write=False) as uow:
        moved = [e["data"] for e in list_events(uow.tx, mark, "order.promise_changed", 100)["items"]]
    assert [(m["old_date"], m["new_date"], m["old_customer_date"], m["new_customer_date"])
            for m in moved] == [("2026-03-10", "2026-03-12", "2026-03-15", "2026-03-17")]
    while notices.produce(store, 500):
        pass
    with transaction(store, write=False) as connection:
        told = notices.list_notices(connection, "careful", None, 1000)["items"]
    moved_notices = [n for n in told if n.get("order") == "SO-1" and "later" in n["subject"]]
    assert [n["subject"] for n in moved_notices] == [
        "Order SO-1: Coat now confirmed for Tuesday 17 March 2026 (later)"]
    assert "Sunday 15 March 2026" in moved_notices[0]["text"]
