"""The pages: overview, position, order, commitments, events, and the forms page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earmark.api.deps import CodePath, IdPath, IdQuery, SkuPath
from earmark.api.web import views
from earmark.api.web.render import commands_of, page
from earmark.domain.events import EVENT_TYPES
from earmark.domain.limits import PAGE_LIMIT_MAX
from earmark.service import suppliers

router = APIRouter()

EventType = Annotated[str | None, Query(max_length=40)]


def _blank(value: str | None) -> str | None:
    """An empty form field means "any"."""
    return value or None


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, sku: Annotated[str | None, Query(max_length=140)] = None,
             location: Annotated[str | None, Query(max_length=140)] = None,
             account: Annotated[str | None, Query(max_length=140)] = None) -> Response:
    filters = views.Filters(_blank(sku), _blank(location), _blank(account))
    with commands_of(request).reading() as uow:
        shown = views.overview(uow, filters)
        today = uow.today
    return page(request, "overview.html", view=shown, today=today, title="Overview")


@router.get("/positions/{sku}/{location}", response_class=HTMLResponse)
def position(request: Request, sku: SkuPath, location: CodePath) -> Response:
    with commands_of(request).reading() as uow:
        shown = views.position_view(uow, sku, location)
        today = uow.today
    if shown is None:
        return page(request, "missing.html", 404, title="Not found",
                    detail=f"no position {sku} at {location}")
    return page(request, "position.html", view=shown, today=today, moved=None, error=None,
                title=f"{sku} at {location}")


@router.get("/orders", response_class=HTMLResponse)
def find_order(id: IdQuery = None) -> Response:
    if id is None:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/orders/{id}", status_code=303)


@router.get("/orders/{id}", response_class=HTMLResponse)
def order(request: Request, id: IdPath) -> Response:
    with commands_of(request).reading() as uow:
        shown = views.order_view(uow, id)
    if shown is None:
        return page(request, "missing.html", 404, title="Not found", detail=f"no order {id}")
    return page(request, "order.html", view=shown, title=f"Order {id}")


@router.get("/commitments", response_class=HTMLResponse)
def commitments(request: Request, account: Annotated[str | None, Query(max_length=140)] = None
                ) -> Response:
    with commands_of(request).reading() as uow:
        listed = views.all_commitments(uow, account=_blank(account))
        today = uow.today
        consumptions = views.consumptions_of(uow, [c["id"] for c in listed])
    at_risk = {c["id"] for c in listed if views.is_at_risk(c, today)}
    # At risk first, then open ones by need date, then the settled ones.
    listed.sort(key=lambda c: (c["id"] not in at_risk, c["status"] != "open", c["need_date"], c["id"]))
    return page(request, "commitments.html", commitments=listed, at_risk=at_risk,
                consumptions=consumptions, account=account or "", title="Commitments")


@router.get("/suppliers", response_class=HTMLResponse)
def supplier_list(request: Request) -> Response:
    with commands_of(request).reading() as uow:
        listed = suppliers.list_suppliers(uow, None, PAGE_LIMIT_MAX)["items"]
    return page(request, "suppliers.html", suppliers=listed, title="Suppliers")


@router.get("/suppliers/{id}", response_class=HTMLResponse)
def supplier(request: Request, id: IdPath) -> Response:
    with commands_of(request).reading() as uow:
        shown = suppliers.get_supplier(uow, id)
    if shown is None:
        return page(request, "missing.html", 404, title="Not found", detail=f"no supplier {id}")
    return page(request, "supplier.html", supplier=shown, chart=slip_chart(shown),
                title=f"Supplier {id}")


def slip_chart(shown: dict[str, Any]) -> dict[str, list[int]]:
    """The histogram's bars: every slip from the smallest to the largest
    recorded (days with no receipt at 0), so the bars stand on a true axis."""
    counts = {h["slip_days"]: h["receipts"] for h in shown["histogram"]}
    if not counts:
        return {"slip_days": [], "receipts": []}
    days = list(range(min(counts), max(counts) + 1))
    return {"slip_days": days, "receipts": [counts.get(d, 0) for d in days]}


@router.get("/events", response_class=HTMLResponse)
def events(request: Request, type: EventType = None) -> Response:
    event_type = _blank(type)
    with commands_of(request).reading() as uow:
        latest = views.latest_events(uow, event_type)
        last = views.last_event_id(uow)
    return page(request, "events.html", events=latest, last_id=last, type=event_type or "",
                types=EVENT_TYPES, title="Events")


@router.get("/network", response_class=HTMLResponse)
def network(request: Request, sku: Annotated[str | None, Query(max_length=140)] = None) -> Response:
    with commands_of(request).reading() as uow:
        shown = views.network_view(uow, _blank(sku))
        today = uow.today
    return page(request, "network.html", view=shown, today=today, title="Network")
