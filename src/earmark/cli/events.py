"""Events and what is told of them, over the same reads and handlers as the
HTTP API: the event log (``events tail``), webhooks, and the calendar."""

import time
from datetime import date
from typing import Annotated, Any

import typer

from earmark.cli.common import (
    CursorOption,
    DatabaseOption,
    Day,
    FormatOption,
    LimitOption,
    after,
    day_option,
    done,
    group,
    need,
    opened,
    reading,
    report,
    run,
    show,
    show_page,
    show_rows,
    to_json,
)

events_app = group("The event log: every change, oldest first.")
webhooks_app = group("Webhooks: events POSTed to a URL, signed.")
clock_app = group("The calendar earmark plans by.")

EVENTS_TAIL_DEFAULT = 20


def _print_events(items: list[dict[str, Any]], fmt: str, header: bool) -> None:
    if fmt == "csv":
        show_rows(items, "csv", columns=["id", "type", "at", "data"], header=header)
        return
    for event in items:
        if fmt == "json":
            # One event per line (JSON Lines), so that a follower can be piped.
            typer.echo(to_json(event).replace("\n", "").replace("  ", ""))
        else:
            data = " ".join(f"{k}={v}" for k, v in event["data"].items() if v is not None)
            typer.echo(f"{event['id']:>6}  {event['at']:%Y-%m-%d %H:%M:%S}  "
                       f"{event['type']:<24} {data}")


@events_app.command("tail")
def events_tail(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events "
                                         "as they are recorded, until Ctrl-C.")] = False,
    event_type: Annotated[str | None, typer.Option("--type", help="Only events of this type "
                                                   "(order.promise_changed, ...).")] = None,
    after_id: Annotated[int | None, typer.Option("--after", min=0, help="Events with a larger "
                                                 "id (default: the last --limit).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many to print first.")]
    = EVENTS_TAIL_DEFAULT,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between looks, "
                                            "with --follow.")] = 1.0,
    database: DatabaseOption = None, format: FormatOption = "table",
) -> None:
    """The latest events, oldest first (GET /v1/events); with --follow, then
    every new one. One line per event; JSON Lines with --format json.

    Example: earmark events tail --follow --type order.promise_changed
    """
    from earmark.cli.common import open_store
    from earmark.service.event_log import tail_start
    from earmark.service.queries import list_events

    store = open_store(database)
    header = True
    try:
        with store.unit_of_work(write=False) as uow:
            last = after_id if after_id is not None else tail_start(uow.tx, limit, event_type)
        while True:
            with store.unit_of_work(write=False) as uow:
                found = list_events(uow.tx, last, event_type, 1000 if follow else limit)
            if found["items"]:
                _print_events(found["items"], format, header)
                header = False
                last = found["items"][-1]["id"]
            if not follow:
                return
            if not found["next_cursor"]:
                time.sleep(interval)
    except KeyboardInterrupt:
        return
    finally:
        store.dispose()


@webhooks_app.command("create")
def webhook_create(
    url: str,
    secret: Annotated[str, typer.Option(help="Signs every delivery; never shown again.",
                                        show_default=False)],
    event: Annotated[list[str] | None, typer.Option(
        "--event", help="An event type to deliver (repeat it); default: every event (*).")]
    = None,
    database: DatabaseOption = None, format: FormatOption = "json",
) -> None:
    """Subscribe a URL to events (POST /v1/webhooks).

    Example: earmark webhooks create https://example.com/hook --secret s3cret --event order.promise_changed
    """
    from earmark.notify import webhooks
    from earmark.settings import Settings

    report(run(database, webhooks.create_webhook,
               webhooks.CreateWebhook(url, event or ["*"], secret,
                                      allow_private=Settings().webhook_allow_private)), format)


@webhooks_app.command("list")
def webhook_list(limit: LimitOption = 100, cursor: CursorOption = None,
                 database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """List webhooks.  Example: earmark webhooks list"""
    from earmark.notify import webhooks

    with reading(database) as uow:
        found = webhooks.list_webhooks(uow.tx, after(webhooks.WEBHOOKS.cursors, cursor), limit)
    show_page(found, format, title="Webhooks")


@webhooks_app.command("show")
def webhook_show(webhook_id: str, database: DatabaseOption = None,
                 format: FormatOption = "json") -> None:
    """One webhook.  Example: earmark webhooks show wh_0123"""
    from earmark.notify import webhooks

    with reading(database) as uow:
        found = webhooks.get_webhook(uow.tx, webhook_id)
    show(need(found, f"webhook {webhook_id!r}"), format)


@webhooks_app.command("rm")
def webhook_rm(webhook_id: str, database: DatabaseOption = None) -> None:
    """Stop delivering to a webhook; what is pending is not sent.  Example: earmark webhooks rm wh_0123"""
    from earmark.notify import webhooks

    done(run(database, webhooks.delete_webhook, webhooks.DeleteWebhook(webhook_id)),
         f"removed the webhook {webhook_id}")


@webhooks_app.command("deliveries")
def webhook_deliveries(webhook_id: str, limit: LimitOption = 100, cursor: CursorOption = None,
                       database: DatabaseOption = None, format: FormatOption = "table") -> None:
    """A webhook's deliveries: attempts, outcome, next try.

    Example: earmark webhooks deliveries wh_0123
    """
    from earmark.notify import webhooks

    with reading(database) as uow:
        need(webhooks.get_webhook(uow.tx, webhook_id), f"webhook {webhook_id!r}")
        found = webhooks.list_deliveries(uow.tx, webhook_id,
                                         after(webhooks.DELIVERIES.cursors, cursor), limit)
    show_page(found, format, title=f"Deliveries of {webhook_id}")


@clock_app.command("show")
def clock_show(database: DatabaseOption = None, format: FormatOption = "json") -> None:
    """Today, as earmark plans by it, and whether the calendar is frozen.

    Example: earmark clock show
    """
    with reading(database) as uow:
        show({"today": uow.today, "frozen": uow.store.clock.is_frozen}, format)


@clock_app.command("advance")
def clock_advance(today: Day, database: DatabaseOption = None,
                  format: FormatOption = "json") -> None:
    """Move a frozen calendar forward (never back) and run what the passing days
    trigger: commitment expiry (POST /v1/clock).

    Example: EARMARK_TODAY=2026-01-05 earmark clock advance 2026-02-01
    """
    from earmark.service import commitments as cm
    from earmark.service.actor import SYSTEM, acting_as

    # What the passing days trigger is the clock's doing (API.md: system).
    with acting_as(SYSTEM):
        report(run(database, cm.advance_clock, cm.AdvanceClock(today)), format)


@events_app.command("purge")
def events_purge(
    before: Annotated[date, day_option("--before", help="Delete events recorded before "
                                       "this day (UTC).")],
    database: DatabaseOption = None,
) -> None:
    """Delete the events recorded before a day (UTC), shortening the audit
    trail; an event that an active webhook has not had yet, or that the
    notices have not told yet, is kept.

    Example: earmark events purge --before 2026-01-01
    """
    from earmark.notify.retention import purge_events

    with opened(database) as store:
        deleted, kept_from = purge_events(store, before)
    held = f"; events from #{kept_from} on are kept for their readers" if kept_from else ""
    typer.echo(f"deleted {deleted} event(s) recorded before {before.isoformat()}{held}")


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(clock_app, name="clock")
