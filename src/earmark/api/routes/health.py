"""``/healthz``: the server answers and its database does too."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from earmark.api.commands import respond
from earmark.api.deps import StoreDep
from earmark.api.problems import problem, problem_response
from earmark.api.schemas.common import Problem
from earmark.api.schemas.health import HealthOut

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut,
            responses={503: {"model": Problem, "description": "The database does not answer."}})
def healthz(store: StoreDep) -> JSONResponse:
    try:
        with store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return problem_response(problem(503, "database-unavailable", "Database unavailable",
                                        f"the database does not answer: {type(error).__name__}"))
    return respond(HealthOut, {"status": "ok", "database": store.dialect})
