"""Bench c's 256-connection line: orders/s, p99 against 200 ms, and errors
(a non-2xx answer is one), as wrk reports them."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import server
from bench.__main__ import Bench
from bench.server import HttpLoad, HttpResult, parse_wrk

WRK_OUTPUT = """Running 6s test @ http://127.0.0.1:8000/v1/orders
  2 threads and 256 connections
  Latency Distribution
     50%   80.00ms
     99%  180.50ms
  5400 requests in 6.00s, 3.1MB read
  Non-2xx or 3xx responses: 3
Requests/sec:    900.00
"""


def result(crowd: HttpLoad | None) -> HttpResult:
    single = HttpLoad(700.0, 40.0, 4200, 0, "wrk")
    return HttpResult(single, crowd, 800.0, 0, 600.0, [], 100.0, 120.0)


def bench() -> Bench:
    return Bench(argparse.Namespace(), None, Path("."))  # type: ignore[arg-type]


def test_non_2xx_answers_count_as_errors() -> None:
    assert parse_wrk(WRK_OUTPUT) == (900.0, 180.5, 5400, 3)


def test_the_256_connection_line_holds_only_under_200_ms_without_errors() -> None:
    lines = bench()
    lines.crowd_line("postgresql", result(HttpLoad(900.0, 180.5, 5400, 0, "wrk")), 450.0)
    lines.crowd_line("postgresql", result(HttpLoad(900.0, 180.5, 5400, 3, "wrk")), 450.0)
    lines.crowd_line("postgresql", result(HttpLoad(900.0, 250.0, 5400, 0, "wrk")), 450.0)
    assert [line.holds for line in lines.lines] == [True, False, False]
    first = lines.lines[0]
    assert first.label == f"HTTP hot sku, {server.CROWD_CONNECTIONS} connections [postgresql]"
    assert (first.figure, first.comparison) == ("900 orders/s", "ratio 2.0× saleor-hot (450/s)")
    assert "p99 180.5 ms" in first.note and "0 errors" in first.note


def test_without_wrk_the_256_connection_line_says_it_did_not_run() -> None:
    lines = bench()
    lines.no_wrk_reason = "wrk is missing"
    lines.crowd_line("postgresql", result(None), 450.0)
    [line] = lines.lines
    assert (line.figure, line.holds) == ("not run", False)
    assert "wrk is missing" in line.note
