"""The web UI over plain HTTP (no JavaScript): pages render the API's figures,
forms run the API's handlers, and the event stream sends new events."""

from __future__ import annotations

import json
import re

from tests.e2e.conftest import Ids, Server, last_event_id, make_account, make_position, ok


def _html(server: Server, path: str, status: int = 200) -> str:
    response = server.client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def csrf(server: Server) -> dict[str, str]:
    """The CSRF token the dashboard's forms carry (earmark.api.middleware)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', _html(server, "/act"))
    assert found is not None
    return {"csrf_token": found.group(1)}


def test_a_position_page_shows_the_apis_figures_and_its_queue(server: Server, ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids, on_hand=3)
    account = make_account(api, ids)
    ok(api.post("/v1/receipts", json={"id": ids("PO"), "sku": position.sku,
                                      "location": position.location, "quantity": 10,
                                      "expected_date": "2026-01-20"}), 201)
    ok(api.post("/v1/orders", json={"id": ids("O"), "account": account, "lines": [
        {"line": "1", "sku": position.sku, "location": position.location, "quantity": 5}]}), 201)
    page = _html(server, f"/positions/{position.sku}/{position.location}")
    assert '<dd data-field="on_hand">3</dd>' in page
    assert '<dd data-field="backordered">2</dd>' in page
    assert f'data-order="{ids("O")}"' in page and "2026-01-20" in page
    chart = page.split('class="atp-data">')[1].split("</script>")[0]
    figures = ok(api.get(f"/v1/availability/{position.sku}", params={"location": position.location}))
    assert json.loads(chart)["dates"] == [bucket["date"] for bucket in figures["atp"]]
    overview = _html(server, f"/?sku={position.sku}")
    assert f'data-sku="{position.sku}"' in overview
    _html(server, f"/positions/{position.sku}/NOWHERE", 404)


def test_moving_a_receipt_through_the_form_lists_the_promises_that_moved(server: Server,
                                                                          ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids)
    account = make_account(api, ids)
    receipt = ids("PO")
    ok(api.post("/v1/receipts", json={"id": receipt, "sku": position.sku,
                                      "location": position.location, "quantity": 10,
                                      "expected_date": "2026-01-20"}), 201)
    ok(api.post("/v1/orders", json={"id": ids("O"), "account": account, "lines": [
        {"line": "1", "sku": position.sku, "location": position.location, "quantity": 4}]}), 201)
    response = api.post(f"/positions/{position.sku}/{position.location}/receipts",
                        data={"receipt": receipt, "expected_date": "2026-02-03", **csrf(server)})
    assert response.status_code == 200, response.text
    assert f"{ids('O')} line 1</span>: 2026-01-20 → <strong>2026-02-03</strong>" in response.text
    assert ok(api.get(f"/v1/orders/{ids('O')}"))["lines"][0]["promised_date"] == "2026-02-03"
    refused = api.post(f"/positions/{position.sku}/{position.location}/receipts",
                       data={"receipt": receipt, "expected_date": "someday", **csrf(server)})
    assert refused.status_code == 422 and 'role="alert"' in refused.text


def test_the_forms_run_the_apis_handlers_and_show_its_refusals(server: Server, ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids, on_hand=8)
    account = make_account(api, ids)
    token = csrf(server)
    placed = api.post("/act/order", data={"id": ids("O"), "account": account, "sku": position.sku,
                                          "location": position.location, "quantity": "5",
                                          **token})
    assert placed.status_code == 200 and "5 allocated" in placed.text
    held = api.post("/act/commitment", data={
        "id": ids("C"), "account": account, "sku": position.sku, "location": position.location,
        "quantity": "9", "need_date": "2026-01-10", "kind": "contract", "mode": "strict",
        **token})
    assert held.status_code == 409 and "Refused" in held.text
    assert api.get(f"/v1/commitments/{ids('C')}").status_code == 404
    added = api.post("/act/receipt", data={"id": ids("PO"), "sku": position.sku,
                                           "location": position.location, "quantity": "x",
                                           "expected_date": "2026-01-10", "source": "purchase",
                                           **token})
    assert added.status_code == 422 and "quantity" in added.text


def test_the_event_stream_sends_events_after_the_last_one(server: Server, ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids)
    after = last_event_id(api)
    ok(api.post("/v1/adjustments", json={"sku": position.sku, "location": position.location,
                                         "quantity": 4, "reason": "count"}), 201)
    with server.new_client() as client, client.stream(
            "GET", "/events/stream", params={"after": after, "type": "stock.adjusted"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        # Tests sharing the server adjust stock too: read on to this test's event.
        for line in stream.iter_lines():
            if line.startswith("data: "):
                message = json.loads(line[len("data: "):])
                assert message["type"] == "stock.adjusted" and message["id"] > after
                if position.sku in message["html"]:
                    break


def test_a_position_page_shows_how_short_the_safety_stock_buffer_is(server: Server, ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids, on_hand=5)
    account = make_account(api, ids)
    ok(api.post("/v1/orders", json={"id": ids("O"), "account": account, "lines": [
        {"line": "1", "sku": position.sku, "location": position.location, "quantity": 5}]}), 201)
    ok(api.put(f"/v1/items/{position.sku}", json={"name": "An item", "safety_stock": 2}))
    page = _html(server, f"/positions/{position.sku}/{position.location}")
    # 5 held of 5 on hand with a buffer of 2: it lacks 2, and nothing was taken back.
    assert '<dd data-field="safety_stock_short">2</dd>' in page
    assert '<dd data-field="allocated">5</dd>' in page
    overview = _html(server, f"/?sku={position.sku}")
    assert "buffer short 2" in overview


def test_the_network_page_shows_lanes_and_an_item_at_every_location(server: Server,
                                                                     ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids, on_hand=7)
    store = ids("STORE")
    ok(api.put(f"/v1/locations/{store}", json={"name": "Store"}), 201)
    ok(api.put(f"/v1/lanes/{position.location}/{store}", json={"transit_days": 2}), 201)
    page = _html(server, f"/network?sku={position.sku}")
    assert f'data-lane="{position.location}-{store}"' in page
    row = page.split(f'<tr data-location="{position.location}">')[1].split("</tr>")[0]
    assert '<td class="num" data-field="on_hand">7</td>' in row
    assert f'href="/positions/{position.sku}/{position.location}"' in row
    assert "Transfers in flight" in page
    assert "Transfers in flight" not in _html(server, "/network?sku=")
    ok(api.post("/v1/transfers", json={"id": ids("TR"), "sku": position.sku,
                                       "from": position.location, "to": store, "quantity": 2}), 201)
    moving = _html(server, f"/network?sku={position.sku}").split(
        f'<tr data-transfer="{ids("TR")}">')[1].split("</tr>")[0]
    assert "2026-01-07" in moving and ">open<" in moving
    there = _html(server, f"/positions/{position.sku}/{store}")
    incoming = there.split(f'id="receipt-{ids("TR")}"')[1].split("</li>")[0]
    assert f'from <a href="/positions/{position.sku}/{position.location}">' in incoming
    assert "2 still there" in incoming


def test_an_order_page_shows_the_parts_of_a_ship_to_line(server: Server, ids: Ids) -> None:
    api = server.client
    position = make_position(api, ids, on_hand=2)
    account = make_account(api, ids)
    store = ids("STORE")
    ok(api.put(f"/v1/locations/{store}", json={"name": "Store"}), 201)
    ok(api.put(f"/v1/lanes/{position.location}/{store}", json={"transit_days": 3}), 201)
    ok(api.post("/v1/orders", json={"id": ids("O"), "account": account, "lines": [
        {"sku": position.sku, "ship_to": store, "quantity": 2}]}), 201)
    page = _html(server, f"/orders/{ids('O')}")
    assert f"to {store}" in page
    part = page.split(f'<tr data-part="{position.location}">')[1].split("</tr>")[0]
    assert '<td class="num">3</td>' in part and "2 on" in part


def test_the_docs_work_offline_from_the_packages_own_swagger_ui(server: Server) -> None:
    page = _html(server, "/docs")
    assert "http://" not in page and "https://" not in page  # nothing from a CDN
    assets = [part.split('"')[0] for part in page.split('="/static/')[1:]]
    assert {"vendor/swagger-ui-bundle.js", "vendor/swagger-ui.css"} <= set(assets)
    for asset in assets:
        response = server.client.get(f"/static/{asset}")
        assert response.status_code == 200 and len(response.content) > 500, asset
    assert "'/openapi.json'" in page or '"/openapi.json"' in page
