"""How ``earmark serve`` runs the app: one process unless asked, its
startup heap kept out of the garbage collector's full passes."""

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


def test_one_process_serves_by_default_on_every_database(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(app, options, _)] = served(database_url, monkeypatch)
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
    [(_, _, frozen)] = served(database_url, monkeypatch)
    assert frozen > 10_000
