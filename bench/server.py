"""Scenario c: the real server over HTTP (``earmark serve`` in a subprocess),
loaded by wrk (or, without it, a Python load generator), then with
``POST /v1/orders:batch``; and f: the server's memory afterwards."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from bench import seed, service
from bench.pg import BenchBroken

LUA_SCRIPT = Path(__file__).parent / "wrk" / "place_order.lua"
CONNECTIONS = 16
CROWD_CONNECTIONS = 256
"""The second wrk run of c: many clients at once, where a queue that only grows shows."""
WRK_THREADS = 2
BATCH_ORDERS = 100
BATCH_CALLERS = 4
SKU = "HOT-C"
STARTUP_S = 60.0


def ensure_wrk() -> tuple[str | None, str]:
    """The path of wrk, installing it with apt-get if missing; or (None, why not)."""
    found = shutil.which("wrk")
    if found:
        return found, ""
    apt = shutil.which("apt-get")
    if apt is None:
        return None, "wrk is not installed and there is no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "install", "-y", "-qq", "wrk"], [apt, "update", "-qq"],
                    [apt, "install", "-y", "-qq", "wrk"]):
        try:
            subprocess.run(command, capture_output=True, timeout=300, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired):
            break
        if command[1] == "install" and (found := shutil.which("wrk")):
            return found, ""
    return None, "wrk is missing and `apt-get install wrk` failed"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB (0 if it cannot be read)."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in values:
                values[name] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


class Server:
    """``earmark serve`` on a free port, frozen at the bench's today, as a child process.

    One server process (``--workers 1``), the setting for a flash sale on one
    sku: with one process per core (serve's default on PostgreSQL) the
    processes take turns on the hot sku's lock and reload each other's
    position, about three times slower here."""

    WORKERS = 1

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Closed in stop(): the log outlives this method.
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        script = Path(sys.executable).parent / "earmark"
        command = ([str(script)] if script.exists() else [sys.executable, "-m", "earmark.cli.main"])
        command += ["serve", "--database", self.database_url, "--port", str(self.port),
                    "--workers", str(self.WORKERS)]
        env = {**os.environ, "EARMARK_TODAY": seed.TODAY.isoformat()}
        # A session of its own: a Ctrl-C on the terminal reaches the bench,
        # which then stops the server in order (stop()).
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchBroken(f"the server exited with {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise BenchBroken(f"the server did not answer /healthz in {STARTUP_S:.0f} s: {self.log()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-1500:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._log.close()


@dataclass
class HttpLoad:
    requests_per_s: float
    p99_ms: float
    requests: int
    failed: int
    generator: str
    note: str = ""


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise BenchBroken(f"wrk printed a latency I cannot read: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> tuple[float, float, int, int]:
    """(requests/s, p99 ms, requests, non-2xx and socket errors) from ``wrk --latency``."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    if rps is None or p99 is None or total is None:
        raise BenchBroken(f"cannot read the output of wrk: {output[-800:]}")
    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return float(rps.group(1)), _duration_ms(p99.group(1)), int(total.group(1)), failed


def wrk_orders(wrk: str, server: Server, seconds: float, prefix: str,
               connections: int = CONNECTIONS) -> HttpLoad:
    command = [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{round(seconds)}s", "--latency",
               "-s", str(LUA_SCRIPT), f"{server.base}/v1/orders", "--", prefix, SKU,
               seed.LOCATION, seed.ACCOUNT]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60,
                              check=False)
    except subprocess.TimeoutExpired as error:
        raise BenchBroken("wrk did not finish") from error
    if done.returncode != 0:
        raise BenchBroken(f"wrk failed (exit {done.returncode}): {done.stderr.strip()[-600:]}")
    rps, p99, total, failed = parse_wrk(done.stdout)
    return HttpLoad(rps, p99, total, failed, "wrk")


def _order(order_id: str) -> dict[str, Any]:
    return {"id": order_id, "account": seed.ACCOUNT,
            "lines": [{"line": "1", "sku": SKU, "quantity": 1, "location": seed.LOCATION}]}


@dataclass
class _Tally:
    ok: int = 0
    failed: int = 0
    latencies_s: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _drive(server: Server, callers: int, seconds: float,
           post: Any) -> tuple[_Tally, float]:
    """``callers`` threads, each with its own connection, call ``post(client, n, i)``
    (which returns (ok, failed)) until ``seconds`` have passed."""
    tally = _Tally()
    stop = threading.Event()
    start = threading.Barrier(callers + 1)

    def caller(n: int) -> None:
        latencies: list[float] = []
        ok = failed = 0
        with httpx.Client(base_url=server.base, timeout=60) as client:
            start.wait()
            i = 0
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    good, bad = post(client, n, i)
                except httpx.HTTPError:
                    good, bad = 0, 1
                latencies.append(time.perf_counter() - began)
                ok += good
                failed += bad
                i += 1
        with tally.lock:
            tally.ok += ok
            tally.failed += failed
            tally.latencies_s.extend(latencies)

    threads = [threading.Thread(target=caller, args=(n,), daemon=True) for n in range(callers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    try:
        time.sleep(seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return tally, time.perf_counter() - began


def python_orders(server: Server, seconds: float, prefix: str, why: str) -> HttpLoad:
    """The fallback load generator: 16 threads with a connection each."""
    def post(client: httpx.Client, n: int, i: int) -> tuple[int, int]:
        response = client.post("/v1/orders", json=_order(f"{prefix}{n}-{i}"))
        return (1, 0) if response.status_code == 201 else (0, 1)

    tally, elapsed = _drive(server, CONNECTIONS, seconds, post)
    return HttpLoad((tally.ok + tally.failed) / elapsed, service.percentile(tally.latencies_s, 99) * 1000,
                    tally.ok + tally.failed, tally.failed, "python",
                    f"Python load generator ({why}); its own overhead lowers the figure")


def batch_orders(server: Server, seconds: float, prefix: str) -> tuple[float, int, float]:
    """(orders/s, failed orders, p99 ms per request) of ``POST /v1/orders:batch``
    with 100 orders per request from a few callers."""
    def post(client: httpx.Client, n: int, i: int) -> tuple[int, int]:
        body = {"orders": [_order(f"{prefix}{n}-{i}-{k}") for k in range(BATCH_ORDERS)]}
        response = client.post("/v1/orders:batch", json=body)
        if response.status_code != 200:
            return 0, BATCH_ORDERS
        statuses = [r["status"] for r in response.json()["results"]]
        good = sum(1 for s in statuses if s == 201)
        return good, len(statuses) - good

    tally, elapsed = _drive(server, BATCH_CALLERS, seconds, post)
    return tally.ok / elapsed, tally.failed, service.percentile(tally.latencies_s, 99) * 1000


@dataclass
class HttpResult:
    single: HttpLoad
    crowd: HttpLoad | None
    """The same orders from :data:`CROWD_CONNECTIONS` connections (wrk only)."""
    batch_per_s: float
    batch_failed: int
    batch_p99_ms: float
    problems: list[str]
    server_rss_mb: float
    server_hwm_mb: float


def http_scenario(url: str, seconds: float, wrk: str | None, no_wrk_reason: str) -> HttpResult:
    """c. A hot sku over HTTP: single orders from 16 connections, then from
    256, then batches."""
    store = service.open_store(url)
    try:
        seed.hot_sku(store, SKU, service.HOT_STOCK)
    finally:
        store.dispose()
    server = Server(url).start()
    try:
        # A few requests first, so that the figure is not the first request's imports.
        with httpx.Client(base_url=server.base, timeout=30) as client:
            for n in range(20):
                client.post("/v1/orders", json=_order(f"WARM-{n}"))
        if wrk is not None:
            single = wrk_orders(wrk, server, seconds, "C")
        else:
            single = python_orders(server, seconds, "C", no_wrk_reason)
        # Python threads cannot stand in for 256 clients: that run needs wrk.
        crowd = (wrk_orders(wrk, server, seconds, "CC", CROWD_CONNECTIONS)
                 if wrk is not None else None)
        batch_per_s, batch_failed, batch_p99 = batch_orders(server, seconds, "CB")
        rss, hwm = rss_mb(server.pid)
        if server.process is not None and server.process.poll() is not None:
            raise BenchBroken(f"the server died during the run: {server.log()}")
    finally:
        server.stop()
    store = service.open_store(url)
    try:
        allocated, ordered, _ = service.allocated_and_ordered(store, SKU)
        problems = []
        if allocated != min(service.HOT_STOCK, ordered):
            problems.append(f"{SKU} allocated {allocated} of {ordered} ordered")
        problems.extend(service.findings_of(store))
    finally:
        store.dispose()
    return HttpResult(single, crowd, batch_per_s, batch_failed, batch_p99, problems, rss, hwm)
