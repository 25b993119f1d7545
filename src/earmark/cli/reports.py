"""``earmark report capital|service``: the money and service reports of the
API (``GET /v1/reports/...``) as Rich tables, with the same figures: the
same service functions compute them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from earmark.cli.common import DatabaseOption, group, reading

if TYPE_CHECKING:
    from rich.table import Table

report_app = group("Money and service reports (the figures of GET /v1/reports/...).")

LocationOption = Annotated[str | None, typer.Option(help="Only this location.", show_default=False)]
SkuOption = Annotated[str | None, typer.Option(help="Only this sku.", show_default=False)]
DayOption = Annotated[str | None, typer.Option(help="YYYY-MM-DD.", show_default=False)]

CAPITAL_HEADINGS = {
    "on_hand": "on hand", "held": "held", "committed_held": "committed", "free": "free",
    "safety_stock": "safety stock", "excess": "excess", "incoming": "incoming",
    "committed_incoming": "committed incoming", "backordered_revenue": "backordered revenue",
}


def _money(value: str | None) -> str:
    return "—" if value is None else value


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _days(value: float | int | None) -> str:
    return "—" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)


def capital_table(report: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title=f"Capital in {report['currency']} as of {report['as_of']}")
    table.add_column("sku")
    table.add_column("location")
    for heading in CAPITAL_HEADINGS.values():
        table.add_column(heading, justify="right")
    for row in report["by_sku"]:
        table.add_row(row["sku"], row["location"], *(_money(row[f]) for f in CAPITAL_HEADINGS))
    table.add_section()
    table.add_row("total", "", *(_money(report[f]) for f in CAPITAL_HEADINGS), style="bold")
    return table


def weeks_table(report: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title=f"Backordered revenue by week promised ({report['currency']})")
    table.add_column("week of")
    table.add_column("value", justify="right")
    for week in report["by_week"]:
        table.add_row(week["week"], _money(week["value"]))
    return table


SERVICE_HEADINGS = ("fill rate", "on time", "error mean (days)", "error p90 (days)",
                    "quoted wait (days)", "promise changes")


def _service_cells(figures: dict[str, Any]) -> list[str]:
    return [_share(figures["fill_rate"]), _share(figures["on_time_rate"]),
            _days(figures["promise_error_days_mean"]), _days(figures["promise_error_days_p90"]),
            _days(figures["quoted_wait_days_mean"]), str(figures["promise_changes"])]


def service_table(report: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title=f"Service from {report['from']} to {report['to']}")
    table.add_column("account")
    for heading in SERVICE_HEADINGS:
        table.add_column(heading, justify="right")
    for row in report["by_account"]:
        table.add_row(row["account"], *_service_cells(row))
    table.add_section()
    table.add_row("everyone", *_service_cells(report), style="bold")
    return table


def aging_table(report: dict[str, Any]) -> Table:
    from rich.table import Table

    table = Table(title="Backorders waiting, by days since ordered")
    for heading in ("days", "units", "lines"):
        table.add_column(heading, justify="right")
    for bucket in report["aging"]:
        table.add_row(bucket["bucket"], str(bucket["units"]), str(bucket["lines"]))
    return table


@report_app.command("capital")
def capital(location: LocationOption = None, sku: SkuOption = None,
            database: DatabaseOption = None) -> None:
    """Capital tied up in stock (on hand, held, committed, free, excess, incoming)
    and the revenue waiting on supply, in money.

    Example: earmark report capital --location WEB
    """
    from rich.console import Console

    from earmark.service.capital import capital_report
    from earmark.settings import Settings

    with reading(database) as uow:
        report = capital_report(uow.tx, uow.today, Settings().currency, location, sku)
    console = Console()
    console.print(capital_table(report))
    console.print(weeks_table(report))
    console.print(f"skus without a cost: {report['missing_cost']}; "
                  f"without a price: {report['missing_price']}")


@report_app.command("service")
def service(location: LocationOption = None, sku: SkuOption = None,
            account: Annotated[str | None, typer.Option(help="Only this account.",
                                                        show_default=False)] = None,
            start: Annotated[str | None, typer.Option(
                "--from", help="First day (YYYY-MM-DD); default: 29 days before --to.",
                show_default=False)] = None,
            end: Annotated[str | None, typer.Option(
                "--to", help="Last day (YYYY-MM-DD); default: today.", show_default=False)] = None,
            database: DatabaseOption = None) -> None:
    """Fill rate, on-time rate, promise error, quoted wait, promise changes and
    backorder aging, per account.

    Example: earmark report service --account acme --from 2026-01-01 --to 2026-01-31
    """
    from rich.console import Console

    from earmark.cli.common import fail
    from earmark.service.service_levels import (
        Scope,
        default_window,
        service_report,
        window_problem,
    )

    try:
        first_day = None if start is None else date.fromisoformat(start)
        last_day = None if end is None else date.fromisoformat(end)
    except ValueError:
        fail("--from and --to are dates written YYYY-MM-DD", 2)
    with reading(database) as uow:
        first, last = default_window(uow.today, first_day, last_day)
        if problem := window_problem(first, last):
            fail(f"--{problem[0]} {problem[1]}".replace("must not be after to",
                                                         "must not be after --to"), 2)
        report = service_report(uow.tx, uow.today, Scope(first, last, sku, location, account))
    console = Console()
    console.print(service_table(report))
    console.print(aging_table(report))


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
