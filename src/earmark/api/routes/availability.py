"""``/v1/availability/{sku}``: the figures of a position, or of a sku."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery, SkuPath
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.availability import AvailabilityOut
from earmark.service import catalog
from earmark.service.queries import availability, sum_availability

router = APIRouter(prefix="/v1/availability", tags=["availability"])


@router.get("/{sku}", response_model=AvailabilityOut, responses=problems(404, 422))
def get_availability(sku: SkuPath, commands: CommandsDep,
                     location: IdQuery = None) -> JSONResponse:
    """The position of ``sku`` at ``location``; without a location, the figures
    summed over every location, without ``atp``."""
    with commands.reading() as uow:
        if catalog.get_item(uow.tx, sku) is None:
            raise not_found(f"no item {sku!r}")
        if location is not None:
            if not catalog.location_exists(uow.tx, location):
                raise not_found(f"no location {location!r}")
            return respond(AvailabilityOut, availability(uow.position(sku, location)))
        figures = [availability(uow.position(sku, code))
                   for code in catalog.position_locations(uow.tx, sku)]
        return respond(AvailabilityOut, sum_availability(sku, uow.today, figures))
