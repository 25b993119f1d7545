"""``earmark forecast show SKU``: a position's forecast in the terminal — the
model and its accuracy next to the baseline (a Rich table), the method (the
model, or "fallback" and why), a chart of the
recent demand and the forecast with its 80% band (plotext), and the first
days' points. Works without a TTY (the chart is then drawn without colours)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from earmark.cli.common import DatabaseOption, fail, open_store

if TYPE_CHECKING:
    from rich.table import Table

    from earmark.forecast.store import Accuracy, PositionForecast

HISTORY_DAYS_DEFAULT = 56
POINTS_SHOWN_DEFAULT = 14
CHART_HEIGHT = 20
CHART_WIDTH_MAX = 160
DATE_FORM = "%Y-%m-%d"


def _number(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


FALLBACK_WHY = {
    "too_little_history": "too little history to choose a model",
    "model_failed": "the chosen model failed on this series",
}


def method_line(f: PositionForecast) -> str:
    """The forecast's method as API.md names it, and the reason for a fallback."""
    if f.method_reason is None:
        return f"method: {f.method}"
    why = FALLBACK_WHY.get(f.method_reason, f.method_reason)
    return f"method: {f.method} ({f.method_reason}: {why}; {f.model} made the points)"


def accuracy_table(f: PositionForecast) -> Table:
    from rich.table import Table

    table = Table(title=f"{f.sku} at {f.location}: forecast of run {f.run_id}, made on "
                        f"{f.made_on.isoformat()}")
    for column in ("", "model", "MASE", "WAPE"):
        table.add_column(column, justify="left" if column in ("", "model") else "right")
    table.add_row("chosen", f.model, _number(f.accuracy.mase), _percent(f.accuracy))
    table.add_row("baseline", f.baseline_model, _number(f.baseline.mase), _percent(f.baseline))
    return table


def _percent(a: Accuracy) -> str:
    return "—" if a.wape is None else f"{a.wape:.1%}"


def points_table(f: PositionForecast, limit: int) -> Table:
    from rich.table import Table

    shown = f.points[:limit]
    more = len(f.points) - len(shown)
    table = Table(title="Daily forecast", caption=f"and {more} more day(s)" if more > 0 else None)
    for column in ("date", "mean", "80% interval", "95% interval"):
        table.add_column(column, justify="left" if column == "date" else "right")
    for p in shown:
        table.add_row(p.day.isoformat(), f"{p.mean:.1f}", f"{p.lo80:.1f} – {p.hi80:.1f}",
                      f"{p.lo95:.1f} – {p.hi95:.1f}")
    return table


def forecast_chart(f: PositionForecast, history: dict[date, int], width: int,
                   colorless: bool) -> str:
    """The demand of ``history``'s days and the forecast mean with its 80% band, as text."""
    import plotext  # type: ignore[import-untyped]

    figure = plotext.figure
    figure.clear()
    figure.plot_size(width, CHART_HEIGHT)
    figure.date("x").activate(form=DATE_FORM)
    figure.title(f"{f.sku} at {f.location}   ⣿ demand   * forecast ({f.method})   · 80% band")
    figure.legend(active=False)
    days = sorted(history)
    if days:
        # Thin (braille) lines for the history, points for the forecast: the
        # series stay apart without colours too.
        figure.draw(figure.signal([d.strftime(DATE_FORM) for d in days],
                                  [history[d] for d in days], marker="braille").lines())
    x = [p.day.strftime(DATE_FORM) for p in f.points]
    if x:
        figure.draw(figure.signal(x, [p.hi80 for p in f.points], marker="·"))
        figure.draw(figure.signal(x, [p.lo80 for p in f.points], marker="·"))
        figure.draw(figure.signal(x, [p.mean for p in f.points], marker="*"))
    chart = figure.build().string(colorless=colorless)
    figure.clear()
    return str(chart)


def show(
    sku: str,
    location: Annotated[str | None, typer.Option(
        help="The location (may be left out while exactly one exists).")] = None,
    history_days: Annotated[int, typer.Option(
        min=1, max=730, help="Days of demand history drawn before the forecast.")]
    = HISTORY_DAYS_DEFAULT,
    points: Annotated[int, typer.Option(
        min=0, max=1000, help="Days of the forecast listed in the table.")] = POINTS_SHOWN_DEFAULT,
    database: DatabaseOption = None,
) -> None:
    """Print a position's forecast: the chosen model and its accuracy (MASE,
    WAPE) next to the seasonal-naive baseline, a chart of recent demand and
    the forecast with its 80% band, and the first days' points.

    Example: earmark forecast show COAT-XL --location WEB --history-days 28
    """
    from rich.console import Console
    from rich.text import Text

    from earmark.forecast.history import demand_tail
    from earmark.forecast.store import latest_forecast
    from earmark.service import catalog

    console = Console()
    store = open_store(database)
    try:
        with store.unit_of_work(write=False) as uow:
            if catalog.get_item(uow.tx, sku) is None:
                fail(f"not_found: no item {sku!r}")
            code = location or uow.master.only_location()
            if code is None:
                fail("location_required: more than one location exists; say --location", 2)
            if not catalog.location_exists(uow.tx, code):
                fail(f"not_found: no location {code!r}")
            forecast = latest_forecast(uow.tx, sku, code)
            if forecast is None:
                fail(f"not_found: no forecast of {sku} at {code} yet: run one with "
                     "earmark forecast run")
            today = uow.today
            # Complete days only: today's demand is still coming in.
            history = demand_tail(uow.tx, sku, code, today - timedelta(days=1), history_days)
    finally:
        store.dispose()
    console.print(accuracy_table(forecast))
    console.print(method_line(forecast), soft_wrap=True)
    if not any(p.day > today for p in forecast.points):
        # As the projection's stale_forecast: a forecast with no day ahead feeds nothing.
        console.print(f"[yellow]stale[/yellow]: none of its days is after today "
                      f"({today.isoformat()}), so it feeds no projection or suggestion: "
                      "run a new one with earmark forecast run")
    width = min(console.width, CHART_WIDTH_MAX)
    chart = forecast_chart(forecast, history, width, colorless=not console.is_terminal)
    console.print(Text.from_ansi(chart), soft_wrap=True)
    if points:
        console.print(points_table(forecast, points))
