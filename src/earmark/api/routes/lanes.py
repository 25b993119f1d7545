"""``/v1/lanes/{from}/{to}``: create or change, read, list, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from earmark.api.commands import answer_response, respond
from earmark.api.deps import (
    CodePath,
    CommandsDep,
    FromQuery,
    PageRequest,
    ToQuery,
    keyset_page,
)
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.common import Out
from earmark.api.schemas.lanes import LaneOut, LanePage, LanePut
from earmark.service import network

router = APIRouter(prefix="/v1/lanes", tags=["lanes"])

LanesPage = Annotated[PageRequest, keyset_page(network.LANES.cursors)]


@router.put("/{origin}/{destination}", response_model=LaneOut, status_code=201,
            responses={200: {"model": LaneOut, "description": "Changed."},
                       **problems(400, 422)})
def put_lane(origin: CodePath, destination: CodePath, body: LanePut,
             commands: CommandsDep) -> JSONResponse:
    """Create (201) or change (200) the lane: stock at ``from`` reaches ``to`` in
    ``transit_days``. 422 when ``from`` is ``to`` or a location is unknown."""
    return commands.run(network.set_lane,
                        network.SetLane(origin, destination, body.transit_days), LaneOut, None)


@router.get("/{origin}/{destination}", response_model=LaneOut, responses=problems(404, 422))
def get_lane(origin: CodePath, destination: CodePath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        lane = network.get_lane(uow.tx, origin, destination)
    if lane is None:
        raise not_found(f"no lane from {origin!r} to {destination!r}")
    return respond(LaneOut, lane)


@router.delete("/{origin}/{destination}", status_code=204, response_class=Response,
               responses=problems(404, 422))
def delete_lane(origin: CodePath, destination: CodePath, commands: CommandsDep) -> Response:
    """Remove the lane; transfers and lines placed on it keep their transit."""
    answer, _ = commands.answer(network.remove_lane,
                                network.RemoveLane(origin, destination), Out, None)
    if answer.status >= 400:
        return answer_response(answer)
    return Response(status_code=204)


@router.get("", response_model=LanePage, responses=problems(422))
def list_lanes(
    page: LanesPage, commands: CommandsDep,
    origin: FromQuery = None, destination: ToQuery = None,
) -> JSONResponse:
    with commands.reading() as uow:
        return respond(LanePage, network.list_lanes(uow.tx, origin, destination,
                                                    page.after, page.limit))
