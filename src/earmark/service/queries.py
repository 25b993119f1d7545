"""Read models: everything the API shows, computed from the stored rows.

Promises are computed by the domain (``Position.promises``) on a small
position holding only the buckets a demand is pegged to, so reading an
order costs its own rows, not its positions' whole queues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.events import iso
from earmark.domain.limits import PAGE_LIMIT_DEFAULT
from earmark.domain.money import money, money_out
from earmark.domain.network import line_promises as merged_promises
from earmark.domain.network import need_date_at
from earmark.domain.position import ON_HAND, Demand, DemandKey, DemandKind, Position, Promise
from earmark.service.confidence import Confidence, read_confidence
from earmark.service.pages import Key, Keyset, page
from earmark.store import tables as t

# ----------------------------------------------------------------------
# Pages


def narrowed(query: Select[Any], *filters: tuple[Any, str | None]) -> Select[Any]:
    """``query`` limited to rows whose column equals each given value (None: no limit)."""
    for column, value in filters:
        if value:
            query = query.where(column == value)
    return query


# ----------------------------------------------------------------------
# Promises of one demand


def promises_out(promises: list[Promise], confidence: Confidence) -> list[dict[str, Any]]:
    """Promise entries as the API shows them; those pegged to a receipt say ``likely_by``."""
    return confidence.promises_out(promises)


def promised_date_of(promises: list[Promise]) -> date | None:
    if not promises or any(p.date is None for p in promises):
        return None
    return max(p.date for p in promises if p.date is not None)


PartKey = tuple[DemandKey, str]
"""A demand at one location: a commitment, or a part of an order line (a line
placed by ship_to is demand at each location it is served from)."""


def _demand_pegs(tx: Connection, keys: list[DemandKey], skus: set[str]
                 ) -> dict[PartKey, dict[str, int]]:
    """The pegs of ``keys``, demands of ``skus`` (named so the read is routed by sku)."""
    if not keys:
        return {}
    result: dict[PartKey, dict[str, int]] = defaultdict(dict)
    by_kind: dict[DemandKind, set[str]] = defaultdict(set)
    for key in keys:
        by_kind[key.kind].add(key.ref)
    for kind, refs in by_kind.items():
        rows = tx.execute(
            select(t.pegs.c.demand_ref, t.pegs.c.demand_line, t.pegs.c.location, t.pegs.c.bucket,
                   t.pegs.c.quantity)
            .where(t.pegs.c.sku.in_(sorted(skus)), t.pegs.c.demand_kind == kind.value,
                   t.pegs.c.demand_ref.in_(sorted(refs)))
        ).all()
        for ref, line, location, bucket, quantity in rows:
            result[(DemandKey(kind, ref, line), location)][bucket] = int(quantity)
    return result


def _receipt_dates(tx: Connection, ids: set[str], skus: set[str]) -> dict[str, tuple[date, int]]:
    if not ids:
        return {}
    rows = tx.execute(
        select(t.receipts.c.id, t.receipts.c.expected_date, t.receipts.c.seq)
        .where(t.receipts.c.sku.in_(sorted(skus)), t.receipts.c.id.in_(sorted(ids)))
    ).all()
    return {rid: (expected, int(seq)) for rid, expected, seq in rows}


def _lead_times(tx: Connection, skus: set[str]) -> dict[str, int | None]:
    rows = tx.execute(
        select(t.items.c.sku, t.items.c.lead_time_days).where(t.items.c.sku.in_(sorted(skus)))
    ).all()
    return {sku: lead for sku, lead in rows}


class PromiseReader:
    """Promises of many demands at once, from their pegs and the receipts they name."""

    def __init__(self, tx: Connection, today: date) -> None:
        self.tx = tx
        self.today = today

    def promises(
        self, demands: list[tuple[DemandKey, str, str, date, int]]
    ) -> dict[PartKey, list[Promise]]:
        """``demands`` are (key, sku, location, need date there, open units); the
        promises are dated at that location."""
        if not demands:
            return {}
        skus = {d[1] for d in demands}
        pegs = _demand_pegs(self.tx, [d[0] for d in demands if d[4] > 0], skus)
        receipt_ids = {b for p in pegs.values() for b in p if b != ON_HAND}
        receipts = _receipt_dates(self.tx, receipt_ids, skus)
        leads = _lead_times(self.tx, {d[1] for d in demands})
        result: dict[PartKey, list[Promise]] = {}
        for key, sku, location, need, open_units in demands:
            if open_units <= 0:
                result[(key, location)] = []
                continue
            position = Position(sku, location, self.today, 0, 0, leads.get(sku))
            own = pegs.get((key, location), {})
            for bucket in own:
                if bucket != ON_HAND:
                    expected, seq = receipts[bucket]
                    position.load_receipt(bucket, expected, 0, seq)
            demand = Demand(key, "", (0, 0, 0), need, open_units, dict(own))
            position.load_demand(demand)
            result[(key, location)] = position.promises(demand)
        return result


# ----------------------------------------------------------------------
# Receipts


def receipt_out(row: RowMapping) -> dict[str, Any]:
    quantity, received = int(row["quantity"]), int(row["received"])
    return {
        "id": row["id"],
        "sku": row["sku"],
        "location": row["location"],
        "quantity": quantity,
        "received": received,
        "open": quantity - received if row["status"] == "open" else 0,
        "expected_date": iso(row["expected_date"]),
        "first_expected_date": iso(row["first_expected_date"]),
        "source": row["source"],
        "supplier": row["supplier"],
        "slip_days": None if row["slip_days"] is None else int(row["slip_days"]),
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def get_receipt(tx: Connection, receipt_id: str) -> dict[str, Any] | None:
    row = tx.execute(select(t.receipts).where(t.receipts.c.id == receipt_id)).mappings().first()
    return receipt_out(row) if row else None


# ----------------------------------------------------------------------
# Orders


def line_status(quantity: int, allocated: int, shipped: int, cancelled: int) -> str:
    open_units = quantity - shipped - cancelled
    if open_units <= 0:
        if shipped == quantity:
            return "shipped"
        if cancelled == quantity:
            return "cancelled"
        return "closed"
    if allocated == open_units:
        return "allocated"
    if allocated == 0:
        return "backordered"
    return "partially_allocated"


QueuePlaces = Callable[[str, str, list[DemandKey]], dict[DemandKey, int | None]]
"""(sku, location, lines) -> each line's 1-based place in that position's queue (None: not in it)."""

QUEUE_PLACES = "earmark.queue_places"
"""Key of a connection's ``info`` under which the unit of work that owns the
connection offers its :data:`QueuePlaces` (see ``UnitOfWork.queue_places``)."""


QueueKey = tuple[str, str, str]
"""(order, line, location): a part of a line in its position's queue."""


def queue_positions(
    tx: Connection, lines: Sequence[Mapping[Any, Any]]
) -> dict[QueueKey, int]:
    """1-based place of each backordered part among its position's backordered lines.

    The place is read from the position's queue index (a sorted list kept by
    the domain: a binary search, O(log n)), never by counting the queue in
    SQL, so reading a line costs the same behind 10 backorders as behind
    100,000. The unit of work that owns ``tx`` answers (``UnitOfWork.queue_places``):
    from a position kept in memory at the stored version, or loaded once and kept."""
    wanted: dict[tuple[str, str], list[DemandKey]] = defaultdict(list)
    for row in lines:
        if int(row["open"]) - int(row["allocated"]) > 0:
            wanted[(row["sku"], row["location"])].append(DemandKey.for_line(row["order_id"], row["line"]))
    if not wanted:
        return {}
    places: QueuePlaces | None = tx.info.get(QUEUE_PLACES)
    if places is None:
        raise RuntimeError("queue positions are read inside a unit of work")
    result: dict[QueueKey, int] = {}
    for (sku, location), keys in wanted.items():
        for key, place in places(sku, location, keys).items():
            if place is not None:
                result[(key.ref, key.line, location)] = place
    return result


def position_queue_places(position: Position, keys: list[DemandKey]) -> dict[DemandKey, int | None]:
    return {
        key: position.queue_position(position.demands[key]) if key in position.demands else None
        for key in keys
    }


def _line_rows(tx: Connection, order_ids: list[str]) -> list[RowMapping]:
    ol = t.order_lines
    return list(
        tx.execute(
            select(ol, t.accounts.c.priority)
            .join(t.accounts, t.accounts.c.id == ol.c.account)
            .where(ol.c.order_id.in_(order_ids))
            .order_by(ol.c.order_id, ol.c.idx, ol.c.transit_days, ol.c.location)
        ).mappings()
    )


def part_demand(row: Mapping[Any, Any]) -> tuple[DemandKey, str, str, date, int]:
    """A part row as :meth:`PromiseReader.promises` asks for it: its need date
    at its location is the requested date less its transit days."""
    return (DemandKey.for_line(row["order_id"], row["line"]), row["sku"], row["location"],
            need_date_at(row["requested_date"], int(row["transit_days"])), int(row["open"]))


def part_key(row: Mapping[Any, Any]) -> PartKey:
    return (DemandKey.for_line(row["order_id"], row["line"]), row["location"])


def orders_out(
    tx: Connection, order_rows: list[RowMapping], today: date,
    known: dict[PartKey, list[Promise]] | None = None,
) -> list[dict[str, Any]]:
    """``known``: promises the caller already has (a command that just placed the lines)."""
    if not order_rows:
        return []
    known = known or {}
    lines = _line_rows(tx, [r["id"] for r in order_rows])
    reader = PromiseReader(tx, today)
    promises = dict(known)
    promises.update(reader.promises([part_demand(r) for r in lines if part_key(r) not in known]))
    confidence = read_confidence(tx, (p for mine in promises.values() for p in mine),
                                 (o["account"] for o in order_rows), (r["sku"] for r in lines))
    return assemble_orders(order_rows, lines, promises, queue_positions(tx, lines),
                           line_consumptions(tx, lines), confidence)


Consumed = dict[tuple[str, str], list[dict[str, Any]]]
"""(order, line) -> ``[{commitment, quantity}]``: what the line took over of its
account's commitments (and has not given back), in the order it took them."""


def line_consumptions(tx: Connection, lines: Sequence[Mapping[Any, Any]]) -> Consumed:
    k = t.consumptions
    skus = sorted({r["sku"] for r in lines})
    order_ids = sorted({r["order_id"] for r in lines})
    if not order_ids:
        return {}
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for order_id, line, commitment_id, quantity in tx.execute(
        select(k.c.order_id, k.c.line, k.c.commitment_id, k.c.quantity)
        .where(k.c.sku.in_(skus), k.c.order_id.in_(order_ids)).order_by(k.c.id)
    ).all():
        mine = totals[(order_id, line)]
        mine[commitment_id] = mine.get(commitment_id, 0) + int(quantity)
    return {key: [{"commitment": c, "quantity": n} for c, n in mine.items() if n > 0]
            for key, mine in totals.items()}


def _by_line(rows: Sequence[Mapping[Any, Any]]) -> dict[tuple[str, str], list[Mapping[Any, Any]]]:
    """Part rows grouped by (order, line), each line's parts in candidate order."""
    grouped: dict[tuple[str, str], list[Mapping[Any, Any]]] = {}
    for r in rows:
        grouped.setdefault((r["order_id"], r["line"]), []).append(r)
    for parts in grouped.values():
        if len(parts) > 1:
            parts.sort(key=lambda r: (int(r["transit_days"]), r["location"]))
    return grouped


def line_promises(parts: Sequence[Mapping[Any, Any]],
                  promises: Mapping[PartKey, list[Promise]]) -> list[Promise]:
    """A line's promises from its part rows (``domain.network.line_promises``)."""
    return merged_promises([(int(r["transit_days"]), promises[part_key(r)]) for r in parts])


def assemble_orders(
    order_rows: Sequence[Mapping[Any, Any]], lines: Sequence[Mapping[Any, Any]],
    promises: dict[PartKey, list[Promise]], queue: dict[QueueKey, int],
    consumed: Consumed, confidence: Confidence,
) -> list[dict[str, Any]]:
    """Orders as the API shows them, from their part rows (stored, or just written).

    A line's figures are its parts' sums, its promises delivered dates; its
    ``location`` is its part's when it has one part. A line that consumed
    commitments lists them as ``consumed``; other lines leave the field out."""
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    accounts = {o["id"]: o["account"] for o in order_rows}
    for (order_id, line), parts in _by_line(lines).items():
        first = parts[0]
        quantity, allocated, shipped, cancelled = (
            sum(int(r[name]) for r in parts) for name in ("quantity", "allocated", "shipped", "cancelled"))
        mine = line_promises(parts, promises)
        waits = [queue[key] for r in parts
                 if (key := (order_id, line, r["location"])) in queue
                 and int(r["open"]) > int(r["allocated"])]
        by_order[order_id].append(
            {
                "line": line,
                "sku": first["sku"],
                "location": first["location"] if len(parts) == 1 else None,
                "ship_to": first["ship_to"],
                "split": bool(first["split"]),
                "quantity": quantity,
                "allocated": allocated,
                "backordered": quantity - allocated - shipped - cancelled,
                "shipped": shipped,
                "cancelled": cancelled,
                "requested_date": iso(first["requested_date"]),
                "backorder": first["backorder"],
                "promises": promises_out(mine, confidence),
                "promised_date": iso(promised := promised_date_of(mine)),
                **confidence.dates(mine, promised, accounts.get(order_id), first["sku"]),
                "queue_position": waits[0] if waits else None,
                "status": line_status(quantity, allocated, shipped, cancelled),
                "parts": [_part_out(r, promises[part_key(r)], confidence) for r in parts],
            }
        )
        # Like ``consumed``, only where the line has one, so that answers of
        # lines without a price are as they always were.
        if (price := first.get("unit_price")) is not None:
            by_order[order_id][-1]["unit_price"] = money_out(money(price))
        if taken := consumed.get((order_id, line)):
            by_order[order_id][-1]["consumed"] = taken
    return [
        {
            "id": o["id"],
            "account": o["account"],
            "status": o["status"],
            "created_at": o["created_at"],
            "lines": by_order[o["id"]],
        }
        for o in order_rows
    ]


def _part_out(row: Mapping[Any, Any], promises: list[Promise],
              confidence: Confidence) -> dict[str, Any]:
    quantity, allocated = int(row["quantity"]), int(row["allocated"])
    shipped, cancelled = int(row["shipped"]), int(row["cancelled"])
    return {"location": row["location"], "transit_days": int(row["transit_days"]),
            "quantity": quantity, "allocated": allocated,
            "backordered": quantity - allocated - shipped - cancelled,
            "shipped": shipped, "cancelled": cancelled,
            "promises": promises_out(promises, confidence)}


def get_order(
    tx: Connection, order_id: str, today: date,
    known: dict[PartKey, list[Promise]] | None = None,
) -> dict[str, Any] | None:
    row = tx.execute(select(t.orders).where(t.orders.c.id == order_id)).mappings().first()
    if row is None:
        return None
    return orders_out(tx, [row], today, known)[0]


ORDERS = Keyset.of("orders", t.orders.c.seq, t.orders.c.id)


def list_orders(
    tx: Connection, today: date, account: str | None, status: str | None,
    after: Key | None, limit: int = PAGE_LIMIT_DEFAULT,
) -> dict[str, Any]:
    query = narrowed(select(t.orders), (t.orders.c.account, account), (t.orders.c.status, status))
    rows, cursor = ORDERS.read(tx, query, after, limit)
    return page(orders_out(tx, rows, today), cursor)


# ----------------------------------------------------------------------
# Commitments


def commitments_out(tx: Connection, rows: list[RowMapping], today: date) -> list[dict[str, Any]]:
    reader = PromiseReader(tx, today)
    remaining = {
        r["id"]: int(r["quantity"]) - int(r["consumed"]) - int(r["released"])
        if r["status"] == "open" else 0
        for r in rows
    }
    promises = reader.promises(
        [
            (DemandKey.for_commitment(r["id"]), r["sku"], r["location"], r["need_date"],
             remaining[r["id"]])
            for r in rows
        ]
    )
    confidence = read_confidence(tx, (p for mine in promises.values() for p in mine),
                                 (r["account"] for r in rows), (r["sku"] for r in rows))
    out = []
    for r in rows:
        mine = promises[(DemandKey.for_commitment(r["id"]), r["location"])]
        out.append(
            {
                "id": r["id"],
                "account": r["account"],
                "sku": r["sku"],
                "location": r["location"],
                "quantity": int(r["quantity"]),
                "need_date": iso(r["need_date"]),
                "expires_on": iso(r["expires_on"]),
                "kind": r["kind"],
                "mode": r["mode"],
                "status": r["status"],
                "consumed": int(r["consumed"]),
                "released": int(r["released"]),
                "remaining": remaining[r["id"]],
                "confirmed": sum(p.quantity for p in mine if p.confirmed),
                "promises": promises_out(mine, confidence),
                "promised_date": iso(promised := promised_date_of(mine)),
                **confidence.dates(mine, promised, r["account"], r["sku"]),
                "created_at": r["created_at"],
            }
        )
    return out


def get_commitment(tx: Connection, commitment_id: str, today: date) -> dict[str, Any] | None:
    row = tx.execute(
        select(t.commitments).where(t.commitments.c.id == commitment_id)
    ).mappings().first()
    return commitments_out(tx, [row], today)[0] if row else None


COMMITMENTS = Keyset.of("commitments", t.commitments.c.seq, t.commitments.c.id)


def list_commitments(
    tx: Connection, today: date, account: str | None, sku: str | None, status: str | None,
    after: Key | None, limit: int = PAGE_LIMIT_DEFAULT,
) -> dict[str, Any]:
    c = t.commitments
    query = narrowed(select(c), (c.c.account, account), (c.c.sku, sku), (c.c.status, status))
    rows, cursor = COMMITMENTS.read(tx, query, after, limit)
    return page(commitments_out(tx, rows, today), cursor)


# ----------------------------------------------------------------------
# Availability


def availability(position: Position) -> dict[str, Any]:
    """The figures of one position, from the position loaded whole."""
    lines = [d for d in position.demands.values() if d.key.kind is DemandKind.line]
    commitments = [d for d in position.demands.values() if d.key.kind is DemandKind.commitment]
    atp: dict[date, dict[str, Any]] = {}
    for bucket in position.ordered_buckets():
        day = position.bucket_date(bucket)
        entry = atp.setdefault(day, {"date": day.isoformat(), "supply": 0, "available": 0})
        # On-hand supplies what it offers (on-hand - safety stock, not below 0).
        entry["supply"] += position.offered_on_hand() if bucket.is_on_hand else bucket.size
        entry["available"] += position.free(bucket.key)
    return {
        "sku": position.sku,
        "location": position.location,
        "today": position.today.isoformat(),
        "on_hand": position.on_hand,
        "allocated": sum(d.held for d in lines),
        "committed": sum(d.quantity for d in commitments),
        "backordered": sum(d.quantity - d.held for d in lines),
        "incoming": sum(b.size for b in position.buckets.values() if not b.is_on_hand),
        "safety_stock": position.safety_stock,
        "available_now": position.free(ON_HAND),
        "safety_stock_short": position.safety_stock_short,
        "atp": list(atp.values()),
    }


def sum_availability(sku: str, today: date, figures: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"sku": sku, "location": None, "today": today.isoformat()}
    # Safety stock is kept at every location, so it sums like the rest.
    for name in ("on_hand", "allocated", "committed", "backordered", "incoming", "safety_stock",
                 "available_now", "safety_stock_short"):
        total[name] = sum(f[name] for f in figures)
    return total


# ----------------------------------------------------------------------
# Backorders


BACKORDERS = Keyset.of("backorders", t.order_lines.c.sku, t.order_lines.c.location,
                       t.accounts.c.priority, t.order_lines.c.seq, t.order_lines.c.idx)
"""By position, then in queue order: the account's priority (from the accounts
table, so the cursor carries it too), then arrival."""


def list_backorders(
    tx: Connection, today: date, sku: str | None, location: str | None, account: str | None,
    after: Key | None, limit: int = PAGE_LIMIT_DEFAULT,
) -> dict[str, Any]:
    """One item per part with backordered units (a line placed by location has
    one part), with the line's promised date."""
    ol, acc = t.order_lines, t.accounts
    query = select(ol, acc.c.priority).join(acc, acc.c.id == ol.c.account).where(
        ol.c.open > ol.c.allocated)
    query = narrowed(query, (ol.c.sku, sku), (ol.c.location, location), (ol.c.account, account))
    rows, cursor = BACKORDERS.read(tx, query, after, limit)
    queue = queue_positions(tx, rows)
    # The line's promised date needs every part of a line placed by ship_to.
    parts = _by_line(list(rows) + _sibling_parts(tx, rows))
    promises = PromiseReader(tx, today).promises(
        [part_demand(r) for line_parts in parts.values() for r in line_parts])
    items = []
    for r in rows:
        mine = promises[part_key(r)]
        waiting_unconfirmed = sum(p.quantity for p in mine if not p.confirmed)
        items.append(
            {
                "order": r["order_id"],
                "line": r["line"],
                "account": r["account"],
                "sku": r["sku"],
                "location": r["location"],
                "backordered": int(r["open"]) - int(r["allocated"]),
                "queue_position": queue[(r["order_id"], r["line"], r["location"])],
                "promised_date": iso(promised_date_of(
                    line_promises(parts[(r["order_id"], r["line"])], promises))),
                "confirmed": waiting_unconfirmed == 0,
            }
        )
    return page(items, cursor)


def _sibling_parts(tx: Connection, rows: Sequence[Mapping[Any, Any]]) -> list[RowMapping]:
    """The other parts of the lines placed by ship_to among ``rows``."""
    lines = {(r["order_id"], r["line"]) for r in rows if r["ship_to"] is not None}
    if not lines:
        return []
    have = {(r["order_id"], r["line"], r["location"]) for r in rows}
    ol = t.order_lines
    found = tx.execute(
        select(ol).where(ol.c.sku.in_(sorted({r["sku"] for r in rows})),
                         ol.c.order_id.in_(sorted({order for order, _ in lines})))
    ).mappings().all()
    return [r for r in found if (r["order_id"], r["line"]) in lines
            and (r["order_id"], r["line"], r["location"]) not in have]


# ----------------------------------------------------------------------
# Events


EVENTS = Keyset.of("events", t.events.c.id)


def list_events(
    tx: Connection, after: int, event_type: str | None, limit: int = PAGE_LIMIT_DEFAULT
) -> dict[str, Any]:
    """Events with an id above ``after``, oldest first."""
    query = select(t.events)
    if event_type:
        query = query.where(t.events.c.type == event_type)
    rows, cursor = EVENTS.read(tx, query, (after,), limit)
    return page([_event_out(r) for r in rows], cursor)


def _event_out(row: RowMapping) -> dict[str, Any]:
    return {"id": int(row["id"]), "type": row["type"], "at": row["at"], "data": row["data"],
            "actor": row["actor"]}


AUDIT = Keyset.of("audit", t.events.c.id)


def list_audit(tx: Connection, after: int, actor: str | None,
               limit: int = PAGE_LIMIT_DEFAULT) -> dict[str, Any]:
    """The audit trail: events with an id above ``after``, oldest first, each
    with who caused it; only ``actor``'s when named (read through the
    (actor, id) index)."""
    query = select(t.events)
    if actor:
        query = query.where(t.events.c.actor == actor)
    rows, cursor = AUDIT.read(tx, query, (after,), limit)
    return page([_event_out(r) for r in rows], cursor)
