"""The "Capital" and "Service" pages: the reports of ``/v1/reports`` (the
same service functions) and the charts drawn from them.

The capital chart stacks, per location, the value of on-hand by whom it is
for: held for orders, committed, free within need, and excess (the part of
free beyond safety stock and forecast need): the four add up to on-hand.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from earmark.domain.money import money_out
from earmark.service.capital import capital_report
from earmark.service.service_levels import Scope, default_window, service_report, window_problem
from earmark.service.uow import UnitOfWork

WORST_SKUS_SHOWN = 10
STACKED = (("held", "Held for orders", "#26466e"),
           ("committed_held", "Committed", "#7a5195"),
           ("free_within_need", "Free within need", "#40a070"),
           ("excess", "Excess", "#c07a00"))
"""The capital chart's stacked series, bottom to top: (figure, legend, colour)."""


def _decimal(value: str | None) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def by_location(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The capital report's money summed per location (what is known)."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in report["by_sku"]:
        into = sums[row["location"]]
        for name in ("on_hand", "held", "committed_held", "free", "excess", "backordered_revenue"):
            into[name] += _decimal(row[name])
    out = []
    for location in sorted(sums):
        figures = sums[location]
        figures["free_within_need"] = figures["free"] - figures["excess"]
        out.append({"location": location, **{k: money_out(v) for k, v in figures.items()}})
    return out


def capital_view(uow: UnitOfWork, currency: str, location: str | None) -> dict[str, Any]:
    report = capital_report(uow.tx, uow.today, currency, location)
    locations = by_location(report)
    stacked = {
        "title": f"Capital on hand per location ({currency})",
        "x_label": "Location", "y_label": currency, "labels": [r["location"] for r in locations],
        "stacked": True,
        "series": [{"label": label, "color": color,
                    "values": [float(_decimal(r[name])) for r in locations]}
                   for name, label, color in STACKED],
    }
    weeks = {
        "title": f"Backordered revenue by week promised ({currency})",
        "x_label": "Week of (Monday)", "y_label": currency,
        "labels": [w["week"] for w in report["by_week"]], "stacked": False,
        "series": [{"label": "Backordered revenue", "color": "#b4432e",
                    "values": [float(_decimal(w["value"])) for w in report["by_week"]]}],
    }
    return {"report": report, "locations": locations, "stacked": stacked, "weeks": weeks,
            "location": location}


def service_view(uow: UnitOfWork, currency: str, start: date | None, end: date | None,
                 account: str | None) -> dict[str, Any]:
    first, last = default_window(uow.today, start, end)
    if window_problem(first, last):
        # The page shows the default window rather than an error for an odd form.
        first, last = default_window(uow.today, None, None)
    report = service_report(uow.tx, uow.today, Scope(first, last, account=account))
    capital = capital_report(uow.tx, uow.today, currency)
    worst = sorted((r for r in capital["by_sku"]
                    if r["backordered_revenue"] is not None and _decimal(r["backordered_revenue"]) > 0),
                   key=lambda r: (-_decimal(r["backordered_revenue"]), r["sku"], r["location"]))
    rates = {
        "title": "Fill rate and on-time rate per week (%)",
        "x_label": "Week of (Monday)", "y_label": "% of units",
        "labels": [w["week"] for w in report["by_week"]], "lines": True,
        "series": [
            {"label": "Fill rate", "color": "#26466e",
             "values": [_percent(w["fill_rate"]) for w in report["by_week"]]},
            {"label": "On-time rate", "color": "#c07a00",
             "values": [_percent(w["on_time_rate"]) for w in report["by_week"]]},
        ],
    }
    aging = {
        "title": "Backorders waiting, by days since ordered",
        "x_label": "Days since ordered", "y_label": "Units waiting",
        "labels": [a["bucket"] for a in report["aging"]], "stacked": False,
        "series": [{"label": "Units waiting", "color": "#b4432e",
                    "values": [a["units"] for a in report["aging"]]}],
    }
    return {"report": report, "rates": rates, "aging": aging, "currency": currency,
            "worst": worst[:WORST_SKUS_SHOWN], "account": account}


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)
