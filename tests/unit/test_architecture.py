"""DESIGN.md "Architecture": imports point down the layers only, and no two
modules import each other. The contracts are in pyproject.toml
(``[tool.importlinter]``); ``make lint`` runs them too, this test keeps
them in ``make test`` (and so in CI)."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_imports_point_down_the_layers_and_never_run_in_circles() -> None:
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0
