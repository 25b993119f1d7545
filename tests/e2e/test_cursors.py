"""Cursors are keyset cursors: a list walked page by page while orders come
and go shows every item that lasted throughout exactly once, and nothing
twice; a cursor that is not one the server gave out is refused with 422."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.e2e.conftest import Ids, Position, last_event_id, make_account, make_position, ok, problem
from tests.e2e.test_orders import order_body

from earmark.domain.limits import CURSOR_LENGTH_MAX

PAGE = 3


def walk(api: httpx.Client, path: str, params: dict[str, Any],
         between_pages: Callable[[int], None]) -> list[dict[str, Any]]:
    """Every item of the list, page by page, calling ``between_pages`` after each page."""
    seen: list[dict[str, Any]] = []
    query = {**params, "limit": PAGE}
    for number in range(100):
        page = ok(api.get(path, params=query))
        seen += page["items"]
        if page["next_cursor"] is None:
            return seen
        query["cursor"] = page["next_cursor"]
        between_pages(number)
    raise AssertionError("the walk did not end")


def assert_each_lasting_item_once(seen: list[Any], lasting: set[Any]) -> None:
    counts = Counter(seen)
    assert [key for key, count in counts.items() if count > 1] == []
    assert lasting - counts.keys() == set()


class Orders:
    """Orders of one account at one position with nothing on hand: every line waits."""

    def __init__(self, api: httpx.Client, ids: Ids, at: Position, account: str) -> None:
        self.api, self.ids, self.at, self.account = api, ids, at, account
        self.placed = 0

    def place(self, account: str | None = None) -> str:
        self.placed += 1
        order_id = self.ids(f"SO{self.placed:03d}")
        ok(self.api.post("/v1/orders", json=order_body(
            order_id, account or self.account, self.at, 1)), 201)
        return order_id

    def cancel(self, order_id: str) -> None:
        ok(self.api.post(f"/v1/orders/{order_id}/cancel"))


@pytest.fixture
def orders(api: httpx.Client, ids: Ids) -> Orders:
    return Orders(api, ids, make_position(api, ids), make_account(api, ids, priority=100))


def test_walking_open_orders_while_earlier_ones_are_cancelled_skips_none(
    api: httpx.Client, orders: Orders
) -> None:
    placed = [orders.place() for _ in range(12)]
    cancelled: list[str] = []

    def between_pages(number: int) -> None:
        # The first open order of the list goes: it sorts before the cursor.
        victim = placed[2 * number]
        orders.cancel(victim)
        cancelled.append(victim)
        orders.place()

    seen = walk(api, "/v1/orders", {"account": orders.account, "status": "open"}, between_pages)
    assert_each_lasting_item_once([o["id"] for o in seen], set(placed) - set(cancelled))


def test_walking_backorders_while_urgent_ones_arrive_and_earlier_ones_go_repeats_none(
    api: httpx.Client, ids: Ids, orders: Orders
) -> None:
    urgent = make_account(api, ids, "urgent", priority=1)
    placed = [orders.place() for _ in range(12)]
    cancelled: list[str] = []

    def between_pages(number: int) -> None:
        # An urgent account's line sorts before every waiting line, before the
        # cursor too; so does the earliest line, which is cancelled.
        orders.place(urgent)
        if number % 2:
            victim = placed[number]
            orders.cancel(victim)
            cancelled.append(victim)

    seen = walk(api, "/v1/backorders", {"sku": orders.at.sku}, between_pages)
    assert_each_lasting_item_once([(b["order"], b["line"]) for b in seen],
                                  {(o, "1") for o in placed if o not in cancelled})


def test_walking_events_while_orders_come_and_go_shows_each_once(
    api: httpx.Client, orders: Orders
) -> None:
    start = last_event_id(api)
    placed = [orders.place() for _ in range(5)]
    lasting = {e["id"] for e in ok(api.get("/v1/events", params={"after": start}))["items"]}

    def between_pages(number: int) -> None:
        orders.cancel(placed[number % len(placed)])
        orders.place()

    seen = walk(api, "/v1/events", {"after": start}, between_pages)
    assert_each_lasting_item_once([e["id"] for e in seen], lasting)


LISTS = ["/v1/items", "/v1/locations", "/v1/accounts", "/v1/orders", "/v1/commitments",
         "/v1/receipts", "/v1/backorders", "/v1/events", "/v1/webhooks", "/v1/forecasts/runs",
         "/v1/suggestions", "/v1/lanes", "/v1/transfers"]


def forged(content: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(content).encode()).decode()


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("cursor", [
    "not-a-cursor", "%%%", forged({"o": 5}), forged([1, 2]), forged({"v": 1, "l": "x", "k": []}),
    forged({"v": 1, "l": "orders", "k": ["x", 1]}), forged({"v": 1, "l": "orders", "k": [2**70, "a"]}),
    forged({"v": 1, "l": "orders", "k": [True, "a"]}), forged({"v": 9, "l": "orders", "k": [1, "a"]}),
])
def test_a_cursor_the_server_did_not_give_out_is_refused_with_422(
    api: httpx.Client, path: str, cursor: str
) -> None:
    document = problem(api.get(path, params={"cursor": cursor}), 422, "validation")
    assert [e["field"] for e in document["errors"]] == ["cursor"]


def test_a_cursor_of_one_list_is_refused_by_another(api: httpx.Client, orders: Orders) -> None:
    orders.place()
    orders.place()
    cursor = ok(api.get("/v1/orders", params={"limit": 1}))["next_cursor"]
    assert cursor is not None
    problem(api.get("/v1/items", params={"cursor": cursor}), 422, "validation")
    problem(api.get("/v1/receipts", params={"cursor": cursor}), 422, "validation")


def test_a_cursor_longer_than_the_limit_is_refused(api: httpx.Client) -> None:
    too_long = forged({"v": 1, "l": "items", "k": ["x" * CURSOR_LENGTH_MAX]})
    document = problem(api.get("/v1/items", params={"cursor": too_long}), 422, "validation")
    assert [e["field"] for e in document["errors"]] == ["cursor"]
