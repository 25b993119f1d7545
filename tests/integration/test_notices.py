"""Customer notices: one per change that concerns an account, in words,
as plain text and HTML; the events of one change to one line make one notice."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.integration.helpers import run, seed

from earmark.notify import notices
from earmark.notify.outbox import transaction
from earmark.service import commitments as cm
from earmark.service import master, orders, supply
from earmark.service.uow import Store


def told(store: Store, account: str) -> list[dict[str, Any]]:
    while notices.produce(store, 500):
        pass
    with transaction(store, write=False) as connection:
        items: list[dict[str, Any]] = notices.list_notices(connection, account, None, 1000)["items"]
    return items


def order(oid: str, account: str, quantity: int) -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, account, [orders.LineIn("1", "COAT", quantity, "WEB")])


def test_a_customer_is_told_each_change_to_their_order_in_words(store: Store) -> None:
    seed(store, on_hand=2, accounts={"acme": 100, "big": 50}, lead_time_days=10)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 2, 1)))
    run(store, orders.place_order, order("SO-1", "acme", 4))
    run(store, supply.patch_receipt, supply.PatchReceipt("PO-1", expected_date=date(2026, 2, 20)))
    run(store, supply.adjust, supply.Adjust("COAT", "WEB", -1, "damage"))
    run(store, supply.receive_receipt, supply.ReceiveReceipt("PO-1"))

    acme = told(store, "acme")
    assert [(n["kind"], n["order"], n["line"]) for n in acme] == [
        ("backordered", "SO-1", "1"), ("date_moved", "SO-1", "1"),
        ("backordered", "SO-1", "1"), ("ready_to_ship", "SO-1", "1")]
    assert [n["id"] for n in acme] == sorted(n["id"] for n in acme)  # newest last
    placed, delayed, damaged, arrived = acme
    assert placed["subject"] == "Order SO-1: 2 × Coat backordered, confirmed for Sunday 1 February 2026"
    assert "2 × Coat are in stock and set aside for you, and 2 are backordered" in placed["text"]
    assert delayed["subject"] == ("Order SO-1: Coat now confirmed for Friday 20 February 2026 (later)")
    assert ("later than the Sunday 1 February 2026 we told you, because a delivery to us was "
            "delayed") in delayed["text"]
    assert "because stock was damaged" in damaged["text"]
    assert arrived["subject"] == "Order SO-1: 3 × Coat ready to ship"
    assert "because supply arrived" in arrived["text"]
    for notice in acme:
        assert notice["text"].startswith("Hello Acme,\n\n")
        assert notice["html"].startswith("<!DOCTYPE html>")
        assert f"<title>{notice['subject']}</title>" in notice["html"]
        assert "commitment" not in notice
    assert told(store, "big") == []


def test_one_change_to_one_line_makes_one_notice(store: Store) -> None:
    # Damage records order.backordered and order.promise_changed for SO-1.
    seed(store, on_hand=2, lead_time_days=7)
    run(store, orders.place_order, order("SO-1", "acme", 2))
    before = len(told(store, "acme"))
    run(store, supply.adjust, supply.Adjust("COAT", "WEB", -1, "damage"))
    after = told(store, "acme")[before:]
    assert [n["kind"] for n in after] == ["backordered"]
    assert after[0]["subject"] == "Order SO-1: 1 × Coat backordered, estimated Monday 12 January 2026"
    assert "(until now: Monday 5 January 2026)" in after[0]["text"]


def test_an_earlier_date_and_a_commitment_at_risk_are_told(store: Store) -> None:
    seed(store, on_hand=2, accounts={"acme": 100, "big": 50})
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 2, 1)))
    run(store, supply.create_receipt, supply.CreateReceipt("PO-2", "COAT", "WEB", 6,
                                                           date(2026, 3, 1)))
    assert run(store, cm.create_commitment, cm.CreateCommitment(
        "C-1", "big", "COAT", "WEB", 10, date(2026, 4, 1))).ok
    run(store, orders.place_order, order("SO-1", "acme", 3))
    run(store, supply.patch_receipt, supply.PatchReceipt("PO-2", expected_date=date(2026, 5, 1)))
    run(store, supply.patch_receipt, supply.PatchReceipt("PO-1", expected_date=date(2026, 1, 20)))

    [at_risk] = told(store, "big")
    assert at_risk["kind"] == "commitment_at_risk" and at_risk["commitment"] == "C-1"
    assert "order" not in at_risk
    assert at_risk["subject"] == ("Commitment C-1 at risk: 6 × Coat short for "
                                  "Wednesday 1 April 2026")
    assert "because a delivery to us was delayed" in at_risk["text"]
    assert "The earliest date we can confirm the full quantity is Friday 1 May 2026" in \
        at_risk["text"]
    earlier = told(store, "acme")[-1]
    assert earlier["kind"] == "date_moved"
    assert earlier["subject"] == "Order SO-1: Coat now confirmed for Tuesday 20 January 2026 (earlier)"
    assert "Good news" in earlier["text"]


def test_the_calendar_alone_tells_nobody_anything(store: Store) -> None:
    seed(store, on_hand=0, lead_time_days=14)
    run(store, orders.place_order, order("SO-1", "acme", 3))
    before = told(store, "acme")
    assert run(store, cm.advance_clock, cm.AdvanceClock(date(2026, 1, 25))).ok
    assert told(store, "acme") == before


def test_html_notices_escape_what_customers_typed(store: Store) -> None:
    seed(store, on_hand=0)
    run(store, master.upsert_item, master.UpsertItem("COAT", "<b>Coat</b> & co"))
    run(store, master.upsert_account, master.UpsertAccount("acme", "Acme <Ltd>"))
    run(store, orders.place_order, order("SO-1", "acme", 1))
    [notice] = told(store, "acme")
    assert "&lt;b&gt;Coat&lt;/b&gt; &amp; co" in notice["html"]
    assert "Acme &lt;Ltd&gt;" in notice["html"] and "<b>" not in notice["html"]
    assert "<b>Coat</b> & co" in notice["text"]
    assert notice["subject"] == "Order SO-1: 1 × <b>Coat</b> & co backordered"


def test_a_batch_that_places_and_moves_a_line_tells_the_newest_date_once(store: Store) -> None:
    # The batching writer applies several commands in one unit of work, so
    # their events share a moment: one notice for the line, with its last date.
    seed(store, on_hand=0)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 2, 1)))
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        assert orders.place_order(uow, order("SO-1", "acme", 2)).ok
        assert supply.patch_receipt(uow, supply.PatchReceipt(
            "PO-1", expected_date=date(2026, 2, 20))).ok
        uow.commit_now()
    [notice] = told(store, "acme")
    assert notice["kind"] == "backordered"
    assert notice["subject"] == ("Order SO-1: 2 × Coat backordered, confirmed for "
                                 "Friday 20 February 2026")
    assert "until now" not in notice["text"]


def test_producers_racing_make_each_notice_once_and_never_fail(store: Store) -> None:
    """The dispatcher and readers' catch_up make notices at once: the loser of
    a race must find the cursor moved, not insert the same notices again."""
    import threading

    seed(store, on_hand=0)
    for i in range(60):
        assert run(store, orders.place_order, order(f"RACE-{i}", "acme", 1)).ok
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def producer() -> None:
        start.wait()
        try:
            for _ in range(30):
                notices.produce(store, 2)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=producer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    made = told(store, "acme")
    assert len(made) == 60
    assert len({n["order"] for n in made}) == 60


# Dates told as what they are (issue 18, point 3)


def words(notice: dict[str, Any]) -> str:
    return f"{notice['subject']}\n{notice['text']}\n{notice['html']}"


def test_a_date_no_supply_confirms_is_told_as_an_estimate(store: Store) -> None:
    seed(store, on_hand=0, lead_time_days=7)
    run(store, orders.place_order, order("SO-1", "acme", 3))
    [placed] = told(store, "acme")
    assert placed["kind"] == "backordered"
    assert placed["subject"] == "Order SO-1: 3 × Coat backordered, estimated Monday 12 January 2026"
    assert "We estimate that we can ship them on Monday 12 January 2026" in placed["text"]
    assert "This is an estimate" in placed["text"]
    assert "expect" not in words(placed) and "confirmed for" not in words(placed)
    assert "<th style=\"text-align: left; padding-right: 1em;\">Estimated</th>" in placed["html"]


def test_line_events_say_whether_their_date_is_confirmed(store: Store) -> None:
    from earmark.notify.outbox import events_after

    seed(store, on_hand=0, lead_time_days=7)
    run(store, orders.place_order, order("SO-1", "acme", 3))
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 1, 9)))
    with transaction(store, write=False) as connection:
        dated = [(e.type, e.data["confirmed"]) for e in events_after(connection, 0, 100)
                 if e.type in ("order.backordered", "order.promise_changed")]
    assert dated == [("order.backordered", False), ("order.promise_changed", True)]


def test_an_estimate_made_confirmed_and_earlier_is_good_news_not_an_apology(store: Store) -> None:
    seed(store, on_hand=0, lead_time_days=7)
    run(store, orders.place_order, order("SO-1", "acme", 3))
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 1, 9)))
    moved = told(store, "acme")[-1]
    assert moved["kind"] == "date_moved"
    assert moved["subject"] == "Order SO-1: Coat now confirmed for Friday 9 January 2026 (earlier)"
    assert "is now confirmed for Friday 9 January 2026, earlier than the Monday 12 January " \
        "2026 we told you" in moved["text"]
    assert "sorry" not in words(moved).lower() and "estimate" not in moved["text"]


def test_an_estimate_made_confirmed_and_later_is_an_apology_that_says_confirmed(
        store: Store) -> None:
    seed(store, on_hand=0, lead_time_days=7)
    run(store, orders.place_order, order("SO-1", "acme", 3))
    # The lead time was hopeful: the one delivery that exists comes later.
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 1, 20)))
    moved = told(store, "acme")[-1]
    assert moved["subject"] == "Order SO-1: Coat now confirmed for Tuesday 20 January 2026 (later)"
    assert moved["text"].split("\n\n")[1].startswith(
        "We are sorry: line 1 of order SO-1 (Coat) is now confirmed for Tuesday 20 January 2026")


def test_a_confirmed_date_that_becomes_an_estimate_is_told_as_an_estimate(store: Store) -> None:
    seed(store, on_hand=0, lead_time_days=7)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 1, 9)))
    run(store, orders.place_order, order("SO-1", "acme", 3))
    run(store, supply.cancel_receipt, supply.CancelReceipt("PO-1"))
    placed, moved = told(store, "acme")
    assert placed["subject"] == "Order SO-1: 3 × Coat backordered, confirmed for Friday 9 January 2026"
    assert moved["subject"] == "Order SO-1: Coat now estimated Monday 12 January 2026 (later)"
    assert "we now estimate that line 1 of order SO-1 (Coat) ships on Monday 12 January 2026" \
        in moved["text"]


def test_a_line_confirmed_by_its_requested_date_is_scheduled_not_backordered(
        store: Store) -> None:
    # Its status is "backordered" (nothing is held), but nothing is late.
    seed(store, on_hand=0)
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 2, 1)))
    run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [
        orders.LineIn("1", "COAT", 3, "WEB", requested_date=date(2026, 2, 10))]))
    [placed] = told(store, "acme")
    assert placed["kind"] == "scheduled"
    assert placed["subject"] == "Order SO-1: 3 × Coat scheduled for Tuesday 10 February 2026"
    assert "backordered" not in words(placed).lower()
    assert ("Line 1, 3 × Coat, is scheduled: a delivery to us is confirmed in time for us to "
            "ship it on Tuesday 10 February 2026, as you asked") in placed["text"]


def test_held_units_moved_to_a_delivery_in_time_are_still_scheduled(store: Store) -> None:
    seed(store, on_hand=2)
    run(store, orders.place_order, orders.PlaceOrder("SO-1", "acme", [
        orders.LineIn("1", "COAT", 2, "WEB", requested_date=date(2026, 2, 10))]))
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 5,
                                                           date(2026, 2, 1)))
    before = len(told(store, "acme"))
    run(store, supply.adjust, supply.Adjust("COAT", "WEB", -1, "damage"))
    [lost] = told(store, "acme")[before:]
    assert lost["kind"] == "scheduled"
    assert "backordered" not in words(lost).lower()
    assert "because stock was damaged" in lost["text"]
    assert "they still ship on Tuesday 10 February 2026, as you asked" in lost["text"]
