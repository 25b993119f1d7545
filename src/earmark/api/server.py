"""Run the HTTP API under uvicorn (``earmark serve`` and ``python -m earmark.api``)."""

from __future__ import annotations

import ipaddress

import uvicorn

from earmark.api.app import create_app
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


def check_bind(host: str, settings: Settings) -> None:
    """API.md: without keys configured the server refuses to bind to a
    non-loopback address."""
    if not settings.api_keys and not is_loopback(host):
        raise UnsafeBind(
            f"refusing to serve on {host} without API keys; set EARMARK_API_KEYS "
            "or bind to 127.0.0.1"
        )


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    check_bind(host, settings)
    store = Store(settings.database_url, Clock(frozen=settings.today))
    store.upgrade()
    try:
        uvicorn.run(create_app(store, settings), host=host, port=port, log_level="info",
                    access_log=False)
    finally:
        store.dispose()
