"""``/v1/forecast-runs``: start a forecast run in the background, follow its
progress, read how it ended.

The paths before it (``POST /v1/forecasts/run``, ``GET /v1/forecasts/runs``,
``GET /v1/forecasts/runs/{id}``) answer the same for one more release, marked
deprecated in OpenAPI: API.md moved the runs to a resource of their own so
that ``/v1/forecasts/{sku}`` is only ever the forecast of an item. This
router is registered before ``/v1/forecasts/{sku}`` so that
``/v1/forecasts/runs`` is never read as a sku while the old paths live."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path
from fastapi.responses import JSONResponse

from earmark.api.commands import answer_response, respond
from earmark.api.deps import CommandsDep, IdempotencyDep, LauncherDep, PageRequest, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.forecast_runs import ForecastRunCreate, ForecastRunOut, ForecastRunPage
from earmark.forecast import runs

router = APIRouter(tags=["forecasts"])

RUNS_PATH = "/v1/forecast-runs"
DEPRECATED_PREFIX = "/v1/forecasts"
DEPRECATED_NOTE = (" Deprecated: use the same call on ``/v1/forecast-runs``; this path goes "
                   "in the next release.")

RunsPage = Annotated[PageRequest, keyset_page(runs.RUNS.cursors)]

RunIdPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_]+$",
                                description="The run's id (fr_...).")]


def post_run(commands: CommandsDep, launcher: LauncherDep, key: IdempotencyDep,
             body: Annotated[ForecastRunCreate | None, Body()] = None) -> JSONResponse:
    """Start a forecast run of every position with demand history: 202 with
    the run (``queued``) and its ``Location``; poll it for ``progress``. 409
    while another run is in progress (one at a time)."""
    wanted = body or ForecastRunCreate()
    command = runs.StartRun(wanted.backend, wanted.horizon_days)
    answer, replayed = commands.answer(runs.start_run, command, ForecastRunOut, key)
    if answer.status >= 400:
        return answer_response(answer, replayed)
    run_id = str(answer.content["id"])
    if not replayed:
        launcher.launch(commands.store, run_id)
    headers = {"Location": f"{RUNS_PATH}/{run_id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(answer.content, status_code=202, headers=headers)


def list_runs(page: RunsPage, commands: CommandsDep) -> JSONResponse:
    """Forecast runs, newest first."""
    with commands.reading() as uow:
        return respond(ForecastRunPage, runs.list_runs(uow.tx, page.after, page.limit))


def get_run(id: RunIdPath, commands: CommandsDep) -> JSONResponse:
    """A run: its status, progress (positions done of the total) and, once
    succeeded, its summary: overall MASE and WAPE next to the seasonal naive
    baseline's, how many positions chose each model, and how many were
    forecast by the fallback, and why."""
    runs.fail_if_abandoned(commands.store, id)
    with commands.reading() as uow:
        run = runs.get_run(uow.tx, id)
    if run is None:
        raise not_found(f"no forecast run {id!r}")
    return respond(ForecastRunOut, run)


# One handler per call, each under its path and (deprecated) its old path.
for deprecated, prefix, paths in ((False, RUNS_PATH, ("", "", "/{id}")),
                                  (True, DEPRECATED_PREFIX, ("/run", "/runs", "/runs/{id}"))):
    note = DEPRECATED_NOTE if deprecated else ""
    router.add_api_route(
        prefix + paths[0], post_run, methods=["POST"], response_model=ForecastRunOut,
        status_code=202, responses=problems(400, 409, 422), deprecated=deprecated,
        description=(post_run.__doc__ or "") + note)
    router.add_api_route(
        prefix + paths[1], list_runs, methods=["GET"], response_model=ForecastRunPage,
        responses=problems(422), deprecated=deprecated,
        description=(list_runs.__doc__ or "") + note)
    router.add_api_route(
        prefix + paths[2], get_run, methods=["GET"], response_model=ForecastRunOut,
        responses=problems(404, 422), deprecated=deprecated,
        description=(get_run.__doc__ or "") + note)
