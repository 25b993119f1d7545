from datetime import date

from earmark.service import commitments as cm
from earmark.service import master, orders, supply
from earmark.service.uow import Store


def run(store: Store, handler, cmd):
    with store.unit_of_work() as uow:
        return handler(uow, cmd)


def test_worked_example_through_the_service_layer(store: Store) -> None:
    run(store, master.upsert_item, master.UpsertItem("BEAM-W12", "Beam"))
    run(store, master.upsert_location, master.UpsertLocation("YARD", "Yard"))
    run(store, master.upsert_account, master.UpsertAccount("bigdev", "Big developer"))
    run(store, master.upsert_account, master.UpsertAccount("acme", "Acme"))
    r = run(store, supply.adjust, supply.Adjust("BEAM-W12", "YARD", 2000, "initial"))
    assert r.value["on_hand"] == 2000
    run(
        store,
        supply.create_receipt,
        supply.CreateReceipt("PO-FEB", "BEAM-W12", "YARD", 5000, date(2026, 2, 1)),
    )
    run(
        store,
        supply.create_receipt,
        supply.CreateReceipt("PO-MAR", "BEAM-W12", "YARD", 6000, date(2026, 3, 1)),
    )
    r = run(
        store,
        cm.create_commitment,
        cm.CreateCommitment("C1", "bigdev", "BEAM-W12", "YARD", 10000, date(2026, 4, 1)),
    )
    assert r.outcome.value == "created", r
    assert r.value["confirmed"] == 10000
    r = run(
        store,
        orders.place_order,
        orders.PlaceOrder("SO1", "acme", [orders.LineIn("1", "BEAM-W12", 3000, "YARD")]),
    )
    line = r.value["lines"][0]
    assert line["allocated"] == 2000
    assert line["promised_date"] == "2026-02-01"
    r = run(store, supply.patch_receipt, supply.PatchReceipt("PO-MAR", expected_date=date(2026, 5, 1)))
    with store.unit_of_work(write=False) as uow:
        from earmark.service.queries import list_events

        events = list_events(uow.tx, 0, "commitment.at_risk")["items"]
    assert events[-1]["data"] == {
        "commitment": "C1",
        "shortfall": 6000,
        "earliest_date": "2026-05-01",
        "cause": "receipt_delayed",
    }
