"""``make bench`` (``python -m bench``): earmark against its peers, in one run.

On the local PostgreSQL it measures the peers' allocation shapes with
pgbench (bench/peers/*.sql) and earmark's scenarios a-f of the issue (and n,
ship-to orders over five candidates: bench/network.py), and
prints one line per peer and per scenario: the figure, the ratio to the peer
measured in the same run, the target and whether it holds. earmark's
scenarios run on SQLite as well (ratios are still to the PostgreSQL peers).
Scenario ``forecast`` (a forecast run of 10,000 positions × two years of
daily demand; no peer, no target) runs on the first of ``--databases`` only
(``python -m bench --only forecast`` runs it alone).

Every database it makes (``earmark_bench_<random>_*``) is dropped at the
end, on errors and on Ctrl-C too. The exit code is 0 when the bench ran,
whether or not the targets hold; 1 when the bench itself broke.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bench import forecast, network, pg, report, reports, server, service, steps
from bench.report import Line, emit, progress, rate, ratio

SCENARIOS = ("peers", "a", "s", "b", "c", "d", "e", "q", "n", "r", "f", "forecast")
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PEERS_NEEDED = {"a": "saleor-hot", "b": "single-spread", "c": "saleor-hot"}
TARGET_A, TARGET_B, TARGET_C, TARGET_C_P99_MS, TARGET_C_BATCH = 30.0, 1.0, 5.0, 50.0, 25.0
TARGET_C_CROWD_P99_MS = 200.0
TARGET_D_S, TARGET_E_P99_MS, TARGET_F_MB = 2.0, 5.0, 300.0
TARGET_S_US = 100.0
"""Python per order on the write path (issue 13's budget), service layer."""
TARGET_Q_RATIO = 1.5
"""Reading the last of 100,000 backorders costs at most this many times the last of 10."""
TARGET_N_RATIO = 2.0
"""An order placed by ship_to over five candidates costs at most this many times one by location."""
TARGET_N_PROMISE_P99_MS = 10.0
TARGET_R_MS = 1000.0
"""Each report (capital, service) on 10,000 skus × 3 locations and 1,000,000 order lines."""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="length of each throughput run (default 8)")
    parser.add_argument("--only", default=",".join(SCENARIOS),
                        help="comma-separated subset of " + ",".join(SCENARIOS))
    parser.add_argument("--databases", default="postgresql,sqlite",
                        help="where earmark's scenarios run: postgresql, sqlite or both")
    parser.add_argument("--postgres", default=os.environ.get("EARMARK_BENCH_POSTGRES_URL",
                                                             DEFAULT_ADMIN_URL),
                        help="an admin URL of the PostgreSQL server (default: %(default)s)")
    parser.add_argument("--promise-budget", type=float, default=15.0,
                        help="seconds e may spend on its 300 quotes before it stops early")
    parser.add_argument("--load-generator", choices=("wrk", "python"), default="wrk",
                        help="what loads the server in c (python: the fallback used without wrk)")
    parser.add_argument("--full-check", action="store_true",
                        help="also run check_store on e's 100,000-demand position (slow)")
    parser.add_argument("--forecast-positions", type=int, default=forecast.POSITIONS,
                        help="positions of the forecast scenario (default %(default)s)")
    args = parser.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    for name in args.only:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}")
    for name in args.databases:
        if name not in ("postgresql", "sqlite"):
            parser.error(f"unknown database {name!r}")
    return args


class Bench:
    def __init__(self, args: argparse.Namespace, databases: pg.Databases, scratch: Path) -> None:
        self.args = args
        self.databases = databases
        self.scratch = scratch
        self.lines: list[Line] = []
        self.peers: dict[str, float] = {}
        self.broken: list[str] = []
        self.clean = True
        self.server_rss: dict[str, tuple[float, float]] = {}
        self.wrk: str | None = None
        self.no_wrk_reason = ""

    def add(self, line: Line) -> None:
        self.lines.append(emit(line))

    def url(self, database: str, what: str) -> str:
        if database == "postgresql":
            return self.databases.create(what)
        return f"sqlite:///{self.scratch / what}.db"

    def guarded(self, name: str, database: str, step: Callable[[], None]) -> None:
        """Run one scenario; a failure of the bench itself becomes a line, not a crash."""
        progress(f"{name} on {database}" if database else name)
        try:
            step()
        except Exception as error:  # noqa: BLE001 - reported; the other scenarios still run
            self.broken.append(f"{name}{'/' + database if database else ''}")
            self.add(Line(name, "BROKEN", "", note=f"{type(error).__name__}: {error}"[:400],
                          database=database))

    def problems(self, found: list[str]) -> str:
        if found:
            self.clean = False
            return "OVERSELL/INVARIANTS: " + "; ".join(found[:3]) + (" …" if len(found) > 3 else "")
        return ""

    # Peers

    def run_peers(self) -> None:
        wanted = [p for p in pg.PEERS if "peers" in self.args.only
                  or p.key in {PEERS_NEEDED[s] for s in self.args.only if s in PEERS_NEEDED}]
        if not wanted:
            return
        url = self.databases.create("peers")
        for peer in wanted:
            progress(f"peer {peer.key} (pgbench)")
            try:
                per_s = pg.run_peer(url, peer, self.args.seconds)
            except pg.BenchBroken as error:
                self.broken.append(f"peer {peer.key}")
                self.add(Line("peer", f"{peer.key}  BROKEN", "", note=str(error)[:400]))
                continue
            self.peers[peer.key] = per_s
            self.add(Line("peer", peer.key, rate(per_s),
                          note=f"{peer.label} (pgbench -c{pg.CLIENTS} -j{pg.THREADS})"))

    # Scenarios

    def a(self, database: str) -> None:
        result = service.hot_sku(self.url(database, "a"), self.args.seconds)
        run = result.run
        comparison, r = ratio(run.per_second, "saleor-hot", self.peers.get("saleor-hot"))
        note = (f"p99 {run.p99_ms:.0f} ms, {run.jobs_per_batch:.1f} orders/batch; "
                f"{result.sell_out}")
        if run.refused or run.errors:
            note += f"; refused {run.refused} errors {len(run.errors)}"
        note = self.problems(result.oversell) or note + "; no oversell, check ok"
        holds = r is not None and r >= TARGET_A and not result.oversell and not run.errors
        self.add(Line("a", f"hot sku, service layer [{database}]", rate(run.per_second), comparison,
                      f"target ≥{TARGET_A:.0f}×", holds, note, database))

    def s(self, database: str) -> None:
        result = steps.measure(self.url(database, "s"))
        parts = ", ".join(f"{step} {us:,.0f}" for step, us in result.by_step.items())
        python_us = result.us_per_order - result.by_step["start"] - result.by_step["read"]
        self.add(Line("s", f"µs per order by step, 1 thread, batches of {steps.ORDERS_PER_BATCH} "
                      f"[{database}]", f"{result.us_per_order:,.0f} µs", "",
                      f"target ≤{TARGET_S_US:.0f} µs/order", python_us <= TARGET_S_US,
                      f"{parts} (µs/order; write includes its round trip and the commit)",
                      database))

    def b(self, database: str) -> None:
        run, found = service.spread(self.url(database, "b"), self.args.seconds)
        comparison, r = ratio(run.per_second, "single-spread", self.peers.get("single-spread"))
        note = self.problems(found) or (f"p99 {run.p99_ms:.0f} ms, "
                                        f"{run.jobs_per_batch:.1f} orders/batch")
        holds = r is not None and r >= TARGET_B and not found and not run.errors
        self.add(Line("b", f"{service.SPREAD_SKUS:,} skus uniform, service [{database}]",
                      rate(run.per_second), comparison, f"target ≥{TARGET_B:.1f}×", holds, note,
                      database))

    def c(self, database: str) -> None:
        if self.args.load_generator == "python":
            self.no_wrk_reason = "--load-generator python"
        elif self.wrk is None and not self.no_wrk_reason:
            self.wrk, self.no_wrk_reason = server.ensure_wrk()
        result = server.http_scenario(self.url(database, "c"), self.args.seconds, self.wrk,
                                      self.no_wrk_reason)
        self.server_rss[database] = (result.server_rss_mb, result.server_hwm_mb)
        single = result.single
        saleor = self.peers.get("saleor-hot")
        comparison, r = ratio(single.requests_per_s, "saleor-hot", saleor)
        shape = (f"wrk -t{server.WRK_THREADS} -c{server.CONNECTIONS}" if single.generator == "wrk"
                 else f"{server.CONNECTIONS} httpx threads")
        note = f"{shape}, {single.requests:,} requests, {single.failed} failed"
        if single.note:
            note += f"; {single.note}"
        note = self.problems(result.problems) or note
        holds = (r is not None and r >= TARGET_C and single.p99_ms <= TARGET_C_P99_MS
                 and single.failed == 0 and not result.problems)
        self.add(Line("c", f"HTTP hot sku, POST /v1/orders [{database}]",
                      rate(single.requests_per_s), comparison,
                      f"≥{TARGET_C:.0f}×, p99≤{TARGET_C_P99_MS:.0f}ms", holds,
                      f"p99 {single.p99_ms:.1f} ms; " + note, database, "c orders"))
        self.crowd_line(database, result, saleor)
        comparison, r = ratio(result.batch_per_s, "saleor-hot", saleor)
        holds = r is not None and r >= TARGET_C_BATCH and result.batch_failed == 0
        self.add(Line("c", f"HTTP orders:batch ×{server.BATCH_ORDERS} [{database}]",
                      rate(result.batch_per_s), comparison, f"target ≥{TARGET_C_BATCH:.0f}×", holds,
                      f"{server.BATCH_CALLERS} httpx callers, p99 {result.batch_p99_ms:.0f} ms "
                      f"per request, {result.batch_failed} orders failed", database, "c batch"))

    def crowd_line(self, database: str, result: server.HttpResult, saleor: float | None) -> None:
        """c with 256 connections: p99 and errors (a non-2xx answer is one); no ratio target."""
        label = f"HTTP hot sku, {server.CROWD_CONNECTIONS} connections [{database}]"
        target = f"p99≤{TARGET_C_CROWD_P99_MS:.0f}ms, no errors"
        crowd = result.crowd
        if crowd is None:
            self.add(Line("c", label, "not run", "", target, False,
                          f"needs wrk ({self.no_wrk_reason})", database, "c 256"))
            return
        comparison, _ = ratio(crowd.requests_per_s, "saleor-hot", saleor)
        holds = crowd.p99_ms <= TARGET_C_CROWD_P99_MS and crowd.failed == 0
        self.add(Line("c", label, rate(crowd.requests_per_s), comparison, target, holds,
                      f"p99 {crowd.p99_ms:.1f} ms; wrk -t{server.WRK_THREADS} "
                      f"-c{server.CROWD_CONNECTIONS}, {crowd.requests:,} requests, "
                      f"{crowd.failed} errors (non-2xx or socket)", database, "c 256"))

    def d(self, database: str) -> None:
        result = service.big_receipt(self.url(database, "d"))
        note = self.problems(result.problems) or (
            f"create_receipt {result.create_s:.2f} s + receive_receipt {result.receive_s:.2f} s; "
            f"{result.served:,} served, check ok")
        self.add(Line("d", f"receipt serves 50,000 of 100,000 [{database}]",
                      f"{result.total_s:.2f} s", "", f"target ≤{TARGET_D_S:.0f} s",
                      result.total_s <= TARGET_D_S and not result.problems, note, database))

    def e(self, database: str) -> None:
        progress(f"e: seeding {service.PROMISE_RECEIPTS:,} receipts and "
                 f"{service.PROMISE_DEMANDS:,} demands")
        store = service.seed_promise_position(self.url(database, "e"))
        try:
            result = service.promise(store, self.args.promise_budget)
            found = list(result.problems)
            if self.args.full_check:
                found.extend(service.findings_of(store))
        finally:
            store.dispose()
        n = len(result.latencies_s)
        note = f"p50 {result.p50_ms:.1f} ms over {n} calls"
        if n < service.PROMISE_CALLS:
            note += f" (stopped after the {self.args.promise_budget:.0f} s budget)"
        note += "; a read-only unit of work per call"
        note = self.problems(found) or note
        self.add(Line("e", f"POST /v1/promise, service [{database}]", f"p99 {result.p99_ms:,.1f} ms",
                      "", f"target ≤{TARGET_E_P99_MS:.0f} ms",
                      result.p99_ms <= TARGET_E_P99_MS and not found, note, database))

    def q(self, database: str) -> None:
        result = service.queue_reads(self.url(database, "q_short"), self.url(database, "q_long"))
        found = []
        if (result.short_place, result.long_place) != (service.QUEUE_SHORT, service.QUEUE_LONG):
            found.append(f"queue_position {result.short_place}/{result.long_place}, expected "
                         f"{service.QUEUE_SHORT}/{service.QUEUE_LONG}")
        times = result.long_p50_ms / result.short_p50_ms
        note = self.problems(found) or (
            f"p50 {result.short_p50_ms:.2f} ms behind {service.QUEUE_SHORT} backorders, "
            f"{result.long_p50_ms:.2f} ms behind {service.QUEUE_LONG:,}; no COUNT")
        self.add(Line("q", f"GET order, queue_position, 100,000 vs 10 [{database}]",
                      f"{times:.2f}×", "", f"target ≤{TARGET_Q_RATIO:.1f}×",
                      times <= TARGET_Q_RATIO and not found, note, database))

    def n(self, database: str) -> None:
        result = network.network_orders(self.url(database, "n"), self.args.promise_budget)
        note = self.problems(result.problems) or (
            f"{result.ship_to_us:,.0f} µs per ship-to order vs {result.location_us:,.0f} µs by "
            f"location (batches of {network.ORDERS_PER_BATCH}, 1 thread), check ok")
        self.add(Line("n", f"ship_to over 5 candidates vs location [{database}]",
                      f"{result.ratio:.2f}×", "", f"target ≤{TARGET_N_RATIO:.0f}×",
                      result.ratio <= TARGET_N_RATIO and not result.problems, note, database,
                      "n orders"))
        quotes = result.promise
        self.add(Line("n", f"POST /v1/promise by ship_to, 5 candidates [{database}]",
                      f"p99 {quotes.p99_ms:,.1f} ms", "", f"target ≤{TARGET_N_PROMISE_P99_MS:.0f} ms",
                      quotes.p99_ms <= TARGET_N_PROMISE_P99_MS and not quotes.problems,
                      f"p50 {quotes.p50_ms:.1f} ms over {len(quotes.latencies_s)} calls after "
                      f"{network.PROMISE_WARM_CALLS}; a read-only unit of work per call", database,
                      "n promise"))

    def r(self, database: str) -> None:
        progress(f"r: bulk-inserting {reports.LINES:,} order lines over {reports.SKUS:,} skus × "
                 f"{len(reports.LOCATIONS)} locations")
        result = reports.reports(self.url(database, "r"))
        slowest = max(result.capital_ms, result.service_ms)
        self.add(Line("r", f"reports, {reports.SKUS:,} skus × {len(reports.LOCATIONS)}, "
                      f"{reports.LINES:,} lines [{database}]", f"{slowest:,.0f} ms", "",
                      f"target ≤{TARGET_R_MS:,.0f} ms each", slowest <= TARGET_R_MS,
                      f"capital {result.capital_ms:,.0f} ms, service (30 days) "
                      f"{result.service_ms:,.0f} ms, best of {reports.READS}; seeded in "
                      f"{result.seed_s:,.0f} s", database))

    def f(self) -> None:
        for database, (rss, hwm) in self.server_rss.items():
            self.add(Line("f", f"server RSS after c [{database}]", f"{rss:,.0f} MB", "",
                          f"target ≤{TARGET_F_MB:.0f} MB", rss <= TARGET_F_MB,
                          f"peak {hwm:,.0f} MB (VmHWM)", database))
        rss, hwm = server.rss_mb(os.getpid())
        self.add(Line("f", "bench process RSS (service layer a,b,d,e)", f"{rss:,.0f} MB", "",
                      "", None, f"peak {hwm:,.0f} MB (VmHWM)"))

    def forecast(self, database: str) -> None:
        n = self.args.forecast_positions
        progress(f"forecast: seeding {n:,} positions × {forecast.HISTORY_DAYS} days of demand, "
                 "then a forecast run (minutes)")
        result = forecast.forecast_run(self.url(database, "forecast"), n)
        summary = result.summary
        accuracy = summary["accuracy"]
        chosen, baseline = accuracy["model"], accuracy["baseline"]
        models = ", ".join(f"{name} {count:,}" for name, count in
                           sorted(summary["models"].items(), key=lambda kv: -kv[1]))
        note = (f"{n / result.run_s:,.1f} positions/s on {result.jobs} cores, "
                f"{forecast.HORIZON_DAYS}-day horizon; CV MASE {chosen['mase']} vs "
                f"{baseline['mase']} seasonal naive, WAPE {chosen['wape']} vs {baseline['wape']}; "
                f"{models}; seeding {result.seed_s:.0f} s")
        self.add(Line("fc", f"forecast {n:,} positions × 2 years [{database}]",
                      f"{result.run_s:,.0f} s", "ratio n/a (no peer)", "target n/a", None, note,
                      database))

    def run(self) -> None:
        self.run_peers()
        for database in self.args.databases:
            for name in ("a", "s", "b", "c", "d", "e", "q", "n", "r"):
                if name in self.args.only:
                    self.guarded(name, database, partial(getattr(self, name), database))
        if "f" in self.args.only:
            self.guarded("f", "", self.f)
        if "forecast" in self.args.only and self.args.databases:
            database = self.args.databases[0]
            self.guarded("forecast", database, partial(self.forecast, database))


MAIN_PID = os.getpid()


def _interrupt(signum: int, _frame: object) -> None:
    if os.getpid() != MAIN_PID:
        # A worker forked by statsforecast's pool (scenario forecast) inherits this
        # handler; its pool stops it with SIGTERM, which should simply end it.
        os._exit(128 + signum)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str]) -> int:
    args = parse(argv)
    # SIGTERM (and a SIGINT that a parent shell set to be ignored) still
    # unwind the stack, so that servers stop and databases are dropped.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    began = time.perf_counter()
    try:
        databases = pg.Databases(args.postgres)
    except pg.BenchBroken as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(f"earmark bench · PostgreSQL {databases.version.split()[0]} · {os.cpu_count()} CPUs · "
          f"{args.seconds:.0f} s per throughput run · {service.CALLERS} callers · "
          f"databases {databases.prefix}_*", flush=True)
    bench: Bench | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="earmark-bench-") as scratch:
            bench = Bench(args, databases, Path(scratch))
            bench.run()
    except KeyboardInterrupt:
        print("bench: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        left = databases.close()
        if left:
            print(f"bench: could not drop {', '.join(left)}", file=sys.stderr)
    print(report.summary(bench.lines, bench.broken, time.perf_counter() - began, bench.clean),
          flush=True)
    return 1 if bench.broken else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
