"""CSV import: a file of one named kind makes the database say what the file
says, through the same handlers as the HTTP API, all or nothing.

- The kind is named (``earmark import receipts FILE``), never guessed from the
  columns, and the header must fit it: its required columns present, and no
  column the kind does not know (the columns of ``earmark export KIND`` are
  all known, so an export imports back as it is).
- Each row is compared with the database first. A row that already holds is
  *unchanged* and runs nothing; the others become commands: create or update
  an item, location or account; count or add stock; create, move, receive or
  cancel a receipt; place, ship or cancel an order; create or release a
  commitment; replace days of demand history. What no command can do (take
  back a receipt's received units, change an order's lines) refuses the
  file, naming the row. So exporting and importing back changes nothing.
- Stock says its mode: ``set`` (the file holds counts: on-hand becomes the
  figure, recorded as ``count`` adjustments) or ``add`` (initial stock,
  goods received: the figure is added). ``set`` is the default only for the
  export's header (``sku,location,on_hand``).
- An import is idempotent by file content: the file's SHA-256 is recorded
  with the import (an ``import.applied`` event, in the same transaction),
  and the same content is never applied again.
- All rows share one transaction: one refused row and nothing is applied.
  Every refused row is told, by its line in the file, not only the first:
  whoever fixes the file fixes it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from earmark.cli.csvfile import CsvFile, check_header, day, integer, opt, opt_int, text
from earmark.cli.csvfile import ImportRefused as ImportRefused
from earmark.cli.csvfile import read_csv as read_csv
from earmark.service.file_imports import IMPORTED as IMPORTED
from earmark.service.file_imports import Earlier as Earlier

if TYPE_CHECKING:
    from earmark.service.results import Result
    from earmark.service.uow import Store, UnitOfWork

@dataclass(frozen=True)
class Step:
    line: int
    says: str
    """What the step changes, in words (``--dry-run`` prints it)."""
    handler: Callable[[UnitOfWork, Any], Result]
    command: Any


@dataclass
class Plan:
    kind: str
    mode: str | None
    rows: int
    steps: list[Step] = field(default_factory=list)
    unchanged: int = 0
    refused: list[ImportRefused] = field(default_factory=list)
    """The rows refused so far; planning goes on past them, to tell them all."""

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Plan a row (or an order's rows); a refusal is kept and planning goes on."""
        try:
            yield
        except ImportRefused as refused:
            self.refused.append(refused)

    def refuse_if_any(self) -> None:
        if self.refused:
            raise ImportRefused.all_of(self.refused)


def _changes(now: dict[str, Any], wanted: dict[str, Any]) -> str:
    return ", ".join(f"{k} {now[k]!r} → {v!r}" for k, v in wanted.items() if now[k] != v)


# Planning: each kind's rows against the database


def _plan_master(kind: str, uow: UnitOfWork, file: CsvFile, plan: Plan) -> None:
    from earmark.service import catalog, master

    header = set(file.header)
    for line, r in file.rows:
        with plan.collect():
            if kind == "items":
                key = text(line, r, "sku")
                now = catalog.get_item(uow.tx, key)
                given: dict[str, Any] = {"name": text(line, r, "name"), "unit": opt(r, "unit") or "each",
                         "unit_cost": opt(r, "unit_cost"),
                         "lead_time_days": opt_int(line, r, "lead_time_days"),
                         "backorders": opt(r, "backorders") or "allow",
                         "safety_stock": integer(line, r, "safety_stock", 0),
                         "unit_price": opt(r, "unit_price")}
                handler: Any = master.upsert_item
            elif kind == "locations":
                key = text(line, r, "code")
                now = catalog.get_location(uow.tx, key)
                given = {"name": text(line, r, "name")}
                handler = master.upsert_location
            else:
                key = text(line, r, "id")
                now = catalog.get_account(uow.tx, key)
                given = {"name": text(line, r, "name"), "priority": integer(line, r, "priority", 100)}
                handler = master.upsert_account
            # A column the file leaves out keeps the value the database has.
            wanted = {k: (v if k in header or now is None else now[k]) for k, v in given.items()}
            if kind == "items":
                command: Any = master.UpsertItem(key, wanted["name"], wanted["unit"],
                                                 wanted["unit_cost"], wanted["lead_time_days"],
                                                 wanted["backorders"], wanted["safety_stock"],
                                                 wanted["unit_price"])
            elif kind == "locations":
                command = master.UpsertLocation(key, wanted["name"])
            else:
                command = master.UpsertAccount(key, wanted["name"], wanted["priority"])
            noun = kind[:-1]
            if now is None:
                plan.steps.append(Step(line, f"create {noun} {key}", handler, command))
            elif changed := _changes(now, wanted):
                plan.steps.append(Step(line, f"update {noun} {key}: {changed}", handler, command))
            else:
                plan.unchanged += 1


def _plan_stock(uow: UnitOfWork, file: CsvFile, plan: Plan) -> None:
    from earmark.service import supply
    from earmark.service.file_imports import on_hand_by_position

    on_hand = on_hand_by_position(uow.tx)
    figure = "on_hand" if "on_hand" in file.header else "quantity"
    seen: dict[tuple[str, str], int] = {}
    for line, r in file.rows:
        with plan.collect():
            sku, location = text(line, r, "sku"), text(line, r, "location")
            quantity = integer(line, r, figure)
            note = opt(r, "note")
            if plan.mode == "add":
                if quantity == 0:
                    plan.unchanged += 1
                    continue
                reason = opt(r, "reason") or "initial"
                plan.steps.append(Step(line, f"add {quantity} to {sku} at {location} ({reason})",
                                       supply.adjust,
                                       supply.Adjust(sku, location, quantity, reason, note)))
                continue
            if (sku, location) in seen:
                raise ImportRefused(line, f"{sku} at {location} is counted twice (line "
                                    f"{seen[(sku, location)]} too)")
            seen[(sku, location)] = line
            if quantity < 0:
                raise ImportRefused(line, f"{figure}: a count is 0 or more, not {quantity}")
            now = on_hand.get((sku, location), 0)
            if quantity == now:
                plan.unchanged += 1
                continue
            plan.steps.append(Step(line, f"count {sku} at {location}: on-hand {now} → {quantity}",
                                   supply.adjust,
                                   supply.Adjust(sku, location, quantity - now, "count", note)))


def _plan_receipts(uow: UnitOfWork, file: CsvFile, plan: Plan) -> None:
    from earmark.service import supply
    from earmark.service.queries import get_receipt

    for line, r in file.rows:
        with plan.collect():
            key = text(line, r, "id")
            sku, location = text(line, r, "sku"), text(line, r, "location")
            quantity = integer(line, r, "quantity")
            expected = day(line, r, "expected_date")
            if expected is None:
                raise ImportRefused(line, "expected_date is required")
            received = opt_int(line, r, "received")
            status = opt(r, "status")
            source = opt(r, "source") or "purchase"
            supplier = opt(r, "supplier")
            now = get_receipt(uow.tx, key)
            steps: list[tuple[str, Any, Any]] = []
            if now is None:
                steps.append((f"create receipt {key}: {quantity} × {sku} at {location} on "
                              f"{expected.isoformat()}", supply.create_receipt,
                              supply.CreateReceipt(key, sku, location, quantity, expected, source,
                                                   supplier)))
                now_received, now_status = 0, "open"
            else:
                for name, value in (("sku", sku), ("location", location), ("source", source),
                                    ("supplier", supplier)):
                    if name in file.header and now[name] != value:
                        raise ImportRefused(line, f"receipt {key} has {name} {now[name]!r}, not "
                                            f"{value!r}; a receipt's {name} cannot change")
                moved = expected.isoformat() != now["expected_date"]
                resized = quantity != now["quantity"]
                if moved or resized:
                    says = ", ".join(([f"to {expected.isoformat()}"] if moved else [])
                                     + ([f"quantity {now['quantity']} → {quantity}"] if resized
                                        else []))
                    steps.append((f"move receipt {key}: {says}", supply.patch_receipt,
                                  supply.PatchReceipt(key, expected if moved else None,
                                                      quantity if resized else None)))
                now_received, now_status = now["received"], now["status"]
            if received is not None and received != now_received:
                if received < now_received:
                    raise ImportRefused(line, f"receipt {key} has received {now_received}; "
                                        f"received units cannot be taken back (the file says "
                                        f"{received})")
                steps.append((f"receive {received - now_received} of receipt {key}",
                              supply.receive_receipt,
                              supply.ReceiveReceipt(key, received - now_received)))
            if status == "cancelled" and now_status != "cancelled":
                steps.append((f"cancel receipt {key}", supply.cancel_receipt,
                              supply.CancelReceipt(key)))
            elif status is not None and status != now_status and not steps:
                raise ImportRefused(line, f"receipt {key} is {now_status}, not {status}")
            if not steps:
                plan.unchanged += 1
            plan.steps += [Step(line, says, handler, command) for says, handler, command in steps]


@dataclass
class _OrderRows:
    line: int
    account: str
    lines: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _plan_orders(uow: UnitOfWork, file: CsvFile, plan: Plan) -> None:
    from earmark.service import orders
    from earmark.service.queries import get_order

    grouped: dict[str, _OrderRows] = {}
    for line, r in file.rows:
        with plan.collect():
            order_id, account = text(line, r, "order"), text(line, r, "account")
            found = grouped.setdefault(order_id, _OrderRows(line, account))
            if found.account != account:
                raise ImportRefused(line, f"order {order_id} is of account {found.account} on line "
                                    f"{found.line}, not {account}")
            found.lines.append((line, r))
    for order_id, rows in grouped.items():
        with plan.collect():
            now = get_order(uow.tx, order_id, uow.today)
            named = [(line, opt(r, "line") or str(n), r)
                     for n, (line, r) in enumerate(rows.lines, start=1)]
            steps: list[tuple[int, str, Any, Any]] = []
            if now is None:
                placed = [orders.LineIn(name, text(line, r, "sku"), integer(line, r, "quantity"),
                                        opt(r, "location"), day(line, r, "requested_date"),
                                        opt(r, "backorder"), unit_price=opt(r, "unit_price"))
                          for line, name, r in named]
                steps.append((rows.line, f"place order {order_id} ({len(placed)} line(s))",
                              orders.place_order, orders.PlaceOrder(order_id, rows.account, placed)))
                stored: dict[str, dict[str, Any]] = {}
            else:
                if now["account"] != rows.account:
                    raise ImportRefused(rows.line, f"order {order_id} is of account "
                                        f"{now['account']}, not {rows.account}")
                stored = {ln["line"]: ln for ln in now["lines"]}
                for line, name, r in named:
                    _same_line(line, order_id, name, r, stored.get(name))
            shipped: list[tuple[int, Any]] = []
            cancelled: list[tuple[int, Any]] = []
            for line, name, r in named:
                have = stored.get(name, {"shipped": 0, "cancelled": 0})
                for column, into in (("shipped", shipped), ("cancelled", cancelled)):
                    want = opt_int(line, r, column)
                    if want is None or want == have[column]:
                        continue
                    if want < have[column]:
                        raise ImportRefused(line, f"line {name} of order {order_id} has {column} "
                                            f"{have[column]}; that cannot go back to {want}")
                    into.append((line, orders.LineQuantity(name, want - have[column])))
            if shipped:
                steps.append((shipped[0][0], f"ship order {order_id}: " + ", ".join(
                    f"line {q.line} × {q.quantity}" for _, q in shipped), orders.ship_order,
                    orders.ShipOrder(order_id, [q for _, q in shipped])))
            if cancelled:
                steps.append((cancelled[0][0], f"cancel in order {order_id}: " + ", ".join(
                    f"line {q.line} × {q.quantity}" for _, q in cancelled), orders.cancel_order,
                    orders.CancelOrder(order_id, [q for _, q in cancelled])))
            if not steps:
                plan.unchanged += len(rows.lines)
            plan.steps += [Step(line, says, handler, command) for line, says, handler, command in steps]


def _same_line(line: int, order_id: str, name: str, r: dict[str, str],
               stored: dict[str, Any] | None) -> None:
    """Refuse a row that would change a placed line: an order's lines are fixed."""
    if stored is None:
        raise ImportRefused(line, f"order {order_id} has no line {name}; lines cannot be added "
                            "to a placed order")
    wanted: dict[str, Any] = {"sku": text(line, r, "sku"),
                              "quantity": integer(line, r, "quantity")}
    for column in ("location", "backorder"):
        if r.get(column):
            wanted[column] = r[column]
    if r.get("requested_date"):
        wanted["requested_date"] = r["requested_date"]
    for column, value in wanted.items():
        if stored.get(column) != value:
            raise ImportRefused(line, f"line {name} of order {order_id} has {column} "
                                f"{stored.get(column)!r}, not {value!r}; a placed line cannot "
                                "change (cancel it and place another)")


def _plan_commitments(uow: UnitOfWork, file: CsvFile, plan: Plan) -> None:
    from earmark.service import commitments as cm
    from earmark.service.file_imports import stored_commitment

    for line, r in file.rows:
        with plan.collect():
            key = text(line, r, "id")
            wanted: dict[str, Any] = {
                "account": text(line, r, "account"), "sku": text(line, r, "sku"),
                "location": text(line, r, "location"), "quantity": integer(line, r, "quantity"),
                "need_date": day(line, r, "need_date"), "expires_on": day(line, r, "expires_on"),
                "kind": opt(r, "kind") or "contract", "mode": opt(r, "mode") or "strict"}
            if wanted["need_date"] is None:
                raise ImportRefused(line, "need_date is required")
            released = opt_int(line, r, "released")
            now = stored_commitment(uow.tx, key)
            steps: list[tuple[str, Any, Any]] = []
            if now is None:
                steps.append((f"create commitment {key}: {wanted['quantity']} × {wanted['sku']} at "
                              f"{wanted['location']} for {wanted['account']}", cm.create_commitment,
                              cm.CreateCommitment(key, **wanted)))
                now_released = 0
            else:
                for column, value in wanted.items():
                    if column in file.header and now[column] != value:
                        raise ImportRefused(line, f"commitment {key} has {column} {now[column]!r}, "
                                            f"not {value!r}; a commitment cannot change (release "
                                            "it and create another)")
                now_released = int(now["released"])
            if released is not None and released != now_released:
                if released < now_released:
                    raise ImportRefused(line, f"commitment {key} has released {now_released}; "
                                        f"that cannot go back to {released}")
                steps.append((f"release {released - now_released} of commitment {key}",
                              cm.release_commitment,
                              cm.ReleaseCommitment(key, released - now_released)))
            if not steps:
                plan.unchanged += 1
            plan.steps += [Step(line, says, handler, command) for says, handler, command in steps]


def _plan_history(uow: UnitOfWork, file: CsvFile, plan: Plan) -> None:
    from earmark.forecast.history import HistoryRow, RecordHistory, record_history
    from earmark.service.file_imports import stored_history

    parsed = []
    for line, r in file.rows:
        with plan.collect():
            try:
                day = date.fromisoformat(r["date"])
            except ValueError:
                raise ImportRefused(line, f"date: must be YYYY-MM-DD, not {r['date']!r}") from None
            if not (r["quantity"].isascii() and r["quantity"].isdigit()):
                raise ImportRefused(line, f"quantity: must be a whole number of 0 or more, not "
                                    f"{r['quantity'][:40]!r}")
            quantity = integer(line, r, "quantity")  # and at most 10^12
            parsed.append(HistoryRow(line, day, text(line, r, "sku"), text(line, r, "location"),
                                     quantity))
    if plan.refused:
        return
    totals: dict[tuple[str, str, date], int] = defaultdict(int)
    for row in parsed:
        totals[(row.sku, row.location, row.day)] += row.quantity
    stored = stored_history(uow.tx, {k[0] for k in totals})
    changed = sum(1 for key, n in totals.items() if stored.get(key) != n)
    if not parsed or not changed:
        plan.unchanged = len(parsed)
        return
    plan.unchanged = len(totals) - changed
    plan.steps.append(Step(parsed[0].line, f"replace {changed} day(s) of demand history",
                           record_history, RecordHistory(tuple(parsed))))


def plan_file(uow: UnitOfWork, kind: str, mode: str | None, file: CsvFile) -> Plan:
    plan = Plan(kind, mode, len(file.rows))
    if kind in ("items", "locations", "accounts"):
        _plan_master(kind, uow, file, plan)
    elif kind == "stock":
        _plan_stock(uow, file, plan)
    elif kind == "receipts":
        _plan_receipts(uow, file, plan)
    elif kind == "orders":
        _plan_orders(uow, file, plan)
    elif kind == "commitments":
        _plan_commitments(uow, file, plan)
    else:
        _plan_history(uow, file, plan)
    return plan


def import_file(store: Store, kind: str, file: CsvFile, mode: str | None, *,
                dry_run: bool = False) -> Plan | Earlier:
    """Plan the file against the database and apply it in one transaction (or,
    dry, apply it and roll back: every refusal shows, nothing changes)."""
    from earmark.service.file_imports import earlier_import

    mode = check_header(kind, file.header, mode)
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        already = earlier_import(uow.tx, file.sha256)
        if already is not None:
            return already
        plan = plan_file(uow, kind, mode, file)
        # The rows that planned well are applied even after a refused one, to
        # tell their refusals too; the transaction is then rolled back whole.
        for step in plan.steps:
            result = step.handler(uow, step.command)
            if not result.ok:
                # A command of many rows (history) names the row it refused. A
                # refused command changed nothing: the next rows are still tried.
                line = int(result.extra.get("line", step.line))
                plan.refused.append(ImportRefused(
                    line, f"{step.says}: {result.outcome.value}: {result.detail}"))
        plan.refuse_if_any()
        if dry_run:
            return plan
        uow.emit(IMPORTED, {"kind": kind, "mode": mode, "sha256": file.sha256,
                            "file": file.path.name, "rows": plan.rows,
                            "changed": len(plan.steps)})
        uow.commit_now()
    return plan
