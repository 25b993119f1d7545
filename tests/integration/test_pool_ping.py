"""A pooled PostgreSQL connection is pinged before use only after it has been
idle (``PING_IDLE_S``): the writer, which takes one every few milliseconds,
pays no extra round trip per batch, and a connection that died while idle is
replaced instead of handed out."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from earmark.service.uow import Store
from earmark.store import db

pytestmark = pytest.mark.postgres


def counting_pings(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = store.engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(store.engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_taken_again_at_once_is_not_pinged(
        postgres_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pings = counting_pings(postgres_store, monkeypatch)
    with postgres_store.engine.connect() as tx:
        tx.execute(text("SELECT 1"))
    first = len(pings)
    for _ in range(5):
        with postgres_store.engine.connect() as tx:
            tx.execute(text("SELECT 1"))
    assert len(pings) == first


def test_a_connection_idle_past_the_limit_is_pinged(
        postgres_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pings = counting_pings(postgres_store, monkeypatch)
    with postgres_store.engine.connect() as tx:
        tx.execute(text("SELECT 1"))
    monkeypatch.setattr(db, "PING_IDLE_S", 0.0)
    before = len(pings)
    with postgres_store.engine.connect() as tx:
        tx.execute(text("SELECT 1"))
    assert len(pings) == before + 1


def test_a_connection_that_died_while_idle_is_replaced_not_handed_out(
        postgres_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = postgres_store.engine
    with engine.connect() as other:
        with engine.connect() as tx:
            pid = tx.execute(text("SELECT pg_backend_pid()")).scalar_one()
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()
        monkeypatch.setattr(db, "PING_IDLE_S", 0.0)
        with engine.connect() as tx:
            assert tx.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
