"""``earmark simulate``: a year of orders, purchase orders and supplier slips,
run through the real engine, comparing how good each quoting policy's dates
are (``earmark.demo.simulation``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from earmark.demo.simulation import PolicyResult, Scenario

SLIP_NAMES = ("punctual", "sometimes-late", "erratic")


def simulate(
    seed: Annotated[int, typer.Option(help="Seed of every random draw: one seed, one result.")] = 7,
    days: Annotated[int, typer.Option(min=1, max=3660, help="Days to simulate.")] = 365,
    suppliers: Annotated[int, typer.Option(
        min=1, max=20, help="Suppliers, each delivering one item of its own.")] = 2,
    slips: Annotated[str, typer.Option(
        help="How purchase orders slip: " + ", ".join(SLIP_NAMES) + ".")] = "sometimes-late",
    out: Annotated[Path | None, typer.Option(help="Also write the table as CSV here.")] = None,
) -> None:
    """Compare quoting policies (naive-30, lead-time, pegged, pegged-p90) on a
    simulated year, driven through earmark's own commands on a temporary
    SQLite database with a frozen clock moved day by day.

    Example: earmark simulate --seed 7 --days 365 --out simulation.csv
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from earmark.demo.simulation import Scenario, simulate, write_csv

    if slips not in SLIP_NAMES:
        raise typer.BadParameter(f"must be one of {', '.join(SLIP_NAMES)}", param_hint="--slips")
    scenario = Scenario(days=days, seed=seed, suppliers=suppliers, slips=slips)
    console = Console()
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("simulating", total=days)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        results = simulate(scenario, advance)
    console.print(table(scenario, results))
    if out is not None:
        write_csv(out, scenario, results)
        console.print(f"written to {out}")


def table(scenario: Scenario, results: list[PolicyResult]) -> object:
    from rich.table import Table

    from earmark.demo.simulation import rounded

    title = (f"{scenario.days} days, seed {scenario.seed}, {scenario.suppliers} supplier(s), "
             f"slips {scenario.slips}")
    grid = Table(title=title)
    for name in ("policy", "on time", "error mean (d)", "error P90 (d)", "quoted wait (d)",
                 "changes/order", "fill rate", "capital held"):
        grid.add_column(name, justify="left" if name == "policy" else "right")
    for r in results:
        grid.add_row(
            r.policy,
            "-" if r.on_time_rate is None else f"{r.on_time_rate:.1%}",
            rounded(r.error_days_mean, 2),
            "-" if r.error_days_p90 is None else str(r.error_days_p90),
            rounded(r.quoted_wait_days_mean, 2),
            rounded(r.promise_changes_per_order, 3),
            "-" if r.fill_rate is None else f"{r.fill_rate:.1%}",
            rounded(r.capital_held_mean, 0),
        )
    return grid


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
