"""Lanes (API.md "Network"): PUT creates (201) or changes (200) the lane
``from -> to``; GET reads one or a page filtered by ``from``/``to``; DELETE
removes it. A lane to itself, or from or to an unknown location, is 422 and
changes nothing."""

from __future__ import annotations

import httpx
from tests.e2e.conftest import Ids, ok, problem


def _locations(api: httpx.Client, ids: Ids, *names: str) -> list[str]:
    codes = [ids(name) for name in names]
    for code in codes:
        ok(api.put(f"/v1/locations/{code}", json={"name": code}), 201)
    return codes


def test_a_lane_is_created_changed_read_listed_and_removed(api: httpx.Client, ids: Ids) -> None:
    web, store, hub = _locations(api, ids, "WEB", "STORE", "HUB")
    created = ok(api.put(f"/v1/lanes/{web}/{store}", json={"transit_days": 2}), 201)
    assert {k: created[k] for k in ("from", "to", "transit_days")} == {
        "from": web, "to": store, "transit_days": 2}
    changed = ok(api.put(f"/v1/lanes/{web}/{store}", json={"transit_days": 3}), 200)
    assert changed["transit_days"] == 3
    assert changed["created_at"] == created["created_at"]
    assert ok(api.get(f"/v1/lanes/{web}/{store}")) == changed
    ok(api.put(f"/v1/lanes/{hub}/{store}", json={"transit_days": 0}), 201)
    ok(api.put(f"/v1/lanes/{store}/{web}", json={"transit_days": 2}), 201)  # one-way: a lane of its own

    into_store = ok(api.get("/v1/lanes", params={"to": store}))["items"]
    assert sorted((lane["from"], lane["transit_days"]) for lane in into_store) == sorted(
        [(web, 3), (hub, 0)])
    from_store = ok(api.get("/v1/lanes", params={"from": store, "to": ""}))["items"]
    assert [(lane["from"], lane["to"]) for lane in from_store] == [(store, web)]

    deleted = api.delete(f"/v1/lanes/{web}/{store}")
    assert deleted.status_code == 204
    problem(api.get(f"/v1/lanes/{web}/{store}"), 404, "not_found")
    problem(api.delete(f"/v1/lanes/{web}/{store}"), 404, "not_found")
    assert ok(api.get(f"/v1/lanes/{store}/{web}"))["transit_days"] == 2


def test_bad_lanes_are_refused_and_change_nothing(api: httpx.Client, ids: Ids) -> None:
    (web,) = _locations(api, ids, "WEB")
    unknown = ids("NOWHERE")
    problem(api.put(f"/v1/lanes/{web}/{web}", json={"transit_days": 1}), 422)
    problem(api.put(f"/v1/lanes/{web}/{unknown}", json={"transit_days": 1}), 422,
            "unknown_location")
    problem(api.put(f"/v1/lanes/{unknown}/{web}", json={"transit_days": 1}), 422,
            "unknown_location")
    problem(api.put(f"/v1/lanes/{web}/{ids('X')}", json={"transit_days": -1}), 422)
    problem(api.put(f"/v1/lanes/{web}/{ids('X')}", json={"transit_days": "2"}), 422)
    problem(api.put(f"/v1/lanes/{web}/{ids('X')}", json={}), 422)
    assert ok(api.get("/v1/lanes", params={"from": web}))["items"] == []
    assert ok(api.get("/v1/lanes", params={"to": web}))["items"] == []
