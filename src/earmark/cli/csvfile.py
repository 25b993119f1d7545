"""A CSV file for ``earmark import``: the columns each kind knows, reading the
file (UTF-8, a header first; its SHA-256 names its content), checking that
the header fits the kind, and reading a row's values, naming the line of
whatever is wrong (:class:`ImportRefused`)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from earmark.domain.limits import QUANTITY_MAX


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
                     ("source", "received", "status", "supplier"), ("open",)),
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
    header, 0 for the file as a whole) and why; with :meth:`all_of`, every
    row that was refused (``rows``, in the order of the file)."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        self.rows: list[tuple[int, str]] = [(line, message)]
        super().__init__(self._told())

    @classmethod
    def all_of(cls, refusals: Sequence[ImportRefused]) -> ImportRefused:
        rows = sorted({row for refused in refusals for row in refused.rows},
                      key=lambda row: row[0])
        combined = cls(*rows[0])
        combined.rows = rows
        combined.args = (combined._told(),)
        return combined

    def _told(self) -> str:
        return "; ".join(f"line {line}: {message}" if line else message
                         for line, message in self.rows)

    def __str__(self) -> str:
        return self._told()


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
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise ImportRefused(line, "a NUL character; this is not a text file")
    rows = []
    refused: list[ImportRefused] = []
    try:
        for row in reader:
            if None in row:
                refused.append(ImportRefused(reader.line_num,
                                             "more values than the header has columns"))
                continue
            rows.append((reader.line_num, {k: unneutralised((v or "").strip())
                                           for k, v in row.items()}))
    except csv.Error as error:
        refused.append(ImportRefused(reader.line_num, f"not CSV: {error}"))
    if refused:
        raise ImportRefused.all_of(refused)
    return CsvFile(path, hashlib.sha256(content).hexdigest(), header, rows)


# Formulas (OWASP "CSV injection")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (``=cmd|' /C calc'!A0``)."""
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


def neutralised(value: str) -> str:
    """A cell an export writes: one that a spreadsheet would take for a formula
    gets a leading ``'`` (shown as text, not run), and so does one that
    already starts with quotes before such a character, so that
    :func:`unneutralised` gives every cell back exactly. A plain number
    (``-3``, an adjustment's figure) stays a number: a spreadsheet reads it
    as one, runs nothing, and sums it."""
    if _NUMBER.fullmatch(value):
        return value
    if value.startswith(FORMULA_START) or _NEUTRALISED.match(value):
        return "'" + value
    return value


def unneutralised(value: str) -> str:
    """A cell an import reads: the quote :func:`neutralised` added taken off
    again, so that an export imports back unchanged."""
    return value[1:] if _NEUTRALISED.match(value) else value


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

_WHOLE = re.compile(r"-?[0-9]+")
_DIGITS_MAX = 13
"""Longer figures are refused before Python reads them as numbers."""


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
    if not _WHOLE.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ImportRefused(line, f"{name}: {shown!r} is not a whole number")
    if len(value.lstrip("-")) > _DIGITS_MAX or abs(int(value)) > QUANTITY_MAX:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise ImportRefused(line, f"{name}: {shown} is beyond any figure earmark keeps "
                            "(at most 10^12)")
    return int(value)


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
