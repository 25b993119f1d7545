"""The one encoding of an answer (earmark.api.rendering): the JSON the
response models wrote, with no second validation on the hot routes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from earmark.api.commands import answer_response, dump
from earmark.api.idempotency import Answer
from earmark.api.rendering import encode, jsonable
from earmark.api.schemas.orders import OrderOut


def an_order(created_at: datetime) -> dict[str, Any]:
    return {"id": "SO-1", "account": "acme", "status": "open", "created_at": created_at,
            "lines": [{"line": "1", "sku": "Ä-1", "location": "WH", "quantity": 5,
                       "allocated": 3, "backordered": 2, "shipped": 0, "cancelled": 0,
                       "requested_date": "2026-01-05", "backorder": "allow",
                       "promises": [{"quantity": 3, "date": "2026-01-05", "confirmed": True},
                                    {"quantity": 2, "date": "2026-01-12", "confirmed": False,
                                     "receipt": "PO-1", "likely_by": "2026-01-15"}],
                       "promised_date": "2026-01-12", "promised_date_p90": "2026-01-15",
                       "customer_date": "2026-01-12", "queue_position": 1,
                       "status": "partially_allocated",
                       "consumed": [{"commitment": "C-1", "quantity": 1}]},
                      {"line": "2", "sku": "B", "location": "WH", "quantity": 1,
                       "allocated": 0, "backordered": 1, "shipped": 0, "cancelled": 0,
                       "requested_date": "2026-01-05", "backorder": "allow",
                       "promises": [{"quantity": 1, "date": None, "confirmed": False}],
                       "promised_date": None, "promised_date_p90": None, "customer_date": None,
                       "queue_position": None, "status": "backordered"}]}


def model_bytes(value: Any) -> bytes:
    dumped = OrderOut.model_validate(value).model_dump(mode="json", exclude_unset=True)
    return json.dumps(dumped, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize("created_at", [
    datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
    datetime(2026, 1, 5, 9, 30, 1, 250000, tzinfo=UTC),
    datetime(2026, 1, 5, 9, 30, 1, 7),
    datetime(2026, 1, 5, 11, 30, tzinfo=timezone(timedelta(hours=2))),
], ids=["utc", "microseconds", "naive-from-sqlite", "another-zone"])
def test_an_order_is_encoded_byte_for_byte_as_its_model_wrote_it(created_at: datetime) -> None:
    order = an_order(created_at)
    assert encode(order) == model_bytes(order)


def test_an_order_is_not_validated_again_before_it_is_encoded() -> None:
    order = an_order(datetime(2026, 1, 5, tzinfo=UTC))
    assert dump(OrderOut, order) is order


def test_a_stored_answer_keeps_its_timestamp_as_text_and_its_day_as_a_date() -> None:
    stored = jsonable({"at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC), "day": date(2026, 1, 5)})
    assert stored == {"at": "2026-01-05T09:30:00Z", "day": "2026-01-05"}


def test_what_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError):
        encode({"what": object()})


def test_answers_other_than_orders_keep_the_stdlib_encoding_of_their_floats() -> None:
    assert answer_response(Answer(200, {"wape": 1e-05})).body == b'{"wape":1e-05}'
    order = an_order(datetime(2026, 1, 5, tzinfo=UTC))
    assert answer_response(Answer(201, order, as_is=True)).body == model_bytes(order)
