"""``GET /healthz`` with API keys configured: open to a probe without a key,
and telling nothing but liveness and the kind of database (API.md)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from earmark.api.app import create_app
from earmark.service.uow import Store
from earmark.settings import Settings

KEY = "probe-test-key"


def keyed_app(store: Store) -> TestClient:
    return TestClient(create_app(store, Settings(api_keys=[KEY], batch_writes=False,
                                                 dispatch=False)))


def test_the_health_check_answers_without_a_key_and_nothing_else_does(store: Store) -> None:
    client = keyed_app(store)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": store.dialect}
    refused = client.get("/v1/items")
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "urn:earmark:problem:unauthorized"
    assert client.post("/healthz").status_code == 401
    assert client.get("/v1/items", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200


def test_the_openapi_description_says_the_health_check_needs_no_key(store: Store) -> None:
    client = keyed_app(store)
    schema = client.get("/openapi.json", headers={"Authorization": f"Bearer {KEY}"}).json()
    health = schema["paths"]["/healthz"]["get"]
    assert health["security"] == []
    assert "401" not in health["responses"]
    assert schema["paths"]["/v1/items"]["get"]["security"] == [{"bearer": []}]


def test_a_database_that_does_not_answer_is_503_without_its_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = keyed_app(store)

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("secret host db.internal:5432 refused"))

    monkeypatch.setattr(store.engine, "connect", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    assert response.json() == {"type": "urn:earmark:problem:database-unavailable",
                               "title": "Database unavailable", "status": 503,
                               "detail": "the database does not answer"}
