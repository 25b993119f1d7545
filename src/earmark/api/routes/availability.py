"""``/v1/availability/{sku}``: the figures of a position, or of a sku."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery, SkuPath
from earmark.api.problems import invalid_parameter, not_found
from earmark.api.routes import problems
from earmark.api.schemas.availability import AvailabilityOut, ShipToAvailabilityOut
from earmark.service import catalog
from earmark.service.parts import availability_by_ship_to
from earmark.service.queries import availability, sum_availability

router = APIRouter(prefix="/v1/availability", tags=["availability"])


@router.get("/{sku}", response_model=AvailabilityOut | ShipToAvailabilityOut,
            responses=problems(404, 422))
def get_availability(sku: SkuPath, commands: CommandsDep,
                     location: IdQuery = None, ship_to: IdQuery = None) -> JSONResponse:
    """The position of ``sku`` at ``location``; without a location, the figures
    summed over every location, without ``atp``; with ``ship_to`` instead,
    what each candidate of a line delivered there has."""
    with commands.reading() as uow:
        if catalog.get_item(uow.tx, sku) is None:
            raise not_found(f"no item {sku!r}")
        if ship_to is not None:
            if location is not None:
                raise invalid_parameter("ship_to", "name either location or ship_to, not both")
            if not catalog.location_exists(uow.tx, ship_to):
                raise not_found(f"no location {ship_to!r}")
            return respond(ShipToAvailabilityOut, availability_by_ship_to(uow, sku, ship_to))
        if location is not None:
            if not catalog.location_exists(uow.tx, location):
                raise not_found(f"no location {location!r}")
            return respond(AvailabilityOut, availability(uow.position(sku, location)))
        figures = [availability(uow.position(sku, code))
                   for code in catalog.position_locations(uow.tx, sku)]
        return respond(AvailabilityOut, sum_availability(sku, uow.today, figures))
