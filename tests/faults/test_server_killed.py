"""Issue 17 (5a): 32 clients place orders, retrying with their
Idempotency-Key, while the server is killed with SIGKILL three times and
started again. Every acknowledged order exists once, no unit is sold twice,
and ``earmark check`` passes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.faults.load import ServerProcess, Tally, check_after_load, serve_a_stretch, under_load

KILLS = 3


@pytest.mark.postgres
@pytest.mark.xdist_group("faults")
def test_an_order_acknowledged_before_a_kill_9_exists_once_and_nothing_is_oversold(
    postgres_database: str, server_on: Callable[..., ServerProcess]
) -> None:
    server = server_on(postgres_database)
    tally = Tally()
    acknowledged_at_kills: list[int] = []
    with under_load(server, tally):
        for _ in range(KILLS):
            acknowledged_at_kills.append(serve_a_stretch(tally))
            server.kill()
            server.start()
        serve_a_stretch(tally)
    kills = len(acknowledged_at_kills)
    # Orders were acknowledged before the first kill and after each restart.
    served = [*acknowledged_at_kills, len(tally.acknowledged)]
    assert all(a < b for a, b in zip([0, *served], served, strict=False)), (
        f"orders acknowledged at each kill and at the end: {served}; {tally.summary()}")
    report = (f"killed {kills} times (orders acknowledged by then: {acknowledged_at_kills}); "
              f"{check_after_load(server, tally, postgres_database)}")
    print(report)
    assert kills == KILLS and tally.transport_errors > 0, f"no request was cut: {report}"
    assert 500 not in tally.statuses, report
    assert tally.unavailable_without_retry_after == 0, report
