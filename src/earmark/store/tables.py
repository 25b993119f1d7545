"""SQLAlchemy Core tables. Every table that belongs to a position carries its
sku (and location), so that the schema can be distributed by sku.

The stock ledger is the truth for on-hand; ``positions.on_hand`` is a
counter that ``earmark check`` proves equal to the ledger's sum.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    false,
    literal_column,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# An integer primary key that autoincrements on both databases (SQLite only
# autoincrements INTEGER PRIMARY KEY, not BIGINT).
AutoId = BigInteger().with_variant(Integer(), "sqlite")

Id = String(64)

items = Table(
    "items",
    metadata,
    Column("sku", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("unit", String(32), nullable=False),
    Column("unit_cost", String(32), nullable=True),
    Column("lead_time_days", Integer, nullable=True),
    Column("backorders", String(8), nullable=False),
    Column("safety_stock", BigInteger, nullable=False),
    Column("promise_basis", String(8), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Money is kept as the decimal string it was given (Decimal in arithmetic, never float).
    Column("unit_price", String(32), nullable=True),
)

locations = Table(
    "locations",
    metadata,
    Column("code", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("promise_basis", String(8), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

positions = Table(
    "positions",
    metadata,
    Column("sku", Id, primary_key=True),
    Column("location", Id, primary_key=True),
    Column("on_hand", BigInteger, nullable=False),
    Column("version", BigInteger, nullable=False, server_default="0"),
    Column("held", BigInteger, nullable=False, server_default="0"),
)

stock_ledger = Table(
    "stock_ledger",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("sku", Id, nullable=False),
    Column("location", Id, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("ref", String(140), nullable=True),
    Column("note", String(1000), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("ix_stock_ledger_position", stock_ledger.c.sku, stock_ledger.c.location)

receipts = Table(
    "receipts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("sku", Id, nullable=False),
    Column("location", Id, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("expected_date", Date, nullable=False),
    Column("source", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("request", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("pegged", BigInteger, nullable=False, server_default="0"),
    Column("supplier", Id, nullable=True),
    # Set on every receipt (nullable only so that SQLite could add it in place).
    Column("first_expected_date", Date, nullable=True),
    # Received date - first expected date, recorded when the receipt is
    # received in full; null until then, and always for a receipt without a
    # supplier or of a transfer.
    Column("slip_days", Integer, nullable=True),
)
Index("ix_receipts_position", receipts.c.sku, receipts.c.location, receipts.c.status)
Index("ix_receipts_seq", receipts.c.seq, receipts.c.id)
# Written with literals and columns only: a planner can use a partial index only
# for a query whose condition it can match to the index's at planning time (a
# bound 'open' defeats PostgreSQL's generic plans), and SQLite does not match
# ``quantity - received > pegged`` (a column on the right of a difference).
RECEIPT_HAS_FREE_UNITS = and_(
    receipts.c.status == literal_column("'open'"),
    receipts.c.quantity > receipts.c.received + receipts.c.pegged,
)
# status is a key column too: without statistics SQLite picks, of two indexes
# with as many equal columns, the partial one; with fewer, it would read every
# open receipt through ix_receipts_position.
Index(
    "ix_receipts_free", receipts.c.sku, receipts.c.location, receipts.c.status,
    postgresql_where=RECEIPT_HAS_FREE_UNITS, sqlite_where=RECEIPT_HAS_FREE_UNITS,
)

Index("ix_receipts_supplier", receipts.c.supplier, receipts.c.slip_days)

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", Id, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("account", Id, nullable=False),
    Column("status", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("request", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # earmark's "today" when the order was placed: the day its units were demanded (forecasting).
    Column("ordered_on", Date, nullable=True),
)
Index("ix_orders_account", orders.c.account, orders.c.seq)
# The list's sort key: a keyset page is read from just after its cursor.
Index("ix_orders_seq", orders.c.seq, orders.c.id)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Id, primary_key=True),
    Column("line", Id, primary_key=True),
    Column("sku", Id, nullable=False),
    # A line placed by ``location`` has one row; a line placed by ``ship_to``
    # has one row per *part* (a location it is served from), each a demand
    # at its own position (DESIGN.md "Network promising").
    Column("location", Id, primary_key=True),
    Column("idx", Integer, nullable=False),
    Column("account", Id, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("shipped", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("allocated", BigInteger, nullable=False),
    Column("requested_date", Date, nullable=False),
    Column("backorder", String(8), nullable=False),
    Column("open", BigInteger, nullable=False),
    Column("ship_to", Id, nullable=True),
    Column("split", Boolean, nullable=False, server_default=false()),
    # Days from this part's location to ``ship_to`` (0 for a ``location`` line):
    # the part's need date is requested_date - transit_days (not before today).
    Column("transit_days", Integer, nullable=False, server_default="0"),
    # The line's own price (null: the item's). The same on every part row.
    Column("unit_price", String(32), nullable=True),
    # The line's promised_date in the answer that placed it (a delivered date
    # for a ship_to line; null when a unit had no date). The same on every part row.
    Column("first_promised_date", Date, nullable=True),
    # earmark's today when the order was placed (the service report's order day).
    Column("ordered_on", Date, nullable=True),
    # Units of this part held from on-hand by the placing itself (the fill rate).
    Column("held_at_order", BigInteger, nullable=False, server_default="0"),
)
Index("ix_order_lines_position_open", order_lines.c.sku, order_lines.c.location, order_lines.c.open)
Index("ix_order_lines_ordered_on", order_lines.c.ordered_on)
# The lines with units waiting for supply (open, not held): the capital report's
# backordered revenue and the service report's aging read only these.
ORDER_LINE_WAITING = order_lines.c.open > order_lines.c.allocated
Index("ix_order_lines_waiting", order_lines.c.sku, order_lines.c.location,
      postgresql_where=ORDER_LINE_WAITING, sqlite_where=ORDER_LINE_WAITING)

shipments = Table(
    "shipments",
    metadata,
    # One row per shipment of a part of an order line: ``quantity`` units left
    # ``location`` on ``shipped_on`` (earmark's today). The line's account and
    # first promised date are copied so that the service report is one
    # aggregate over a date range of this table.
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("sku", Id, nullable=False),
    Column("location", Id, nullable=False),
    Column("order_id", Id, nullable=False),
    Column("line", Id, nullable=False),
    Column("account", Id, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("shipped_on", Date, nullable=False),
    Column("first_promised_date", Date, nullable=True),
)
Index("ix_shipments_shipped_on", shipments.c.shipped_on)

commitments = Table(
    "commitments",
    metadata,
    Column("id", Id, primary_key=True),
    Column("account", Id, nullable=False),
    Column("sku", Id, nullable=False),
    Column("location", Id, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("consumed", BigInteger, nullable=False),
    Column("released", BigInteger, nullable=False),
    Column("need_date", Date, nullable=False),
    Column("expires_on", Date, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("request", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_commitments_position", commitments.c.sku, commitments.c.location, commitments.c.status)
Index("ix_commitments_expiry", commitments.c.status, commitments.c.expires_on)
Index("ix_commitments_seq", commitments.c.seq, commitments.c.id)

consumptions = Table(
    "consumptions",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("sku", Id, nullable=False),
    Column("location", Id, nullable=False),
    Column("commitment_id", Id, nullable=False),
    Column("order_id", Id, nullable=False),
    Column("line", Id, nullable=False),
    Column("quantity", BigInteger, nullable=False),
)
Index("ix_consumptions_line", consumptions.c.order_id, consumptions.c.line)

pegs = Table(
    "pegs",
    metadata,
    Column("sku", Id, primary_key=True),
    Column("location", Id, primary_key=True),
    Column("demand_kind", String(16), primary_key=True),
    Column("demand_ref", Id, primary_key=True),
    Column("demand_line", String(64), primary_key=True),
    Column("bucket", String(64), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("type", String(40), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("data", JSON, nullable=False),
    # earmark's today when the event happened (``at`` is the wall clock's moment).
    Column("day", Date, nullable=True),
    # Who caused the event: an API key's name, "cli", "system" (the clock,
    # expiry, background work) or "anonymous" (a server without keys).
    Column("actor", String(64), nullable=False, server_default="system"),
)
Index("ix_events_type", events.c.type, events.c.id)
Index("ix_events_type_day", events.c.type, events.c.day)
Index("ix_events_actor", events.c.actor, events.c.id)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", Id, nullable=False),
    Column("scope", String(8), nullable=False),
    # A short public part of the key, to find its row without scanning.
    Column("prefix", String(16), nullable=False, unique=True),
    # SHA-256 of the whole key (hex); the key itself is never stored.
    Column("hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

clock = Table(
    "clock",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("day", Date, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(300), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("response", JSON, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Delivery of events (earmark.notify): who hears of them, and how far each has heard.

subscriber_cursors = Table(
    "subscriber_cursors",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("last_event_id", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Id, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("events", JSON, nullable=False),
    # The signing secret, sealed under the server key (earmark.store.sealing).
    Column("sealed_secret", String(1000), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True), nullable=True),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("webhook_id", Id, primary_key=True),
    Column("event_id", BigInteger, primary_key=True),
    Column("event_type", String(40), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
)
Index("ix_deliveries_queue", deliveries.c.webhook_id, deliveries.c.status, deliveries.c.event_id)

notices = Table(
    "notices",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("account", Id, nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("order_id", Id, nullable=True),
    Column("line", Id, nullable=True),
    Column("commitment_id", Id, nullable=True),
    Column("subject", String(300), nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    # One notice per event and account, even if two dispatchers ever raced.
    UniqueConstraint("event_id", "account", name="uq_notices_event_account"),
)
Index("ix_notices_account", notices.c.account, notices.c.id)

account_contacts = Table(
    "account_contacts",
    metadata,
    Column("account", Id, primary_key=True),
    Column("email", String(254), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# Forecasting (earmark.forecast): imported demand history, runs and their forecasts.

demand_history = Table(
    "demand_history",
    metadata,
    Column("sku", Id, primary_key=True),
    Column("location", Id, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

forecast_runs = Table(
    "forecast_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("status", String(16), nullable=False),  # queued | running | succeeded | failed
    Column("backend", String(16), nullable=False),  # local | dask
    Column("horizon_days", Integer, nullable=False),
    Column("made_on", Date, nullable=False),  # earmark's today: the first forecast day is the next
    Column("positions_total", Integer, nullable=False),
    Column("positions_done", Integer, nullable=False),
    Column("summary", JSON, nullable=True),  # overall accuracy, model counts
    Column("error", String(2000), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

forecasts = Table(
    "forecasts",
    metadata,
    Column("sku", Id, primary_key=True),
    Column("location", Id, primary_key=True),
    Column("run_id", String(40), nullable=False),
    Column("made_on", Date, nullable=False),
    Column("model", String(40), nullable=False),  # what made the points
    # Why the forecast's method is "fallback" (too_little_history, model_failed); null: the model's.
    Column("method_reason", String(40), nullable=True),
    Column("points", JSON, nullable=False),  # [{date, mean, lo80, hi80, lo95, hi95}]
    Column("accuracy", JSON, nullable=False),  # {model: {mase, wape}, baseline: {model, mase, wape}}
    Column("created_at", DateTime(timezone=True), nullable=False),
)


lanes = Table(
    "lanes",
    metadata,
    # Stock at ``from_location`` reaches ``to_location`` in ``transit_days``.
    Column("from_location", Id, primary_key=True),
    Column("to_location", Id, primary_key=True),
    Column("transit_days", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_lanes_to", lanes.c.to_location, lanes.c.from_location)

transfers = Table(
    "transfers",
    metadata,
    # Demand at (sku, from_location); its receipt at (sku, to_location) has the same id.
    Column("id", Id, primary_key=True),
    Column("sku", Id, nullable=False),
    Column("from_location", Id, nullable=False),
    Column("to_location", Id, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("shipped", BigInteger, nullable=False),
    Column("received", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("transit_days", Integer, nullable=False),
    Column("need_date", Date, nullable=True),
    Column("priority", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("request", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The day of the last shipment: units in transit arrive that day + transit.
    Column("shipped_on", Date, nullable=True),
)
Index("ix_transfers_from", transfers.c.sku, transfers.c.from_location, transfers.c.status)
Index("ix_transfers_seq", transfers.c.seq, transfers.c.id)
