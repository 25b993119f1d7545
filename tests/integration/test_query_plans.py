"""Quotes read only the receipts with free units (issue 5, scenario e): the
planner must choose the partial index, even without statistics."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from tests.conftest import TODAY

from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.store import tables as t


def test_sqlite_reads_free_receipts_through_the_partial_index(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/plan.db", Clock(frozen=TODAY))
    store.upgrade()
    try:
        r = t.receipts
        query = select(r.c.id).where(r.c.sku == "S", r.c.location == "L", t.RECEIPT_HAS_FREE_UNITS)
        sql = str(query.compile(store.engine))
        with store.engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", ("S", "L")).fetchall()
        assert any("ix_receipts_free" in str(step) for step in plan), plan
    finally:
        store.dispose()
