"""What is kept, and for how long.

- A delivered webhook delivery is of no more use once it has been seen: the
  server deletes those older than ``EARMARK_DELIVERED_RETENTION_DAYS`` (7)
  from the dispatcher, about once an hour. Pending and failed ones stay, for
  the webhook's deliveries list to explain.
- Events are the audit trail and are kept until ``earmark events purge
  --before DATE`` shortens them; even then an event that an active webhook
  has not had yet (or the notices not yet told) is kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.engine import Connection

from earmark.notify.notices import NOTICES_CURSOR
from earmark.notify.outbox import now, transaction
from earmark.notify.webhooks import cursor_name
from earmark.service.uow import Store
from earmark.store import tables as t

PURGE_EVERY = timedelta(hours=1)


def purge_delivered(store: Store, retention: timedelta, at: datetime | None = None) -> int:
    """Delete deliveries delivered more than ``retention`` ago; how many."""
    d = t.deliveries
    cutoff = (at or now()) - retention
    with transaction(store) as connection:
        return int(connection.execute(delete(d).where(
            d.c.status == "delivered", d.c.delivered_at < cutoff)).rowcount or 0)


def _kept_from(connection: Connection) -> int | None:
    """The smallest event id that someone still needs (None: nobody needs any):
    the first event after the cursor of an active webhook or of the notices,
    or a delivery still pending to an active webhook."""
    w, c, d = t.webhooks, t.subscriber_cursors, t.deliveries
    active = [row[0] for row in connection.execute(select(w.c.id).where(w.c.deleted_at.is_(None)))]
    names = [cursor_name(webhook_id) for webhook_id in active] + [NOTICES_CURSOR]
    cursors = [int(row[0]) for row in connection.execute(
        select(c.c.last_event_id).where(c.c.name.in_(names)))]
    firsts = [cursor + 1 for cursor in cursors]
    if len(cursors) < len(names):
        firsts.append(0)  # a reader that has not started yet needs every event
    pending = connection.execute(select(func.min(d.c.event_id)).where(
        d.c.status == "pending", d.c.webhook_id.in_(active))).scalar()
    if pending is not None:
        firsts.append(int(pending))
    return min(firsts) if firsts else None


def purge_events(store: Store, before: date) -> tuple[int, int | None]:
    """Delete the events recorded before ``before`` (UTC midnight) that nobody
    still needs; how many, and the first event id kept for a reader (None
    when none held any back)."""
    e = t.events
    cutoff = datetime.combine(before, time.min, tzinfo=UTC)
    with transaction(store) as connection:
        kept_from = _kept_from(connection)
        condition = e.c.at < cutoff
        if kept_from is not None:
            condition = and_(condition, e.c.id < kept_from)
        deleted = int(connection.execute(delete(e).where(condition)).rowcount or 0)
    return deleted, kept_from
