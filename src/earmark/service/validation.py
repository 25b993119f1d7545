"""Checks shared by the handlers (the HTTP layer checks shapes; these check rules)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.engine import RowMapping

from earmark.domain.limits import QUANTITY_MAX, is_valid_id
from earmark.domain.outcomes import Outcome
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork


def check_id(field_name: str, value: str) -> Result | None:
    if not is_valid_id(value):
        return invalid(field_name, "must be 1-64 characters of A-Za-z0-9._:-")
    return None


def check_quantity(field_name: str, value: int) -> Result | None:
    """Units a command asks for: at least 1 (API.md: 0 is 422, the same everywhere)."""
    if value < 1 or value > QUANTITY_MAX:
        return invalid(field_name, f"must be a whole number from 1 to {QUANTITY_MAX}")
    return None


def check_not_past(field_name: str, day: date, today: date) -> Result | None:
    """A date a receipt is created or moved to: today or later (a late receipt
    keeps its date until it is moved)."""
    if day < today:
        return invalid(field_name, f"must be today ({today.isoformat()}) or later")
    return None


def check_signed_quantity(field_name: str, value: int) -> Result | None:
    """Units added or taken (an adjustment): 0 would do neither."""
    if value == 0:
        return invalid(field_name, "must not be 0: 0 units change nothing")
    if abs(value) > QUANTITY_MAX:
        return invalid(field_name, f"must be from -{QUANTITY_MAX} to {QUANTITY_MAX}")
    return None


def need_item(uow: UnitOfWork, sku: str, field_name: str = "sku") -> tuple[RowMapping | None, Result | None]:
    row = uow.master.item(sku)
    if row is None:
        return None, fail(Outcome.unknown_sku, f"unknown sku {sku!r}", field_name)
    return row, None


def need_location(uow: UnitOfWork, code: str, field_name: str = "location") -> Result | None:
    if not uow.master.location_exists(code):
        return fail(Outcome.unknown_location, f"unknown location {code!r}", field_name)
    return None


def need_account(uow: UnitOfWork, account: str, field_name: str = "account") -> Result | None:
    if uow.master.priority(account) is None:
        return fail(Outcome.unknown_account, f"unknown account {account!r}", field_name)
    return None


def resolve_location(uow: UnitOfWork, location: str | None, field_name: str) -> tuple[str, Result | None]:
    """A line's location; it may be left out only while exactly one location exists."""
    if location is not None:
        return location, need_location(uow, location, field_name)
    only = uow.master.only_location()
    if only is None:
        return "", fail(
            Outcome.location_required,
            "location may be left out only while exactly one location exists",
            field_name,
        )
    return only, None


def answer_to_twin(what: str, ident: str, stored: Any | None, request: Any,
                   existing: Callable[[], Any]) -> Result | None:
    """Creating with an id that exists (``stored`` is its first request): the
    existing resource when the content is identical, else a conflict; None
    for a new id."""
    if stored is None:
        return None
    if stored == request:
        return Result(Outcome.exists, existing())
    return fail(Outcome.exists_with_different_content,
                f"{what} {ident!r} exists with different content")
