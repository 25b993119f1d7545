"""``/v1/clock``: the calendar the server plans by; moved by hand only when frozen."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdempotencyDep
from earmark.api.routes import problems
from earmark.api.schemas.clock import ClockAdvance, ClockAdvanced, ClockOut
from earmark.service import commitments
from earmark.service.actor import SYSTEM, acting_as

router = APIRouter(prefix="/v1/clock", tags=["clock"])


@router.get("", response_model=ClockOut)
def get_clock(commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        return respond(ClockOut, {"today": uow.today, "frozen": uow.store.clock.is_frozen})


@router.post("", response_model=ClockAdvanced, responses=problems(400, 409, 422))
def post_clock(body: ClockAdvance, commands: CommandsDep, key: IdempotencyDep) -> JSONResponse:
    """Move a frozen calendar forward (never back) and run what the passing
    days trigger (commitment expiry). 409 when the calendar is not frozen.

    What the days trigger is the clock's doing, not the caller's: its events
    record ``system`` (API.md "Conventions"); only an admin key gets here."""
    with acting_as(SYSTEM):
        return commands.run(commitments.advance_clock, commitments.AdvanceClock(body.today),
                            ClockAdvanced, key)
