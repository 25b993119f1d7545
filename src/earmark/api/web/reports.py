"""The report pages: ``/capital`` and ``/service`` (the figures of ``/v1/reports``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from earmark.api.web import report_views
from earmark.api.web.render import commands_of, page

router = APIRouter()

Filter = Annotated[str | None, Query(max_length=140)]


def _day(text: str | None) -> date | None:
    """A form's date field: empty or unreadable means the default."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/capital", response_class=HTMLResponse)
def capital(request: Request, location: Filter = None) -> Response:
    currency = request.app.state.settings.currency
    with commands_of(request).reading() as uow:
        shown = report_views.capital_view(uow, currency, location or None)
        today = uow.today
    return page(request, "capital.html", view=shown, today=today, title="Capital")


@router.get("/service", response_class=HTMLResponse)
def service(request: Request, account: Filter = None,
            start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
            end: Annotated[str | None, Query(alias="to", max_length=10)] = None) -> Response:
    currency = request.app.state.settings.currency
    with commands_of(request).reading() as uow:
        shown = report_views.service_view(uow, currency, _day(start), _day(end), account or None)
        today = uow.today
    return page(request, "service.html", view=shown, today=today, title="Service")
