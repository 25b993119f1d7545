"""The dashboard behind the same keys: a signed, HttpOnly, SameSite=Strict
session cookie that holds no key, CSRF tokens on every form, and a
Content-Security-Policy on every answer."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from tests.integration.helpers import seed

from earmark.api.app import create_app
from earmark.api.middleware import CONTENT_SECURITY_POLICY, KEY_COOKIE
from earmark.service.uow import Store
from earmark.settings import Settings

ROOT = "root-key-for-the-dashboard"
HTML = {"Accept": "text/html"}


def token_on(client: TestClient, path: str = "/act") -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def order_form(oid: str, quantity: int = 2) -> dict[str, str]:
    return {"id": oid, "account": "acme", "sku": "COAT", "location": "WEB",
            "quantity": str(quantity)}


@pytest.fixture
def open_ui(store: Store) -> Iterator[TestClient]:
    seed(store, on_hand=5)
    with TestClient(create_app(store, Settings(dispatch=False))) as client:
        yield client


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
        open_ui: TestClient) -> None:
    for data in (order_form("SO-1"), {**order_form("SO-1"), "csrf_token": "forged"}):
        refused = open_ui.post("/act/order", data=data)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"] == "urn:earmark:problem:csrf"
    assert open_ui.get("/v1/orders/SO-1").status_code == 404
    placed = open_ui.post("/act/order", data={**order_form("SO-1"), "csrf_token": token_on(open_ui)})
    assert placed.status_code == 200 and "2 allocated" in placed.text
    # htmx sends the token as a header instead.
    by_header = open_ui.post("/act/order", data=order_form("SO-2"),
                             headers={"X-CSRF-Token": token_on(open_ui)})
    assert by_header.status_code == 200 and "2 allocated" in by_header.text
    atp = open_ui.get("/v1/availability/COAT", params={"location": "WEB"}).json()["atp"]
    assert atp == [{"date": "2026-01-05", "supply": 5, "available": 1}]  # 5 on hand - 2 - 2


def test_every_answer_carries_a_content_security_policy(open_ui: TestClient) -> None:
    for path in ("/", "/act", "/events", "/v1/items", "/healthz", "/login", "/no-such-page"):
        answer = open_ui.get(path, headers=HTML)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
    assert "script-src 'self'; " in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    # The API docs start Swagger UI with an inline script, allowed by its nonce alone.
    docs = open_ui.get("/docs")
    nonce = re.search(r"'nonce-([^']+)'", docs.headers["content-security-policy"])
    assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in docs.text
    assert "<script>" not in docs.text


@pytest.fixture
def keyed_ui(store: Store) -> Iterator[TestClient]:
    seed(store, on_hand=5)
    with TestClient(create_app(store, Settings(api_keys=[ROOT], dispatch=False))) as client:
        yield client


def sign_in(client: TestClient, key: str) -> str:
    signed = client.post("/login", data={"key": key}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    cookie_header = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=strict" in cookie_header.replace(
        "SameSite=Strict", "SameSite=strict")
    session = client.cookies[KEY_COOKIE]
    return session


def test_the_session_cookie_is_signed_and_holds_no_key(keyed_ui: TestClient) -> None:
    assert keyed_ui.get("/", headers=HTML, follow_redirects=False).status_code == 303
    session = sign_in(keyed_ui, ROOT)
    assert ROOT not in session
    assert keyed_ui.get("/", headers=HTML).status_code == 200
    # A cookie changed by hand (another key's name, a later expiry) is not a session.
    ref, fingerprint, expires, signature = session.split("|")
    for forged in (f"env-2|{fingerprint}|{expires}|{signature}",
                   f"{ref}|{fingerprint}|{int(expires) + 1}|{signature}",
                   f"{ref}|{fingerprint}|{expires}|{'0' * len(signature)}", ROOT):
        keyed_ui.cookies.set(KEY_COOKIE, forged)
        assert keyed_ui.get("/", headers=HTML, follow_redirects=False).status_code == 303
        assert keyed_ui.get("/v1/items").status_code == 401


def test_a_signed_in_form_needs_the_token_of_its_own_session(keyed_ui: TestClient) -> None:
    sign_in(keyed_ui, ROOT)
    token = token_on(keyed_ui)
    with TestClient(create_app(keyed_ui.app.state.store,  # type: ignore[attr-defined]
                               Settings(dispatch=False))) as open_client:
        open_token = token_on(open_client)
    assert open_token != token
    refused = keyed_ui.post("/act/order", data={**order_form("SO-1"), "csrf_token": open_token})
    assert refused.status_code == 403
    placed = keyed_ui.post("/act/order", data={**order_form("SO-1"), "csrf_token": token})
    assert placed.status_code == 200 and "2 allocated" in placed.text
    assert keyed_ui.get("/v1/audit").json()["items"][-1]["actor"] == "env-1"


def test_a_session_ends_when_its_key_is_revoked_and_a_read_key_cannot_post(
        keyed_ui: TestClient) -> None:
    admin = {"Authorization": f"Bearer {ROOT}"}
    made = keyed_ui.post("/v1/keys", json={"name": "viewer", "scope": "read"}, headers=admin)
    assert made.status_code == 201
    sign_in(keyed_ui, made.json()["key"])
    token = token_on(keyed_ui)
    refused = keyed_ui.post("/act/order", data={**order_form("SO-1"), "csrf_token": token})
    assert refused.status_code == 403 and refused.json()["type"] == "urn:earmark:problem:forbidden"
    assert keyed_ui.delete(f"/v1/keys/{made.json()['id']}", headers=admin).status_code == 204
    assert keyed_ui.get("/", headers=HTML, follow_redirects=False).status_code == 303
