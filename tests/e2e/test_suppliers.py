"""Suppliers, slips and confidence dates over HTTP (API.md "Confidence dates")."""

from __future__ import annotations

import json

import httpx
from tests.e2e.conftest import Ids, Server, StartServer, make_account, make_position, ok, problem


def test_a_receipt_names_its_supplier_and_an_early_receipt_records_a_negative_slip(
    api: httpx.Client, ids: Ids
) -> None:
    at = make_position(api, ids)
    supplier = ids("mill")
    created = ok(api.post("/v1/receipts", json={
        "id": ids("PO"), "sku": at.sku, "location": at.location, "quantity": 4,
        "expected_date": "2026-01-08", "supplier": supplier}), 201)
    assert (created["supplier"], created["first_expected_date"], created["slip_days"]) == (
        supplier, "2026-01-08", None)
    # Received in full on 2026-01-05, three days before it was first expected.
    received = ok(api.post(f"/v1/receipts/{created['id']}/receive"))
    assert received["slip_days"] == -3
    assert ok(api.get(f"/v1/suppliers/{supplier}")) == {
        "id": supplier, "receipts": 1, "received": 1,
        "slip_days": {"mean": -3.0, "p50": -3, "p90": -3}, "on_time_share": 1.0,
        "histogram": [{"slip_days": -3, "receipts": 1}]}


def test_an_unknown_supplier_is_404_and_a_bad_supplier_id_is_422(api: httpx.Client, ids: Ids) -> None:
    problem(api.get(f"/v1/suppliers/{ids('nobody')}"), 404)
    at = make_position(api, ids)
    problem(api.post("/v1/receipts", json={
        "id": ids("PO"), "sku": at.sku, "location": at.location, "quantity": 4,
        "expected_date": "2026-01-08", "supplier": "no spaces allowed"}), 422)


def test_promise_basis_is_kept_on_items_and_accounts_and_checked(api: httpx.Client, ids: Ids) -> None:
    item = ok(api.put(f"/v1/items/{ids('SKU')}", json={"name": "x", "promise_basis": "p90"}), 201)
    assert item["promise_basis"] == "p90"
    account = ok(api.put(f"/v1/accounts/{ids('a')}", json={"name": "a", "promise_basis": "expected"}),
                 201)
    assert account["promise_basis"] == "expected"
    problem(api.put(f"/v1/accounts/{ids('b')}", json={"name": "b", "promise_basis": "p50"}), 422)


def test_an_order_line_states_its_p90_and_customer_dates(start_server: StartServer) -> None:
    server = start_server()
    api = server.client
    ids = Ids()
    at = make_position(api, ids)
    careful = ok(api.put(f"/v1/accounts/{ids('careful')}",
                         json={"name": "Careful", "promise_basis": "p90"}), 201)["id"]
    plain = make_account(api, ids, "plain")
    # Ten receipts of one supplier, each three days late: its P90 slip is 3 days.
    for n in range(10):
        ok(api.post("/v1/receipts", json={
            "id": f"H-{n}", "sku": at.sku, "location": at.location, "quantity": 1,
            "expected_date": "2026-01-06", "supplier": "mill"}), 201)
    ok(api.post("/v1/clock", json={"today": "2026-01-09"}))
    for n in range(10):
        ok(api.post(f"/v1/receipts/H-{n}/receive"))
    assert ok(api.get("/v1/suppliers/mill"))["slip_days"] == {"mean": 3.0, "p50": 3, "p90": 3}
    # Ten units on hand now; a receipt of 5 from the mill on 2026-01-20.
    ok(api.post("/v1/receipts", json={"id": "PO-1", "sku": at.sku, "location": at.location,
                                      "quantity": 5, "expected_date": "2026-01-20",
                                      "supplier": "mill"}), 201)
    lines = {}
    for oid, account, quantity in (("SO-1", careful, 12), ("SO-2", plain, 2)):
        lines[oid] = ok(api.post("/v1/orders", json={"id": oid, "account": account, "lines": [
            {"line": "1", "sku": at.sku, "location": at.location, "quantity": quantity}]}), 201
        )["lines"][0]
    assert lines["SO-1"]["promises"] == [
        {"quantity": 10, "date": "2026-01-09", "confirmed": True},
        {"quantity": 2, "date": "2026-01-20", "confirmed": True, "receipt": "PO-1",
         "likely_by": "2026-01-23"}]
    assert (lines["SO-1"]["promised_date"], lines["SO-1"]["promised_date_p90"],
            lines["SO-1"]["customer_date"]) == ("2026-01-20", "2026-01-23", "2026-01-23")
    assert (lines["SO-2"]["promised_date_p90"], lines["SO-2"]["customer_date"]) == (
        "2026-01-23", "2026-01-20")
    read = ok(api.get("/v1/orders/SO-1"))["lines"][0]
    assert (read["promised_date_p90"], read["customer_date"]) == ("2026-01-23", "2026-01-23")
    quote = ok(api.post("/v1/promise", json={"sku": at.sku, "location": at.location,
                                             "quantity": 1, "account": careful}))
    assert (quote["promised_date"], quote["promised_date_p90"], quote["customer_date"]) == (
        "2026-01-20", "2026-01-23", "2026-01-23")


def test_the_supplier_page_shows_its_slips_as_a_histogram(server: Server, ids: Ids) -> None:
    api = server.client
    at = make_position(api, ids)
    supplier = ids("mill")
    # Received today (2026-01-05): expected on the 7th, 7th and 9th, so slips -2, -2, -4.
    for n, expected in enumerate(("2026-01-07", "2026-01-07", "2026-01-09")):
        rid = ids(f"PO{n}")
        ok(api.post("/v1/receipts", json={"id": rid, "sku": at.sku, "location": at.location,
                                          "quantity": 1, "expected_date": expected,
                                          "supplier": supplier}), 201)
        ok(api.post(f"/v1/receipts/{rid}/receive"))
    page = server.client.get(f"/suppliers/{supplier}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert '<dd data-figure="p90">-2</dd>' in page.text
    chart = json.loads(page.text.split('class="slip-data">')[1].split("</script>")[0])
    assert chart == {"slip_days": [-4, -3, -2], "receipts": [1, 0, 2]}
    listing = server.client.get("/suppliers", headers={"Accept": "text/html"}).text
    assert f'data-supplier="{supplier}"' in listing
    assert server.client.get(f"/suppliers/{ids('none')}",
                             headers={"Accept": "text/html"}).status_code == 404
