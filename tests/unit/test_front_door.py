"""What a new user meets first: a licence that says what pyproject.toml says,
a `make demo` that installs only what running needs, and the CLI's defaults
agreeing with the server's."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _recipe(makefile: str, target: str) -> tuple[list[str], str]:
    """A make target's prerequisites and recipe."""
    match = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n|[^\S\n]*\n)*)", makefile,
                      re.MULTILINE)
    assert match, target
    return match.group(1).split(), match.group(2)


def test_the_licence_file_is_the_licence_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_make_demo_installs_what_running_needs_and_make_test_the_dev_tools() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert _recipe(makefile, "demo")[0] == ["$(STAMP)"]
    runtime = _recipe(makefile, "$(STAMP)")[1]
    assert "-e ." in runtime and "[dev]" not in runtime
    assert _recipe(makefile, "test")[0] == ["$(DEV)"]
    assert "-e '.[dev]'" in _recipe(makefile, "$(DEV)")[1]


def test_the_cli_and_the_server_default_to_the_same_database() -> None:
    from earmark.cli.common import DEFAULT_DATABASE_URL as cli_default
    from earmark.store.db import DEFAULT_DATABASE_URL

    assert cli_default == DEFAULT_DATABASE_URL


def test_the_import_command_offers_exactly_the_kinds_it_can_read() -> None:
    from typing import get_args

    from earmark.cli.csvfile import SPECS
    from earmark.cli.exchange import ExportKind, ImportKind

    assert get_args(ImportKind) == tuple(SPECS)
    assert set(get_args(ImportKind)) <= set(get_args(ExportKind))
