"""The local PostgreSQL: throwaway databases, and the peers measured with pgbench."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

PEERS_DIR = Path(__file__).parent / "peers"
CLIENTS = 16
THREADS = 2
SPREAD_VARIANTS = 10_000
TPS_PATTERN = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.MULTILINE)


class BenchBroken(Exception):
    """The bench itself could not run (not a target missed)."""


class Databases:
    """Creates databases named ``earmark_bench_<random>_<what>`` and drops them all on close."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"earmark_bench_{secrets.token_hex(4)}"
        self.created: list[str] = []
        try:
            self._admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as error:
            raise BenchBroken(f"no PostgreSQL answers at {admin_url}: {error}") from error
        self.version = str(self._admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]

    def create(self, what: str) -> str:
        """A fresh database; returns its ``postgresql://`` URL."""
        name = f"{self.prefix}_{what}"
        self._admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.url_of(name)

    def url_of(self, name: str) -> str:
        parts = urlsplit(self.admin_url)
        return parts._replace(path=f"/{name}").geturl()

    def close(self) -> list[str]:
        """Drop every database made; returns the names that could not be dropped."""
        failed: list[str] = []
        for name in reversed(self.created):
            try:
                self._admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error:
                failed.append(name)
        self.created.clear()
        self._admin.close()
        return failed


@dataclass(frozen=True)
class Peer:
    key: str
    label: str
    script: str
    variants: int
    orders_per_transaction: int = 1


PEERS = (
    Peer("saleor-hot", "Saleor allocate_stocks, 1 hot variant", "saleor_allocate.sql", 1),
    Peer("saleor-spread", f"Saleor allocate_stocks, {SPREAD_VARIANTS:,} variants",
         "saleor_allocate.sql", SPREAD_VARIANTS),
    Peer("single-hot", "single conditional UPDATE+INSERT, 1 hot variant", "single_statement.sql", 1),
    Peer("single-spread", f"single conditional UPDATE+INSERT, {SPREAD_VARIANTS:,} variants",
         "single_statement.sql", SPREAD_VARIANTS),
    Peer("batched-hot", "single statement, 100 orders per transaction, hot",
         "batched_100.sql", 1, orders_per_transaction=100),
)


def _connection_args(url: str) -> list[str]:
    parts = urlsplit(url)
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
            "-U", parts.username or "postgres"]
    return [*args, parts.path.lstrip("/")]


def _run(command: list[str], what: str, timeout_s: float, password: str | None) -> str:
    env = None
    if password:
        import os

        env = {**os.environ, "PGPASSWORD": password}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, env=env,
                              check=False)
    except subprocess.TimeoutExpired as error:
        raise BenchBroken(f"{what} did not finish in {timeout_s:.0f} s") from error
    if done.returncode != 0:
        raise BenchBroken(f"{what} failed (exit {done.returncode}): "
                          f"{(done.stderr or done.stdout).strip()[-600:]}")
    return done.stdout + done.stderr


def run_peer(url: str, peer: Peer, seconds: float) -> float:
    """Orders per second of ``peer`` on a freshly seeded schema in the database at ``url``."""
    for tool in ("psql", "pgbench"):
        if shutil.which(tool) is None:
            raise BenchBroken(f"{tool} is not installed (apt-get install postgresql-client)")
    password = urlsplit(url).password
    _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"variants={peer.variants}",
          "-f", str(PEERS_DIR / "schema.sql"), *_connection_args(url)],
         f"seeding the peer schema for {peer.key}", 120, password)
    output = _run(["pgbench", "-n", "-c", str(CLIENTS), "-j", str(THREADS), "-T", str(round(seconds)),
                   "-D", f"variants={peer.variants}", "-f", str(PEERS_DIR / peer.script),
                   *_connection_args(url)],
                  f"pgbench {peer.script}", seconds + 60, password)
    match = TPS_PATTERN.search(output)
    if match is None:
        raise BenchBroken(f"no tps in the output of pgbench {peer.script}: {output[-600:]}")
    return float(match.group(1)) * peer.orders_per_transaction
