"""Items, locations and accounts: PUT creates (201) or replaces (200); GET
reads one (404 when missing) or a page."""

from __future__ import annotations

import httpx
import pytest
from tests.e2e.conftest import Ids, ok, problem

RESOURCES = [
    ("items", {"name": "Coat", "unit": "each", "unit_cost": "12.50", "lead_time_days": 14,
               "backorders": "deny", "safety_stock": 5},
     {"name": "Coat XL"}),
    ("locations", {"name": "Web shop"}, {"name": "Web"}),
    ("accounts", {"name": "Acme", "priority": 10}, {"name": "Acme Ltd"}),
]
KEY = {"items": "sku", "locations": "code", "accounts": "id"}


@pytest.mark.parametrize(("resource", "body", "update"), RESOURCES)
def test_put_creates_then_replaces_and_get_reads_it(
    api: httpx.Client, ids: Ids, resource: str, body: dict[str, object],
    update: dict[str, object],
) -> None:
    key = ids("R.1:x_")
    created = ok(api.put(f"/v1/{resource}/{key}", json=body), 201)
    assert created[KEY[resource]] == key
    assert {k: created[k] for k in body} == body
    assert created["created_at"].endswith("Z")
    assert ok(api.get(f"/v1/{resource}/{key}")) == created

    replaced = ok(api.put(f"/v1/{resource}/{key}", json=update), 200)
    assert replaced["name"] == update["name"]
    assert replaced["created_at"] == created["created_at"]
    assert ok(api.get(f"/v1/{resource}/{key}")) == replaced


def test_an_item_takes_the_documented_defaults(api: httpx.Client, ids: Ids) -> None:
    item = ok(api.put(f"/v1/items/{ids('SKU')}", json={"name": "Plain"}), 201)
    assert {k: item[k] for k in ("unit", "unit_cost", "lead_time_days", "backorders",
                                 "safety_stock")} == {
        "unit": "each", "unit_cost": None, "lead_time_days": None, "backorders": "allow",
        "safety_stock": 0}
    account = ok(api.put(f"/v1/accounts/{ids('acct')}", json={"name": "Plain"}), 201)
    assert account["priority"] == 100


@pytest.mark.parametrize("resource", ["items", "locations", "accounts"])
def test_reading_a_missing_resource_is_404(api: httpx.Client, ids: Ids, resource: str) -> None:
    problem(api.get(f"/v1/{resource}/{ids('missing')}"), 404, "not_found")


@pytest.mark.parametrize("resource", ["items", "locations", "accounts"])
def test_lists_are_pages_that_walk_every_resource(
    api: httpx.Client, ids: Ids, resource: str
) -> None:
    made = {ids(f"P{n}") for n in range(3)}
    for key in made:
        ok(api.put(f"/v1/{resource}/{key}", json={"name": "Paged"}), 201)
    seen: list[str] = []
    params: dict[str, object] = {"limit": 2}
    while True:
        page = ok(api.get(f"/v1/{resource}", params=params))
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= 2
        seen += [entry[KEY[resource]] for entry in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert made <= set(seen)
    assert len(seen) == len(set(seen)), "a page repeated an entry"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "ten"},
                                    {"cursor": "not-a-cursor"}])
def test_a_bad_page_request_is_422(api: httpx.Client, params: dict[str, object]) -> None:
    problem(api.get("/v1/items", params=params), 422, "validation")


def test_the_page_limit_defaults_to_100_and_allows_1000(api: httpx.Client, ids: Ids) -> None:
    for n in range(101 - len(ok(api.get("/v1/locations", params={"limit": 1000}))["items"])):
        ok(api.put(f"/v1/locations/{ids(f'L{n}')}", json={"name": "Filler"}), 201)
    assert len(ok(api.get("/v1/locations"))["items"]) == 100
    assert len(ok(api.get("/v1/locations", params={"limit": 1000}))["items"]) >= 101


@pytest.mark.parametrize(("resource", "body", "field"), [
    ("items", {"name": ""}, "name"),
    ("items", {"name": "x", "backorders": "sometimes"}, "backorders"),
    ("items", {"name": "x", "safety_stock": -1}, "safety_stock"),
    ("items", {"name": "x", "safety_stock": 10**12 + 1}, "safety_stock"),
    ("items", {"name": "x", "safety_stock": "5"}, "safety_stock"),
    ("items", {"name": "x", "unit_cost": "twelve"}, "unit_cost"),
    ("items", {"name": "x", "colour": "red"}, "colour"),
    ("accounts", {"name": "x", "priority": 1001}, "priority"),
    ("accounts", {"name": "x", "priority": 1.5}, "priority"),
    ("locations", {}, "name"),
])
def test_a_body_that_breaks_the_schema_is_422_and_creates_nothing(
    api: httpx.Client, ids: Ids, resource: str, body: dict[str, object], field: str
) -> None:
    key = ids("bad")
    document = problem(api.put(f"/v1/{resource}/{key}", json=body), 422, "validation")
    assert [e["field"] for e in document["errors"]] == [field]
    problem(api.get(f"/v1/{resource}/{key}"), 404)


@pytest.mark.parametrize("key", ["has space", "x" * 65, "semi;colon", "ünï"])
def test_a_bad_id_is_422(api: httpx.Client, key: str) -> None:
    document = problem(api.put(f"/v1/items/{key}", json={"name": "x"}), 422, "validation")
    assert document["errors"][0]["field"] == "sku"


def test_an_id_of_64_characters_is_fine(api: httpx.Client, ids: Ids) -> None:
    key = ids("x")
    key = key + "y" * (64 - len(key))
    ok(api.put(f"/v1/locations/{key}", json={"name": "Long"}), 201)
