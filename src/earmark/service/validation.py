"""Checks shared by the handlers (the HTTP layer checks shapes; these check rules)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.limits import QUANTITY_MAX, is_valid_id
from earmark.domain.outcomes import Outcome
from earmark.service.results import Result, fail, invalid
from earmark.store import tables as t


def check_id(field_name: str, value: str) -> Result | None:
    if not is_valid_id(value):
        return invalid(field_name, "must be 1-64 characters of A-Za-z0-9._:-")
    return None


def check_quantity(field_name: str, value: int, minimum: int = 1) -> Result | None:
    if value < minimum or value > QUANTITY_MAX:
        return invalid(field_name, f"must be a whole number from {minimum} to {QUANTITY_MAX}")
    return None


def item_row(tx: Connection, sku: str) -> RowMapping | None:
    return tx.execute(select(t.items).where(t.items.c.sku == sku)).mappings().first()


def need_item(tx: Connection, sku: str, field_name: str = "sku") -> tuple[RowMapping | None, Result | None]:
    row = item_row(tx, sku)
    if row is None:
        return None, fail(Outcome.unknown_sku, f"unknown sku {sku!r}", field_name)
    return row, None


def need_location(tx: Connection, code: str, field_name: str = "location") -> Result | None:
    found = tx.execute(select(t.locations.c.code).where(t.locations.c.code == code)).first()
    if found is None:
        return fail(Outcome.unknown_location, f"unknown location {code!r}", field_name)
    return None


def need_account(tx: Connection, account: str, field_name: str = "account") -> Result | None:
    found = tx.execute(select(t.accounts.c.id).where(t.accounts.c.id == account)).first()
    if found is None:
        return fail(Outcome.unknown_account, f"unknown account {account!r}", field_name)
    return None


def resolve_location(tx: Connection, location: str | None, field_name: str) -> tuple[str, Result | None]:
    """A line's location; it may be left out only while exactly one location exists."""
    if location is not None:
        return location, need_location(tx, location, field_name)
    count = tx.execute(select(func.count()).select_from(t.locations)).scalar_one()
    if count != 1:
        return "", fail(
            Outcome.location_required,
            "location may be left out only while exactly one location exists",
            field_name,
        )
    only = tx.execute(select(t.locations.c.code)).scalar_one()
    return str(only), None
