"""What the pages show, read through the same query functions as the API.

Every figure on screen comes from :mod:`earmark.service.queries` (the
functions behind ``/v1/availability``, ``/v1/backorders``,
``/v1/commitments``, ``/v1/orders`` and ``/v1/events``); the dashboard's few
reads of its own (:mod:`earmark.service.dashboard`,
:mod:`earmark.service.event_log`) only choose *which* rows to show
(positions to list, events about a position, a commitment's consumptions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from earmark.api.web.forecast_chart import forecast_chart
from earmark.domain.limits import PAGE_LIMIT_MAX
from earmark.service import catalog, dashboard, event_log, network, transfers
from earmark.service.pages import Keyset
from earmark.service.queries import (
    BACKORDERS,
    COMMITMENTS,
    availability,
    get_order,
    list_backorders,
    list_commitments,
    list_events,
)
from earmark.service.uow import UnitOfWork

POSITIONS_SHOWN_MAX = 500
"""The overview lists at most this many positions (use the filters beyond)."""

ALERTS_MAX = 5
"""Each kind of alert shows at most this many entries."""

EVENTS_SHOWN_MAX = 50
"""The events page and a position page show at most this many of the latest events."""

ROWS_MAX = 2000
"""Queues, commitments and receipts shown on one page are read up to this many."""

EVENTS_SCANNED_MAX = 20_000
"""A page picks its events (about a position, an order) from at most this many of the latest."""


@dataclass(frozen=True)
class Filters:
    sku: str | None = None
    location: str | None = None
    account: str | None = None


@dataclass
class Overview:
    positions: list[dict[str, Any]]
    at_risk: list[dict[str, Any]]
    oldest_backorders: list[dict[str, Any]]
    below_safety: list[dict[str, Any]]
    filters: Filters
    skus: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)


def is_at_risk(commitment: dict[str, Any], today: date) -> bool:
    """An open commitment with units that are unconfirmed or promised after
    its need date (a need date in the past counts as today)."""
    if commitment["status"] != "open" or commitment["remaining"] <= 0:
        return False
    need = max(date.fromisoformat(commitment["need_date"]), today)
    return any(not p["confirmed"] or p["date"] is None or date.fromisoformat(p["date"]) > need
               for p in commitment["promises"])


def free_supply(figures: dict[str, Any]) -> int:
    """Units not pegged to any demand, on hand and incoming."""
    return sum(int(bucket["available"]) for bucket in figures["atp"])


def _all_pages(read: Any, keyset: Keyset) -> list[dict[str, Any]]:
    """Every item of a list (up to ROWS_MAX), page after page as the API walks it."""
    items: list[dict[str, Any]] = []
    after = None
    while len(items) < ROWS_MAX:
        page = read(after, PAGE_LIMIT_MAX)
        items += page["items"]
        if page["next_cursor"] is None:
            break
        after = keyset.cursors.decode(page["next_cursor"])
    return items


def all_commitments(uow: UnitOfWork, sku: str | None = None, account: str | None = None,
                    status: str | None = None) -> list[dict[str, Any]]:
    return _all_pages(lambda after, limit: list_commitments(
        uow.tx, uow.today, account, sku, status, after, limit), COMMITMENTS)


def all_backorders(uow: UnitOfWork, sku: str | None = None, location: str | None = None,
                   account: str | None = None) -> list[dict[str, Any]]:
    return _all_pages(lambda after, limit: list_backorders(
        uow.tx, uow.today, sku, location, account, after, limit), BACKORDERS)


def overview(uow: UnitOfWork, filters: Filters) -> Overview:
    keys = dashboard.position_keys(uow.tx, filters.sku, filters.location, filters.account,
                                   POSITIONS_SHOWN_MAX)
    positions = [availability(uow.position(sku, location)) for sku, location in keys]
    shown = {(p["sku"], p["location"]) for p in positions}
    commitments = [c for c in all_commitments(uow, filters.sku, filters.account, "open")
                   if (c["sku"], c["location"]) in shown]
    at_risk = sorted((c for c in commitments if is_at_risk(c, uow.today)),
                     key=lambda c: (c["need_date"], c["id"]))
    below = [p for p in positions
             if free_supply(p) < p["safety_stock"] or p["safety_stock_short"] > 0]
    return Overview(
        positions=positions,
        at_risk=at_risk[:ALERTS_MAX],
        oldest_backorders=oldest_backorders(uow, filters, shown),
        below_safety=below[:ALERTS_MAX],
        filters=filters,
        skus=dashboard.skus(uow.tx, POSITIONS_SHOWN_MAX),
        locations=dashboard.location_codes(uow.tx, POSITIONS_SHOWN_MAX),
        accounts=dashboard.account_ids(uow.tx, POSITIONS_SHOWN_MAX),
    )


def oldest_backorders(uow: UnitOfWork, filters: Filters,
                      shown: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """The backordered lines placed first, with their place in the queue and promise."""
    oldest = [r for r in dashboard.oldest_backordered_lines(uow.tx, filters.account, ROWS_MAX)
              if (r[2], r[3]) in shown]
    oldest = oldest[:ALERTS_MAX]
    queues = {(sku, loc): all_backorders(uow, sku, loc) for _, _, sku, loc in oldest}
    by_line = {(b["order"], b["line"]): b for queue in queues.values() for b in queue}
    return [by_line[(order, line)] for order, line, _, _ in oldest if (order, line) in by_line]


@dataclass
class PositionView:
    figures: dict[str, Any]
    item: dict[str, Any]
    queue: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    consumptions: dict[str, list[dict[str, Any]]]
    receipts: list[dict[str, Any]]
    events: list[dict[str, Any]]
    chart: dict[str, Any]
    at_risk: set[str]
    incoming_transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Transfers into the position by id (their receipts' ids): where they come from."""
    forecast: dict[str, Any] | None = None
    """The forecast chart's data (:mod:`earmark.api.web.forecast_chart`); None without a current forecast."""


def position_view(uow: UnitOfWork, sku: str, location: str) -> PositionView | None:
    item = catalog.get_item(uow.tx, sku)
    if item is None or not catalog.location_exists(uow.tx, location):
        return None
    figures = availability(uow.position(sku, location))
    queue = all_backorders(uow, sku, location)
    commitments = [c for c in all_commitments(uow, sku) if c["location"] == location]
    commitments.sort(key=lambda c: (not is_at_risk(c, uow.today), c["need_date"], c["id"]))
    receipts = _all_pages(lambda after, limit: catalog.list_receipts(
        uow.tx, sku, location, "open", after, limit), catalog.RECEIPTS)
    incoming = {
        transfer["id"]: transfer
        for status in ("open", "in_transit")
        for transfer in _all_pages(lambda after, limit, status=status: transfers.list_transfers(
            uow.tx, uow.today, sku, None, location, status, after, limit), transfers.TRANSFERS)
    }
    return PositionView(
        incoming_transfers=incoming,
        figures=figures,
        item=item,
        queue=queue,
        commitments=commitments,
        consumptions=consumptions_of(uow, [c["id"] for c in commitments]),
        receipts=receipts,
        events=position_events(uow, sku, location, {c["id"] for c in commitments}),
        chart=chart_data(figures, queue),
        at_risk={c["id"] for c in commitments if is_at_risk(c, uow.today)},
        forecast=forecast_chart(uow, sku, location),
    )


def chart_data(figures: dict[str, Any], queue: list[dict[str, Any]]) -> dict[str, Any]:
    """The time-phased ATP chart: per dated bucket the supply, the part
    pegged and the part free, the running free total, and the queue's
    promised dates with the units promised on each."""
    dates = [bucket["date"] for bucket in figures["atp"]]
    supply = [int(bucket["supply"]) for bucket in figures["atp"]]
    free = [int(bucket["available"]) for bucket in figures["atp"]]
    running: list[int] = []
    for units in free:
        running.append((running[-1] if running else 0) + units)
    promised: dict[str, int] = {}
    for entry in queue:
        if entry["promised_date"] is not None:
            promised[entry["promised_date"]] = promised.get(entry["promised_date"], 0) \
                + int(entry["backordered"])
    return {
        "dates": dates,
        "supply": supply,
        "pegged": [s - f for s, f in zip(supply, free, strict=True)],
        "free": free,
        "cumulative_free": running,
        "promised": [{"date": day, "units": units} for day, units in sorted(promised.items())],
    }


def consumptions_of(uow: UnitOfWork, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    return dashboard.consumptions_of(uow.tx, ids, ROWS_MAX)


def position_events(uow: UnitOfWork, sku: str, location: str,
                    commitment_ids: set[str]) -> list[dict[str, Any]]:
    """The latest events about this position (its lines, receipts, stock and commitments)."""
    return event_log.events_about_position(uow.tx, sku, location, commitment_ids,
                                           EVENTS_SCANNED_MAX, EVENTS_SHOWN_MAX)


@dataclass
class OrderView:
    order: dict[str, Any]
    events: list[dict[str, Any]]


def order_view(uow: UnitOfWork, order_id: str) -> OrderView | None:
    order = get_order(uow.tx, order_id, uow.today)
    if order is None:
        return None
    events = event_log.events_of_order(uow.tx, order_id, order["created_at"], EVENTS_SCANNED_MAX)
    return OrderView(order, events)


def latest_events(uow: UnitOfWork, event_type: str | None) -> list[dict[str, Any]]:
    """The newest events, newest first."""
    return event_log.latest_events(uow.tx, event_type, EVENTS_SHOWN_MAX)


def events_after(uow: UnitOfWork, after: int, event_type: str | None) -> list[dict[str, Any]]:
    """New events for the live feed: the API's own ``list_events``."""
    items: list[dict[str, Any]] = list_events(uow.tx, after, event_type, PAGE_LIMIT_MAX)["items"]
    return items


def last_event_id(uow: UnitOfWork) -> int:
    return event_log.last_event_id(uow.tx)




@dataclass
class Choices:
    """What the forms offer to pick from."""

    skus: list[str]
    locations: list[str]
    accounts: list[str]
    receipts: list[str]


def overview_choices(uow: UnitOfWork) -> Choices:
    return Choices(dashboard.skus(uow.tx, POSITIONS_SHOWN_MAX),
                   dashboard.location_codes(uow.tx, POSITIONS_SHOWN_MAX),
                   dashboard.account_ids(uow.tx, POSITIONS_SHOWN_MAX),
                   dashboard.open_receipt_ids(uow.tx, POSITIONS_SHOWN_MAX))


@dataclass
class NetworkView:
    """Locations, the lanes between them, and one item across the network."""

    locations: list[dict[str, Any]]
    lanes: list[dict[str, Any]]
    skus: list[str]
    sku: str | None
    positions: list[dict[str, Any]]
    """The item's figures at every location where it has a position."""
    transfers: list[dict[str, Any]] = field(default_factory=list)
    """The item's transfers not yet received or cancelled."""


def network_view(uow: UnitOfWork, sku: str | None) -> NetworkView:
    locations = _all_pages(lambda after, limit: catalog.list_locations(uow.tx, after, limit),
                           catalog.LOCATIONS)
    lanes = _all_pages(lambda after, limit: network.list_lanes(uow.tx, None, None, after, limit),
                       network.LANES)
    positions: list[dict[str, Any]] = []
    if sku is not None and catalog.get_item(uow.tx, sku) is not None:
        positions = [availability(uow.position(sku, location))
                     for location in catalog.position_locations(uow.tx, sku)]
    else:
        sku = None
    moving: list[dict[str, Any]] = []
    if sku is not None:
        for status in ("open", "in_transit"):
            moving += _all_pages(lambda after, limit, status=status: transfers.list_transfers(
                uow.tx, uow.today, sku, None, None, status, after, limit), transfers.TRANSFERS)
    return NetworkView(locations=locations, lanes=lanes,
                       skus=dashboard.skus(uow.tx, POSITIONS_SHOWN_MAX),
                       sku=sku, positions=positions, transfers=moving)
