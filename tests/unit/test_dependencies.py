"""Every third-party module earmark imports is a dependency pyproject.toml
declares (with a lower bound), not one that happens to come with another."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "earmark"


def _imported_top_level_modules() -> set[str]:
    names: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"earmark"}


OPTIONAL_PARTS = ("dask", "nats", "parquet")
"""Extras that hold dependencies of earmark's own code (earmark.extras), not tools."""


def _declared() -> dict[str, str]:
    """Declared distribution (normalised name) -> its requirement: the core's
    and those of the extras earmark's own code imports (lazily)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared: dict[str, str] = {}
    extras = project["optional-dependencies"]
    for requirement in [*project["dependencies"], *(r for part in OPTIONAL_PARTS
                                                    for r in extras[part])]:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
        declared[_normalised(name)] = requirement
    return declared


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_module_earmark_imports_is_a_declared_dependency() -> None:
    declared = _declared()
    providers = packages_distributions()
    undeclared = {
        module: providers.get(module, ["(not installed)"])
        for module in _imported_top_level_modules()
        if not any(_normalised(d) in declared for d in providers.get(module, []))
    }
    assert undeclared == {}


def test_every_dependency_has_a_lower_bound() -> None:
    assert [r for r in _declared().values() if ">=" not in r] == []
