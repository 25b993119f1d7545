"""Issue 17 (5a): 32 clients place orders, retrying with their
Idempotency-Key, while the server is killed with SIGKILL three times and
started again. Every acknowledged order exists once, no unit is sold twice,
and ``earmark check`` passes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from tests.faults.load import ServerProcess, Tally, compare, earmark_check, run_clients, seed

CLIENTS = 32
SKUS = ["HOT-1", "HOT-2", "HOT-3"]
LOCATION = "WH"
ACCOUNT = "shop"
ON_HAND = 400
KILLS = 3
RUN_BEFORE_KILL_S = 3.0
SERVE_DEADLINE_S = 30.0


def _serve_a_while(tally: Tally, acknowledged_before: int) -> None:
    """Let the load run, at least until this server acknowledged an order of its own
    (a busy machine may take a while after a restart)."""
    time.sleep(RUN_BEFORE_KILL_S)
    deadline = time.monotonic() + SERVE_DEADLINE_S
    while len(tally.acknowledged) <= acknowledged_before and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.xdist_group("faults")
def test_an_order_acknowledged_before_a_kill_9_exists_once_and_nothing_is_oversold(
    postgres_database: str, server_on: Callable[..., ServerProcess]
) -> None:
    server = server_on(postgres_database)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        seed(client, SKUS, LOCATION, ACCOUNT, ON_HAND)
    tally = Tally()
    stop = threading.Event()
    outcome: list[list[BaseException]] = []
    load = threading.Thread(target=lambda: outcome.append(run_clients(
        server.url, tally, clients=CLIENTS, skus=SKUS, location=LOCATION, account=ACCOUNT,
        stop=stop, answer_by_s=60)))
    load.start()
    acknowledged_at_kills: list[int] = []
    try:
        for _ in range(KILLS):
            _serve_a_while(tally, acknowledged_at_kills[-1] if acknowledged_at_kills else 0)
            acknowledged_at_kills.append(len(tally.acknowledged))
            server.kill()
            server.start()
        _serve_a_while(tally, acknowledged_at_kills[-1])
    finally:
        stop.set()
        load.join(120)
    kills = len(acknowledged_at_kills)
    # Orders were acknowledged before the first kill and after each restart.
    served = [*acknowledged_at_kills, len(tally.acknowledged)]
    assert all(a < b for a, b in zip([0, *served], served, strict=False)), (
        f"orders acknowledged at each kill and at the end: {served}; {tally.summary()}")
    assert outcome == [[]], f"clients failed: {outcome}; {tally.summary()}"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        compared = compare(client, tally, SKUS, LOCATION, ON_HAND)
    checked = earmark_check(postgres_database)
    report = (f"killed {kills} times (orders acknowledged by then: {acknowledged_at_kills}); "
              f"{tally.summary()}; compared: {compared}; "
              f"earmark check: {checked}")
    print(report)
    assert kills == KILLS and tally.transport_errors > 0, f"no request was cut: {report}"
    assert 500 not in tally.statuses, report
    assert tally.unavailable_without_retry_after == 0, report
    assert "unhandled error" not in server.logged(), server.logged()[-3000:]
