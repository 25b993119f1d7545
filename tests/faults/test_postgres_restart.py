"""Issue 17 (5b): PostgreSQL restarted (``pg_ctlcluster ... restart``) under
the load of 32 clients. While the database is away the server answers 503
with Retry-After, never 500; it reconnects by itself; and, as through a
kill -9, every acknowledged order exists once and no unit is sold twice.

The restart is of a PostgreSQL cluster of this test's own (created with
``pg_createcluster`` on a free port, dropped at the end, even on failure):
other tests, and anyone else using the shared server, never see it go away."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import IN_CI
from tests.e2e.conftest import free_port
from tests.faults.load import ServerProcess, Tally, check_after_load, serve_a_stretch, under_load

CLUSTER_SECONDS_MAX = 60


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name,
                        action], check=True, capture_output=True, timeout=CLUSTER_SECONDS_MAX)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"the PostgreSQL restart test needs pg_createcluster in CI: {reason}")
    pytest.skip(f"cannot create a PostgreSQL cluster of this test's own: {reason}")


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster that only this test uses (trust auth on loopback)."""
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) \
        if Path("/etc/postgresql").is_dir() else []
    if not versions or shutil.which("pg_createcluster") is None:
        _unavailable("no Debian PostgreSQL tools (pg_createcluster, /etc/postgresql)")
    cluster = Cluster(versions[-1], f"faults_{uuid.uuid4().hex[:8]}", free_port())
    created = subprocess.run(
        ["pg_createcluster", cluster.version, cluster.name, "-p", str(cluster.port), "--",
         "--auth-host=trust", "--auth-local=trust"],
        capture_output=True, text=True, timeout=CLUSTER_SECONDS_MAX)
    if created.returncode != 0:
        _unavailable(created.stderr.strip())
    try:
        cluster.ctl("start")
        yield cluster
    finally:
        subprocess.run(["pg_dropcluster", "--stop", cluster.version, cluster.name],
                       capture_output=True, timeout=CLUSTER_SECONDS_MAX)


@pytest.mark.postgres
@pytest.mark.xdist_group("faults-postgres-restart")
def test_a_postgresql_restart_under_load_is_503_with_retry_after_and_loses_nothing(
    own_cluster: Cluster, server_on: Callable[..., ServerProcess]
) -> None:
    server = server_on(own_cluster.url)
    tally = Tally()
    with under_load(server, tally):
        before_restart = serve_a_stretch(tally)
        started = time.monotonic()
        own_cluster.ctl("restart")
        outage_s = time.monotonic() - started
        unavailable_during = tally.statuses[503]
        acknowledged_at_restart = len(tally.acknowledged)
        after_restart = serve_a_stretch(tally) - acknowledged_at_restart
    report = (f"restart took {outage_s:.1f}s; {before_restart} orders acknowledged before it, "
              f"{after_restart} after it; 503 answers during it: {unavailable_during}; "
              f"{check_after_load(server, tally, own_cluster.url)}")
    print(report)
    assert unavailable_during > 0, f"no request met the database away: {report}"
    assert tally.unavailable_without_retry_after == 0, report
    assert 500 not in tally.statuses and tally.transport_errors == 0, report
    assert before_restart > 0 and after_restart > 0, f"the server did not reconnect: {report}"
