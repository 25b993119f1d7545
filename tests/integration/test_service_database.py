"""The service layer's face of the database, which the API and the CLI call
instead of naming SQLAlchemy: a lost race is run again, an unreachable
database is told apart, an idempotency record taken by a concurrent request
is earmark's own error."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError, ProgrammingError

from earmark.service import commitments as cm
from earmark.service import idempotency
from earmark.service.clock import Clock
from earmark.service.database import CannotOpen, answers, open_database, retry_lost_races
from earmark.service.idempotency import IdempotentRequest, KeyReused, KeyTaken, StoredAnswer
from earmark.service.uow import Store

LOST_RACE = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))


def test_a_lost_race_is_run_again_on_the_winners_state() -> None:
    attempts: list[int] = []

    def attempt() -> str:
        attempts.append(len(attempts) + 1)
        if len(attempts) < 3:
            raise LOST_RACE
        return "done"

    assert retry_lost_races(attempt, 3) == "done"
    assert attempts == [1, 2, 3]


def test_the_last_lost_race_is_raised() -> None:
    attempts: list[int] = []

    def attempt() -> str:
        attempts.append(1)
        raise LOST_RACE

    with pytest.raises(IntegrityError):
        retry_lost_races(attempt, 3)
    assert len(attempts) == 3


def test_an_error_that_is_no_race_is_raised_at_once() -> None:
    attempts: list[int] = []

    def attempt() -> str:
        attempts.append(1)
        raise ProgrammingError("SELECT", {}, sqlite3.ProgrammingError("no such table"))

    with pytest.raises(ProgrammingError):
        retry_lost_races(attempt, 3)
    assert len(attempts) == 1


def test_a_database_that_cannot_be_opened_says_why_in_one_line(tmp_path: Path) -> None:
    # A directory where the SQLite file should be: the database cannot open it.
    with pytest.raises(CannotOpen) as refused:
        open_database(f"sqlite:///{tmp_path}", None)
    assert str(refused.value) and "\n" not in str(refused.value)


def test_a_database_opens_on_its_stored_calendar_unless_a_day_is_given(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/calendar.db"
    store = open_database(url, None)
    try:
        assert not store.clock.is_frozen and answers(store)  # no day stored yet
    finally:
        store.dispose()
    store = open_database(url, date(2026, 1, 5))
    try:
        with store.unit_of_work() as uow:
            assert cm.advance_clock(uow, cm.AdvanceClock(date(2026, 2, 1))).ok
    finally:
        store.dispose()
    for given, expected in ((None, date(2026, 2, 1)), (date(2026, 3, 1), date(2026, 3, 1))):
        store = open_database(url, given)
        try:
            with store.unit_of_work(write=False) as uow:
                assert uow.today == expected
        finally:
            store.dispose()


def test_a_database_that_stops_answering_fails_the_health_check(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/gone/earmark.db", Clock(frozen=date(2026, 1, 5)))
    try:
        assert not answers(store)
    finally:
        store.dispose()


def test_a_key_recorded_by_a_concurrent_request_is_taken(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/keys.db", Clock(frozen=date(2026, 1, 5)))
    store.upgrade()
    request = IdempotentRequest("k1", "POST", "/v1/promise", "h")
    try:
        idempotency.record_apart(store, request, 200, {"first": True})
        with pytest.raises(KeyTaken):
            idempotency.record_apart(store, request, 201, {"second": True})
        with store.unit_of_work(write=False) as uow:
            assert idempotency.lookup(uow, request) == StoredAnswer(200, {"first": True})
            with pytest.raises(KeyReused):
                idempotency.lookup(uow, IdempotentRequest("k1", "POST", "/v1/promise", "other"))
    finally:
        store.dispose()
