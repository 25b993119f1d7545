"""Run the HTTP API under uvicorn (``earmark serve``, ``earmark demo`` and
``python -m earmark.api``), in one process or in several.

Several worker processes (``--workers N``) each run the whole app with its
own batching writer; they share one database. That is correct on PostgreSQL
because every writer locks the positions it changes (row locks in (sku,
location) order) and trusts a position it keeps in memory only at the stored
version. SQLite serialises writers anyway, so it gains nothing from more
than one process.

The default is one process per core on PostgreSQL, one on SQLite. On a hot
sku one process is faster: its writer sees every order, so a batch holds all
the orders of that sku, while two processes selling the same sku take turns
on its row lock and each batch reloads the position the other just changed.
Over HTTP on two cores, one hot sku, 16 connections, one process placed
about 540 orders/s and two about 180 (256 connections: 740 and 590). A shop
whose sales are a flash sale on few skus should say ``--workers 1``.
"""

from __future__ import annotations

import gc
import ipaddress
import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from earmark.api.app import create_app
from earmark.service import keys
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.settings import Settings


class UnsafeBind(Exception):
    """Refusing to serve without API keys on an address others can reach."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings, store: Store | None = None) -> None:
    """API.md: without keys configured the server refuses to bind to a
    non-loopback address. Keys are configured by ``EARMARK_API_KEYS`` or
    by a key made with ``earmark keys create`` (in ``store``)."""
    if is_loopback(host) or settings.api_keys:
        return
    if store is not None:
        with store.unit_of_work(write=False) as uow:
            if keys.any_stored_keys(uow.tx):
                return
    raise UnsafeBind(
        f"refusing to serve on {host} without API keys; set EARMARK_API_KEYS, "
        "make one with earmark keys create, or bind to 127.0.0.1"
    )


def default_workers(database_url: str) -> int:
    """One process per core on PostgreSQL; one on SQLite (see the module's docstring)."""
    if database_url.startswith(("postgresql", "postgres")):
        return os.cpu_count() or 1
    return 1


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, *,
          workers: int | None = None, log_level: str = "info",
          ready: Callable[[], None] | None = None) -> None:
    """Migrate, then serve until stopped. ``ready`` runs once the schema is
    current, before the first request is taken (the demo prints its banner)."""
    if workers is None:
        workers = default_workers(settings.database_url)
    store = Store(settings.database_url, Clock(frozen=settings.today))
    store.upgrade()
    try:
        check_bind(host, settings, store)
    except UnsafeBind:
        store.dispose()
        raise
    if ready is not None:
        ready()
    if workers <= 1:
        try:
            app = create_app(store, settings)
            settle_heap()
            uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
        finally:
            store.dispose()
        return
    store.dispose()
    # Each worker process builds its app from the environment (worker_app).
    os.environ["EARMARK_DATABASE_URL"] = settings.database_url
    uvicorn.run("earmark.api.server:worker_app", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=False)


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve(workers=N)`` (the schema is current)."""
    settings = Settings()
    app = create_app(Store(settings.database_url, Clock(frozen=settings.today)), settings)
    settle_heap()
    return app


def settle_heap() -> None:
    """Keep what the server holds for its whole life (modules, the app, its
    schemas) out of the garbage collector's full passes.

    A full pass walks every object tracked; with all of that in it, one took
    up to 170 ms under load on a hot sku, and every request waiting then got
    that much slower (the p99 of bench c). Frozen, a pass walks only what
    requests and positions made since."""
    gc.collect()
    gc.freeze()
