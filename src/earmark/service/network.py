"""Lanes: stock at one location reaches another in some days (DESIGN.md,
"Network promising"). A lane is one-way and lanes are not chained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.domain.limits import PAGE_LIMIT_DEFAULT, TRANSIT_DAYS_MAX
from earmark.domain.outcomes import Outcome
from earmark.service.pages import Key, Keyset, page
from earmark.service.queries import narrowed
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork
from earmark.service.validation import check_id
from earmark.store import tables as t

LANES = Keyset.of("lanes", t.lanes.c.from_location, t.lanes.c.to_location)


@dataclass(frozen=True)
class SetLane:
    origin: str
    destination: str
    transit_days: int


@dataclass(frozen=True)
class RemoveLane:
    origin: str
    destination: str


def lane_out(row: Any) -> dict[str, Any]:
    return {"from": row["from_location"], "to": row["to_location"],
            "transit_days": int(row["transit_days"]),
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def _check_ends(uow: UnitOfWork, origin: str, destination: str) -> Result | None:
    for field_name, code in (("from", origin), ("to", destination)):
        if error := check_id(field_name, code):
            return error
        if not uow.master.location_exists(code):
            return fail(Outcome.unknown_location, f"no location {code!r}", field_name)
    if origin == destination:
        return invalid("to", "a lane joins two different locations")
    return None


def _row(tx: Connection, origin: str, destination: str) -> Any:
    lanes = t.lanes.c
    return tx.execute(select(t.lanes).where(lanes.from_location == origin,
                                            lanes.to_location == destination)).mappings().first()


def set_lane(uow: UnitOfWork, cmd: SetLane) -> Result:
    """Create (201) or change (200) the lane ``from -> to``. Lines and transfers
    placed before keep the transit they were placed with."""
    if error := _check_ends(uow, cmd.origin, cmd.destination):
        return error
    if not 0 <= cmd.transit_days <= TRANSIT_DAYS_MAX:
        return invalid("transit_days", f"must be from 0 to {TRANSIT_DAYS_MAX}")
    tx = uow.tx
    old = _row(tx, cmd.origin, cmd.destination)
    # From here on the command must succeed.
    uow.master.forget()
    lanes = t.lanes.c
    if old is None:
        tx.execute(t.lanes.insert().values(
            from_location=cmd.origin, to_location=cmd.destination,
            transit_days=cmd.transit_days, created_at=uow.now, updated_at=uow.now))
    else:
        tx.execute(t.lanes.update().where(lanes.from_location == cmd.origin,
                                          lanes.to_location == cmd.destination)
                   .values(transit_days=cmd.transit_days, updated_at=uow.now))
    row = _row(tx, cmd.origin, cmd.destination)
    uow.commit()
    return Result(Outcome.created if old is None else Outcome.ok, lane_out(row))


def remove_lane(uow: UnitOfWork, cmd: RemoveLane) -> Result:
    """Remove the lane; transfers already on it keep their transit."""
    tx = uow.tx
    if _row(tx, cmd.origin, cmd.destination) is None:
        return fail(Outcome.not_found, f"no lane from {cmd.origin!r} to {cmd.destination!r}")
    uow.master.forget()
    lanes = t.lanes.c
    tx.execute(t.lanes.delete().where(lanes.from_location == cmd.origin,
                                      lanes.to_location == cmd.destination))
    uow.commit()
    return Result(Outcome.ok, {})


def get_lane(tx: Connection, origin: str, destination: str) -> dict[str, Any] | None:
    row = _row(tx, origin, destination)
    return lane_out(row) if row else None


def list_lanes(tx: Connection, origin: str | None, destination: str | None,
               after: Key | None, limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    lanes = t.lanes.c
    query = narrowed(select(t.lanes), (lanes.from_location, origin),
                     (lanes.to_location, destination))
    rows, cursor = LANES.read(tx, query, after, limit)
    return page([lane_out(r) for r in rows], cursor)
