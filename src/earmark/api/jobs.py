"""The daily jobs (commitment expiry): at start, and as days pass.

Every server runs them once at start, so that a server started on a later
day than it last ran (frozen on a later ``EARMARK_TODAY``, or after days
down) does what the passing of those days triggers. Frozen, the calendar
then only moves by ``POST /v1/clock``, which runs the jobs itself.
Unfrozen, the server runs them again whenever the UTC day turns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import date

import anyio.to_thread

from earmark.service import commitments
from earmark.service.clock import Clock
from earmark.service.uow import Store

log = logging.getLogger("earmark.jobs")

POLL_SECONDS = 60.0
"""How often the day is looked at; a day's jobs run at most this late."""


def run_daily_jobs(store: Store) -> int:
    with store.unit_of_work() as uow:
        return commitments.run_daily_jobs(uow)


async def _every_day(store: Store) -> None:
    done: date | None = None
    while True:
        today = Clock.now().date()
        if today != done:
            try:
                expired = await anyio.to_thread.run_sync(run_daily_jobs, store)
            except Exception:
                # Logged and tried again at the next poll; a failed run changes nothing.
                log.exception("daily jobs failed for %s", today)
            else:
                done = today
                log.info("daily jobs for %s: %d commitment(s) expired", today, expired)
        await asyncio.sleep(POLL_SECONDS)


@contextlib.asynccontextmanager
async def daily_jobs(store: Store) -> AsyncIterator[None]:
    if store.clock.is_frozen:
        try:
            expired = await anyio.to_thread.run_sync(run_daily_jobs, store)
        except Exception:
            # The server still starts; the next POST /v1/clock runs them again.
            log.exception("daily jobs failed at start")
        else:
            log.info("daily jobs at start: %d commitment(s) expired", expired)
        yield
        return
    task = asyncio.create_task(_every_day(store), name="earmark-daily-jobs")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
