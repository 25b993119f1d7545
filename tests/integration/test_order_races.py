"""Cancel and ship lock the positions first and check what is open or held after.

A concurrent cancel or ship of the same order may commit between a
command's first read of the order lines and its lock. The command must
then answer with the conflict outcome (409), never carry stale counts
into a position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import TODAY
from tests.integration.helpers import run, seed

from earmark.domain.outcomes import Outcome
from earmark.service import orders
from earmark.service.check import check_store
from earmark.service.clock import Clock
from earmark.service.uow import Store, UnitOfWork
from earmark.store import tables as t

ORDER = "O1"
QUANTITY = 5


def _place(store: Store) -> None:
    seed(store, on_hand=10)
    placed = run(store, orders.place_order, orders.PlaceOrder(
        ORDER, "acme", [orders.LineIn("1", "COAT", QUANTITY, "WEB")]))
    assert placed.ok, placed


def _before_first_lock(monkeypatch: pytest.MonkeyPatch, act: Callable[[UnitOfWork], None]) -> None:
    """Run ``act`` once, just before the next unit of work takes its first lock."""
    real_lock = UnitOfWork.lock
    pending = [act]

    def lock(self: UnitOfWork, keys: list[tuple[str, str]]) -> None:
        if pending:
            pending.pop()(self)
        real_lock(self, keys)

    monkeypatch.setattr(UnitOfWork, "lock", lock)


@pytest.fixture
def rival(postgres_url: str) -> Iterator[tuple[Store, Store]]:
    """Two stores (two processes, in effect) on one PostgreSQL database."""
    ours, theirs = (Store(postgres_url, Clock(frozen=TODAY)) for _ in range(2))
    ours.upgrade()
    try:
        yield ours, theirs
    finally:
        ours.dispose()
        theirs.dispose()


WHOLE_LINE = [orders.LineQuantity("1", QUANTITY)]
RACES: dict[str, tuple[Any, Any, Outcome]] = {
    "cancel": (orders.cancel_order, orders.CancelOrder(ORDER, WHOLE_LINE), Outcome.exceeds_open),
    "ship": (orders.ship_order, orders.ShipOrder(ORDER, WHOLE_LINE), Outcome.not_held),
}


@pytest.mark.postgres
@pytest.mark.parametrize("command", sorted(RACES))
def test_a_cancel_or_ship_that_loses_the_race_for_a_line_answers_with_a_conflict(
    rival: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    ours, theirs = rival
    _place(ours)
    handler, cmd, lost = RACES[command]

    def the_rival_wins(_: UnitOfWork) -> None:
        assert run(theirs, handler, cmd).ok

    _before_first_lock(monkeypatch, the_rival_wins)
    result = run(ours, handler, cmd)

    assert result.outcome == lost, result
    assert check_store(ours)[1] == []


@pytest.mark.parametrize("command", sorted(RACES))
def test_cancel_and_ship_check_the_order_lines_as_read_under_the_lock(
    store: Store, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # On SQLite no other writer can commit inside a write transaction, so
    # the lines are changed in the command's own transaction just before
    # the lock, as a writer that won the race would have left them.
    _place(store)
    handler, cmd, lost = RACES[command]

    def the_line_is_gone(uow: UnitOfWork) -> None:
        lines = t.order_lines
        uow.tx.execute(lines.update().where(lines.c.order_id == ORDER).values(
            open=0, allocated=0, cancelled=QUANTITY))

    _before_first_lock(monkeypatch, the_line_is_gone)
    result = run(store, handler, cmd)

    assert result.outcome == lost, result
    # The refused command rolled back, the simulated rival's change with it.
    with store.unit_of_work(write=False) as uow:
        line = uow.tx.execute(select(t.order_lines)).mappings().one()
    assert (line["open"], line["allocated"], line["shipped"]) == (QUANTITY, QUANTITY, 0)
