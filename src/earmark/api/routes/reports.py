"""``/v1/reports``: capital (what the stock costs) and service (how well
customers are served), as JSON or, for ``Accept: text/csv``, as a table."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdQuery
from earmark.api.problems import invalid_parameter
from earmark.api.routes import problems
from earmark.api.schemas.reports import CapitalOut, ServiceOut
from earmark.service.capital import capital_report
from earmark.service.report_tables import Table, capital_table, csv_text, service_table
from earmark.service.service_levels import Scope, default_window, service_report, window_problem

router = APIRouter(prefix="/v1/reports", tags=["reports"])

CSV = "text/csv"
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {CSV: {}},
          "description": "The report (JSON, or CSV when the request accepts text/csv)."}}


def _wants_csv(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return CSV in accept and "application/json" not in accept


def _csv(table: Table) -> Response:
    return Response(csv_text(*table), media_type=f"{CSV}; charset=utf-8")


@router.get("/capital", response_model=CapitalOut, responses={**CSV_RESPONSE, **problems(422)})
def get_capital(request: Request, commands: CommandsDep, location: IdQuery = None,
                sku: IdQuery = None) -> Response:
    """Capital tied up in stock and revenue waiting on supply, in money."""
    with commands.reading() as uow:
        report = capital_report(uow.tx, uow.today, request.app.state.settings.currency,
                                location, sku)
    if _wants_csv(request):
        return _csv(capital_table(report))
    return respond(CapitalOut, report)


@router.get("/service", response_model=ServiceOut, responses={**CSV_RESPONSE, **problems(422)})
def get_service(request: Request, commands: CommandsDep,
                start: Annotated[date | None, Query(alias="from", description="YYYY-MM-DD")] = None,
                end: Annotated[date | None, Query(alias="to", description="YYYY-MM-DD")] = None,
                sku: IdQuery = None, location: IdQuery = None,
                account: IdQuery = None) -> Response:
    """Fill rate, on-time rate, promise error, quoted wait, promise changes and
    backorder aging over a window of days (both included), per account."""
    with commands.reading() as uow:
        first, last = default_window(uow.today, start, end)
        if problem := window_problem(first, last):
            raise invalid_parameter(*problem)
        report = service_report(uow.tx, uow.today, Scope(first, last, sku, location, account))
    if _wants_csv(request):
        return _csv(service_table(report))
    return respond(ServiceOut, report)
