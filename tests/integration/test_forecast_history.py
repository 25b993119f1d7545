"""Demand history on SQLite and PostgreSQL: earmark's own orders by the day
they were placed plus imported history, summed per day, zero-filled; and
``earmark import`` of history files, all or nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.integration.helpers import run, seed

from earmark.cli import imports
from earmark.forecast.history import demand_tail, read_history
from earmark.service import commitments, orders
from earmark.service.uow import Store
from earmark.store import tables as t

TODAY = date(2026, 1, 5)


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def import_file(store: Store, path: str) -> int:
    done = imports.import_file(store, "history", imports.read_csv(Path(path)), None)
    assert isinstance(done, imports.Plan)
    return len(done.steps)


def stored(store: Store) -> list[tuple[str, str, date, int]]:
    h = t.demand_history
    with store.unit_of_work(write=False) as uow:
        return [tuple(r) for r in uow.tx.execute(  # type: ignore[misc]
            select(h.c.sku, h.c.location, h.c.day, h.c.quantity).order_by(h.c.sku, h.c.day))]


def place(store: Store, oid: str, quantity: int, sku: str = "COAT") -> None:
    result = run(store, orders.place_order,
                 orders.PlaceOrder(oid, "acme", [orders.LineIn("1", sku, quantity, "WEB")]))
    assert result.ok, result.detail


def test_history_is_imported_units_plus_ordered_units_per_day_with_days_between_at_zero(
        store: Store, tmp_path: Path) -> None:
    seed(store, on_hand=100)
    import_file(store, write(tmp_path / "h.csv", "date,sku,location,quantity\n"
                             "2026-01-01,COAT,WEB,4\n2026-01-03,COAT,WEB,2\n2026-01-05,COAT,WEB,1\n"))
    place(store, "SO-1", 3)
    place(store, "SO-2", 5)
    # Cancelled units stay demand: customers asked for them.
    assert run(store, orders.cancel_order, orders.CancelOrder("SO-2", None)).ok
    with store.unit_of_work(write=False) as uow:
        history = read_history(uow.tx, TODAY)
    assert history.positions == [("COAT", "WEB")]
    assert history.first_days[0] == date(2026, 1, 1)
    assert history.series(0).tolist() == [4, 0, 2, 0, 1 + 3 + 5]


def test_a_positions_demand_tail_is_its_history_in_a_window_at_zero_elsewhere(
        store: Store, tmp_path: Path) -> None:
    seed(store, on_hand=100)
    seed(store, sku="HAT", on_hand=100)
    import_file(store, write(tmp_path / "h.csv", "date,sku,location,quantity\n"
                             "2025-12-20,COAT,WEB,9\n2026-01-03,COAT,WEB,2\n"
                             "2026-01-04,HAT,WEB,7\n2026-01-05,COAT,WEB,1\n"))
    place(store, "SO-1", 3)
    with store.unit_of_work(write=False) as uow:
        tail = demand_tail(uow.tx, "COAT", "WEB", TODAY, 4)
        never = demand_tail(uow.tx, "COAT", "WEB", date(2025, 12, 1), 3)
    # 2025-12-20 is before the window and HAT is another position; today adds the order.
    assert tail == {date(2026, 1, 2): 0, date(2026, 1, 3): 2, date(2026, 1, 4): 0,
                    date(2026, 1, 5): 1 + 3}
    assert never == {date(2025, 11, 29): 0, date(2025, 11, 30): 0, date(2025, 12, 1): 0}


def test_orders_of_later_days_and_positions_without_demand_are_not_in_history(store: Store) -> None:
    seed(store, on_hand=10)
    place(store, "SO-1", 2)
    assert run(store, commitments.advance_clock, commitments.AdvanceClock(TODAY + timedelta(days=3))).ok
    place(store, "SO-2", 1)
    with store.unit_of_work(write=False) as uow:
        assert read_history(uow.tx, TODAY).series(0).tolist() == [2]
        assert read_history(uow.tx, TODAY + timedelta(days=3)).series(0).tolist() == [2, 0, 0, 1]


def test_rows_of_one_day_add_up_and_replace_what_was_stored_for_that_day(
        store: Store, tmp_path: Path) -> None:
    seed(store)
    import_file(store, write(tmp_path / "a.csv", "date,sku,location,quantity\n"
                             "2026-01-01,COAT,WEB,4\n2026-01-02,COAT,WEB,7\n"))
    count = import_file(store, write(tmp_path / "b.csv", "sku,location,date,quantity\n"
                                     "COAT,WEB,2026-01-02,1\nCOAT,WEB,2026-01-02,2\n"
                                     "COAT,WEB,2026-01-03,0\n"))
    assert count == 1  # one command for the whole file
    assert stored(store) == [("COAT", "WEB", date(2026, 1, 1), 4), ("COAT", "WEB", date(2026, 1, 2), 3),
                             ("COAT", "WEB", date(2026, 1, 3), 0)]


@pytest.mark.parametrize(("row", "line_says"), [
    ("2026-01-02,NOPE,WEB,1", "unknown sku 'NOPE'"),
    ("2026-01-02,COAT,MOON,1", "unknown location 'MOON'"),
    ("2026-01-02,COAT,WEB,-1", "quantity: must be a whole number of 0 or more"),
    ("2026-01-02,COAT,WEB,1.5", "quantity: must be a whole number of 0 or more"),
    ("02/01/2026,COAT,WEB,1", "date: must be YYYY-MM-DD"),
    ("2026-01-06,COAT,WEB,1", "is after today"),
])
def test_a_bad_history_row_is_named_and_nothing_of_the_file_is_imported(
        store: Store, tmp_path: Path, row: str, line_says: str) -> None:
    seed(store)
    path = write(tmp_path / "bad.csv", f"date,sku,location,quantity\n2026-01-01,COAT,WEB,4\n{row}\n")
    with pytest.raises(imports.ImportRefused) as refused:
        import_file(store, path)
    assert refused.value.line == 3
    assert line_says in str(refused.value)
    h = t.demand_history
    with store.unit_of_work(write=False) as uow:
        assert uow.tx.execute(select(func.count()).select_from(h)).scalar() == 0
