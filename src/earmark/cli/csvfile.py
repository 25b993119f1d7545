"""A CSV file for ``earmark import``: the columns each kind knows, reading the
file (UTF-8, a header first; its SHA-256 names its content), checking that
the header fits the kind, and reading a row's values, naming the line of
whatever is wrong (:class:`ImportRefused`)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path


@dataclass(frozen=True)
class Spec:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()
    """Columns an export writes that the import accepts and does not read
    (figures that follow from the others: ``allocated``, ``status``, ...)."""

    @property
    def known(self) -> tuple[str, ...]:
        return self.required + self.optional + self.shown


SPECS: dict[str, Spec] = {
    "items": Spec(("sku", "name"), ("unit", "unit_cost", "lead_time_days", "backorders",
                                    "safety_stock", "unit_price")),
    "locations": Spec(("code", "name")),
    "accounts": Spec(("id", "name"), ("priority",)),
    "stock": Spec(("sku", "location"), ("on_hand", "quantity", "reason", "note")),
    "receipts": Spec(("id", "sku", "location", "quantity", "expected_date"),
                     ("source", "received", "status"), ("open",)),
    "orders": Spec(("order", "account", "sku", "quantity"),
                   ("line", "location", "requested_date", "backorder", "shipped", "cancelled",
                    "unit_price"),
                   ("allocated", "backordered", "promised_date", "queue_position", "status")),
    "commitments": Spec(("id", "account", "sku", "location", "quantity", "need_date"),
                        ("expires_on", "kind", "mode", "released"), ("consumed", "status")),
    "history": Spec(("date", "sku", "location", "quantity")),
}
EXPORT_STOCK_HEADER = ("sku", "location", "on_hand")


class ImportRefused(Exception):
    """The file cannot be applied: the row (its line in the file, 1 for the
    header, 0 for the file as a whole) and why."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class CsvFile:
    path: Path
    sha256: str
    header: tuple[str, ...]
    rows: list[tuple[int, dict[str, str]]]


def read_csv(path: Path) -> CsvFile:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ImportRefused(0, f"cannot read {path}: {error.strerror or error}") from error
    try:
        text = content.decode("utf-8-sig")  # a spreadsheet's byte-order mark is no column
    except UnicodeDecodeError as error:
        raise ImportRefused(0, f"{path} is not UTF-8 text") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = tuple(name.strip() for name in reader.fieldnames or [])
    if not header:
        raise ImportRefused(1, "the file is empty; its first line must name the columns")
    reader.fieldnames = list(header)
    rows = []
    for row in reader:
        if None in row:
            raise ImportRefused(reader.line_num, "more values than the header has columns")
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return CsvFile(path, hashlib.sha256(content).hexdigest(), header, rows)


def check_header(kind: str, header: tuple[str, ...], mode: str | None) -> str | None:
    """Refuse a header that does not fit the kind; the stock mode in force."""
    spec = SPECS[kind]
    unknown = [c for c in header if c not in spec.known]
    if unknown:
        raise ImportRefused(1, f"{kind} has no column {', '.join(map(repr, unknown))}; its "
                            f"columns are {', '.join(spec.known)}")
    missing = [c for c in spec.required if c not in header]
    if missing:
        raise ImportRefused(1, f"{kind} needs the column(s) {', '.join(missing)}")
    if kind != "stock":
        if mode is not None:
            raise ImportRefused(0, "--mode is for stock only")
        return None
    if ("on_hand" in header) == ("quantity" in header):
        raise ImportRefused(1, "stock needs one column of figures: on_hand or quantity")
    if mode is None:
        if header != EXPORT_STOCK_HEADER:
            raise ImportRefused(0, "say how the figures count: --mode set (counts: on-hand "
                                "becomes the figure) or --mode add (the figure is added)")
        mode = "set"
    if mode == "set" and "reason" in header:
        raise ImportRefused(1, "--mode set records counts; a reason column is for --mode add")
    return mode


# A row's values


def text(line: int, row: dict[str, str], name: str) -> str:
    value = row.get(name, "")
    if not value:
        raise ImportRefused(line, f"{name} is required")
    return value


def opt(row: dict[str, str], name: str) -> str | None:
    return row.get(name) or None


def integer(line: int, row: dict[str, str], name: str, default: int | None = None) -> int:
    value = row.get(name, "")
    if not value:
        if default is None:
            raise ImportRefused(line, f"{name} is required")
        return default
    try:
        return int(value)
    except ValueError:
        raise ImportRefused(line, f"{name}: {value!r} is not a whole number") from None


def opt_int(line: int, row: dict[str, str], name: str) -> int | None:
    return integer(line, row, name) if row.get(name) else None


def day(line: int, row: dict[str, str], name: str) -> date | None:
    value = row.get(name, "")
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ImportRefused(line, f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
