"""DESIGN.md "Architecture": imports point down the layers only, and no two
modules import each other. The contracts are in pyproject.toml
(``[tool.importlinter]``); ``make lint`` runs them too, this test keeps
them in ``make test`` (and so in CI)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_imports_point_down_the_layers_and_never_run_in_circles() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0


def test_entrypoints_write_no_sql_they_call_the_service_layer() -> None:
    """Issue 13: the API (and its dashboard), the CLI and the demo import
    neither SQLAlchemy, nor a driver, nor earmark.store; every query and write
    they need is a named function of the service layer. The test above runs
    the contract; this one keeps it from being loosened unseen."""
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    [contract] = [c for c in contracts if c["name"].startswith("Entrypoints write no SQL")]
    assert contract["type"] == "forbidden"
    assert set(contract["source_modules"]) == {"earmark.api", "earmark.cli", "earmark.demo"}
    assert {"sqlalchemy", "psycopg", "earmark.store"} <= set(contract["forbidden_modules"])
    assert not contract.get("ignore_imports")
