"""Many clients ordering one hot sku at once: every unit goes exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.e2e.conftest import Ids, StartServer, make_account, make_position, ok

CLIENTS = 12
ORDERS_PER_CLIENT = 5
STOCK = 40


def test_concurrent_clients_ordering_one_sku_get_exact_counts(
    start_server: StartServer, ids: Ids
) -> None:
    # A fresh database, so that the first orders ever also race for the
    # first arrival numbers.
    server = start_server()
    api = server.client
    at = make_position(api, ids, STOCK, name="HOT")
    accounts = [make_account(api, ids, f"client{n}") for n in range(CLIENTS)]

    def client(n: int) -> list[tuple[str, int, int]]:
        placed = []
        with server.new_client() as http:
            for k in range(ORDERS_PER_CLIENT):
                quantity = 1 + (n + k) % 3
                oid = ids(f"SO-{n}-{k}")
                body = {"id": oid, "account": accounts[n], "lines": [
                    {"line": "1", "sku": at.sku, "location": at.location,
                     "quantity": quantity}]}
                line = ok(http.post("/v1/orders", json=body), 201)["lines"][0]
                assert line["allocated"] + line["backordered"] == quantity
                placed.append((oid, quantity, line["allocated"]))
        return placed

    with ThreadPoolExecutor(CLIENTS) as pool:
        placed = [order for orders in pool.map(client, range(CLIENTS)) for order in orders]

    demand = sum(quantity for _, quantity, _ in placed)
    assert demand > STOCK
    assert sum(allocated for _, _, allocated in placed) == STOCK
    position = ok(api.get(f"/v1/availability/{at.sku}", params={"location": at.location}))
    assert (position["on_hand"], position["allocated"], position["backordered"],
            position["available_now"]) == (STOCK, STOCK, demand - STOCK, 0)
    lines = [ok(api.get(f"/v1/orders/{oid}"))["lines"][0] for oid, _, _ in placed]
    assert sum(line["allocated"] for line in lines) == STOCK
    assert sum(line["backordered"] for line in lines) == demand - STOCK
    queue = [line["queue_position"] for line in lines if line["backordered"]]
    assert sorted(queue) == list(range(1, len(queue) + 1))
    backorders = ok(api.get("/v1/backorders", params={"sku": at.sku, "limit": 1000}))["items"]
    assert sum(b["backordered"] for b in backorders) == demand - STOCK
    assert [b["queue_position"] for b in backorders] == list(range(1, len(backorders) + 1))
