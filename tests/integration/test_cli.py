"""The CLI over the same handlers as the API: every job of the README with the
CLI alone, on SQLite and PostgreSQL; dates, negative numbers, formats, the
database it opens, and the demo's day."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.cli_helpers import Cli, cli_on, seed

from earmark.cli.main import app


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(database_url, monkeypatch)


@pytest.fixture
def sqlite_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(f"sqlite:///{tmp_path}/cli.db", monkeypatch)


def test_every_job_of_the_api_is_done_with_the_cli_alone(cli: Cli) -> None:
    seed(cli)
    # Promise, order, and look at the queue.
    assert cli.json("promise", "COAT", "6", "--location", "WEB")["promised_date"] == "2026-02-01"
    order = cli.json("orders", "create", "SO-1", "acme", "COAT", "6", "SCARF", "1",
                     "--location", "WEB")
    assert [(ln["line"], ln["sku"], ln["allocated"]) for ln in order["lines"]] == [
        ("1", "COAT", 4), ("2", "SCARF", 0)]
    assert cli.json("orders", "show", "SO-1")["lines"][0]["promised_date"] == "2026-02-01"
    [queued, _] = cli.json("backorders")
    assert (queued["order"], queued["backordered"], queued["queue_position"]) == ("SO-1", 2, 1)
    assert cli.json("availability", "COAT", "--location", "WEB")["backordered"] == 2
    # Supply moves: the receipt is later, then arrives in part; stock is damaged.
    cli("receipts", "move", "PO-1", "--to", "2026-02-15")
    assert cli.json("orders", "show", "SO-1")["lines"][0]["promised_date"] == "2026-02-15"
    assert cli.json("receipts", "receive", "PO-1", "--quantity", "3")["received"] == 3
    position = cli.json("stock", "adjust", "COAT", "WEB", "-1", "--reason", "damage")
    assert position["on_hand"] == 6
    # Ship what is held, cancel the rest of a line.
    shipped = cli.json("orders", "ship", "SO-1")
    assert shipped["lines"][0]["shipped"] == 6 and shipped["lines"][0]["status"] == "shipped"
    cancelled = cli.json("orders", "cancel", "SO-1", "2", "all")
    assert cancelled["lines"][1]["status"] == "cancelled"
    # A commitment, then its release; a receipt cancelled.
    made = cli.json("commitments", "create", "C-1", "bigco", "COAT", "WEB", "5", "2026-03-01",
                    "--mode", "partial", "--kind", "key_account")
    assert made["status"] == "open" and made["kind"] == "key_account"
    assert cli.json("commitments", "show", "C-1")["remaining"] == 5
    assert cli.json("commitments", "release", "C-1", "--quantity", "2")["remaining"] == 3
    assert [c["id"] for c in cli.json("commitments", "list", "--account", "bigco")] == ["C-1"]
    assert cli.json("receipts", "cancel", "PO-1")["status"] == "cancelled"
    assert [r["status"] for r in cli.json("receipts", "list", "--sku", "COAT")] == ["cancelled"]
    # What happened, and what the customer was told.
    events = [json.loads(line) for line in cli("events", "tail", "--limit", "100",
                                               "--format", "json").splitlines()]
    assert {"order.shipped", "order.cancelled", "receipt.changed", "commitment.released",
            "stock.adjusted"} <= {e["type"] for e in events}
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    told = cli.json("accounts", "notices", "acme")
    assert told and all(n["order"] == "SO-1" for n in told)
    assert "Hello Acme" in cli("accounts", "notices", "acme", "--text")
    # Master data reads, the calendar, webhooks and the invariants.
    assert cli.json("items", "show", "COAT")["lead_time_days"] == 21
    assert [a["id"] for a in cli.json("accounts", "list")] == ["acme", "bigco"]
    assert cli.json("clock", "advance", "2026-01-10")["today"] == "2026-01-10"
    assert cli.json("clock", "show") == {"today": "2026-01-10", "frozen": True}
    hook = cli.json("webhooks", "create", "https://example.com/hook", "--secret", "s3cret",
                    "--event", "order.promise_changed")
    assert cli.json("webhooks", "show", hook["id"])["events"] == ["order.promise_changed"]
    assert cli.json("webhooks", "deliveries", hook["id"]) == []
    assert "removed the webhook" in cli("webhooks", "rm", hook["id"])
    assert "every invariant holds" in cli("check")


def test_stock_adjust_takes_a_negative_number_as_it_is_written(sqlite_cli: Cli) -> None:
    seed(sqlite_cli)
    assert sqlite_cli.json("stock", "adjust", "COAT", "WEB", "-3")["on_hand"] == 1
    refused = sqlite_cli.refused("stock", "adjust", "COAT", "WEB", "-5")
    assert refused.startswith("earmark: would_go_negative: on-hand is 1")
    assert sqlite_cli.json("availability", "COAT", "--location", "WEB")["on_hand"] == 1


def test_an_iso_date_is_read_and_a_wrong_one_is_a_one_line_usage_error(sqlite_cli: Cli) -> None:
    seed(sqlite_cli)
    said = sqlite_cli.refused("receipts", "create", "PO-2", "COAT", "WEB", "5", "2026-02-30",
                              code=2)
    assert "'2026-02-30' is not a date; write it as YYYY-MM-DD" in said
    assert sqlite_cli.refused("receipts", "show", "PO-2") == "earmark: not_found: no receipt 'PO-2'"
    said = sqlite_cli.refused("orders", "create", "SO-1", "acme", "COAT", "1",
                              "--requested-date", "tomorrow", code=2)
    assert "'tomorrow' is not a date" in said


def test_an_unknown_sku_is_a_one_line_refusal_and_changes_nothing(sqlite_cli: Cli) -> None:
    seed(sqlite_cli)
    before = sqlite_cli("export", "stock")
    assert sqlite_cli.refused("stock", "adjust", "NOPE", "WEB", "3") == \
        "earmark: unknown_sku: unknown sku 'NOPE'"
    assert sqlite_cli.refused("availability", "NOPE") == "earmark: not_found: no item 'NOPE'"
    assert "NOPE" in sqlite_cli.refused("orders", "create", "SO-9", "acme", "NOPE", "1",
                                        "--location", "WEB")
    assert sqlite_cli("export", "stock") == before
    assert sqlite_cli.json("orders", "list") == []


def test_help_lists_the_allowed_values_of_every_choice(sqlite_cli: Cli) -> None:
    assert "<initial|count|damage|return|correction>" in sqlite_cli("stock", "adjust", "--help")
    assert "<purchase|production|transfer|harvest>" in sqlite_cli("receipts", "create", "--help")
    made = sqlite_cli("commitments", "create", "--help")
    assert "<contract|project|key_account|forecast>" in made and "<strict|partial>" in made
    assert "<allow|deny|reject>" in sqlite_cli("orders", "create", "--help")
    assert "<table|json|csv>" in sqlite_cli("orders", "list", "--help")
    assert "<set|add>" in sqlite_cli("import", "--help")
    said = sqlite_cli.refused("stock", "adjust", "COAT", "WEB", "1", "--reason", "theft", code=2)
    assert "'theft' is not one of" in said


def test_tables_are_not_cut_when_piped(sqlite_cli: Cli) -> None:
    name = "A coat with a name far longer than any terminal is wide " * 3
    sqlite_cli("items", "create", "COAT-WITH-A-LONG-SKU", name.strip(), "--lead-time-days", "9")
    table = sqlite_cli("items", "list")
    [row] = [line for line in table.splitlines() if "COAT-WITH-A-LONG-SKU" in line]
    assert name.strip() in row and "…" not in table


def test_lists_print_as_json_or_csv(sqlite_cli: Cli) -> None:
    seed(sqlite_cli)
    rows = list(csv.DictReader(io.StringIO(sqlite_cli("receipts", "list", "--format", "csv"))))
    assert [(r["id"], r["quantity"], r["expected_date"]) for r in rows] == [
        ("PO-1", "10", "2026-02-01")]
    assert [i["sku"] for i in sqlite_cli.json("items", "list")] == ["COAT", "SCARF"]
    one = list(csv.DictReader(io.StringIO(sqlite_cli("items", "show", "COAT", "--format", "csv"))))
    assert one[0]["lead_time_days"] == "21"


def test_a_list_pages_with_the_apis_cursors(sqlite_cli: Cli) -> None:
    seed(sqlite_cli)
    result = sqlite_cli.run("items", "list", "--limit", "1", "--format", "json")
    assert [i["sku"] for i in json.loads(result.stdout)] == ["COAT"]
    cursor = result.stderr.split("--cursor ")[1].strip()
    assert [i["sku"] for i in sqlite_cli.json("items", "list", "--limit", "1",
                                              "--cursor", cursor)] == ["SCARF"]
    assert "invalid: cursor" in sqlite_cli.refused("items", "list", "--cursor", "nonsense",
                                                   code=2)


def test_lanes_are_set_listed_and_removed(sqlite_cli: Cli) -> None:
    sqlite_cli("locations", "create", "WEB", "Web")
    sqlite_cli("locations", "create", "STORE", "Store")
    assert sqlite_cli.json("lanes", "set", "WEB", "STORE", "2")["transit_days"] == 2
    assert [(lane["from"], lane["to"], lane["transit_days"])
            for lane in sqlite_cli.json("lanes", "list", "--to", "STORE")] == [("WEB", "STORE", 2)]
    assert sqlite_cli.json("lanes", "list", "--from", "STORE") == []
    assert sqlite_cli.refused("lanes", "set", "WEB", "WEB", "1").startswith("earmark: invalid")
    sqlite_cli("lanes", "rm", "WEB", "STORE")
    assert sqlite_cli.json("lanes", "list") == []


def test_a_database_that_does_not_exist_is_refused_not_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARMARK_TODAY", "2026-01-05")
    missing = tmp_path / "mistyped.db"
    cli = Cli(str(missing))
    for command in (["items", "list"], ["stock", "adjust", "COAT", "WEB", "1"], ["check"],
                    ["export", "stock"], ["events", "tail"], ["orders", "show", "SO-1"]):
        said = cli.refused(*command)
        assert said.startswith(f"earmark: no database at {missing} (a mistyped path?)"), command
        assert not missing.exists()
    cli("db", "upgrade")
    assert missing.exists()
    assert cli.json("items", "list") == []


def test_the_database_may_be_named_before_the_command_or_after_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARMARK_TODAY", "2026-01-05")
    monkeypatch.chdir(tmp_path)
    cli = Cli("shop.db")  # a bare path is a SQLite file
    cli("db", "upgrade")
    cli("locations", "create", "WEB", "Web")
    after = cli.runner.invoke(app, ["locations", "list", "--database", "sqlite:///shop.db",
                                    "--format", "json"])
    assert [loc["code"] for loc in json.loads(after.stdout)] == ["WEB"]


def test_a_frozen_day_stored_with_the_database_is_every_commands_today(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli = next(cli_on(f"sqlite:///{tmp_path}/frozen.db", monkeypatch))
    cli("clock", "advance", "2026-01-20")
    monkeypatch.delenv("EARMARK_TODAY")
    assert cli.json("clock", "show") == {"today": "2026-01-20", "frozen": True}


def test_the_demo_stores_its_day_and_its_events_read_as_that_day(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from earmark.demo.data import DEMO_TODAY, load
    from earmark.service.clock import Clock
    from earmark.service.uow import Store

    monkeypatch.delenv("EARMARK_TODAY", raising=False)
    store = Store(f"sqlite:///{tmp_path}/demo.db", Clock(frozen=DEMO_TODAY, stamps_today=True))
    store.upgrade()
    load(store)
    store.dispose()
    cli = Cli(str(tmp_path / "demo.db"))  # as the demo's banner says: earmark --database demo.db
    assert cli.json("clock", "show") == {"today": DEMO_TODAY.isoformat(), "frozen": True}
    days = {json.loads(line)["at"][:10] for line in cli("events", "tail", "--limit", "1000",
                                                        "--format", "json").splitlines()}
    assert days == {DEMO_TODAY.isoformat()}


def test_events_tail_follows_new_events_until_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/follow.db"
    env = {"EARMARK_TODAY": "2026-01-05", "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(Path(__file__).parents[2] / "src")}

    def earmark(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "earmark.cli.main", "--database", url, *args],
                              env=env, check=True, capture_output=True, text=True).stdout

    earmark("db", "upgrade")
    earmark("items", "create", "COAT", "Coat")
    earmark("locations", "create", "WEB", "Web")
    follower = subprocess.Popen(
        [sys.executable, "-m", "earmark.cli.main", "--database", url, "events", "tail",
         "--follow", "--interval", "0.2", "--type", "stock.adjusted", "--format", "json"],
        env=env, stdout=subprocess.PIPE, text=True)
    try:
        earmark("stock", "adjust", "COAT", "WEB", "5", "--reason", "initial")
        assert follower.stdout is not None
        seen = json.loads(follower.stdout.readline())
        assert seen["type"] == "stock.adjusted" and seen["data"]["quantity"] == 5
    finally:
        follower.terminate()
        follower.wait(timeout=10)


def test_the_start_up_banners_name_the_dashboard(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import earmark.forecast.worker
    from earmark.cli import main

    shown: list[str] = []
    monkeypatch.setattr(main, "_serve", lambda url, host, port, banner=None, workers=None:
                        shown.extend(banner or []))
    monkeypatch.setattr(earmark.forecast.worker, "start_in_background",
                        lambda store, launcher: "fr_test")
    monkeypatch.setenv("EARMARK_TODAY", "2026-01-05")  # the demo sets it: restored after
    monkeypatch.chdir(tmp_path)
    ran = CliRunner().invoke(main.app, ["demo", "--port", "8123"])
    assert ran.exit_code == 0, ran.output
    banner = "\n".join(shown)
    assert "Dashboard: [bold]http://127.0.0.1:8123/[/bold]" in banner
    assert "docs: http://127.0.0.1:8123/docs" in banner
    assert "--database demo.db backorders --sku COAT-ASTRID-M" in banner
    shown.clear()
    ran = CliRunner().invoke(main.app, ["serve", "--database", str(tmp_path / "served.db"),
                                        "--port", "8124"])
    assert ran.exit_code == 0, ran.output
    assert "dashboard: http://127.0.0.1:8124/" in "\n".join(shown)


def test_a_ship_to_order_and_a_transfer_are_done_with_the_cli_alone(cli: Cli) -> None:
    seed(cli)  # 4 coats at WEB, none at STORE; today 2026-01-05
    cli("lanes", "set", "WEB", "STORE", "2")
    quote = cli.json("promise", "COAT", "3", "--ship-to", "STORE")
    assert quote["promised_date"] == "2026-01-07" and quote["complete"] is True
    order = cli.json("orders", "create", "SO-S", "acme", "COAT", "3", "--ship-to", "STORE")
    [line] = order["lines"]
    assert (line["ship_to"], line["location"], line["promised_date"]) == (
        "STORE", "WEB", "2026-01-07")
    assert [(p["location"], p["transit_days"], p["allocated"]) for p in line["parts"]] == [
        ("WEB", 2, 3)]
    shipped = cli.json("orders", "ship", "SO-S", "1", "3", "--from", "WEB")
    assert shipped["lines"][0]["shipped"] == 3
    # The last coat at WEB moves to the store; it arrives two days after it ships.
    made = cli.json("transfers", "create", "TR-1", "COAT", "WEB", "STORE", "1")
    assert (made["status"], made["open"], made["expected_date"]) == ("open", 1, "2026-01-07")
    assert cli.json("transfers", "ship", "TR-1")["in_transit"] == 1
    assert [t["id"] for t in cli.json("transfers", "list", "--to", "STORE")] == ["TR-1"]
    assert cli.json("transfers", "receive", "TR-1")["status"] == "received"
    assert cli.json("availability", "COAT", "--location", "STORE")["on_hand"] == 1
    assert cli.refused("transfers", "create", "TR-2", "COAT", "STORE", "WEB", "1").startswith(
        "earmark: no_lane: no lane from 'STORE' to 'WEB'")
    assert "every invariant holds" in cli("check")


def test_suppliers_and_promise_basis_from_the_cli(cli: Cli) -> None:
    cli("locations", "create", "WEB", "Web")
    assert cli.json("items", "create", "COAT", "Coat", "--promise-basis", "p90")["promise_basis"] == "p90"
    assert cli.json("accounts", "create", "acme", "Acme",
                    "--promise-basis", "expected")["promise_basis"] == "expected"
    made = cli.json("receipts", "create", "PO-1", "COAT", "WEB", "5", "2026-01-09",
                    "--supplier", "mill")
    assert (made["supplier"], made["first_expected_date"]) == ("mill", "2026-01-09")
    # Received in full on 2026-01-05, four days early.
    assert cli.json("receipts", "receive", "PO-1")["slip_days"] == -4
    shown = cli.json("suppliers", "show", "mill")
    assert (shown["received"], shown["slip_days"]["p90"], shown["on_time_share"]) == (1, -4, 1.0)
    assert [s["id"] for s in cli.json("suppliers", "list")] == ["mill"]
    assert "slip_p90" in cli("suppliers", "list", "--format", "csv")
