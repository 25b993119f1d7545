"""Pages of lists, continued by keyset cursors.

A cursor holds the sort key of the last item of its page, so the next page
starts just after that item, wherever it now stands: items placed or removed
before it shift nothing, and none repeats or is skipped (an offset would
count them). Every list sorts on columns that together tell its rows apart,
so "just after" is exact.

A cursor is opaque to clients: URL-safe base64 of compact JSON holding a
version, the list's name (one list's cursor is refused by another) and the
key's values, each checked against its column's type when read back.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, Select, and_, literal, tuple_
from sqlalchemy.engine import Connection, RowMapping

CURSOR_VERSION = 1
KEY_INTEGER_MIN, KEY_INTEGER_MAX = -(2**63), 2**63 - 1
"""A key integer outside a database integer is not one of ours (and would overflow it)."""
KEY_TEXT_LENGTH_MAX = 200

Key = tuple[Any, ...]
T = TypeVar("T")


class InvalidCursor(ValueError):
    """A cursor this server did not give out, or gave out for another list."""


def _key_value(kind: type, raw: object) -> Any:
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool) \
                and KEY_INTEGER_MIN <= raw <= KEY_INTEGER_MAX:
            return raw
    elif isinstance(raw, str) and len(raw) <= KEY_TEXT_LENGTH_MAX:
        if kind is str:
            return raw
        if kind is datetime:
            return datetime.fromisoformat(raw)  # ValueError: not one of ours
        if kind is date:
            return date.fromisoformat(raw)
    raise InvalidCursor("holds a value of the wrong kind")


@dataclass(frozen=True)
class Cursors:
    """The cursors of one list: its name and the kinds of its sort key's values."""

    list_name: str
    kinds: tuple[type, ...]

    def encode(self, key: Sequence[Any]) -> str:
        values = [v.isoformat() if isinstance(v, date) else v for v in key]
        text = json.dumps({"v": CURSOR_VERSION, "l": self.list_name, "k": values},
                          separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def decode(self, cursor: str | None) -> Key | None:
        """The key a cursor continues after; None (the first page) for no cursor."""
        if not cursor:
            return None
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            content = json.loads(base64.b64decode(padded, altchars=b"-_", validate=True))
        except (ValueError, binascii.Error) as refused:
            raise InvalidCursor("is not a cursor this server gave out") from refused
        if not isinstance(content, dict) or content.get("v") != CURSOR_VERSION:
            raise InvalidCursor("is not a cursor this server gave out")
        if content.get("l") != self.list_name:
            raise InvalidCursor(f"is not a cursor of the {self.list_name} list")
        values = content.get("k")
        if not isinstance(values, list) or len(values) != len(self.kinds):
            raise InvalidCursor("is not a cursor this server gave out")
        try:
            return tuple(_key_value(kind, raw) for kind, raw in zip(self.kinds, values, strict=True))
        except InvalidCursor:
            raise
        except ValueError as refused:
            raise InvalidCursor("holds a value of the wrong kind") from refused


@dataclass(frozen=True)
class Keyset:
    """A list's sort order, on columns that together tell its rows apart;
    all ascending, or all descending."""

    cursors: Cursors
    columns: tuple[Column[Any], ...]
    descending: bool = False

    @classmethod
    def of(cls, list_name: str, *columns: Column[Any], descending: bool = False) -> Keyset:
        kinds = tuple(column.type.python_type for column in columns)
        return cls(Cursors(list_name, kinds), columns, descending)

    def _after(self, key: Key) -> ColumnElement[bool]:
        values = [literal(v, column.type) for column, v in zip(self.columns, key, strict=True)]
        first, rest = self.columns[0], tuple_(*self.columns)
        if self.descending:
            # The bound on the first column alone lets an index on it narrow the scan.
            return and_(first <= values[0], rest < tuple_(*values))
        return and_(first >= values[0], rest > tuple_(*values))

    def query(self, query: Select[Any], after: Key | None, limit: int) -> Select[Any]:
        """``query`` in this order, from just after ``after``, with one row
        more than a page to tell whether another page follows."""
        ordered = query.order_by(*(c.desc() if self.descending else c for c in self.columns))
        if after is not None:
            ordered = ordered.where(self._after(after))
        return ordered.limit(limit + 1)

    def read(self, tx: Connection, query: Select[Any], after: Key | None,
             limit: int) -> tuple[list[RowMapping], str | None]:
        """A page of ``query``'s rows and the cursor of the next page (None at the end)."""
        rows = list(tx.execute(self.query(query, after, limit)).mappings())
        shown = rows[:limit]
        if len(rows) <= limit:
            return shown, None
        return shown, self.cursors.encode([shown[-1][c.name] for c in self.columns])


def page(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


def computed_page(items: Sequence[T], order: Callable[[T], Key], cursors: Cursors,
                  after: Key | None, limit: int) -> tuple[list[T], str | None]:
    """A page of ``items``, computed rather than read and sorted by ``order``,
    from just after ``after``; and the cursor of the next page (None at the end)."""
    rest = [item for item in items if after is None or order(item) > after]
    shown = rest[:limit]
    if len(rest) <= limit:
        return shown, None
    return shown, cursors.encode(order(shown[-1]))
