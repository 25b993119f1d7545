"""``earmark forecast``: run forecasts and look at them, the projection they
feed; and ``earmark suggestions``: receipts and commitments to create."""

from typing import Annotated, Literal

import typer

from earmark.cli.common import (
    CursorOption,
    DatabaseOption,
    FormatOption,
    LimitOption,
    after,
    fail,
    group,
    need,
    opened,
    reading,
    report,
    run,
    show,
    show_page,
)
from earmark.cli.forecast_run import run as run_forecast
from earmark.cli.forecast_show import show as show_forecast
from earmark.service.vocabulary import CommitmentMode, ReceiptSource

forecast_app = group("Demand forecasts (statsforecast) and the projection.")
suggestions_app = group("Suggested receipts and forecast commitments.")

# ``earmark forecast show`` and ``run``: modules of their own (a chart; a progress bar).
forecast_app.command("show")(show_forecast)
forecast_app.command("run")(run_forecast)


@forecast_app.command("runs")
def runs(
    run_id: Annotated[str | None, typer.Argument(help="Show this run; without it, list them.",
                                                 show_default=False)] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """Forecast runs, newest first, or one of them (GET /v1/forecast-runs[/{id}]).

    Example: earmark forecast runs
    """
    from earmark.forecast import runs as forecast_runs

    if run_id is not None:
        with opened(database) as store:
            forecast_runs.fail_if_abandoned(store, run_id)
            with store.unit_of_work(write=False) as uow:
                found = forecast_runs.get_run(uow.tx, run_id)
        show(need(found, f"forecast run {run_id!r}"), format)
        return
    with reading(database) as uow:
        page = forecast_runs.list_runs(uow.tx, after(forecast_runs.RUNS.cursors, cursor), limit)
    show_page(page, format, title="Forecast runs", columns=None if format == "json" else [
        "id", "status", "backend", "horizon_days", "made_on", "positions_done",
        "positions_total", "created_at", "finished_at"])


@forecast_app.command("projection")
def projection(
    sku: str,
    location: Annotated[str | None, typer.Option(
        help="The location (may be left out while exactly one exists).")] = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """Projected on-hand per day from today (GET /v1/projection/{sku}): on-hand
    + receipts − each day's demand, the forecast netted against booked demand.

    Example: earmark forecast projection COAT-XL --location WEB
    """
    from earmark.forecast.planning import projection_of
    from earmark.service import catalog

    with reading(database) as uow:
        need(catalog.get_item(uow.tx, sku), f"item {sku!r}")
        code = location or uow.master.only_location()
        if code is None:
            fail("location_required: more than one location exists; say --location", 2)
        if not catalog.location_exists(uow.tx, code):
            fail(f"not_found: no location {code!r}")
        found = projection_of(uow.tx, sku, code, uow.today)
    show(need(found, f"item {sku!r}"), format, title=f"Projection of {sku} at {code}")


@suggestions_app.command("list")
def suggestion_list(
    sku: Annotated[str | None, typer.Option()] = None,
    location: Annotated[str | None, typer.Option()] = None,
    account: Annotated[str | None, typer.Option(help="Only this account's commitments.")]
    = None,
    kind: Annotated[Literal["receipt", "commitment"] | None, typer.Option()] = None,
    limit: LimitOption = 100, cursor: CursorOption = None,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """Receipts to place and forecast commitments to create (GET /v1/suggestions),
    with the default service level, review period and window.

    Example: earmark suggestions list --kind receipt
    """
    from earmark.forecast.planning import (
        SUGGESTIONS,
        suggestion_order,
        suggestion_out,
        suggestions,
    )
    from earmark.forecast.suggestions import Params
    from earmark.service.pages import computed_page, page

    with reading(database) as uow:
        found = suggestions(uow.tx, uow.today, Params(), sku=sku, location=location, kind=kind,
                            account=account)
    shown, next_cursor = computed_page(found, suggestion_order, SUGGESTIONS,
                                       after(SUGGESTIONS, cursor), limit)
    show_page(page([suggestion_out(s) for s in shown], next_cursor), format,
              title="Suggestions", columns=None if format == "json" else [
                  "id", "kind", "sku", "location", "account", "quantity", "date", "expires_on",
                  "method", "reason"])


@suggestions_app.command("accept")
def suggestion_accept(
    suggestion_id: str,
    create_id: Annotated[str | None, typer.Option(
        "--id", help="The id of the receipt or commitment it creates (default: its own).")]
    = None,
    mode: Annotated[CommitmentMode | None, typer.Option(help="A commitment's mode.")] = None,
    source: Annotated[ReceiptSource | None, typer.Option(help="A receipt's source.")] = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Create a suggestion as it is now, through the same command as creating
    the receipt or commitment (POST /v1/suggestions/{id}/accept).

    Example: earmark suggestions accept rcpt:COAT-XL:WEB
    """
    from earmark.forecast.planning import AcceptSuggestion, accept_suggestion, find_suggestion
    from earmark.forecast.suggestions import Params
    from earmark.service.rebalancing import TransferSuggestion

    with reading(database) as uow:
        seen = find_suggestion(uow.tx, uow.today, suggestion_id, Params())
    transfer = seen if isinstance(seen, TransferSuggestion) else None
    location = (transfer.destination if transfer
                else seen.location if seen is not None and not isinstance(seen, TransferSuggestion)
                else None)
    report(run(database, accept_suggestion, AcceptSuggestion(
        suggestion_id, seen.sku if seen else None, location,
        create_id=create_id, mode=mode, source=source,
        also_locked=(transfer.origin,) if transfer else ())), format)


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")
    app.add_typer(suggestions_app, name="suggestions")
