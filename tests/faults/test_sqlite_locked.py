"""Issue 17 (5c): a SQLite file locked by another process (an open
``BEGIN EXCLUSIVE``) makes writes wait out the busy timeout, then answer 503
with Retry-After, never 500; once the lock is gone the same requests, sent
again with their Idempotency-Key, succeed once."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.faults.load import ServerProcess, Tally, earmark_check, seed

BUSY_TIMEOUT_S = 1
HOLD_LOCK = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
connection.execute("ROLLBACK")
"""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another process holding the database's write lock until the block ends."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(10)


def _writes(n: int) -> list[tuple[str, str, dict[str, object]]]:
    return [
        ("POST", "/v1/orders", {"id": f"SO-{n}", "account": "shop",
                                "lines": [{"sku": "LOCKED", "location": "WH", "quantity": 2}]}),
        ("POST", "/v1/adjustments", {"sku": "LOCKED", "location": "WH", "quantity": 5,
                                     "reason": "count"}),
        ("POST", "/v1/orders:batch", {"orders": [{
            "id": f"SO-batch-{n}", "account": "shop",
            "lines": [{"sku": "LOCKED", "location": "WH", "quantity": 1}]}]}),
    ]


@pytest.mark.xdist_group("faults-sqlite")
def test_a_sqlite_file_locked_by_another_process_answers_503_with_retry_after_not_500(
    tmp_path: Path, server_on: Callable[..., ServerProcess]
) -> None:
    path = tmp_path / "earmark.db"
    url = f"sqlite:///{path}?timeout={BUSY_TIMEOUT_S}"
    server = server_on(url)
    tally = Tally()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        seed(client, ["LOCKED"], "WH", "shop", 10)
        # The dashboard's forms carry a CSRF token (earmark.api.middleware).
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/act").text)
        assert found, "the dashboard's form carries no CSRF token"
        with locked(path):
            for method, route, body in _writes(1):
                answer = client.request(method, route, json=body,
                                        headers={"Idempotency-Key": f"k-{route}"})
                tally.count(answer.status_code, False, answer.headers)
                assert answer.status_code == 503, (route, answer.status_code, answer.text)
                assert answer.headers["retry-after"] == "1"
                assert answer.headers["content-type"].startswith("application/problem+json")
                assert answer.json()["type"] == "urn:earmark:problem:database-unavailable"
            # Reads go on: SQLite in WAL mode lets them past a writer's lock.
            position = client.get("/v1/availability/LOCKED", params={"location": "WH"})
            tally.count(position.status_code, False)
            assert position.status_code == 200, position.text
            assert (position.json()["on_hand"], position.json()["allocated"]) == (10, 0)
            # The dashboard's forms write too: the same answer, not a 500.
            page = client.post("/act/order", data={"id": "SO-web", "account": "shop",
                                                   "sku": "LOCKED", "location": "WH",
                                                   "quantity": "1",
                                                   "csrf_token": found.group(1)})
            tally.count(page.status_code, False, page.headers)
            assert page.status_code == 503, page.text
        for method, route, body in _writes(1):
            answer = client.request(method, route, json=body,
                                    headers={"Idempotency-Key": f"k-{route}"})
            tally.count(answer.status_code, True, answer.headers)
            assert answer.status_code in (200, 201), answer.text
        position = client.get("/v1/availability/LOCKED", params={"location": "WH"}).json()
    counts = (position["on_hand"], position["allocated"], position["backordered"])
    checked = earmark_check(url)
    report = (f"{tally.summary()}; on_hand/allocated/backordered {counts} = (15, 3, 0) "
              f"after the lock; earmark check: {checked}")
    print(report)
    # 10 counted in + 5 after the lock; SO-1 (2 units) and SO-batch-1 (1) once each.
    assert counts == (15, 3, 0), report
    assert tally.statuses[503] == 4 and 500 not in tally.statuses, report
    assert "unhandled error" not in server.logged(), server.logged()[-3000:]
