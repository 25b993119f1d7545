"""``earmark forecast show SKU``: the model and accuracy table, the chart and the points, without a TTY."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from earmark.cli.main import app
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.service.clock import Clock
from earmark.service.uow import Store

runner = CliRunner()
TODAY = date(2026, 1, 5)


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EARMARK_TODAY", TODAY.isoformat())
    monkeypatch.setenv("COLUMNS", "100")
    url = f"sqlite:///{tmp_path}/cli.db"
    invoke("db", "upgrade", "--database", url)
    return url


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def save(db: str, model: str = "AutoETS", method_reason: str | None = None) -> None:
    points = tuple(ForecastPoint(TODAY + timedelta(days=i), 4.0 + i % 3, 2.0, 8.0, 1.0, 10.0)
                   for i in range(1, 29))
    store = Store(db, Clock(frozen=TODAY))
    try:
        with store.engine.begin() as conn:
            save_forecasts(conn, [PositionForecast("COAT", "WEB", "run-7", TODAY, model, points,
                                                   Accuracy(0.812, 0.234), "SeasonalNaive",
                                                   Accuracy(1.05, None), method_reason)],
                           datetime.now(UTC))
    finally:
        store.dispose()


def test_show_prints_the_accuracy_table_the_chart_and_the_points(db: str) -> None:
    invoke("items", "create", "COAT", "Coat", "--database", db)
    invoke("locations", "create", "WEB", "Web", "--database", db)
    invoke("accounts", "create", "acme", "Acme", "--database", db)
    invoke("orders", "create", "SO-1", "acme", "COAT", "3", "--database", db)
    missing = runner.invoke(app, ["forecast", "show", "COAT", "--database", db])
    assert missing.exit_code == 1 and "no forecast" in missing.output
    save(db)
    out = invoke("forecast", "show", "COAT", "--location", "WEB", "--points", "3", "--database", db)
    assert "\x1b[" not in out  # no TTY: no colours
    assert "run-7" in out and "2026-01-05" in out
    assert "AutoETS" in out and "0.812" in out and "23.4%" in out
    assert "method: AutoETS\n" in out
    assert "SeasonalNaive" in out and "1.050" in out and "—" in out
    assert "80% band" in out and "*" in out and "·" in out
    assert "2026-01-06" in out and "5.0" in out and "2.0 – 8.0" in out
    assert "and 25 more day(s)" in out
    # The only location may be left out; an unknown sku is refused.
    assert "AutoETS" in invoke("forecast", "show", "COAT", "--database", db)
    assert runner.invoke(app, ["forecast", "show", "NOPE", "--database", db]).exit_code == 1


def test_show_says_a_fallback_forecast_is_one_and_why(db: str) -> None:
    invoke("items", "create", "COAT", "Coat", "--database", db)
    invoke("locations", "create", "WEB", "Web", "--database", db)
    save(db, "Naive", "too_little_history")
    out = invoke("forecast", "show", "COAT", "--points", "0", "--database", db)
    assert ("method: fallback (too_little_history: too little history to choose a model; Naive "
            "made the points)") in out
    assert "forecast (fallback)" in out


def test_show_says_when_no_day_of_the_forecast_is_after_today(db: str) -> None:
    invoke("items", "create", "COAT", "Coat", "--database", db)
    invoke("locations", "create", "WEB", "Web", "--database", db)
    save(db)
    assert "stale" not in invoke("forecast", "show", "COAT", "--database", db)
    made_on = TODAY - timedelta(days=40)
    points = tuple(ForecastPoint(made_on + timedelta(days=i), 4.0, 2.0, 8.0, 1.0, 10.0)
                   for i in range(1, 29))
    store = Store(db, Clock(frozen=TODAY))
    try:
        with store.engine.begin() as conn:
            save_forecasts(conn, [PositionForecast("COAT", "WEB", "run-old", made_on, "AutoETS",
                                                   points, Accuracy(None, None), "SeasonalNaive",
                                                   Accuracy(None, None))], datetime.now(UTC))
    finally:
        store.dispose()
    out = invoke("forecast", "show", "COAT", "--database", db)
    assert "run-old" in out and "stale" in out and "2026-01-05" in out
