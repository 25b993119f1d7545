"""Locations: where stock is held."""

from __future__ import annotations

from earmark.api.schemas.common import In, Name, NextCursor, Out, Timestamp


class LocationPut(In):
    name: Name


class LocationOut(Out):
    code: str
    name: str
    created_at: Timestamp
    updated_at: Timestamp


class LocationPage(Out):
    items: list[LocationOut]
    next_cursor: NextCursor
