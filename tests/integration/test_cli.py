"""The CLI over the same handlers: create, list, import (all or nothing), export, check."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from earmark.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EARMARK_TODAY", "2026-01-05")
    return f"sqlite:///{tmp_path}/cli.db"


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_create_order_and_see_the_queue(db: str) -> None:
    invoke("items", "create", "COAT", "Coat", "--lead-time-days", "21", "--database", db)
    invoke("locations", "create", "WEB", "Web", "--database", db)
    invoke("accounts", "create", "acme", "Acme", "--database", db)
    invoke("receipts", "create", "PO-1", "COAT", "WEB", "5", "2026-02-01", "--database", db)
    out = invoke("orders", "create", "SO-1", "acme", "COAT", "3", "--database", db)
    assert '"promised_date": "2026-02-01"' in out
    assert "2026-02-01" in invoke("availability", "COAT", "--location", "WEB", "--database", db)
    assert "SO-1" in invoke("backorders", "--database", db)
    out = invoke("promise", "COAT", "2", "--database", db)
    assert '"complete": true' in out
    assert "every invariant holds" in invoke("check", "--database", db)


def test_import_with_a_bad_row_applies_nothing(db: str, tmp_path: Path) -> None:
    invoke("locations", "create", "WEB", "Web", "--database", db)
    good = tmp_path / "items.csv"
    good.write_text("sku,name,lead_time_days\nA,Item A,5\nB,Item B,\n")
    invoke("import", str(good), "--database", db)
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,quantity\nA,WEB,10\nNOPE,WEB,3\n")
    result = runner.invoke(app, ["import", str(stock), "--database", db])
    assert result.exit_code == 1
    assert "line 3" in result.output and "nothing was imported" in result.output
    exported = invoke("export", "stock", "--database", db)
    assert "A,WEB" not in exported


def test_export_round_trips_stock(db: str, tmp_path: Path) -> None:
    invoke("items", "create", "A", "Item A", "--database", db)
    invoke("locations", "create", "WEB", "Web", "--database", db)
    stock = tmp_path / "stock.csv"
    stock.write_text("sku,location,quantity\nA,WEB,10\n")
    invoke("import", str(stock), "--database", db)
    out = tmp_path / "out.csv"
    invoke("export", "stock", "--out", str(out), "--database", db)
    assert out.read_text().splitlines() == ["sku,location,quantity", "A,WEB,10"]


def test_lanes_are_set_listed_and_removed(db: str) -> None:
    invoke("locations", "create", "WEB", "Web", "--database", db)
    invoke("locations", "create", "STORE", "Store", "--database", db)
    out = invoke("lanes", "set", "WEB", "STORE", "2", "--database", db)
    assert '"transit_days": 2' in out
    listed = invoke("lanes", "list", "--to", "STORE", "--database", db)
    assert "WEB" in listed and "2" in listed
    assert "WEB" not in invoke("lanes", "list", "--from", "STORE", "--database", db)
    refused = runner.invoke(app, ["lanes", "set", "WEB", "WEB", "1", "--database", db])
    assert refused.exit_code == 1 and "invalid" in refused.output
    invoke("lanes", "rm", "WEB", "STORE", "--database", db)
    assert "WEB" not in invoke("lanes", "list", "--database", db)
