"""Helpers for the tests of event delivery: a local HTTP receiver that
records what earmark POSTs to it (and can fail, or be slow, on purpose), and
a dispatcher running in the background with intervals in milliseconds."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from earmark.notify.dispatcher import Dispatcher, DispatcherThread
from earmark.service.uow import Store
from earmark.settings import Settings

FAST = {
    "dispatch_poll_seconds": 0.02,
    "dispatch_lease_seconds": 2.0,
    "webhook_backoff_base_seconds": 0.05,
    "webhook_backoff_cap_seconds": 1.0,
    "webhook_timeout_seconds": 5.0,
    # The receivers listen on loopback.
    "webhook_allow_private": True,
}
"""Dispatcher settings for tests: the production code, in milliseconds."""

Answer = Callable[[int, dict[str, Any]], int]


def fast_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {**FAST, "nats_url": None, "smtp_url": None, **overrides}
    return Settings(**values)


@dataclass(frozen=True)
class Received:
    event_id: int
    headers: dict[str, str]
    body: bytes
    status: int
    at: float
    """time.monotonic() when the request arrived."""

    @property
    def event(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value


class Receiver:
    """A webhook receiver on 127.0.0.1. ``answer(n, event)`` gives the status
    for the n-th request (1-based), carrying ``event``; ``delay_seconds``
    holds every answer back."""

    def __init__(self, answer: Answer = lambda n, event: 200,
                 delay_seconds: float = 0.0) -> None:
        self.answer = answer
        self.delay_seconds = delay_seconds
        self.received: list[Received] = []
        self.started: list[float] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                at = time.monotonic()
                with receiver._lock:
                    receiver.started.append(at)
                    n = len(receiver.started)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                status = receiver.answer(n, json.loads(body))
                with receiver._lock:
                    receiver.received.append(Received(
                        int(self.headers["Earmark-Event-Id"]), dict(self.headers.items()), body,
                        status, at))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def delivered_ids(self) -> list[int]:
        """Event ids answered with a 2xx, in the order they arrived."""
        with self._lock:
            return [r.event_id for r in self.received if 200 <= r.status < 300]

    def all(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def receiving(answer: Answer = lambda n, event: 200,
              delay_seconds: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(answer, delay_seconds)
    try:
        yield receiver
    finally:
        receiver.close()


@contextmanager
def dispatching(store: Store, settings: Settings | None = None) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(store, settings or fast_settings())
    thread = DispatcherThread(dispatcher)
    thread.start()
    try:
        yield dispatcher
    finally:
        thread.stop()


def wait_until(condition: Callable[[], bool], timeout_seconds: float = 20.0,
               what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout_seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_seconds}s waiting for {what}")
        time.sleep(0.02)
