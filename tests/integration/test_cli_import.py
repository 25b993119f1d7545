"""``earmark import`` cannot corrupt stock: the kind is named, the header must
fit it, stock says its mode, the same file is never applied twice, a dry run
changes nothing, and every export imports back with nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.cli_helpers import Cli, cli_on, seed

ROUND_TRIP_KINDS = ["items", "locations", "accounts", "stock", "receipts", "orders",
                    "commitments", "history"]
EVERY_EXPORT = [*ROUND_TRIP_KINDS, "positions"]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(database_url, monkeypatch)


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(f"sqlite:///{tmp_path}/cli.db", monkeypatch)


def busy_world(cli: Cli, tmp_path: Path) -> None:
    """Data of every kind, with states an import must not disturb: received,
    moved and cancelled receipts, shipped and cancelled lines, a consumed and
    a released commitment, demand history."""
    seed(cli)
    cli("receipts", "create", "PO-2", "COAT", "WEB", "6", "2026-03-01")
    cli("receipts", "create", "PO-3", "SCARF", "STORE", "4", "2026-02-10", "--source", "production")
    cli("commitments", "create", "C-1", "bigco", "COAT", "WEB", "3", "2026-03-15")
    cli("commitments", "create", "C-2", "bigco", "SCARF", "STORE", "2", "2026-01-20",
        "--expires-on", "2026-02-01")
    cli("orders", "create", "SO-1", "acme", "COAT", "5", "--location", "WEB")
    cli("orders", "create", "SO-2", "bigco", "COAT", "2", "--location", "WEB",
        "--requested-date", "2026-03-20")
    cli("orders", "create", "SO-3", "acme", "SCARF", "3", "SCARF", "1", "--location", "STORE")
    cli("orders", "ship", "SO-3", "1", "2")
    cli("orders", "cancel", "SO-3", "2", "all")
    cli("receipts", "move", "PO-2", "--to", "2026-03-05")
    cli("receipts", "receive", "PO-1", "--quantity", "4")
    cli("receipts", "cancel", "PO-3")
    cli("commitments", "release", "C-2", "--quantity", "1")
    history = tmp_path / "demand.csv"
    history.write_text("date,sku,location,quantity\n2026-01-03,SCARF,STORE,7\n"
                       "2026-01-01,COAT,WEB,3\n2026-01-02,COAT,WEB,0\n")
    cli("import", "history", str(history))


def everything(cli: Cli) -> dict[str, str]:
    return {kind: cli("export", kind) for kind in EVERY_EXPORT}


def test_every_export_imports_back_with_nothing_changed(cli: Cli, tmp_path: Path) -> None:
    busy_world(cli, tmp_path)
    before = everything(cli)
    for kind in ROUND_TRIP_KINDS:
        exported = tmp_path / f"{kind}.csv"
        cli("export", kind, "--out", str(exported))
        said = cli("import", kind, str(exported))
        assert "changed 0," in said, said
        assert everything(cli) == before, kind
    assert "every invariant holds" in cli("check")


def test_an_orders_file_is_never_taken_for_stock(sqlite_cli: Cli, tmp_path: Path) -> None:
    # Issue 18: an orders file with `id` instead of `order` was imported as stock.
    seed(sqlite_cli)
    before = sqlite_cli("export", "stock")
    wrong = tmp_path / "orders.csv"
    wrong.write_text("id,account,sku,location,quantity\nSO-9,acme,COAT,WEB,2\n")
    said = sqlite_cli.refused("import", "orders", str(wrong))
    assert "orders has no column 'id'" in said and "nothing was imported" in said
    said = sqlite_cli.refused("import", "stock", str(wrong), "--mode", "add")
    assert "stock has no column 'id', 'account'" in said
    assert sqlite_cli("export", "stock") == before
    # Nor is the kind guessed: a file alone is a usage error.
    assert "is not one of 'items'" in sqlite_cli.refused("import", str(wrong), code=2)


def test_importing_the_order_lines_export_does_not_touch_on_hand(sqlite_cli: Cli,
                                                                 tmp_path: Path) -> None:
    # Issue 18: importing `earmark export order_lines` raised on-hand from 20 to 49.
    seed(sqlite_cli)
    sqlite_cli("orders", "create", "SO-1", "acme", "COAT", "3", "--location", "WEB")
    on_hand = sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"]
    exported = tmp_path / "orders.csv"
    sqlite_cli("export", "orders", "--out", str(exported))
    assert "stock has no column 'order'" in sqlite_cli.refused("import", "stock", str(exported),
                                                               "--mode", "add")
    sqlite_cli("import", "orders", str(exported))
    assert sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"] == on_hand


def test_a_stock_export_imports_as_counts_by_default(sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    counts = tmp_path / "counts.csv"
    sqlite_cli("export", "stock", "--out", str(counts))
    assert counts.read_text().splitlines()[0] == "sku,location,on_hand"
    counts.write_text(counts.read_text().replace("COAT,WEB,4", "COAT,WEB,7"))
    said = sqlite_cli("import", "stock", str(counts))
    assert "stock --mode set" in said and "changed 1, 1 unchanged" in said
    assert sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"] == 7
    events = sqlite_cli("events", "tail", "--type", "stock.adjusted", "--format", "json")
    counted = json.loads(events.splitlines()[-1])["data"]
    assert (counted["reason"], counted["quantity"], counted["on_hand"]) == ("count", 3, 7)


def test_a_count_sets_on_hand_and_adding_adds(sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    figures = tmp_path / "figures.csv"
    figures.write_text("sku,location,quantity\nCOAT,WEB,10\n")
    said = sqlite_cli.refused("import", "stock", str(figures))
    assert "say how the figures count: --mode set" in said
    sqlite_cli("import", "stock", str(figures), "--mode", "set")
    assert sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"] == 10
    received = tmp_path / "received.csv"
    received.write_text("sku,location,quantity,reason,note\nCOAT,WEB,5,return,came back\n")
    sqlite_cli("import", "stock", str(received), "--mode", "add")
    assert sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"] == 15
    twice = tmp_path / "twice.csv"
    twice.write_text("sku,location,on_hand\nCOAT,WEB,1\nCOAT,WEB,2\n")
    assert "counted twice" in sqlite_cli.refused("import", "stock", str(twice))


def test_the_same_file_is_never_applied_twice(sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    goods = tmp_path / "goods.csv"
    goods.write_text("sku,location,quantity\nCOAT,WEB,5\n")
    sqlite_cli("import", "stock", str(goods), "--mode", "add")
    again = sqlite_cli("import", "stock", str(goods), "--mode", "add")
    assert "was imported already (the same content, as stock" in again
    assert "nothing changed" in again
    copy = tmp_path / "copy-of-goods.csv"
    copy.write_bytes(goods.read_bytes())
    assert "imported already" in sqlite_cli("import", "stock", str(copy), "--mode", "add")
    assert sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"] == 9


def test_a_dry_run_prints_what_would_change_and_changes_nothing(sqlite_cli: Cli,
                                                                tmp_path: Path) -> None:
    seed(sqlite_cli)
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("id,sku,location,quantity,expected_date,received\n"
                        "PO-1,COAT,WEB,10,2026-02-20,\nPO-9,SCARF,STORE,3,2026-02-01,\n")
    before = sqlite_cli("export", "receipts")
    said = sqlite_cli("import", "receipts", str(receipts), "--dry-run")
    assert "line 2: move receipt PO-1: to 2026-02-20" in said
    assert "line 3: create receipt PO-9: 3 × SCARF at STORE on 2026-02-01" in said
    assert "would change 2, 0 unchanged; nothing was changed (dry run)" in said
    assert sqlite_cli("export", "receipts") == before
    # A dry run is not an import: the file still applies afterwards.
    assert "changed 2, 0 unchanged" in sqlite_cli("import", "receipts", str(receipts))
    assert sqlite_cli.json("receipts", "show", "PO-1")["expected_date"] == "2026-02-20"


def test_a_dry_run_shows_a_refusal_as_the_import_would(sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,location,quantity\nCOAT,WEB,2\nNOPE,WEB,3\n")
    said = sqlite_cli.refused("import", "stock", str(bad), "--mode", "add", "--dry-run")
    assert "line 3" in said and "unknown sku 'NOPE'" in said and "nothing was imported" in said


def test_one_bad_row_and_nothing_of_the_file_is_imported(sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    before = sqlite_cli("export", "stock")
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,quantity\nCOAT,WEB,10\nNOPE,WEB,3\n")
    said = sqlite_cli.refused("import", "stock", str(stock), "--mode", "add")
    assert "line 3" in said and "nothing was imported" in said
    assert sqlite_cli("export", "stock") == before


def test_a_file_moves_receives_and_cancels_receipts_through_their_commands(
        sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    sqlite_cli("orders", "create", "SO-1", "acme", "COAT", "8", "--location", "WEB")
    changes = tmp_path / "receipts.csv"
    changes.write_text("id,sku,location,quantity,received,expected_date,source,status\n"
                       "PO-1,COAT,WEB,10,6,2026-02-10,purchase,open\n")
    sqlite_cli("import", "receipts", str(changes))
    receipt = sqlite_cli.json("receipts", "show", "PO-1")
    assert (receipt["expected_date"], receipt["received"]) == ("2026-02-10", 6)
    assert sqlite_cli.json("orders", "show", "SO-1")["lines"][0]["allocated"] == 8
    back = tmp_path / "back.csv"
    back.write_text("id,sku,location,quantity,received,expected_date\n"
                    "PO-1,COAT,WEB,10,2,2026-02-10\n")
    said = sqlite_cli.refused("import", "receipts", str(back))
    assert "received units cannot be taken back" in said


def test_a_file_places_orders_and_ships_what_it_says_shipped(sqlite_cli: Cli,
                                                             tmp_path: Path) -> None:
    seed(sqlite_cli)
    placed = tmp_path / "orders.csv"
    placed.write_text("order,account,sku,quantity,location\nSO-7,acme,COAT,3,WEB\n"
                      "SO-7,acme,SCARF,1,WEB\n")
    sqlite_cli("import", "orders", str(placed))
    order = sqlite_cli.json("orders", "show", "SO-7")
    assert [(ln["line"], ln["sku"], ln["allocated"]) for ln in order["lines"]] == [
        ("1", "COAT", 3), ("2", "SCARF", 0)]
    shipped = tmp_path / "shipped.csv"
    shipped.write_text("order,account,line,sku,quantity,shipped\nSO-7,acme,1,COAT,3,2\n")
    sqlite_cli("import", "orders", str(shipped))
    assert sqlite_cli.json("orders", "show", "SO-7")["lines"][0]["shipped"] == 2
    changed = tmp_path / "changed.csv"
    changed.write_text("order,account,line,sku,quantity\nSO-7,acme,1,COAT,9\n")
    assert "a placed line cannot change" in sqlite_cli.refused("import", "orders", str(changed))


def test_a_receipts_file_names_their_suppliers_and_exports_them_back(
        sqlite_cli: Cli, tmp_path: Path) -> None:
    seed(sqlite_cli)
    created = tmp_path / "receipts.csv"
    created.write_text("id,sku,location,quantity,expected_date,supplier\n"
                       "PO-9,COAT,WEB,4,2026-02-20,nordic-wool\n"
                       "PO-8,COAT,WEB,2,2026-02-21,\n")
    sqlite_cli("import", "receipts", str(created))
    assert sqlite_cli.json("receipts", "show", "PO-9")["supplier"] == "nordic-wool"
    assert sqlite_cli.json("receipts", "show", "PO-8")["supplier"] is None
    exported = sqlite_cli("export", "receipts")
    assert exported.splitlines()[0].endswith(",status,supplier")
    assert any(row.startswith("PO-9,") and row.endswith(",nordic-wool")
               for row in exported.splitlines())
    # The export imports back with nothing changed; a supplier cannot change.
    again = tmp_path / "again.csv"
    again.write_text(exported)
    sqlite_cli("import", "receipts", str(again))
    assert sqlite_cli("export", "receipts") == exported
    moved = tmp_path / "moved.csv"
    moved.write_text("id,sku,location,quantity,expected_date,supplier\n"
                     "PO-9,COAT,WEB,4,2026-02-20,other-mill\n")
    said = sqlite_cli.refused("import", "receipts", str(moved))
    assert "supplier" in said and "cannot change" in said
