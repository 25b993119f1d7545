"""Driving the ``earmark`` command in tests: every call goes through the real
Typer app (as a user types it), on a database of each kind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from earmark.cli.main import app

TODAY = "2026-01-05"


class Cli:
    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def run(self, *args: str) -> Any:
        result = self.runner.invoke(app, ["--database", self.url, *args])
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            repr(result.exception)
        return result

    def __call__(self, *args: str) -> str:
        """Run a command that must succeed; its standard output."""
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return str(result.stdout)

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--format", "json"))

    def refused(self, *args: str, code: int = 1) -> str:
        """Run a command that must be refused in one line on stderr; that line."""
        result = self.run(*args)
        assert result.exit_code == code, result.output
        lines = [line for line in str(result.stderr).splitlines() if line.strip()]
        if code == 1:
            assert len(lines) == 1, result.stderr
        return "\n".join(lines)


def cli_on(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("EARMARK_TODAY", TODAY)
    monkeypatch.delenv("EARMARK_DATABASE_URL", raising=False)
    cli = Cli(url)
    cli("db", "upgrade")
    yield cli


def seed(cli: Cli) -> None:
    """A small world: two items, two locations, two accounts, stock, a receipt."""
    cli("items", "create", "COAT", "Coat", "--lead-time-days", "21")
    cli("items", "create", "SCARF", "Scarf")
    cli("locations", "create", "WEB", "Web shop")
    cli("locations", "create", "STORE", "Store")
    cli("accounts", "create", "acme", "Acme")
    cli("accounts", "create", "bigco", "Big Co", "--priority", "10")
    cli("stock", "adjust", "COAT", "WEB", "4", "--reason", "initial")
    cli("stock", "adjust", "SCARF", "STORE", "10", "--reason", "initial")
    cli("receipts", "create", "PO-1", "COAT", "WEB", "10", "2026-02-01")
