"""Items, locations and accounts (PUT: create or replace)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.domain.backorder import ITEM_BACKORDER_POLICIES, BackorderPolicy, in_words
from earmark.domain.limits import LEAD_TIME_DAYS_MAX, NAME_LENGTH_MAX, PRIORITY_MAX, QUANTITY_MAX
from earmark.domain.money import is_money
from earmark.domain.outcomes import Outcome
from earmark.domain.slips import PROMISE_BASES
from earmark.service.effects import Effects
from earmark.service.results import Result, invalid
from earmark.service.uow import RANK_EPOCH, UnitOfWork
from earmark.service.validation import check_id
from earmark.store import tables as t
from earmark.store.repository import next_seq


@dataclass(frozen=True)
class UpsertItem:
    sku: str
    name: str
    unit: str = "each"
    unit_cost: str | None = None
    lead_time_days: int | None = None
    backorders: str = BackorderPolicy.allow
    safety_stock: int = 0
    unit_price: str | None = None
    promise_basis: str | None = None


@dataclass(frozen=True)
class UpsertLocation:
    code: str
    name: str


@dataclass(frozen=True)
class UpsertAccount:
    id: str
    name: str
    priority: int = 100
    promise_basis: str | None = None


UNIT_LENGTH_MAX = 32
UNIT_COST = re.compile(r"\d{1,12}(\.\d{1,6})?")
"""A unit cost as the API takes it: 12 digits, 6 decimals at most."""


def check_name(name: str) -> Result | None:
    """A name is 1 to NAME_LENGTH_MAX characters, however it came (HTTP, the
    CLI, a CSV import): the HTTP schema says so too, but is not the only way in."""
    if not name.strip():
        return invalid("name", "must not be empty")
    if len(name) > NAME_LENGTH_MAX:
        return invalid("name", f"must be at most {NAME_LENGTH_MAX} characters")
    return None


def _check_item_texts(cmd: UpsertItem) -> Result | None:
    if not 1 <= len(cmd.unit) <= UNIT_LENGTH_MAX:
        return invalid("unit", f"must be 1 to {UNIT_LENGTH_MAX} characters")
    if cmd.unit_cost is not None and not UNIT_COST.fullmatch(cmd.unit_cost):
        return invalid("unit_cost", "must be a decimal such as 12.50 (12 digits, 6 decimals "
                       "at most)")
    return None


def item_out(row: Any) -> dict[str, Any]:
    return {
        "sku": row["sku"],
        "name": row["name"],
        "unit": row["unit"],
        "unit_cost": row["unit_cost"],
        "unit_price": row["unit_price"],
        "lead_time_days": row["lead_time_days"],
        "backorders": row["backorders"],
        "safety_stock": int(row["safety_stock"]),
        "promise_basis": row["promise_basis"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def location_out(row: Any) -> dict[str, Any]:
    return {"code": row["code"], "name": row["name"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def account_out(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "priority": int(row["priority"]),
            "promise_basis": row["promise_basis"],
            "created_at": row["created_at"], "updated_at": row["updated_at"]}


def upsert_item(uow: UnitOfWork, cmd: UpsertItem) -> Result:
    if error := check_id("sku", cmd.sku):
        return error
    if error := check_name(cmd.name) or _check_item_texts(cmd):
        return error
    if cmd.backorders not in ITEM_BACKORDER_POLICIES:
        return invalid("backorders", f"must be {in_words(ITEM_BACKORDER_POLICIES)}")
    if not 0 <= cmd.safety_stock <= QUANTITY_MAX:
        return invalid("safety_stock", f"must be from 0 to {QUANTITY_MAX}")
    if cmd.lead_time_days is not None and not 0 <= cmd.lead_time_days <= LEAD_TIME_DAYS_MAX:
        return invalid("lead_time_days", f"must be from 0 to {LEAD_TIME_DAYS_MAX}")
    for field, value in (("unit_cost", cmd.unit_cost), ("unit_price", cmd.unit_price)):
        if value is not None and not is_money(value):
            return invalid(field, "must be a decimal string ≥ 0 such as 12.50")
    if error := _check_basis(cmd.promise_basis):
        return error
    tx = uow.tx
    old = tx.execute(select(t.items).where(t.items.c.sku == cmd.sku)).mappings().first()
    values = {
        "name": cmd.name, "unit": cmd.unit, "unit_cost": cmd.unit_cost,
        "unit_price": cmd.unit_price,
        "lead_time_days": cmd.lead_time_days, "backorders": BackorderPolicy(cmd.backorders).value,
        "safety_stock": cmd.safety_stock, "promise_basis": cmd.promise_basis,
        "updated_at": uow.now,
    }
    # From here on the command must succeed.
    uow.master.forget()
    if old is None:
        tx.execute(t.items.insert().values(sku=cmd.sku, created_at=uow.now, **values))
    else:
        tx.execute(t.items.update().where(t.items.c.sku == cmd.sku).values(**values))
        if (old["safety_stock"], old["lead_time_days"]) != (cmd.safety_stock, cmd.lead_time_days):
            _replan_item(uow, cmd)
    uow.flush()
    row = tx.execute(select(t.items).where(t.items.c.sku == cmd.sku)).mappings().one()
    uow.commit()
    return Result(Outcome.created if old is None else Outcome.ok, item_out(row))


def _replan_item(uow: UnitOfWork, cmd: UpsertItem) -> None:
    """A new safety stock resizes every on-hand bucket of the item; a new lead
    time moves every waiting unit's estimate. Both are supply changes."""
    effects = Effects(uow, "item_changed")
    locations = uow.tx.execute(
        select(t.positions.c.location).where(t.positions.c.sku == cmd.sku)
        .order_by(t.positions.c.location)
    ).scalars().all()
    uow.lock([(cmd.sku, loc) for loc in locations])
    for location in locations:
        position = effects.position(cmd.sku, location)
        position.set_lead_time(cmd.lead_time_days)
        position.set_safety_stock(cmd.safety_stock)
    effects.finish()


def _check_basis(basis: str | None) -> Result | None:
    if basis is not None and basis not in PROMISE_BASES:
        return invalid("promise_basis", f"must be {' or '.join(map(repr, PROMISE_BASES))}")
    return None


def upsert_location(uow: UnitOfWork, cmd: UpsertLocation) -> Result:
    if error := check_id("code", cmd.code):
        return error
    if error := check_name(cmd.name):
        return error
    return _upsert(uow, t.locations, t.locations.c.code, cmd.code,
                   {"name": cmd.name}, location_out)


def upsert_account(uow: UnitOfWork, cmd: UpsertAccount) -> Result:
    """An account; a new priority re-ranks its demands everywhere (rank epoch)."""
    if error := check_id("id", cmd.id):
        return error
    if error := check_name(cmd.name):
        return error
    if not 0 <= cmd.priority <= PRIORITY_MAX:
        return invalid("priority", f"must be from 0 to {PRIORITY_MAX}")
    if error := _check_basis(cmd.promise_basis):
        return error
    old = uow.master.priority(cmd.id)
    if old is not None and old != cmd.priority:
        next_seq(uow.tx, RANK_EPOCH)
        uow.forget_epoch()
    return _upsert(uow, t.accounts, t.accounts.c.id, cmd.id,
                   {"name": cmd.name, "priority": cmd.priority,
                    "promise_basis": cmd.promise_basis}, account_out)


def _upsert(uow: UnitOfWork, table: Any, key_column: Any, key: str,
            values: dict[str, Any], out: Any) -> Result:
    tx: Connection = uow.tx
    exists = tx.execute(select(key_column).where(key_column == key)).first() is not None
    # Later commands of this unit of work must see the new row, and a new
    # priority re-ranks the demands of positions loaded before it.
    uow.master.forget()
    uow.forget_positions()
    if exists:
        tx.execute(table.update().where(key_column == key).values(updated_at=uow.now, **values))
    else:
        tx.execute(table.insert().values({key_column.name: key, "created_at": uow.now,
                                          "updated_at": uow.now, **values}))
    row = tx.execute(select(table).where(key_column == key)).mappings().one()
    uow.commit()
    return Result(Outcome.ok if exists else Outcome.created, out(row))
