"""``earmark forecast run``: forecast every position with demand history, in
this process, with a progress bar; then the run's summary."""

from enum import Enum
from typing import Annotated, Any

import typer

from earmark.cli.common import DatabaseOption, open_store
from earmark.forecast.limits import HORIZON_DAYS_DEFAULT, HORIZON_DAYS_MAX


class BackendChoice(str, Enum):
    local = "local"
    dask = "dask"


def run(
    backend: Annotated[BackendChoice, typer.Option(
        help="local: statsforecast's process pool on this machine; dask: the cluster at "
        "$EARMARK_DASK_SCHEDULER (a local one without it).")] = BackendChoice.local,
    horizon: Annotated[int, typer.Option(
        min=1, max=HORIZON_DAYS_MAX, help="Days to forecast, from tomorrow.")]
    = HORIZON_DAYS_DEFAULT,
    jobs: Annotated[int, typer.Option(
        min=0, help="Processes (or local Dask workers) to use; 0 for one per core "
        "($EARMARK_FORECAST_JOBS).")] = 0,
    database: DatabaseOption = None,
) -> None:
    """Forecast every position with demand history (a run, as POST /v1/forecast-runs
    starts one), with a progress bar; ends with the accuracy next to the seasonal
    naive baseline and the models chosen.

    Example: earmark forecast run --horizon 90 --database sqlite:///earmark.db
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from earmark.forecast.execution import backend_for, execute_run
    from earmark.forecast.runs import StartRun, start_run
    from earmark.settings import Settings

    console = Console()

    settings = Settings()
    store = open_store(database)
    try:
        with store.unit_of_work() as uow:
            started = start_run(uow, StartRun(backend.value, horizon))
        if not started.ok:
            console.print(f"[red]{started.detail}[/red]")
            raise typer.Exit(1)
        run_id = started.value["id"]
        columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
                   MofNCompleteColumn(), TextColumn("positions"), TimeElapsedColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"forecast run {run_id}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, total=total, completed=done)

            workers = jobs or settings.forecast_jobs or None
            with backend_for(backend.value, workers or _cores(), settings.dask_scheduler) as chosen:
                try:
                    finished = execute_run(store, run_id, chosen, advance)
                except Exception as error:
                    progress.stop()
                    console.print(f"[red]forecast run {run_id} failed:[/red] {error}")
                    raise typer.Exit(1) from error
    finally:
        store.dispose()
    show_summary(finished)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if percent else f"{value:.3f}"


def show_summary(run: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    from earmark.forecast import models

    console = Console()
    summary = run["summary"] or {}
    accuracy = summary.get("accuracy", {})
    cv = summary.get("cross_validation", {})
    console.print(
        f"[green]forecast run {run['id']} {run['status']}[/green]: {summary.get('positions', 0)} "
        f"position(s), {run['horizon_days']} days from {run['made_on']}, "
        f"{summary.get('backend', run['backend'])} backend, {summary.get('elapsed_seconds', 0)} s")
    table = Table(title=f"Cross-validated accuracy ({cv.get('windows')} windows of "
                        f"{cv.get('horizon_days')} days, {summary.get('cross_validated', 0)} positions)")
    for column in ("", "model", "MASE (mean)", "WAPE"):
        table.add_column(column, justify="left" if column in ("", "model") else "right")
    chosen, baseline = accuracy.get("model", {}), accuracy.get("baseline", {})
    table.add_row("chosen", "per position", _number(chosen.get("mase")),
                  _number(chosen.get("wape"), percent=True))
    table.add_row("baseline", str(baseline.get("model", models.BASELINE)),
                  _number(baseline.get("mase")), _number(baseline.get("wape"), percent=True))
    console.print(table)
    console.print(f"better than the baseline on {accuracy.get('better_than_baseline', 0)} of "
                  f"{summary.get('cross_validated', 0)} cross-validated positions; "
                  f"{summary.get('intermittent', 0)} intermittent, "
                  f"{summary.get('too_short', 0)} too short to cross-validate")
    counts = Table(title="Models chosen")
    counts.add_column("model")
    counts.add_column("positions", justify="right")
    for name, count in sorted(summary.get("models", {}).items(), key=lambda kv: -kv[1]):
        counts.add_row(name, str(count))
    console.print(counts)
