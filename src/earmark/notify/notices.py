"""Customer notices: for each account, what its customer should be told, in
words, about a change that concerns it (API.md ``/v1/accounts/{id}/notices``).

A dispatcher reader turns events into notices, in the transaction that
moves its cursor, so each change is told exactly once:

- ``backordered``: units of an order line are backordered (when the order
  is placed, or later when supply is lost), with their date;
- ``scheduled``: the same, for a line whose every open unit is confirmed on
  or before the date the customer asked for: nothing is late, so the
  customer is not told "backordered", whatever the line's status says;
- ``date_moved``: a line's promised date moved earlier or later, with the
  cause in words (a delivery delayed, a harvest short, stock damaged,
  supply arrived, a commitment expired, ...);
- ``ready_to_ship``: units became allocated after the order was placed;
- ``commitment_at_risk``: a commitment can no longer be met by its need
  date, with the shortfall and the earliest date it can be.

Dates are told as what they are. A date that no supply confirms is an
estimate (the item's lead time), and the words say so ("we estimate");
a confirmed date (every open unit pegged to stock or to a receipt: the
event's ``confirmed``) is told as confirmed, and a date that became
confirmed says so, with "we are sorry" only when it got later.

The events one change records for one order line (say ``order.backordered``
and ``order.promise_changed``) make one notice, not two. Notices are
rendered with Jinja2 (``templates/``) as plain text and HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.notify.outbox import (
    CursorMoved,
    OutboxEvent,
    events_after,
    last_event_id,
    move_cursor,
    read_cursor,
    start_cursor,
    transaction,
)
from earmark.service.pages import Key, Keyset, page
from earmark.service.uow import Store
from earmark.store import tables as t

NOTICES_CURSOR = "notices"

CAUSES: dict[str, str] = {
    "receipt_delayed": "a delivery to us was delayed",
    "receipt_earlier": "a delivery to us is coming earlier",
    "receipt_reduced": "a delivery to us was reduced",
    "receipt_increased": "a delivery to us was increased",
    "receipt_added": "new supply is on its way to us",
    "receipt_cancelled": "a delivery to us was cancelled",
    "receipt_changed": "a delivery to us was changed",
    "harvest_short": "the harvest came in short",
    "supply_arrived": "supply arrived",
    "stock_damage": "stock was damaged",
    "stock_count": "a stock count corrected our figures",
    "stock_correction": "our stock figures were corrected",
    "stock_return": "stock was returned to us",
    "stock_initial": "stock was counted in",
    "commitment_expired": "a reservation for another customer expired",
    "commitment_released": "a reservation for another customer was released",
    "commitment_created": "stock was reserved",
    "order_cancelled": "another order was cancelled",
    "order_placed": "an order changed the queue",
    "order_shipped": "an order shipped",
    "transfer_created": "stock is being moved to us from another location",
    "transfer_shipped": "stock on its way to us from another location has shipped",
    "transfer_received": "stock from another location arrived",
    "transfer_cancelled": "a move of stock to us from another location was cancelled",
    "transfer_not_shipped": "stock to be sent to us from another location has not left yet",
}


def cause_in_words(cause: str | None) -> str:
    if cause is None:
        return "our supply changed"
    return CAUSES.get(cause, cause.replace("_", " "))


def _day(value: str | date | None) -> str:
    if value is None:
        return "a date not yet known"
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day:%A} {day.day} {day:%B %Y}"


def _qty(value: int) -> str:
    return f"{value:,}"


_env = Environment(
    loader=PackageLoader("earmark.notify", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["day"] = _day
_env.filters["qty"] = _qty


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, n: dict[str, Any]) -> Rendered:
    """The notice ``kind`` in words, from its facts ``n``."""
    subject = " ".join(str(getattr(_env.get_template("subjects.txt").module, kind)(n)).split())
    text = _env.get_template(f"{kind}.txt").render(n=n)
    # Blank lines separate paragraphs; each line of a paragraph stays a line.
    paragraphs = [lines for block in text.split("\n\n")
                  if (lines := [" ".join(line.split()) for line in block.splitlines() if line.strip()])]
    text = "\n\n".join("\n".join(lines) for lines in paragraphs) + "\n"
    html = _env.get_template("notice.html").render(subject=subject, paragraphs=paragraphs,
                                                   facts=_facts(kind, n))
    return Rendered(subject, text, html)


def _facts(kind: str, n: dict[str, Any]) -> list[tuple[str, str]]:
    if kind == "commitment_at_risk":
        return [("Commitment", n["commitment"]), ("Item", f"{n['item']} ({n['sku']})"),
                ("Shortfall", _qty(n["shortfall"])), ("Needed by", _day(n["need_date"])),
                ("Earliest full date", _day(n["earliest_date"]))]
    facts = [("Order", n["order"]), ("Line", n["line"]), ("Item", f"{n['item']} ({n['sku']})")]
    told = "Confirmed" if n.get("confirmed") else "Estimated"
    if kind == "date_moved":
        facts += [("Was", _day(n["old_date"])), (f"Now ({told.lower()})", _day(n["new_date"]))]
    elif kind == "backordered":
        facts += [("Backordered", _qty(n["quantity"])), (told, _day(n["date"]))]
    elif kind == "scheduled":
        facts += [("Scheduled", _qty(n["quantity"])), ("Confirmed", _day(n["date"])),
                  ("Asked for", _day(n["requested_date"]))]
    else:
        facts += [("Ready to ship", _qty(n["quantity"]))]
    return facts


# From events to notices


@dataclass
class _LineChange:
    """The events one moment recorded for one order line."""

    event: OutboxEvent
    data: dict[str, Any]
    allocated: dict[str, Any] | None = None
    backordered: dict[str, Any] | None = None
    moved: dict[str, Any] | None = None

    def add(self, kind: str, data: dict[str, Any]) -> None:
        """Fold in one more event. Commands applied in one batch share a
        moment, so one line may see the same kind twice: quantities add up,
        a date runs from the first old one to the last new one."""
        seen: dict[str, Any] | None = getattr(self, kind)
        if seen is None:
            setattr(self, kind, dict(data))
        elif kind == "moved":
            seen.update(new_date=data["new_date"], cause=data.get("cause"),
                        confirmed=data.get("confirmed", False))
        else:
            seen.update({k: v for k, v in data.items() if k != "quantity"},
                        quantity=seen["quantity"] + data["quantity"])


def _direction(old: str | None, new: str | None) -> str:
    if old is None:
        return "dated"
    if new is None:
        return "undated"
    return "earlier" if new < old else "later"


def _line_notice(change: _LineChange) -> tuple[str, dict[str, Any]] | None:
    data = change.data
    n: dict[str, Any] = {"order": data["order"], "line": data["line"], "sku": data["sku"],
                         "location": data["location"]}
    moved = change.moved or {}
    n.update(old_date=moved.get("old_date"), new_date=moved.get("new_date"),
             direction=_direction(moved.get("old_date"), moved.get("new_date")),
             # The newest word on the line's date: events recorded before
             # `confirmed` existed say nothing, and are told as estimates.
             confirmed=bool((change.moved or change.backordered or {}).get("confirmed")))
    if change.backordered is not None:
        placed = "cause" not in change.backordered
        # A date that moved in the same moment is the line's newest.
        expected = moved["new_date"] if moved else change.backordered["promised_date"]
        n.update(quantity=change.backordered["quantity"], date=expected, placed=placed,
                 cause=cause_in_words(change.backordered.get("cause")),
                 allocated=(change.allocated or {}).get("quantity", 0) if placed else 0)
        if placed:
            n["old_date"] = None  # the customer was never told another date
        return "backordered", n
    if change.allocated is not None and "cause" in change.allocated:
        n.update(quantity=change.allocated["quantity"],
                 cause=cause_in_words(change.allocated["cause"]))
        return "ready_to_ship", n
    if change.moved is not None:
        n.update(cause=cause_in_words(moved.get("cause")))
        return "date_moved", n
    return None


_LINE_EVENTS = {"order.allocated": "allocated", "order.backordered": "backordered",
                "order.promise_changed": "moved"}


def _scheduled(connection: Connection, found: list[tuple[OutboxEvent, str, dict[str, Any]]]
               ) -> list[tuple[OutboxEvent, str, dict[str, Any]]]:
    """Each line notice with the date the customer asked for; a backordered
    line whose date is confirmed on or before it is *scheduled*."""
    order_ids = sorted({n["order"] for _, kind, n in found if "order" in n})
    if not order_ids:
        return found
    ol = t.order_lines.c
    requested = {(o, line): day for o, line, day in connection.execute(
        select(ol.order_id, ol.line, ol.requested_date).where(ol.order_id.in_(order_ids)))}
    told: list[tuple[OutboxEvent, str, dict[str, Any]]] = []
    for event, kind, n in found:
        if "order" in n:
            asked: date | None = requested.get((n["order"], n["line"]))
            day = n.get("new_date") if kind == "date_moved" else n.get("date")
            n.update(requested_date=asked, as_asked=bool(
                n["confirmed"] and day and asked and date.fromisoformat(day) <= asked))
            if kind == "backordered" and n["as_asked"]:
                kind = "scheduled"
        told.append((event, kind, n))
    return told


def _as_told(kind: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """The event's data with the dates its customer is told (``customer_date``:
    the P90 date for a ``promise_basis: p90`` account or item); None for a
    move of the promised date that leaves the told date where it was.
    Events recorded before customer dates existed tell the promised date."""
    if kind == "order.promise_changed" and "new_customer_date" in data:
        if data["new_customer_date"] == data["old_customer_date"]:
            return None
        return {**data, "old_date": data["old_customer_date"],
                "new_date": data["new_customer_date"]}
    if kind == "order.backordered" and "customer_date" in data:
        return {**data, "promised_date": data["customer_date"]}
    return data


def notices_for(connection: Connection, events: list[OutboxEvent]) -> list[dict[str, Any]]:
    """The notice rows the events make, in event order."""
    changes: dict[tuple[datetime, str, str], _LineChange] = {}
    found: list[tuple[OutboxEvent, str, dict[str, Any]]] = []
    for event in events:
        if event.type in _LINE_EVENTS:
            data = _as_told(event.type, event.data)
            if data is None:
                continue
            key = (event.at, data["order"], data["line"])
            change = changes.get(key)
            if change is None:
                change = changes[key] = _LineChange(event, data)
            change.add(_LINE_EVENTS[event.type], data)
        elif event.type == "commitment.at_risk":
            found.append((event, "commitment_at_risk", dict(event.data)))
    for change in changes.values():
        notice = _line_notice(change)
        if notice is not None:
            found.append((change.event, *notice))
    found.sort(key=lambda item: item[0].id)
    return _with_accounts(connection, _scheduled(connection, found))


def _with_accounts(connection: Connection, found: list[tuple[OutboxEvent, str, dict[str, Any]]]
                   ) -> list[dict[str, Any]]:
    orders = {n["order"] for _, kind, n in found if "order" in n}
    commitments = {n["commitment"] for _, kind, n in found if "commitment" in n}
    if not found:
        return []
    order_accounts = dict(connection.execute(
        select(t.orders.c.id, t.orders.c.account).where(t.orders.c.id.in_(orders))).all())
    c = t.commitments
    commitment_rows = {r["id"]: r for r in connection.execute(
        select(c.c.id, c.c.account, c.c.sku, c.c.location, c.c.need_date, c.c.quantity)
        .where(c.c.id.in_(commitments))).mappings()} if commitments else {}
    skus = {n["sku"] for _, _, n in found if "sku" in n} | {
        r["sku"] for r in commitment_rows.values()}
    items = dict(connection.execute(
        select(t.items.c.sku, t.items.c.name).where(t.items.c.sku.in_(skus))).all())
    rows: list[dict[str, Any]] = []
    account_names: dict[str, str] = {}
    for event, kind, n in found:
        if kind == "commitment_at_risk":
            commitment = commitment_rows.get(n["commitment"])
            if commitment is None:
                continue
            account = commitment["account"]
            n.update(sku=commitment["sku"], location=commitment["location"],
                     need_date=commitment["need_date"], quantity=int(commitment["quantity"]),
                     cause=cause_in_words(n["cause"]) if "cause" in n else None)
        else:
            account = order_accounts.get(n["order"])
            if account is None:
                continue
        if account not in account_names:
            name = connection.execute(
                select(t.accounts.c.name).where(t.accounts.c.id == account)).scalar()
            account_names[account] = name or account
        n.update(account_name=account_names[account], item=items.get(n["sku"], n["sku"]))
        words = render(kind, n)
        rows.append({
            "account": account, "event_id": event.id, "at": event.at, "kind": kind,
            "order_id": n.get("order"), "line": n.get("line"), "commitment_id": n.get("commitment"),
            "subject": words.subject[:300], "text": words.text, "html": words.html,
        })
    return rows


def produce(store: Store, batch: int) -> bool:
    """Turn the events after the notices cursor into notices; True if it moved.

    Notices are made (looked up, rendered) in a read transaction and written
    with the cursor's move in a short one: on SQLite a writing transaction
    holds every writer back, orders included."""
    with transaction(store, write=False) as connection:
        cursor = read_cursor(connection, NOTICES_CURSOR)
        after = cursor or 0
        events = events_after(connection, after, batch)
        if not events:
            return False
        if len(events) == batch:
            # The events of one moment are read together, to make one notice
            # per line; the last moment of a full batch waits for the next.
            whole = [e for e in events if e.at != events[-1].at]
            events = whole or events
        rows = notices_for(connection, events)
    try:
        with transaction(store) as connection:
            if cursor is None:
                start_cursor(connection, NOTICES_CURSOR, 0)
            # The cursor first: a producer that raced this one (the dispatcher
            # and a reader's catch_up) holds its row until it commits, and then
            # this move finds it moved, before inserting the same notices.
            move_cursor(connection, NOTICES_CURSOR, after, events[-1].id)
            if rows:
                connection.execute(t.notices.insert(), rows)
    except CursorMoved:
        return False
    return True


CATCH_UP_EVENTS_MAX = 10_000
"""How many waiting events a reader of notices turns into notices itself,
at most, before it answers with what exists."""


def catch_up(store: Store, batch: int = 500) -> None:
    """Make the notices of every event recorded so far, before they are read.

    The dispatcher makes notices in the background; a reader does not wait for
    it. Both may work at once: the cursor moves only from where each found it,
    so every event becomes notices once."""
    for _ in range(CATCH_UP_EVENTS_MAX // batch):
        if produce(store, batch):
            continue
        with transaction(store, write=False) as connection:
            if (read_cursor(connection, NOTICES_CURSOR) or 0) >= last_event_id(connection):
                return


# Reads


NOTICES = Keyset.of("notices", t.notices.c.id)


def list_notices(tx: Connection, account: str, after: Key | None, limit: int) -> dict[str, Any]:
    n = t.notices
    rows, cursor = NOTICES.read(tx, select(n).where(n.c.account == account), after, limit)
    items: list[dict[str, Any]] = []
    for r in rows:
        item: dict[str, Any] = {"id": int(r["id"]), "event_id": int(r["event_id"]), "at": r["at"],
                                "kind": r["kind"]}
        if r["order_id"] is not None:
            item.update(order=r["order_id"], line=r["line"])
        if r["commitment_id"] is not None:
            item["commitment"] = r["commitment_id"]
        item.update(subject=r["subject"], text=r["text"], html=r["html"])
        items.append(item)
    return page(items, cursor)
