"""No command prints a traceback on bad input, and ``earmark --help`` is quick:
every command of the CLI is run with unknown ids and with malformed values,
and the import time of ``earmark.cli.main`` is held to a budget."""

from __future__ import annotations

import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.integration.cli_helpers import Cli, cli_on, seed
from typer.main import get_command

from earmark.cli.main import app

NEVER_RETURN = {("serve",), ("demo",), ("dispatch",)}
"""Commands that run until stopped; they are started by the e2e tests."""

IMPORT_BUDGET_SECONDS = 0.25
"""The import of ``earmark.cli.main`` (the best of a few tries: the machine is
shared), well inside the 0.3 s that all of ``earmark --help`` may take."""
HELP_BUDGET_CPU_SECONDS = 0.3
"""``earmark --help``, start to end, in CPU seconds (the best of a few tries):
what the command costs, whatever else the machine is doing."""

HEAVY = ("sqlalchemy", "fastapi", "pydantic", "numpy", "pandas", "statsforecast", "rich",
         "jinja2", "alembic", "psycopg", "plotext", "httpx")


SHORT = {("simulate",): ("--days", "7")}
"""Options that keep a command with nothing to look up short: the sweep is
about answers to bad input, and ``simulate``'s default year (minutes on a busy
machine) is tested in test_simulation.py."""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small world of ``cli_helpers.seed``, made once: each test gets a copy."""
    path = tmp_path_factory.mktemp("cli-errors") / "seeded.db"
    with pytest.MonkeyPatch.context() as patch:
        seed(next(cli_on(f"sqlite:///{path}", patch)))
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all of it in the file copied
    return path


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seeded: Path) -> Iterator[Cli]:
    # A command given a path that is not there may write it (a backup): in the
    # test's directory, not in the checkout the suite runs from.
    monkeypatch.chdir(tmp_path)
    shutil.copyfile(seeded, tmp_path / "errors.db")
    yield next(cli_on(f"sqlite:///{tmp_path}/errors.db", monkeypatch))


def leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    children = getattr(command, "commands", None)
    if children is None:
        yield path, command
        return
    for name, child in children.items():
        yield from leaves(child, (*path, name))


COMMANDS = [(path, command) for path, command in leaves(get_command(app))
            if path not in NEVER_RETURN]


def arguments(command: Any, *, malformed: bool) -> list[str]:
    """Values for a command's arguments: well-formed but naming nothing that
    exists, or (malformed) not even of the right form where a form is asked."""
    values: list[str] = []
    for param in command.params:
        if param.param_type_name != "argument":
            continue
        annotation = param.type_descriptor.annotation
        if isinstance(annotation, types.UnionType):  # optional: X | None
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        if annotation is date:
            value = "2026-02-30" if malformed else "2026-02-01"
        elif annotation is int:
            value = "seven" if malformed else "3"
        elif typing.get_origin(annotation) is typing.Literal:
            value = "nonsense" if malformed else typing.get_args(annotation)[0]
        elif annotation is Path:
            value = "no-such-file.csv"
        else:
            value = "NOPE"
        values += [value, "3"] if param.nargs == -1 else [value]
    return values


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_a_command_on_unknown_ids_answers_in_one_line(cli: Cli, path: tuple[str, ...],
                                                      command: Any) -> None:
    result = cli.run(*path, *arguments(command, malformed=False), *SHORT.get(path, ()))
    if result.exit_code == 1:
        [said] = [line for line in result.stderr.splitlines() if line.strip()]
        assert said.startswith("earmark: "), said
    else:
        assert result.exit_code in (0, 2), result.output


MALFORMED = [(path, command) for path, command in COMMANDS
             if arguments(command, malformed=True) != arguments(command, malformed=False)]


@pytest.mark.parametrize(("path", "command"), MALFORMED, ids=[" ".join(p) for p, _ in MALFORMED])
def test_a_malformed_value_is_a_usage_error_naming_it(cli: Cli, path: tuple[str, ...],
                                                      command: Any) -> None:
    result = cli.run(*path, *arguments(command, malformed=True))
    assert result.exit_code == 2, result.output
    assert re.search(r"Invalid value for|is not a date|is not a whole number", result.output)


def test_a_broken_database_url_is_one_line(cli: Cli) -> None:
    other = Cli("postgresql://nobody@127.0.0.1:1/nothing")
    said = other.refused("items", "list")
    assert said.startswith("earmark: cannot open the database postgresql://nobody@127.0.0.1:1/")
    assert Cli("mysql://localhost/x").refused("items", "list", code=2).startswith(
        "earmark: 'mysql://localhost/x': only sqlite:/// and postgresql://")


def test_an_unexpected_error_is_one_line_not_a_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from earmark.cli import main

    def broken() -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(main, "app", broken)
    monkeypatch.delenv("EARMARK_DEBUG", raising=False)
    with pytest.raises(SystemExit) as stopped:
        main.run()
    assert stopped.value.code == 70
    said = capsys.readouterr().err
    assert said.startswith("earmark: internal error (RuntimeError: the disk caught fire)")
    assert "Traceback" not in said and len(said.strip().splitlines()) == 1


def _import_seconds() -> float:
    found = subprocess.run([sys.executable, "-X", "importtime", "-c", "import earmark.cli.main"],
                           capture_output=True, text=True, check=True).stderr
    [line] = [ln for ln in found.splitlines() if ln.rstrip().endswith("| earmark.cli.main")]
    return int(line.split("|")[1]) / 1e6


def _help_cpu_seconds() -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "earmark.cli.main", "--help"], capture_output=True,
                   check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_help_answers_within_its_budget() -> None:
    assert min(_help_cpu_seconds() for _ in range(3)) <= HELP_BUDGET_CPU_SECONDS


def test_the_cli_loads_within_its_budget_without_heavy_libraries() -> None:
    assert min(_import_seconds() for _ in range(5)) <= IMPORT_BUDGET_SECONDS
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, earmark.cli.main; "
         "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
        capture_output=True, text=True, check=True).stdout.split()
    assert [name for name in HEAVY if name in loaded] == []
