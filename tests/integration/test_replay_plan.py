"""A batch's replay check (are any of its order ids stored already?) is
planned by the server on every execution, never prepared: a prepared plan
made while the orders table was small is a sequential scan, which then read
every order on every batch as the table grew (5 ms a batch after 4,000
orders on the steps bench, before ANALYZE ran)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from tests.integration.helpers import seed
from tests.integration.test_statement_count import place_batch

from earmark.service.uow import Store

pytestmark = pytest.mark.postgres


def test_the_replay_check_is_planned_each_time_not_prepared(postgres_store: Store) -> None:
    seed(postgres_store, on_hand=1000)
    for n in range(8):  # psycopg prepares what it runs five times
        place_batch(postgres_store, f"B{n}-", 4)
    with postgres_store.engine.connect() as tx:
        prepared = tx.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert prepared, "the writer's other statements are prepared as before"
    assert not [s for s in prepared if "orders.request" in s and "ANY" in s]
