"""``earmark forecast``: run forecasts and look at them."""

from __future__ import annotations

import typer

forecast_app = typer.Typer(help="Demand forecasts (statsforecast).", no_args_is_help=True)


# ``earmark forecast show``: its own module (the chart and the tables).
from earmark.cli.forecast_show import show  # noqa: E402

forecast_app.command("show")(show)

# ``earmark forecast run``: its own module (the run, its progress bar and summary).
from earmark.cli.forecast_run import run  # noqa: E402

forecast_app.command("run")(run)
