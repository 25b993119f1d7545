"""``earmark report capital|service`` prints the API's figures; ``earmark
export`` writes orders, positions, events and reports as CSV and Parquet that
read back the same, streaming (memory does not grow with the rows).

The world (today 2026-01-05, a Monday): COAT costs 10.00 and sells for 25.00,
4 on hand at WEB and PO-1 bringing 10 on 2026-02-01; SCARF costs 2.00, has no
price, 10 on hand at STORE. SO-1 (acme) orders 6 COAT at 30.00 a unit: 4 are
held from on-hand, 2 wait for PO-1, so the line is first promised 2026-02-01;
the 4 held ship today, 27 days before that date.
"""

from __future__ import annotations

import csv
import io
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert
from tests.integration.cli_helpers import Cli, cli_on

from earmark.cli.exchange import export_rows
from earmark.cli.export_files import write_csv, write_parquet
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.store import tables as t


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("COLUMNS", "250")  # Rich tables wide enough for every figure
    yield from cli_on(database_url, monkeypatch)


@pytest.fixture
def world(cli: Cli) -> Cli:
    cli("items", "create", "COAT", "Coat", "--unit-cost", "10.00", "--unit-price", "25.00")
    cli("items", "create", "SCARF", "Scarf", "--unit-cost", "2.00")
    cli("locations", "create", "WEB", "Web shop")
    cli("locations", "create", "STORE", "Store")
    cli("accounts", "create", "acme", "Acme")
    cli("stock", "adjust", "COAT", "WEB", "4", "--reason", "initial")
    cli("stock", "adjust", "SCARF", "STORE", "10", "--reason", "initial")
    cli("receipts", "create", "PO-1", "COAT", "WEB", "10", "2026-02-01")
    placed = cli.json("orders", "create", "SO-1", "acme", "COAT", "6", "--location", "WEB",
                      "--unit-price", "30.00")
    assert placed["lines"][0]["unit_price"] == "30.00"
    assert placed["lines"][0]["promised_date"] == "2026-02-01"
    cli("orders", "ship", "SO-1", "1", "4")
    return cli


def _row(text: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is ``first``."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").replace("┃", "│").split("│")]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in:\n{text}")


def test_report_capital_prints_each_positions_money(world: Cli) -> None:
    # COAT at WEB: nothing left on hand after the shipment; PO-1's 10 units are
    # incoming (100.00); 2 units wait at 30.00 (60.00). SCARF at STORE: 10 free
    # (20.00), all excess (no safety stock, no forecast).
    out = world("report", "capital")
    # on hand, held, committed, free, safety stock, excess, incoming, committed incoming, backordered
    assert _row(out, "COAT")[2:] == ["0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "100.00",
                                     "0.00", "60.00"]
    assert _row(out, "SCARF")[2:] == ["20.00", "0.00", "0.00", "20.00", "0.00", "20.00", "0.00",
                                      "0.00", "—"]
    assert _row(out, "total")[2:] == ["20.00", "0.00", "0.00", "20.00", "0.00", "20.00",
                                      "100.00", "0.00", "60.00"]
    assert _row(out, "2026-01-26")[1] == "60.00"  # the Monday of PO-1's week
    assert "without a cost: 0; without a price: 1" in out


def test_report_capital_narrowed_to_a_location(world: Cli) -> None:
    out = world("report", "capital", "--location", "STORE")
    assert "COAT" not in out
    assert _row(out, "total")[2] == "20.00"


def test_report_service_prints_the_accounts_figures(world: Cli) -> None:
    # Ordered 6, 4 held at placing: 66.7%. Shipped 4 on 01-05, first promised
    # 02-01: all on time, 27 days early; quoted wait 27 days; 2 units wait, 0 days.
    out = world("report", "service")
    assert _row(out, "acme")[1:] == ["66.7%", "100.0%", "27.0", "27", "27.0", "0"]
    assert _row(out, "everyone")[1:] == ["66.7%", "100.0%", "27.0", "27", "27.0", "0"]
    assert _row(out, "0-7")[1:] == ["2", "1"]


def test_report_service_refuses_a_window_that_ends_before_it_starts(world: Cli) -> None:
    said = world.refused("report", "service", "--from", "2026-01-10", "--to", "2026-01-01", code=2)
    assert "--from must not be after --to" in said


def _parquet_rows(path: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = pq.read_table(path).to_pylist()
    return rows


def _csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("kind", ["orders", "positions", "events", "reports"])
def test_an_export_reads_back_the_same_from_csv_and_parquet(world: Cli, tmp_path: Path,
                                                            kind: str) -> None:
    as_csv, as_parquet = tmp_path / f"{kind}.csv", tmp_path / f"{kind}.parquet"
    world("export", kind, "--out", str(as_csv))
    world("export", kind, "--format", "parquet", "--out", str(as_parquet))
    from_csv, from_parquet = _csv_rows(as_csv), _parquet_rows(as_parquet)
    assert len(from_csv) == len(from_parquet) > 0
    assert list(from_csv[0]) == list(from_parquet[0])
    for text_row, typed_row in zip(from_csv, from_parquet, strict=True):
        for column, value in typed_row.items():
            if value is None:
                assert text_row[column] == ""
            elif isinstance(value, (int, float, str)) and not isinstance(value, bool):
                assert type(value)(text_row[column]) == value, column


def test_exported_reports_carry_the_figures_of_both_reports(world: Cli, tmp_path: Path) -> None:
    out = tmp_path / "reports.parquet"
    world("export", "reports", "--format", "parquet", "--out", str(out))
    rows = _parquet_rows(out)
    capital_total = next(r for r in rows if (r["report"], r["scope"]) == ("capital", "total"))
    assert (capital_total["incoming"], capital_total["backordered_revenue"]) == ("100.00", "60.00")
    service_total = next(r for r in rows if (r["report"], r["scope"]) == ("service", "total"))
    assert service_total["fill_rate"] == pytest.approx(4 / 6)
    assert service_total["promise_error_days_p90"] == 27


def test_exported_orders_carry_the_lines_price(world: Cli, tmp_path: Path) -> None:
    out = tmp_path / "orders.parquet"
    world("export", "orders", "--format", "parquet", "--out", str(out))
    [line] = _parquet_rows(out)
    assert (line["order"], line["unit_price"], line["shipped"], line["backordered"]) == (
        "SO-1", "30.00", 4, 2)


def test_parquet_without_pyarrow_says_how_to_install_it(
        world: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    out = tmp_path / "events.parquet"
    said = world.refused("export", "events", "--format", "parquet", "--out", str(out), code=2)
    assert "pip install 'earmark[parquet]'" in said
    assert not out.exists()


EVENTS_MANY = 60_000
MEMORY_PEAK_BYTES_MAX = 20 * 2**20
"""Holding 60,000 events as dicts takes over 60 MiB; streamed, an export
holds one page (CSV) or one row group (Parquet)."""


def _many_events(url: str) -> Store:
    store = Store(url, Clock(frozen=date(2026, 1, 5)))
    store.upgrade()
    at = datetime(2026, 1, 5, 12, tzinfo=UTC)
    with store.engine.begin() as tx:
        for start in range(0, EVENTS_MANY, 10_000):
            tx.execute(insert(t.events), [
                {"type": "stock.adjusted", "at": at, "day": date(2026, 1, 5),
                 "data": {"sku": f"SKU-{n}", "location": "WEB", "quantity": n,
                          "reason": "count", "note": "x" * 40}}
                for n in range(start, start + 10_000)])
    return store


@pytest.mark.parametrize("format", ["csv", "parquet"])
def test_an_export_of_many_events_streams_in_bounded_memory(
        database_url: str, tmp_path: Path, format: str) -> None:
    store = _many_events(database_url)
    out = tmp_path / f"events.{format}"
    try:
        tracemalloc.start()
        with store.unit_of_work(write=False) as uow:
            columns, rows = export_rows(uow, "events")
            if format == "csv":
                with open(out, "w", newline="", encoding="utf-8") as handle:
                    count = write_csv(handle, columns, rows)
            else:
                count = write_parquet(out, columns, rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        store.dispose()
    assert count == EVENTS_MANY
    assert peak < MEMORY_PEAK_BYTES_MAX, f"peak {peak / 2**20:.1f} MiB"
