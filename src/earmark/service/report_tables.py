"""Reports as tables: the rows a spreadsheet or a data tool reads (``Accept:
text/csv``, ``earmark export reports``). Every figure of the JSON answer is
in some row; nested lists become columns (aging) or rows of their own."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from earmark.service.capital import MONEY_FIGURES
from earmark.service.service_levels import AGING_BUCKETS

Table = tuple[list[str], list[list[Any]]]

CAPITAL_COLUMNS = ["scope", "sku", "location", "currency", "as_of", *MONEY_FIGURES]
"""``scope`` is ``position`` for a by_sku row, ``total`` for the report's totals."""

SERVICE_FIGURES = ["fill_rate", "on_time_rate", "promise_error_days_mean",
                   "promise_error_days_p90", "quoted_wait_days_mean", "promise_changes"]
SERVICE_COLUMNS = ["scope", "account", "from", "to", *SERVICE_FIGURES,
                   *(f"aging_{name}_{what}" for name, _ in AGING_BUCKETS for what in ("units", "lines"))]
"""``scope`` is ``account`` for a by_account row, ``total`` for everyone."""


def capital_table(report: dict[str, Any]) -> Table:
    head = [report["currency"], report["as_of"]]
    rows = [["position", row["sku"], row["location"], *head, *(row[f] for f in MONEY_FIGURES)]
            for row in report["by_sku"]]
    rows.append(["total", "", "", *head, *(report[f] for f in MONEY_FIGURES)])
    return CAPITAL_COLUMNS, rows


def service_table(report: dict[str, Any]) -> Table:
    def row(scope: str, account: str, figures: dict[str, Any]) -> list[Any]:
        aging = {a["bucket"]: a for a in figures["aging"]}
        return [scope, account, report["from"], report["to"],
                *(figures[f] for f in SERVICE_FIGURES),
                *(aging[name][what] for name, _ in AGING_BUCKETS for what in ("units", "lines"))]

    rows = [row("account", a["account"], a) for a in report["by_account"]]
    rows.append(row("total", "", report))
    return SERVICE_COLUMNS, rows


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table as CSV; null is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue()
