"""How an answer becomes JSON bytes: once, with orjson, without re-validating it.

A handler's value is already the shape the API shows (the service builds it
field by field, in the order of its response model); checking it again
through a pydantic model and then encoding it with the stdlib cost more than
placing the order. The bytes are those the models gave: the same fields in
the same order, fields the service left out stay out, dates ``YYYY-MM-DD``
and timestamps RFC 3339 in UTC with ``Z`` (tests/e2e/test_rendering.py
compares them over representative orders).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson
from fastapi.responses import JSONResponse

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def _day_or_timestamp(value: Any) -> str:
    if not isinstance(value, date):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    if not isinstance(value, datetime):
        return value.isoformat()
    # SQLite hands timestamps back without a zone; every stored timestamp is UTC.
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.replace(tzinfo=None).isoformat() + "Z"


def encode(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON (what ``JSONResponse`` wrote, faster)."""
    return orjson.dumps(value, default=_day_or_timestamp, option=_OPTIONS)


def jsonable(value: Any) -> Any:
    """``value`` with its timestamps as text, for a JSON column (an idempotency record)."""
    return orjson.loads(encode(value))


class FastJSONResponse(JSONResponse):
    """A ``JSONResponse`` whose body is encoded by :func:`encode`."""

    def render(self, content: Any) -> bytes:
        return encode(content)
