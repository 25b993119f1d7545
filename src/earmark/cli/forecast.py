"""``earmark forecast``: run forecasts and look at them."""

from __future__ import annotations

import typer

forecast_app = typer.Typer(help="Demand forecasts (statsforecast).", no_args_is_help=True)
