"""``/v1/projection/{sku}``: projected on-hand of a position, day by day.

A projection (like a forecast) is per position: summed over locations, one
location's stockout would hide behind another's surplus. So ``location``
may be left out only while exactly one location exists, as for an order
line or a promise (422 ``location_required`` otherwise)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery, SkuPath
from earmark.api.problems import OUTCOME_TITLE, ProblemError, not_found
from earmark.api.routes import problems
from earmark.api.schemas.projection import ProjectionOut
from earmark.domain.outcomes import Outcome
from earmark.forecast.planning import projection_of
from earmark.service import catalog
from earmark.service.uow import UnitOfWork

router = APIRouter(prefix="/v1/projection", tags=["forecasts"])


def position_location(uow: UnitOfWork, sku: str, location: str | None) -> str:
    """The location of ``sku``'s position that a read names; a problem if
    the sku or location is unknown (404) or the location is left out while
    more than one exists (422)."""
    if catalog.get_item(uow.tx, sku) is None:
        raise not_found(f"no item {sku!r}")
    if location is None:
        only = uow.master.only_location()
        if only is None:
            message = "may be left out only while exactly one location exists"
            raise ProblemError(422, Outcome.location_required.value,
                               OUTCOME_TITLE[Outcome.location_required], f"location: {message}",
                               [{"field": "location", "message": message}])
        return only
    if not catalog.location_exists(uow.tx, location):
        raise not_found(f"no location {location!r}")
    return location


@router.get("/{sku}", response_model=ProjectionOut, responses=problems(404, 422))
def get_projection(sku: SkuPath, commands: CommandsDep, location: IdQuery = None) -> JSONResponse:
    """Projected on-hand per day from today: on-hand + receipts − each day's
    demand, which nets the forecast (from tomorrow) against the booked demand
    (open order units and open commitments' remaining units) and counts the
    larger of the two; and the first days it falls below the safety stock and
    below zero."""
    with commands.reading() as uow:
        code = position_location(uow, sku, location)
        body = projection_of(uow.tx, sku, code, uow.today)
    if body is None:
        raise not_found(f"no item {sku!r}")
    return respond(ProjectionOut, body)
