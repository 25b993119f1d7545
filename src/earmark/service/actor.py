"""Who is acting: every event records the actor that caused it (the audit
trail). An API request acts as its key's name; the CLI's commands as
``cli``; the clock, expiry and other background work as ``system``.

The actor travels in a context variable, set where a request or a command
starts; a unit of work records it on every event that its command emits
(the batching writer sets it per command, since a batch holds the commands
of several requests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

SYSTEM = "system"
CLI = "cli"
ANONYMOUS = "anonymous"
"""A request to a server without API keys: nobody in particular."""
ACTOR_LENGTH_MAX = 64

_actor: ContextVar[str] = ContextVar("earmark_actor", default=SYSTEM)


def current_actor() -> str:
    return _actor.get()


def set_actor(actor: str) -> None:
    """Act as ``actor`` for the rest of this context (a request, a CLI run)."""
    _actor.set(actor[:ACTOR_LENGTH_MAX])


@contextmanager
def acting_as(actor: str) -> Iterator[None]:
    token = _actor.set(actor[:ACTOR_LENGTH_MAX])
    try:
        yield
    finally:
        _actor.reset(token)
