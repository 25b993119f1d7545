"""Reads of the event log beyond ``GET /v1/events`` (:func:`earmark.service.queries.list_events`):
where ``earmark events tail`` starts, and the dashboard's pickings (the
latest events, those about a position or an order).

Events carry what they are about in their JSON data, which the two
databases query differently; so the pickings read the newest events up to
a limit and choose among them here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, RowMapping

from earmark.store import tables as t


def _event_out(row: RowMapping) -> dict[str, Any]:
    return {"id": int(row["id"]), "type": row["type"], "at": row["at"], "data": row["data"],
            "actor": row["actor"]}


def tail_start(tx: Connection, count: int, event_type: str | None) -> int:
    """The id after which the last ``count`` events (of a type) begin."""
    e = t.events
    query = select(e.c.id).order_by(e.c.id.desc()).limit(count)
    if event_type:
        query = query.where(e.c.type == event_type)
    ids = list(tx.execute(query).scalars())
    return int(ids[-1]) - 1 if len(ids) == count else 0


def latest_events(tx: Connection, event_type: str | None, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` events (of a type), newest first."""
    e = t.events
    query = select(e).order_by(e.c.id.desc()).limit(limit)
    if event_type:
        query = query.where(e.c.type == event_type)
    return [_event_out(row) for row in tx.execute(query).mappings().all()]


def last_event_id(tx: Connection) -> int:
    """The newest event's id; 0 before the first."""
    e = t.events
    value = tx.execute(select(e.c.id).order_by(e.c.id.desc()).limit(1)).scalar()
    return int(value or 0)


def events_about_position(tx: Connection, sku: str, location: str, commitment_ids: set[str],
                          scanned_max: int, shown_max: int) -> list[dict[str, Any]]:
    """The latest events about a position (its lines, receipts, stock and the
    given commitments), newest first: up to ``shown_max`` of the newest
    ``scanned_max`` events."""
    e = t.events
    rows = tx.execute(select(e).order_by(e.c.id.desc()).limit(scanned_max)).mappings().all()
    mine = [row for row in rows if _about(row["data"], sku, location, commitment_ids)]
    return [_event_out(row) for row in mine[:shown_max]]


def _about(data: Any, sku: str, location: str, commitment_ids: set[str]) -> bool:
    if not isinstance(data, dict):
        return False
    if data.get("sku") == sku and data.get("location") == location:
        return True
    return data.get("commitment") in commitment_ids


def events_of_order(tx: Connection, order_id: str, since: datetime,
                    scanned_max: int) -> list[dict[str, Any]]:
    """The events about an order, oldest first: among the newest ``scanned_max``
    recorded since ``since`` (when the order was placed)."""
    e = t.events
    rows = tx.execute(
        select(e).where(e.c.at >= since).order_by(e.c.id.desc()).limit(scanned_max)
    ).mappings().all()
    return [_event_out(row) for row in reversed(rows)
            if isinstance(row["data"], dict) and row["data"].get("order") == order_id]
