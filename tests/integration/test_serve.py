"""How ``earmark serve`` runs the app: one process per core on PostgreSQL
and one on SQLite unless asked, its startup heap kept out of the garbage
collector's full passes."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from earmark.api import server
from earmark.settings import Settings


def served(database_url: str, monkeypatch: pytest.MonkeyPatch,
           **options: Any) -> list[tuple[Any, dict[str, Any], int]]:
    """What ``serve`` hands uvicorn (the app or its factory, the options, the
    objects frozen by then), uvicorn itself left out."""
    calls: list[tuple[Any, dict[str, Any], int]] = []
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: calls.append(
        (app, kw, gc.get_freeze_count())))
    # serve() names the database to its worker processes in the environment.
    monkeypatch.setenv("EARMARK_DATABASE_URL", database_url)
    settings = Settings(database_url=database_url, dispatch=False)
    try:
        server.serve(settings, **options)
    finally:
        gc.unfreeze()
    return calls


def test_by_default_one_process_per_core_on_postgresql_and_one_on_sqlite(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server.os, "cpu_count", lambda: 2)
    [(app, options, _)] = served(database_url, monkeypatch)
    if database_url.startswith("postgres"):
        assert (app, options["workers"]) == ("earmark.api.server:worker_app", 2)
    else:
        assert not isinstance(app, str)
        assert "workers" not in options


def test_more_processes_serve_when_asked(database_url: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    [(app, options, _)] = served(database_url, monkeypatch, workers=2)
    assert (app, options["workers"], options["factory"]) == (
        "earmark.api.server:worker_app", 2, True)


def test_the_startup_heap_is_frozen_before_the_first_request(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    [(_, _, frozen)] = served(database_url, monkeypatch, workers=1)
    assert frozen > 10_000
