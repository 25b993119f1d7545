"""The API with the batching writer off (EARMARK_BATCH_WRITES=false): one
transaction per command, with the same answers and the same idempotency."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.integration.helpers import seed

from earmark.api.app import create_app
from earmark.service.check import check_store
from earmark.service.uow import Store
from earmark.settings import Settings


def order(oid: str, quantity: int, account: str = "acme") -> dict[str, object]:
    return {"id": oid, "account": account,
            "lines": [{"line": "1", "sku": "COAT", "quantity": quantity, "location": "WEB"}]}


def test_commands_without_the_writer_answer_and_replay_alike(store: Store) -> None:
    seed(store, on_hand=3)
    app = create_app(store, Settings(batch_writes=False, dispatch=False))
    assert app.state.commands.writer is None
    with TestClient(app) as client:
        placed = client.post("/v1/orders", json=order("SO-1", 2), headers={"Idempotency-Key": "k1"})
        assert placed.status_code == 201
        assert placed.json()["lines"][0]["allocated"] == 2
        again = client.post("/v1/orders", json=order("SO-1", 2), headers={"Idempotency-Key": "k1"})
        assert (again.status_code, again.json()) == (201, placed.json())
        other_body = client.post("/v1/orders", json=order("SO-9", 1), headers={"Idempotency-Key": "k1"})
        assert other_body.status_code == 422
        refused = client.post("/v1/orders", json=order("SO-2", 1, "nobody"),
                              headers={"Idempotency-Key": "k2"})
        assert refused.status_code == 422
        replayed = client.post("/v1/orders", json=order("SO-2", 1, "nobody"),
                               headers={"Idempotency-Key": "k2"})
        assert (replayed.status_code, replayed.json()) == (422, refused.json())
        second = client.post("/v1/orders", json=order("SO-3", 2))
        assert second.status_code == 201
        assert second.json()["lines"][0]["allocated"] == 1
        assert client.get("/v1/orders/SO-2").status_code == 404
    assert check_store(store)[1] == []


def test_notices_are_there_as_soon_as_the_change_is(store: Store) -> None:
    """Without any dispatcher running, reading notices makes the missing ones."""
    seed(store, on_hand=1, lead_time_days=10)
    app = create_app(store, Settings(dispatch=False))
    with TestClient(app) as client:
        assert client.post("/v1/orders", json=order("SO-1", 3)).status_code == 201
        told = client.get("/v1/accounts/acme/notices").json()["items"]
        assert [n["order"] for n in told] == ["SO-1"]
        assert "15 January 2026" in told[0]["text"]
