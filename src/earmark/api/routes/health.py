"""``/healthz``: the server answers and its database does too.

Open to a caller without an API key (load balancers, probes), so it tells
nothing but liveness and the kind of database: not the error when the
database does not answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import StoreDep
from earmark.api.problems import problem, problem_response
from earmark.api.schemas.common import Problem
from earmark.api.schemas.health import HealthOut
from earmark.service.database import answers

router = APIRouter(tags=["health"])


RETRY_AFTER_SECONDS = 1


@router.get("/healthz", response_model=HealthOut,
            responses={503: {"model": Problem, "description": "The database does not answer."}})
def healthz(store: StoreDep) -> JSONResponse:
    """Liveness and the kind of database; needs no API key."""
    if not answers(store):
        return problem_response(problem(503, "database-unavailable", "Database unavailable",
                                        "the database does not answer"),
                                headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return respond(HealthOut, {"status": "ok", "database": store.dialect})
