"""``/v1/locations``: create or replace, read, list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CodePath, CommandsDep, PageRequest, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.locations import LocationOut, LocationPage, LocationPut
from earmark.service import catalog, master

router = APIRouter(prefix="/v1/locations", tags=["locations"])

LocationsPage = Annotated[PageRequest, keyset_page(catalog.LOCATIONS.cursors)]


@router.put("/{code}", response_model=LocationOut, status_code=201,
            responses={200: {"model": LocationOut, "description": "Updated."},
                       **problems(400, 422)})
def put_location(code: CodePath, body: LocationPut, commands: CommandsDep) -> JSONResponse:
    """Create (201) or rename (200) a location."""
    return commands.run(master.upsert_location, master.UpsertLocation(code, body.name),
                        LocationOut, None)


@router.get("/{code}", response_model=LocationOut, responses=problems(404, 422))
def get_location(code: CodePath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        location = catalog.get_location(uow.tx, code)
    if location is None:
        raise not_found(f"no location {code!r}")
    return respond(LocationOut, location)


@router.get("", response_model=LocationPage, responses=problems(422))
def list_locations(page: LocationsPage, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        return respond(LocationPage, catalog.list_locations(uow.tx, page.after, page.limit))
