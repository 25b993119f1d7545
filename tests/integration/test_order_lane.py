"""POST /v1/orders on its short path (earmark.api.lane): a plain order is
placed without FastAPI's dependency machinery, and every other request gets
the answer FastAPI always gave it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from tests.integration.helpers import seed

from earmark.api.app import create_app
from earmark.api.lane import OrderLane
from earmark.service.uow import Store
from earmark.settings import Settings


def order(oid: str, quantity: Any = 1) -> dict[str, Any]:
    return {"id": oid, "account": "acme",
            "lines": [{"line": "1", "sku": "COAT", "quantity": quantity, "location": "WEB"}]}


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests FastAPI solved dependencies for."""
    paths: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counted(*args: Any, **kwargs: Any) -> Any:
        paths.append(kwargs["request"].url.path)
        return await solve(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return paths


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    seed(store, on_hand=5)
    with TestClient(create_app(store, Settings(dispatch=False))) as client:
        yield client


def test_a_plain_order_is_placed_and_replayed_without_fastapis_dependencies(
    client: TestClient, solved: list[str]
) -> None:
    placed = client.post("/v1/orders", json=order("SO-1", 2))
    assert placed.status_code == 201
    assert placed.json()["lines"][0]["allocated"] == 2
    keyed = client.post("/v1/orders", json=order("SO-2"), headers={"Idempotency-Key": "k"})
    again = client.post("/v1/orders", json=order("SO-2"), headers={"Idempotency-Key": "k"})
    assert (keyed.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == keyed.content
    exists = client.post("/v1/orders", json=order("SO-1", 2))
    assert (exists.status_code, exists.content) == (200, placed.content)
    refused = client.post("/v1/orders", json={**order("SO-3"), "account": "nobody"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert solved == []
    assert client.get("/v1/orders/SO-1").json() == placed.json()


def without_the_lane(store: Store) -> TestClient:
    """The same app with FastAPI alone behind POST /v1/orders: the answers before the lane."""
    app = create_app(store, Settings(dispatch=False))
    app.user_middleware = [m for m in app.user_middleware if m.cls is not OrderLane]
    return TestClient(app)


@pytest.mark.parametrize(("body", "headers"), [
    (order("SO-9", 0), {}),
    (order("SO-9", "1"), {}),
    ({"id": "SO-9", "account": "acme"}, {}),
    ({**order("SO-9"), "note": "unknown field"}, {}),
    ({**order("SO-9"), "id": "SO\u00009"}, {}),
    ([order("SO-9")], {}),
    (b'{"id": "SO-9",', {"Content-Type": "application/json"}),
    (b"", {"Content-Type": "application/json"}),
    (b'{"id": "SO-9", "account": "acme", "lines": [{"line": "1", "sku": "COAT", '
     b'"quantity": NaN, "location": "WEB"}]}', {"Content-Type": "application/json"}),
    (order("SO-9"), {"Idempotency-Key": "k" * 256}),
    (order("SO-9"), {"Idempotency-Key": ""}),
], ids=["zero", "text", "no-lines", "unknown-field", "nul", "a-list", "malformed", "empty",
        "nan", "long-key", "empty-key"])
def test_a_request_the_lane_refuses_gets_the_answer_fastapi_gave_it(
    store: Store, client: TestClient, body: Any, headers: dict[str, str]
) -> None:
    def post(to: TestClient) -> tuple[int, str, bytes]:
        if isinstance(body, bytes):
            response = to.post("/v1/orders", content=body, headers=headers)
        else:
            response = to.post("/v1/orders", json=body, headers=headers)
        return response.status_code, response.headers["content-type"], response.content

    answer = post(client)
    assert answer[0] in (400, 422)
    assert answer[1] == "application/problem+json"
    with without_the_lane(store) as reference:
        assert post(reference) == answer


def test_an_order_sent_as_another_content_type_still_goes_through_fastapi(
    client: TestClient, solved: list[str]
) -> None:
    response = client.post("/v1/orders", content=b'{"id": "SO-7", "account": "acme", "lines": '
                           b'[{"line": "1", "sku": "COAT", "quantity": 1, "location": "WEB"}]}',
                           headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201
    assert solved == ["/v1/orders"]


def test_with_api_keys_a_stranger_is_refused_before_the_lane_reads_the_order(
    store: Store, solved: list[str]
) -> None:
    seed(store, on_hand=5)
    app = create_app(store, Settings(dispatch=False, api_keys=["secret"]))
    with TestClient(app) as client:
        stranger = client.post("/v1/orders", json=order("SO-1"))
        assert stranger.status_code == 401
        known = client.post("/v1/orders", json=order("SO-1"),
                            headers={"Authorization": "Bearer secret"})
        assert known.status_code == 201
    assert solved == []
