"""CSV import: every row becomes a command; one bad row and nothing of the
file is applied (all rows share one transaction).

A history file (``date,sku,location,quantity``: daily demand, for
forecasting) is one command for the whole file
(:func:`earmark.forecast.history.record_history`): rows of one sku, location
and date add up, and replace what was stored for that day."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from earmark.domain.backorder import BackorderPolicy
from earmark.forecast.history import HistoryRow, RecordHistory, record_history
from earmark.service import master, orders, supply
from earmark.service.uow import Store

KINDS: dict[str, set[str]] = {
    "history": {"date", "sku", "location", "quantity"},
    "items": {"sku", "name"},
    "stock": {"sku", "location", "quantity"},
    "receipts": {"id", "sku", "location", "quantity", "expected_date"},
    "orders": {"order", "account", "line", "sku", "quantity"},
}


class ImportError_(Exception):
    """A row that cannot be applied: its line number and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Step:
    line: int
    handler: Any
    command: Any


def detect_kind(header: Iterable[str]) -> str | None:
    columns = set(header)
    # History first: its columns include those of stock.
    for kind in ("history", "orders", "receipts", "stock", "items"):
        if KINDS[kind] <= columns and not (kind == "items" and "location" in columns):
            return kind
    return None


def _int(row: dict[str, str], name: str, default: int | None = None) -> int:
    value = (row.get(name) or "").strip()
    if not value:
        if default is None:
            raise ValueError(f"{name} is required")
        return default
    return int(value)


def _opt(row: dict[str, str], name: str) -> str | None:
    value = (row.get(name) or "").strip()
    return value or None


def _date(row: dict[str, str], name: str) -> date | None:
    value = _opt(row, name)
    return date.fromisoformat(value) if value else None


def _history_row(number: int, row: dict[str, str]) -> HistoryRow:
    values = {name: (row.get(name) or "").strip() for name in KINDS["history"]}
    for name in ("sku", "location"):
        if not values[name]:
            raise ImportError_(number, f"{name} is required")
    try:
        day = date.fromisoformat(values["date"])
    except ValueError as error:
        raise ImportError_(number, f"date: must be YYYY-MM-DD, not {values['date']!r}") from error
    if not values["quantity"].isdigit():
        raise ImportError_(number, f"quantity: must be a whole number of 0 or more, not "
                           f"{values['quantity']!r}")
    return HistoryRow(number, day, values["sku"], values["location"], int(values["quantity"]))


def _steps(kind: str, rows: list[tuple[int, dict[str, str]]]) -> list[Step]:
    steps: list[Step] = []
    if kind == "history":
        parsed = tuple(_history_row(number, row) for number, row in rows)
        return [Step(parsed[0].line if parsed else 1, record_history, RecordHistory(parsed))]
    if kind == "orders":
        grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
        for number, row in rows:
            grouped.setdefault(row["order"], []).append((number, row))
        for order_id, lines in grouped.items():
            first = lines[0][1]
            steps.append(Step(lines[0][0], orders.place_order, orders.PlaceOrder(
                order_id, first["account"],
                [orders.LineIn(r["line"], r["sku"], _int(r, "quantity"), _opt(r, "location"),
                               _date(r, "requested_date"), _opt(r, "backorder"))
                 for _, r in lines])))
        return steps
    build: Callable[[dict[str, str]], tuple[Any, Any]]
    if kind == "items":
        def build(r: dict[str, str]) -> tuple[Any, Any]:
            lead = _opt(r, "lead_time_days")
            return master.upsert_item, master.UpsertItem(
                r["sku"], r["name"], _opt(r, "unit") or "each", _opt(r, "unit_cost"),
                int(lead) if lead else None, _opt(r, "backorders") or BackorderPolicy.allow,
                _int(r, "safety_stock", 0))
    elif kind == "stock":
        def build(r: dict[str, str]) -> tuple[Any, Any]:
            return supply.adjust, supply.Adjust(r["sku"], r["location"], _int(r, "quantity"),
                                                _opt(r, "reason") or "initial", _opt(r, "note"))
    else:
        def build(r: dict[str, str]) -> tuple[Any, Any]:
            expected = _date(r, "expected_date")
            if expected is None:
                raise ValueError("expected_date is required")
            return supply.create_receipt, supply.CreateReceipt(
                r["id"], r["sku"], r["location"], _int(r, "quantity"), expected,
                _opt(r, "source") or "purchase")
    for number, row in rows:
        try:
            handler, command = build(row)
        except (ValueError, KeyError) as error:
            raise ImportError_(number, str(error)) from error
        steps.append(Step(number, handler, command))
    return steps


def read_csv(path: str, kind: str | None = None) -> tuple[str, list[Step]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        found = kind or detect_kind(reader.fieldnames or [])
        if found is None or found not in KINDS:
            raise ImportError_(1, "cannot tell what the file holds; columns must include one of "
                               + "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in KINDS.items()))
        missing = KINDS[found] - set(reader.fieldnames or [])
        if missing:
            raise ImportError_(1, f"missing columns: {', '.join(sorted(missing))}")
        rows = [(reader.line_num, dict(row)) for row in reader]
    try:
        return found, _steps(found, rows)
    except ValueError as error:
        raise ImportError_(0, str(error)) from error


def apply(store: Store, steps: list[Step], progress: Callable[[int], None] | None = None) -> int:
    """Apply every step in one transaction; raise ImportError_ at the first refusal."""
    with store.unit_of_work() as uow:
        uow.defer_commit = True
        for done, step in enumerate(steps, 1):
            result = step.handler(uow, step.command)
            if not result.ok:
                # A command of many rows (history) names the row it refused.
                line = int(result.extra.get("line", step.line))
                raise ImportError_(line, f"{result.outcome.value}: {result.detail}")
            if progress:
                progress(done)
        uow.commit_now()
    return len(steps)
