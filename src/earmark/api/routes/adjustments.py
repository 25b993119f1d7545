"""``/v1/adjustments``: counted, damaged, returned or corrected stock."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.deps import CommandsDep, IdempotencyDep
from earmark.api.routes import problems
from earmark.api.schemas.adjustments import AdjustmentCreate, AdjustmentOut
from earmark.service import supply
from earmark.service.results import Result
from earmark.service.uow import UnitOfWork

router = APIRouter(prefix="/v1/adjustments", tags=["supply"])


def _adjust(uow: UnitOfWork, command: supply.Adjust) -> Result:
    result = supply.adjust(uow, command)
    if result.ok:
        # API.md: 201 {position}, the position's figures under one key.
        result.value = {"position": result.value}
    return result


@router.post("", response_model=AdjustmentOut, status_code=201, responses=problems(400, 422))
def post_adjustment(body: AdjustmentCreate, commands: CommandsDep,
                    key: IdempotencyDep) -> JSONResponse:
    """Add or take units; a negative adjustment larger than the free on-hand
    takes held units back in reverse rank order (they become backordered)."""
    command: Any = supply.Adjust(body.sku, body.location, body.quantity, body.reason, body.note)
    return commands.run(_adjust, command, AdjustmentOut, key)
