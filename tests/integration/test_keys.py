"""API keys with scopes, stored as hashes (API.md "Conventions"): 401 without
a valid key, 403 for a scope too small, both as problem documents; a key is
shown once and revoked at once; ``EARMARK_API_KEYS`` keys are admin keys
named ``env-1``, ``env-2``, ...; every event records its actor, and
``/v1/audit`` pages them by actor."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.integration.cli_helpers import Cli, cli_on

from earmark.api.app import create_app
from earmark.service.uow import Store
from earmark.settings import Settings
from earmark.store import tables as t

ROOT = "root-key-for-tests"


@pytest.fixture
def api(store: Store) -> Iterator[TestClient]:
    """The app with one environment key; writes go through the batching writer."""
    with TestClient(create_app(store, Settings(api_keys=[ROOT], dispatch=False))) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_key(api: TestClient, name: str, scope: str) -> dict[str, Any]:
    made = api.post("/v1/keys", json={"name": name, "scope": scope}, headers=bearer(ROOT))
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def problem(response: httpx.Response, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"urn:earmark:problem:{kind}"
    assert response.json()["status"] == status


def seed_master(api: TestClient) -> None:
    assert api.put("/v1/items/COAT", json={"name": "Coat"}, headers=bearer(ROOT)).status_code == 201
    assert api.put("/v1/locations/WEB", json={"name": "Web"},
                   headers=bearer(ROOT)).status_code == 201


def adjust(api: TestClient, key: str, quantity: int) -> httpx.Response:
    return api.post("/v1/adjustments", headers=bearer(key), json={
        "sku": "COAT", "location": "WEB", "quantity": quantity, "reason": "count"})


def test_each_scope_may_do_what_it_names_and_no_more(api: TestClient) -> None:
    seed_master(api)
    reader = make_key(api, "dashboard-reader", "read")["key"]
    writer = make_key(api, "shop", "write")["key"]
    admin = make_key(api, "ops", "admin")["key"]
    hook = {"url": "https://example.com/hook", "events": ["*"], "secret": "s"}

    problem(api.get("/v1/items"), 401, "unauthorized")
    problem(api.get("/v1/items", headers=bearer("ek_00000000_not-a-key")), 401, "unauthorized")
    # read: GET only.
    assert api.get("/v1/items", headers=bearer(reader)).status_code == 200
    problem(adjust(api, reader, 3), 403, "forbidden")
    problem(api.put("/v1/items/HAT", json={"name": "Hat"}, headers=bearer(reader)), 403,
            "forbidden")
    # write: stock and demand, not keys, webhooks or the clock.
    assert adjust(api, writer, 3).status_code == 201
    problem(api.post("/v1/webhooks", json=hook, headers=bearer(writer)), 403, "forbidden")
    problem(api.post("/v1/clock", json={"today": "2026-02-01"}, headers=bearer(writer)), 403,
            "forbidden")
    problem(api.get("/v1/keys", headers=bearer(writer)), 403, "forbidden")
    problem(api.post("/v1/keys", json={"name": "x", "scope": "admin"}, headers=bearer(writer)),
            403, "forbidden")
    # admin: everything.
    assert api.get("/v1/keys", headers=bearer(admin)).status_code == 200
    assert adjust(api, admin, 2).status_code == 201
    # Nothing a refused request asked for happened: 3 + 2 units, not 3 more.
    position = api.get("/v1/availability/COAT", params={"location": "WEB"}, headers=bearer(reader))
    assert position.status_code == 200
    assert position.json()["on_hand"] == 5


def test_a_key_is_shown_once_and_stored_only_as_its_hash(api: TestClient, store: Store) -> None:
    made = make_key(api, "shop", "write")
    assert set(made) == {"id", "name", "scope", "prefix", "created_at", "key"}
    assert (made["name"], made["scope"]) == ("shop", "write")
    assert made["key"].startswith(made["prefix"] + "_")
    with store.engine.connect() as connection:
        row = connection.execute(select(t.api_keys)).mappings().one()
    assert row["hash"] == hashlib.sha256(made["key"].encode()).hexdigest()
    assert made["key"] not in {str(value) for value in row.values()}
    listed = api.get("/v1/keys", headers=bearer(ROOT)).json()
    assert [k["id"] for k in listed["items"]] == [made["id"]]
    assert "key" not in listed["items"][0] and made["key"] not in str(listed)


def test_a_revoked_key_is_refused_at_once(api: TestClient) -> None:
    made = make_key(api, "shop", "read")
    assert api.get("/v1/items", headers=bearer(made["key"])).status_code == 200
    assert api.delete(f"/v1/keys/{made['id']}", headers=bearer(ROOT)).status_code == 204
    problem(api.get("/v1/items", headers=bearer(made["key"])), 401, "unauthorized")
    problem(api.delete(f"/v1/keys/{made['id']}", headers=bearer(ROOT)), 404, "not_found")
    assert api.get("/v1/keys", headers=bearer(ROOT)).json()["items"] == []


def test_a_key_name_is_one_actor_at_a_time_and_not_a_reserved_one(api: TestClient) -> None:
    make_key(api, "shop", "read")
    again = api.post("/v1/keys", json={"name": "shop", "scope": "write"}, headers=bearer(ROOT))
    assert again.status_code == 409
    for reserved in ("cli", "system", "anonymous", "env-3"):
        refused = api.post("/v1/keys", json={"name": reserved, "scope": "read"},
                           headers=bearer(ROOT))
        problem(refused, 422, "invalid")


def audit(api: TestClient, **params: Any) -> dict[str, Any]:
    answer = api.get("/v1/audit", params=params, headers=bearer(ROOT))
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


def test_environment_keys_are_admin_keys_named_env_1_and_up(store: Store) -> None:
    settings = Settings(api_keys=["first", "second"], dispatch=False)
    with TestClient(create_app(store, settings)) as api:
        assert api.put("/v1/items/COAT", json={"name": "Coat"},
                       headers=bearer("first")).status_code == 201
        assert api.put("/v1/locations/WEB", json={"name": "Web"},
                       headers=bearer("first")).status_code == 201
        assert adjust(api, "second", 4).status_code == 201
        assert api.post("/v1/keys", json={"name": "k", "scope": "read"},
                        headers=bearer("second")).status_code == 201
        events = api.get("/v1/events", headers=bearer("first")).json()["items"]
    assert [(e["type"], e["actor"]) for e in events] == [("stock.adjusted", "env-2")]


def test_every_event_records_the_key_that_caused_it_and_the_clock_records_system(
        api: TestClient) -> None:
    seed_master(api)
    assert api.put("/v1/accounts/acme", json={"name": "Acme"},
                   headers=bearer(ROOT)).status_code == 201
    writer = make_key(api, "shop", "write")["key"]
    assert adjust(api, writer, 3).status_code == 201
    # 2 of the 3 units held for acme until the 7th; the clock then expires them.
    committed = api.post("/v1/commitments", headers=bearer(writer), json={
        "id": "C-1", "account": "acme", "sku": "COAT", "location": "WEB", "quantity": 2,
        "need_date": "2026-01-06", "expires_on": "2026-01-07"})
    assert committed.status_code == 201, committed.text
    moved = api.post("/v1/clock", json={"today": "2026-01-08"}, headers=bearer(ROOT))
    assert moved.status_code == 200, moved.text
    assert adjust(api, ROOT, 1).status_code == 201
    told = [(e["type"], e["actor"]) for e in audit(api)["items"]]
    assert told == [("stock.adjusted", "shop"), ("commitment.confirmed", "shop"),
                    ("commitment.expired", "system"), ("stock.adjusted", "env-1")]


def test_the_audit_trail_pages_by_actor_with_keyset_cursors(api: TestClient) -> None:
    seed_master(api)
    shop = make_key(api, "shop", "write")["key"]
    other = make_key(api, "warehouse", "write")["key"]
    for n in range(1, 6):
        assert adjust(api, shop if n % 2 else other, n).status_code == 201
    # shop made the 1st, 3rd and 5th adjustments; warehouse the 2nd and 4th.
    first = audit(api, actor="shop", limit=2)
    assert [e["data"]["quantity"] for e in first["items"]] == [1, 3]
    assert {e["actor"] for e in first["items"]} == {"shop"}
    rest = audit(api, actor="shop", limit=2, cursor=first["next_cursor"])
    assert [e["data"]["quantity"] for e in rest["items"]] == [5]
    assert rest["next_cursor"] is None
    every = audit(api)["items"]
    assert [e["actor"] for e in every] == ["shop", "warehouse", "shop", "warehouse", "shop"]
    after_second = audit(api, after=every[1]["id"])["items"]
    assert [e["data"]["quantity"] for e in after_second] == [3, 4, 5]
    assert audit(api, actor="nobody")["items"] == []
    events_cursor = api.get("/v1/events", params={"limit": 1}, headers=bearer(ROOT)).json()
    refused = api.get("/v1/audit", params={"cursor": events_cursor["next_cursor"]},
                      headers=bearer(ROOT))
    problem(refused, 422, "validation")


def test_without_keys_requests_act_as_anonymous(store: Store) -> None:
    with TestClient(create_app(store, Settings(dispatch=False))) as api:
        assert api.put("/v1/items/COAT", json={"name": "Coat"}).status_code == 201
        assert api.put("/v1/locations/WEB", json={"name": "Web"}).status_code == 201
        assert adjust(api, "", 2).status_code == 201
        events = api.get("/v1/audit").json()["items"]
    assert [(e["type"], e["actor"]) for e in events] == [("stock.adjusted", "anonymous")]


def test_the_first_key_made_turns_keys_on_at_once(store: Store) -> None:
    with TestClient(create_app(store, Settings(dispatch=False))) as api:
        assert api.get("/v1/items").status_code == 200
        made = api.post("/v1/keys", json={"name": "ops", "scope": "admin"})
        assert made.status_code == 201
        problem(api.get("/v1/items"), 401, "unauthorized")
        assert api.get("/v1/items", headers=bearer(made.json()["key"])).status_code == 200
        # Revoking the last key does not open the server again.
        assert api.delete(f"/v1/keys/{made.json()['id']}",
                          headers=bearer(made.json()["key"])).status_code == 204
        problem(api.get("/v1/items"), 401, "unauthorized")


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(database_url, monkeypatch)


def test_the_cli_makes_lists_and_revokes_keys_and_its_changes_record_cli(
        cli: Cli, database_url: str) -> None:
    key = cli("keys", "create", "--name", "shop", "--scope", "write").strip()
    assert key.startswith("ek_") and len(key) > 40
    listed = cli.json("keys", "list")
    assert [(k["name"], k["scope"]) for k in listed] == [("shop", "write")]
    assert key not in str(listed)
    cli("items", "create", "COAT", "Coat")
    cli("locations", "create", "WEB", "Web")
    cli("stock", "adjust", "COAT", "WEB", "4", "--reason", "count")
    store = Store(database_url)
    try:
        with TestClient(create_app(store, Settings(dispatch=False))) as api:
            # The key made by the CLI is needed by the server, and is who it says.
            problem(api.get("/v1/items"), 401, "unauthorized")
            assert adjust(api, key, 1).status_code == 201
            events = api.get("/v1/audit", headers=bearer(key)).json()["items"]
        assert [(e["type"], e["actor"]) for e in events] == [
            ("stock.adjusted", "cli"), ("stock.adjusted", "shop")]
    finally:
        store.dispose()
    cli("keys", "revoke", listed[0]["id"])
    assert cli.json("keys", "list") == []


def test_an_order_placed_through_the_order_lane_records_its_key(api: TestClient) -> None:
    seed_master(api)
    assert api.put("/v1/accounts/acme", json={"name": "Acme"},
                   headers=bearer(ROOT)).status_code == 201
    shop = make_key(api, "shop", "write")["key"]
    assert adjust(api, ROOT, 5).status_code == 201
    body = {"id": "SO-1", "account": "acme",
            "lines": [{"line": "1", "sku": "COAT", "location": "WEB", "quantity": 3}]}
    headers = {**bearer(shop), "Idempotency-Key": "order-SO-1"}
    assert api.post("/v1/orders", json=body, headers=headers).status_code == 201
    # The retry changes nothing, so records nothing.
    assert api.post("/v1/orders", json=body, headers=headers).status_code == 201
    told = [(e["type"], e["actor"]) for e in audit(api)["items"]]
    assert told == [("stock.adjusted", "env-1"), ("order.allocated", "shop")]
    assert audit(api, actor="shop")["items"][0]["data"]["quantity"] == 3


def test_a_server_with_a_made_key_may_listen_beyond_loopback(store: Store) -> None:
    from earmark.api.server import UnsafeBind, check_bind
    from earmark.service import keys

    with pytest.raises(UnsafeBind):
        check_bind("0.0.0.0", Settings(), store)
    check_bind("127.0.0.1", Settings(), store)
    with store.unit_of_work() as uow:
        assert keys.create_key(uow, keys.CreateKey("ops", "admin")).ok
    check_bind("0.0.0.0", Settings(), store)
