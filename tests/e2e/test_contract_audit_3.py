"""A third word-by-word reading of API.md and DESIGN.md ("Promising
semantics"), after both were revised: the sentences that the first two
audits (test_contract_audit.py, test_contract_audit_2.py) did not check, or
checked against an older wording.

Each test is named after the sentence it checks. A test marked
``xfail(strict=True, reason="gap: ...")`` is a gap: the code does not do what
the sentence says yet (the mark keeps the suite green and turns red once the
gap is fixed, so that the mark is removed with the fix).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from tests.e2e.conftest import (
    Ids,
    Position,
    Server,
    StartServer,
    events_after,
    last_event_id,
    launch,
    make_account,
    make_position,
    ok,
    problem,
)
from tests.e2e.contract_helpers import availability, commit, line_of, mine, place, receipt

from earmark.api.app import create_app
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.forecast.suggestions import Z_HI80
from earmark.service.uow import Store
from earmark.settings import Settings

TODAY = "2026-01-05"
FORECAST_DAY = date(2026, 1, 5)
MIB = 1024 * 1024


# ----------------------------------------------------------------------
# Conventions


def test_request_bodies_above_1_mib_are_refused_with_413_except_orders_batch(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    # Well-formed JSON a little over 1 MiB: only its size may refuse it.
    padding = b" " * MIB
    order = {"id": ids("SO"), "account": account,
             "lines": [{"sku": at.sku, "location": at.location, "quantity": 1}]}
    body = json.dumps(order).encode() + padding
    assert len(body) > MIB
    refused = api.post("/v1/orders", content=body,
                       headers={"content-type": "application/json"})
    problem(refused, 413, "too-large")
    problem(api.get(f"/v1/orders/{ids('SO')}"), 404)
    # orders:batch may carry up to 16 MiB: the same padding is fine there.
    ok(api.post("/v1/orders:batch", content=b'{"orders": []}' + padding,
                headers={"content-type": "application/json"}))


def test_idempotency_a_body_refused_as_invalid_before_anything_ran_leaves_the_key_unused(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 5)
    account = make_account(api, ids)
    # A line named twice: the body itself is invalid, whatever the state.
    key = {"Idempotency-Key": ids("key-lines")}
    oid = ids("SO")
    twice = {"id": oid, "account": account, "lines": [
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 1},
        {"line": "1", "sku": at.sku, "location": at.location, "quantity": 1}]}
    problem(api.post("/v1/orders", json=twice, headers=key), 422)
    fixed = {**twice, "lines": [twice["lines"][0], {**twice["lines"][1], "line": "2"}]}
    placed = ok(api.post("/v1/orders", json=fixed, headers=key), 201)
    assert [line["allocated"] for line in placed["lines"]] == [1, 1]
    # An expiry that is not after today: invalid before anything ran.
    key = {"Idempotency-Key": ids("key-expiry")}
    body = {"id": ids("C"), "account": account, "sku": at.sku, "location": at.location,
            "quantity": 1, "need_date": "2026-02-01", "expires_on": TODAY}
    problem(api.post("/v1/commitments", json=body, headers=key), 422)
    ok(api.post("/v1/commitments", json={**body, "expires_on": "2026-03-01"}, headers=key), 201)


def test_lists_written_as_in_api_md_with_empty_filters_answer_a_page(api: httpx.Client) -> None:
    # API.md writes the filters as "?account=&status=": left empty, a filter filters nothing.
    for path in ("/v1/orders?account=&status=", "/v1/commitments?account=&sku=&status=",
                 "/v1/backorders?sku=&location=&account=", "/v1/events?after=0&type=&limit=5"):
        page = ok(api.get(path))
        assert set(page) >= {"items", "next_cursor"}, path


def _unreachable(*_args: Any, **_kwargs: Any) -> Any:
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def test_a_database_that_does_not_answer_gives_503_with_retry_after_never_500(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(create_app(store, Settings(batch_writes=False, dispatch=False)),
                        raise_server_exceptions=False)
    assert client.put("/v1/items/DB-DOWN", json={"name": "An item"}).status_code == 201
    monkeypatch.setattr(store.engine, "connect", _unreachable)
    monkeypatch.setattr(store.engine, "begin", _unreachable)
    for response in (client.get("/v1/items/DB-DOWN"),
                     client.get("/v1/orders"),
                     client.post("/v1/adjustments", json={
                         "sku": "DB-DOWN", "location": "NOWHERE", "quantity": 1,
                         "reason": "count"})):
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "retry-after" in response.headers


# ----------------------------------------------------------------------
# Supply


def test_an_expected_date_before_today_is_422_when_a_receipt_is_created_or_moved(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    seen = last_event_id(api)
    problem(api.post("/v1/receipts", json={
        "id": ids("PO-PAST"), "sku": at.sku, "location": at.location, "quantity": 4,
        "expected_date": "2026-01-04"}), 422)
    problem(api.get(f"/v1/receipts/{ids('PO-PAST')}"), 404)
    rid = ids("PO")
    receipt(api, rid, at, 4, TODAY)  # today itself is fine
    problem(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2025-12-31"}), 422)
    assert ok(api.get(f"/v1/receipts/{rid}"))["expected_date"] == TODAY
    assert [kind for kind, _ in mine(events_after(api, seen), rid, ids("PO-PAST"))] == [
        "receipt.changed"]


def test_a_late_receipt_keeps_its_date_and_can_still_be_resized_and_moved_to_today(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    at = make_position(api, ids, 0)
    account = make_account(api, ids)
    rid, oid = ids("PO"), ids("SO")
    receipt(api, rid, at, 2, "2026-01-10")
    place(api, oid, account, at, 1)
    seen = last_event_id(api)
    ok(api.post("/v1/clock", json={"today": "2026-01-12"}))
    # The receipt keeps its date; its bucket (and the pegged promise) is dated today.
    assert ok(api.get(f"/v1/receipts/{rid}"))["expected_date"] == "2026-01-10"
    assert line_of(api, oid)["promises"] == [
        {"quantity": 1, "date": "2026-01-12", "confirmed": True, "receipt": rid, "likely_by": "2026-01-12"}]
    assert availability(api, at)["atp"] == [{"date": "2026-01-12", "supply": 2, "available": 1}]
    # The calendar alone moved that date: no event (DESIGN.md rule 10).
    assert events_after(api, seen) == []
    # Changing only its quantity is not a move: allowed.
    resized = ok(api.patch(f"/v1/receipts/{rid}", json={"quantity": 3}))
    assert (resized["expected_date"], resized["open"]) == ("2026-01-10", 3)
    moved = ok(api.patch(f"/v1/receipts/{rid}", json={"expected_date": "2026-01-12"}))
    assert moved["expected_date"] == "2026-01-12"


# ----------------------------------------------------------------------
# Safety stock is a buffer (DESIGN.md)


@pytest.fixture
def own_server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, on the ``database_url`` fixture's database,
    so that the test can write a forecast into it (as a forecasting run would)."""
    running = launch(database_url, tmp_path)
    try:
        yield running
    finally:
        running.stop()
    text = running.log.read_text(errors="replace")
    assert "Traceback" not in text, text[-5000:]


def _find_key(document: Any, key: str) -> list[Any]:
    if isinstance(document, dict):
        found = [document[key]] if key in document else []
        return found + [v for value in document.values() for v in _find_key(value, key)]
    if isinstance(document, list):
        return [v for value in document for v in _find_key(value, key)]
    return []


def test_a_short_buffer_shows_safety_stock_short_in_the_suggestions_too(
    own_server: Server, database_url: str
) -> None:
    api = own_server.client
    ok(api.put("/v1/items/COAT", json={"name": "Coat", "lead_time_days": 3,
                                       "safety_stock": 10}), 201)
    ok(api.put("/v1/locations/WEB", json={"name": "Web"}), 201)
    ok(api.put("/v1/accounts/acme", json={"name": "Acme"}), 201)
    receipt(api, "PO-1", Position("COAT", "WEB"), 6, TODAY)
    ok(api.post("/v1/orders", json={"id": "SO-1", "account": "acme", "lines": [
        {"sku": "COAT", "location": "WEB", "quantity": 6}]}), 201)
    # Rule 5: the received units are held in full, below the buffer.
    ok(api.post("/v1/receipts/PO-1/receive", json={}))
    short = availability(api, Position("COAT", "WEB"))["safety_stock_short"]
    assert short == 10

    points = tuple(ForecastPoint(FORECAST_DAY + timedelta(days=i), 2.0, 2.0 - Z_HI80,
                                 2.0 + Z_HI80, 1.0, 3.0) for i in range(1, 30))
    store = Store(database_url)
    try:
        with store.engine.begin() as conn:
            save_forecasts(conn, [PositionForecast("COAT", "WEB", "run-audit", FORECAST_DAY,
                                                   "AutoARIMA", points, Accuracy(0.7, 0.18),
                                                   "SeasonalNaive", Accuracy(1.0, 0.25))],
                           datetime.now(UTC))
    finally:
        store.dispose()
    listed = ok(api.get("/v1/suggestions", params={"kind": "receipt"}))
    [suggestion] = [s for s in listed["items"] if (s["sku"], s["location"]) == ("COAT", "WEB")]
    # "The position then shows safety_stock_short (how many units the buffer
    # lacks; the dashboard and the suggestions show it)."
    assert _find_key(suggestion, "safety_stock_short") == [short]


# ----------------------------------------------------------------------
# Verified and not covered before: these pass


def test_a_smaller_safety_stock_is_freed_supply_for_waiting_lines(api: httpx.Client, ids: Ids
                                                                  ) -> None:
    at = make_position(api, ids, 5, item={"safety_stock": 5})
    account = make_account(api, ids)
    oid = ids("SO")
    assert place(api, oid, account, at, 2)["lines"][0]["allocated"] == 0
    seen = last_event_id(api)
    ok(api.put(f"/v1/items/{at.sku}", json={"name": "An item", "safety_stock": 0}))
    line = line_of(api, oid)
    assert (line["allocated"], line["promised_date"]) == (2, TODAY)
    assert [kind for kind, _ in mine(events_after(api, seen), oid)] == [
        "order.allocated", "order.promise_changed"]


def test_rule_5_units_received_beyond_their_pegs_never_go_into_the_buffer(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0, item={"safety_stock": 5})
    account = make_account(api, ids)
    rid, first, second = ids("PO"), ids("SO-A"), ids("SO-B")
    receipt(api, rid, at, 3, "2026-02-01")
    place(api, first, account, at, 3)
    place(api, second, account, at, 2)
    ok(api.post(f"/v1/receipts/{rid}/receive", json={}))
    # The 3 pegged units are held in full, though on-hand (3) is below the buffer (5).
    assert line_of(api, first)["allocated"] == 3
    # A cancel frees a held unit, but on-hand offers 3 - 5 - 2 < 0: nothing for the queue.
    ok(api.post(f"/v1/orders/{first}/cancel", json={"lines": [{"line": "1", "quantity": 1}]}))
    assert line_of(api, second)["allocated"] == 0
    figures = availability(api, at)
    assert (figures["available_now"], figures["safety_stock_short"]) == (0, 4)
    assert figures["atp"] == [{"date": TODAY, "supply": 0, "available": 0}]
    # 6 more on hand: 9 - 5 - 2 = 2 are offered, and the queue takes them.
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 6, "reason": "count"}), 201)
    assert line_of(api, second)["allocated"] == 2
    assert availability(api, at)["safety_stock_short"] == 0


def test_rule_9_cancelled_units_go_back_to_the_latest_consumed_commitment_first(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 10)
    account = make_account(api, ids)
    early, late, oid = ids("C-EARLY"), ids("C-LATE"), ids("SO")
    commit(api, early, account, at, 2, "2026-01-10")
    commit(api, late, account, at, 2, "2026-01-20")
    placed = place(api, oid, account, at, 5)["lines"][0]
    assert placed["consumed"] == [{"commitment": early, "quantity": 2},
                                  {"commitment": late, "quantity": 2}]
    cancelled = ok(api.post(f"/v1/orders/{oid}/cancel",
                            json={"lines": [{"line": "1", "quantity": 2}]}))["lines"][0]
    assert cancelled["consumed"] == [{"commitment": early, "quantity": 2}]
    late_now = ok(api.get(f"/v1/commitments/{late}"))
    assert (late_now["status"], late_now["consumed"], late_now["remaining"]) == ("open", 0, 2)
    early_now = ok(api.get(f"/v1/commitments/{early}"))
    assert (early_now["status"], early_now["consumed"]) == ("consumed", 2)


def test_rule_9_a_commitment_consumed_in_full_opens_again_and_takes_its_units_back(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 2)
    owner, other = make_account(api, ids, "owner"), make_account(api, ids, "other")
    cid, oid, waiting = ids("C"), ids("SO"), ids("SO-WAIT")
    commit(api, cid, owner, at, 2, TODAY)
    place(api, oid, owner, at, 2)
    assert ok(api.get(f"/v1/commitments/{cid}"))["status"] == "consumed"
    assert place(api, waiting, other, at, 2)["lines"][0]["allocated"] == 0
    ok(api.post(f"/v1/orders/{oid}/cancel", json={}))
    shown = ok(api.get(f"/v1/commitments/{cid}"))
    assert (shown["status"], shown["consumed"], shown["remaining"], shown["confirmed"]) == (
        "open", 0, 2, 2)
    # The units went back to the commitment, not to the queue.
    assert line_of(api, waiting)["allocated"] == 0


def test_rule_9_a_released_commitment_takes_nothing_back_and_the_queue_gets_the_units(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 4)
    owner, other = make_account(api, ids, "owner"), make_account(api, ids, "other")
    cid, oid, waiting = ids("C"), ids("SO"), ids("SO-WAIT")
    commit(api, cid, owner, at, 4, TODAY)
    place(api, oid, owner, at, 2)
    ok(api.post(f"/v1/commitments/{cid}/release"))
    assert place(api, waiting, other, at, 4)["lines"][0]["allocated"] == 2
    ok(api.post(f"/v1/orders/{oid}/cancel", json={}))
    shown = ok(api.get(f"/v1/commitments/{cid}"))
    assert (shown["status"], shown["consumed"], shown["released"], shown["remaining"]) == (
        "released", 2, 2, 0)
    assert line_of(api, waiting)["allocated"] == 4


def test_promise_changed_names_the_date_the_calendar_already_moved_to_as_old_date(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    at = make_position(api, ids, 0, item={"lead_time_days": 5})
    account = make_account(api, ids)
    oid = ids("SO")
    assert place(api, oid, account, at, 1)["lines"][0]["promised_date"] == "2026-01-10"
    ok(api.post("/v1/clock", json={"today": "2026-01-08"}))
    seen = last_event_id(api)
    # Other demand arriving behind the line changes nothing of it: no event.
    place(api, ids("SO-OTHER"), make_account(api, ids, "other"), at, 1)
    assert mine(events_after(api, seen), oid) == []
    rid = ids("PO")
    receipt(api, rid, at, 1, "2026-02-01")
    assert mine(events_after(api, seen, "order.promise_changed"), oid) == [
        ("order.promise_changed", {"order": oid, "line": "1", "sku": at.sku,
                                   "location": at.location, "old_date": "2026-01-13",
                                   "new_date": "2026-02-01"})]


def test_promise_changed_fires_for_other_causes_but_not_for_the_customers_own_cancel(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 1, item={"lead_time_days": 5})
    account = make_account(api, ids)
    oid = ids("SO")
    receipt(api, ids("PO"), at, 1, "2026-02-01")
    line = place(api, oid, account, at, 3)["lines"][0]
    assert line["promised_date"] == "2026-02-01"
    seen = last_event_id(api)
    # The item's lead time is not the customer's doing: the event fires.
    ok(api.put(f"/v1/items/{at.sku}", json={"name": "An item", "lead_time_days": 40}))
    assert line_of(api, oid)["promised_date"] == "2026-02-14"
    assert [data for _, data in mine(events_after(api, seen, "order.promise_changed"), oid)] == [
        {"order": oid, "line": "1", "sku": at.sku, "location": at.location,
         "old_date": "2026-02-01", "new_date": "2026-02-14"}]
    seen = last_event_id(api)
    # The customer's own action: the date moves, and no event says so.
    ok(api.post(f"/v1/orders/{oid}/cancel", json={"lines": [{"line": "1", "quantity": 2}]}))
    assert line_of(api, oid)["promised_date"] == TODAY
    assert events_after(api, seen, "order.promise_changed") == []


def test_rule_9_a_commitment_past_its_expires_on_takes_nothing_back(
    start_server: StartServer, ids: Ids
) -> None:
    api = start_server().client
    at = make_position(api, ids, 2)
    owner, other = make_account(api, ids, "owner"), make_account(api, ids, "other")
    cid, oid, waiting = ids("C"), ids("SO"), ids("SO-WAIT")
    commit(api, cid, owner, at, 2, "2026-01-08", expires_on="2026-01-10")
    place(api, oid, owner, at, 2)
    place(api, waiting, other, at, 2)
    ok(api.post("/v1/clock", json={"today": "2026-01-12"}))
    assert ok(api.get(f"/v1/commitments/{cid}"))["status"] == "consumed"
    ok(api.post(f"/v1/orders/{oid}/cancel", json={}))
    # "expires_on: from that day on, what is left unconsumed is released back to
    # everyone": units given up after that day are freed supply, for the queue.
    shown = ok(api.get(f"/v1/commitments/{cid}"))
    assert shown["status"] != "open"
    assert (shown["remaining"], shown["confirmed"]) == (0, 0)
    assert line_of(api, waiting)["allocated"] == 2


def test_rank_follows_the_accounts_priority_as_it_is_now_not_when_the_order_came(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids, 0)
    first, second = make_account(api, ids, "first"), make_account(api, ids, "second")
    early, late = ids("SO-EARLY"), ids("SO-LATE")
    place(api, early, first, at, 1)
    place(api, late, second, at, 1)
    ok(api.put(f"/v1/accounts/{second}", json={"name": "second", "priority": 10}))
    assert (line_of(api, late)["queue_position"], line_of(api, early)["queue_position"]) == (1, 2)
    queue = ok(api.get("/v1/backorders", params={"sku": at.sku}))["items"]
    assert [row["order"] for row in queue] == [late, early]
    ok(api.post("/v1/adjustments", json={"sku": at.sku, "location": at.location,
                                         "quantity": 1, "reason": "count"}), 201)
    assert (line_of(api, late)["allocated"], line_of(api, early)["allocated"]) == (1, 0)


def test_a_server_frozen_on_a_later_day_releases_what_expired_in_between(
    tmp_path: Path, ids: Ids
) -> None:
    url = f"sqlite:///{tmp_path}/earmark.db"
    first = launch(url, tmp_path)
    try:
        at = make_position(first.client, ids, 3)
        account = make_account(first.client, ids)
        cid = ids("C")
        commit(first.client, cid, account, at, 3, "2026-01-15", expires_on="2026-01-20")
    finally:
        first.stop()
    later = launch(url, tmp_path, env={"EARMARK_TODAY": "2026-02-01"})
    try:
        api = later.client
        assert ok(api.get("/v1/clock"))["today"] == "2026-02-01"
        # "expires_on: from that day on, what is left unconsumed is released."
        shown = ok(api.get(f"/v1/commitments/{cid}"))
        assert (shown["status"], shown["remaining"]) == ("expired", 0)
        assert availability(api, at)["available_now"] == 3
    finally:
        later.stop()
