"""Hostile input (issue 17, point 6): every string a request may carry is
bounded, and says so in the OpenAPI description, so that no field can be
used to make the server hold or store an unbounded text."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from earmark.api.app import create_app
from earmark.service.uow import Store
from earmark.settings import Settings

UNBOUNDED_FORMATS = ("date", "date-time")
"""String formats whose shape bounds them already (the schema's own validation)."""


def _unbounded_strings(node: Any, where: str, components: dict[str, Any],
                       seen: frozenset[str] = frozenset()) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return []
            return _unbounded_strings(components[name], f"{where}->{name}", components,
                                      seen | {name})
        if (node.get("type") == "string" and "maxLength" not in node
                and not {"enum", "const"} & node.keys()
                and node.get("format") not in UNBOUNDED_FORMATS):
            found.append(where)
        for key, value in node.items():
            found += _unbounded_strings(value, f"{where}.{key}", components, seen)
    elif isinstance(node, list):
        for value in node:
            found += _unbounded_strings(value, where, components, seen)
    return found


def test_every_string_a_request_may_carry_has_a_max_length_in_openapi(store: Store) -> None:
    schema = TestClient(create_app(store, Settings(dispatch=False))).get("/openapi.json").json()
    components = schema["components"]["schemas"]
    unbounded: list[str] = []
    operations = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            operations += 1
            where = f"{method.upper()} {path}"
            if "requestBody" in operation:
                unbounded += _unbounded_strings(operation["requestBody"], f"{where} body",
                                                components)
            for parameter in operation.get("parameters", []):
                unbounded += _unbounded_strings(parameter.get("schema", {}),
                                                f"{where} {parameter['name']}", components)
    assert operations > 50
    assert unbounded == []

