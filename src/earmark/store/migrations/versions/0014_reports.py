"""Money and service reports: prices on items and order lines; what each line
was first promised, when it was ordered and how much of it on-hand served at
once; and every shipment of an order line, dated, so that the service report
is aggregates in SQL by date

Existing rows get what can still be known: a line's first promised date is
its current promised date (as API.md asks), its order day the order's, the
units held at placing those the placing transaction's ``order.allocated``
events name, and its shipments those of the stock ledger.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ON_HAND = ""  # the peg bucket of on-hand (earmark.domain.position.ON_HAND)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("unit_price", sa.String(length=32), nullable=True))
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("unit_price", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("first_promised_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("ordered_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("held_at_order", sa.BigInteger(), nullable=False,
                                   server_default="0"))
    op.create_index("ix_order_lines_ordered_on", "order_lines", ["ordered_on"])
    waiting = sa.text('"open" > allocated')
    op.create_index("ix_order_lines_waiting", "order_lines", ["sku", "location"],
                    postgresql_where=waiting, sqlite_where=waiting)
    op.create_table(
        "shipments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  autoincrement=True, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("line", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("first_promised_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    op.create_index("ix_shipments_shipped_on", "shipments", ["shipped_on"])
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("day", sa.Date(), nullable=True))
    op.create_index("ix_events_type_day", "events", ["type", "day"])
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_events_type_day", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("day")
    op.drop_index("ix_shipments_shipped_on", table_name="shipments")
    op.drop_table("shipments")
    op.drop_index("ix_order_lines_waiting", table_name="order_lines")
    op.drop_index("ix_order_lines_ordered_on", table_name="order_lines")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("held_at_order")
        batch.drop_column("ordered_on")
        batch.drop_column("first_promised_date")
        batch.drop_column("unit_price")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("unit_price")


_lines = sa.table(
    "order_lines", sa.column("order_id"), sa.column("line"), sa.column("location"),
    sa.column("sku"), sa.column("account"), sa.column("quantity"), sa.column("open"),
    sa.column("requested_date"), sa.column("transit_days"), sa.column("first_promised_date"),
    sa.column("ordered_on"), sa.column("held_at_order"),
)
_orders = sa.table("orders", sa.column("id"), sa.column("ordered_on"), sa.column("created_at"))
_pegs = sa.table("pegs", sa.column("demand_kind"), sa.column("demand_ref"), sa.column("demand_line"),
                 sa.column("location"), sa.column("bucket"), sa.column("quantity"))
_receipts = sa.table("receipts", sa.column("id"), sa.column("expected_date"))
_items = sa.table("items", sa.column("sku"), sa.column("lead_time_days"))
_events = sa.table("events", sa.column("id"), sa.column("type"), sa.column("at"),
                   sa.column("data"), sa.column("day"))
_ledger = sa.table("stock_ledger", sa.column("sku"), sa.column("location"), sa.column("quantity"),
                   sa.column("reason"), sa.column("ref"), sa.column("at"))
_shipments = sa.table(
    "shipments", sa.column("sku"), sa.column("location"), sa.column("order_id"), sa.column("line"),
    sa.column("account"), sa.column("quantity"), sa.column("shipped_on"),
    sa.column("first_promised_date"),
)
_clock = sa.table("clock", sa.column("name"), sa.column("day"))


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _backfill(bind: Any) -> None:
    today = _day(bind.execute(sa.select(_clock.c.day).where(_clock.c.name == "frozen_today"))
                 .scalar()) or date.today()
    orders = {oid: (_day(on) or _day(created)) for oid, on, created in bind.execute(
        sa.select(_orders.c.id, _orders.c.ordered_on, _orders.c.created_at))}
    created = {oid: at for oid, _, at in bind.execute(
        sa.select(_orders.c.id, _orders.c.ordered_on, _orders.c.created_at))}
    held = _held_at_placing(bind, created)
    first = _current_promised_dates(bind, today)
    for row in bind.execute(sa.select(_lines)).mappings().all():
        key = (row["order_id"], row["line"])
        bind.execute(_lines.update().where(
            _lines.c.order_id == row["order_id"], _lines.c.line == row["line"],
            _lines.c.location == row["location"],
        ).values(first_promised_date=first.get(key), ordered_on=orders.get(row["order_id"]),
                 held_at_order=min(int(row["quantity"]), held.get((*key, row["location"]), 0))))
    _backfill_shipments(bind, first)
    # The best day an existing event has: the date of its timestamp.
    for event_id, at in bind.execute(sa.select(_events.c.id, _events.c.at)).all():
        bind.execute(_events.update().where(_events.c.id == event_id).values(day=_day(at)))


def _held_at_placing(bind: Any, created: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    """Units each part held when placed: the ``order.allocated`` events written
    by the transaction that placed its order (stamped with the order's time)."""
    held: dict[tuple[str, str, str], int] = defaultdict(int)
    for at, data in bind.execute(sa.select(_events.c.at, _events.c.data)
                                 .where(_events.c.type == "order.allocated")):
        data = data if isinstance(data, dict) else json.loads(data)
        if created.get(str(data.get("order"))) == at:
            held[(data["order"], data["line"], data["location"])] += int(data["quantity"])
    return held


def _current_promised_dates(bind: Any, today: date) -> dict[tuple[str, str], date | None]:
    """Each line's promised date as an answer shows it now: the latest delivered
    date of its open units (on-hand today, a receipt its expected date, the
    rest today + lead time; never before the part's need date), null when a
    unit has no date or nothing is open."""
    receipts = {rid: _day(d) for rid, d in bind.execute(sa.select(_receipts.c.id,
                                                                    _receipts.c.expected_date))}
    leads = {sku: lead for sku, lead in bind.execute(sa.select(_items.c.sku, _items.c.lead_time_days))}
    pegs: dict[tuple[str, str, str], list[tuple[str, int]]] = defaultdict(list)
    for ref, line, location, bucket, quantity in bind.execute(
        sa.select(_pegs.c.demand_ref, _pegs.c.demand_line, _pegs.c.location, _pegs.c.bucket,
                  _pegs.c.quantity).where(_pegs.c.demand_kind == "line")):
        pegs[(ref, line, location)].append((bucket, int(quantity)))
    dates: dict[tuple[str, str], list[date | None]] = defaultdict(list)
    for row in bind.execute(sa.select(_lines).where(_lines.c.open > 0)).mappings():
        transit = int(row["transit_days"])
        need = max(today, (_day(row["requested_date"]) or today) - timedelta(days=transit))
        own = pegs.get((row["order_id"], row["line"], row["location"]), [])
        for bucket, _ in own:
            at = today if bucket == ON_HAND else (receipts.get(bucket) or today)
            dates[(row["order_id"], row["line"])].append(max(at, need) + timedelta(days=transit))
        if int(row["open"]) > sum(q for _, q in own):
            lead = leads.get(row["sku"])
            estimate = None if lead is None else max(today + timedelta(days=int(lead)), need)
            dates[(row["order_id"], row["line"])].append(
                None if estimate is None else estimate + timedelta(days=transit))
    return {key: (None if any(d is None for d in ds) else max(d for d in ds if d is not None))
            for key, ds in dates.items()}


def _backfill_shipments(bind: Any, first: dict[tuple[str, str], date | None]) -> None:
    accounts = {(o, ln, loc): acc for o, ln, loc, acc in bind.execute(
        sa.select(_lines.c.order_id, _lines.c.line, _lines.c.location, _lines.c.account))}
    rows = []
    for sku, location, quantity, ref, at in bind.execute(
        sa.select(_ledger.c.sku, _ledger.c.location, _ledger.c.quantity, _ledger.c.ref, _ledger.c.at)
        .where(_ledger.c.reason == "shipment")):
        order_id, _, line = str(ref).partition("/")
        account = accounts.get((order_id, line, location))
        if account is None:
            continue
        rows.append({"sku": sku, "location": location, "order_id": order_id, "line": line,
                     "account": account, "quantity": -int(quantity), "shipped_on": _day(at),
                     "first_promised_date": first.get((order_id, line))})
    if rows:
        bind.execute(_shipments.insert(), rows)
