"""Commitments (earmarks): create strict or partial (rule 6), release, expire;
the calendar that expires them; and the side-effect-free promise quote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from earmark.domain.backorder import BackorderPolicy
from earmark.domain.events import iso
from earmark.domain.limits import LEAD_TIME_DAYS_MAX
from earmark.domain.network import ShipToLine, line_promises
from earmark.domain.outcomes import Outcome
from earmark.domain.position import Demand, DemandKey
from earmark.service import transfers
from earmark.service.clock import FROZEN_DAY
from earmark.service.confidence import Confidence, receipt_margins, receipts_of
from earmark.service.effects import Effects
from earmark.service.orders import LAST_ARRIVAL
from earmark.service.parts import TrialPlaces, place_line
from earmark.service.queries import get_commitment, promised_date_of, promises_out
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork
from earmark.service.validation import (
    answer_to_twin,
    check_id,
    check_quantity,
    need_account,
    need_item,
    need_location,
    resolve_location,
)
from earmark.service.vocabulary import COMMITMENT_KINDS, COMMITMENT_MODES
from earmark.store import tables as t

CALENDAR_END = date.max - timedelta(days=LEAD_TIME_DAYS_MAX)
"""The last day the calendar may reach: a waiting unit's estimate (today +
lead time) must still be a date."""


@dataclass(frozen=True)
class CreateCommitment:
    id: str
    account: str
    sku: str
    location: str
    quantity: int
    need_date: date
    expires_on: date | None = None
    kind: str = "contract"
    mode: str = "strict"


@dataclass(frozen=True)
class ReleaseCommitment:
    id: str
    quantity: int | None = None


@dataclass(frozen=True)
class AdvanceClock:
    today: date


@dataclass(frozen=True)
class QuotePromise:
    sku: str
    quantity: int
    location: str | None = None
    account: str | None = None
    requested_date: date | None = None
    ship_to: str | None = None
    split: bool = False


def _request(cmd: CreateCommitment) -> dict[str, Any]:
    return {"account": cmd.account, "sku": cmd.sku, "location": cmd.location,
            "quantity": cmd.quantity, "need_date": cmd.need_date.isoformat(),
            "expires_on": iso(cmd.expires_on), "kind": cmd.kind, "mode": cmd.mode}


def _replay(uow: UnitOfWork, cmd: CreateCommitment) -> Result | None:
    stored = uow.tx.execute(
        select(t.commitments.c.request).where(t.commitments.c.id == cmd.id)
    ).scalar()
    return answer_to_twin("commitment", cmd.id, stored, _request(cmd),
                          lambda: get_commitment(uow.tx, cmd.id, uow.today))


def create_commitment(uow: UnitOfWork, cmd: CreateCommitment) -> Result:
    tx = uow.tx
    if error := check_id("id", cmd.id):
        return error
    if error := check_quantity("quantity", cmd.quantity):
        return error
    if cmd.kind not in COMMITMENT_KINDS:
        return invalid("kind", "must be one of " + ", ".join(COMMITMENT_KINDS))
    if cmd.mode not in COMMITMENT_MODES:
        return invalid("mode", "must be 'strict' or 'partial'")
    if replay := _replay(uow, cmd):
        return replay
    if cmd.expires_on is not None and cmd.expires_on <= uow.today:
        return invalid("expires_on", f"must be after today ({uow.today.isoformat()})")
    if error := need_account(uow, cmd.account):
        return error
    _, error = need_item(uow, cmd.sku)
    if error or (error := need_location(uow, cmd.location)):
        return error
    uow.lock([(cmd.sku, cmd.location)])
    # Asked again under the lock: a twin of this commitment may have committed meanwhile.
    if replay := _replay(uow, cmd):
        return replay
    effects = Effects(uow, "commitment_created")
    position = effects.position(cmd.sku, cmd.location)
    if cmd.mode == "strict":
        check = position.check_strict(cmd.quantity, cmd.need_date)
        if not check.confirmable:
            return fail(
                Outcome.insufficient,
                f"only {cmd.quantity - check.shortfall} of {cmd.quantity} can be confirmed "
                f"by {cmd.need_date.isoformat()}",
                shortfall=check.shortfall,
                earliest_date=iso(check.earliest_date),
            )
    # From here on the command must succeed.
    priority = uow.master.priority(cmd.account) or 0
    seq = uow.next_number("demand")
    tx.execute(t.commitments.insert().values(
        id=cmd.id, account=cmd.account, sku=cmd.sku, location=cmd.location,
        quantity=cmd.quantity, consumed=0, released=0, need_date=cmd.need_date,
        expires_on=cmd.expires_on, kind=cmd.kind, mode=cmd.mode, status="open", seq=seq,
        request=_request(cmd), created_at=uow.now, updated_at=uow.now,
    ))
    demand = Demand(DemandKey.for_commitment(cmd.id), cmd.account, (priority, seq, 0),
                    cmd.need_date, cmd.quantity)
    position.add_demand(demand)
    position.settle()
    if demand.pegged > 0:
        latest = max(position.promised(demand, b) for b in demand.pegs)
        uow.emit("commitment.confirmed", {"commitment": cmd.id, "quantity": demand.pegged,
                                          "promised_date": latest.isoformat()})
    effects.finish({demand.key})
    uow.flush()
    body = get_commitment(tx, cmd.id, uow.today)
    uow.commit()
    return Result(Outcome.created, body)


def release_commitment(uow: UnitOfWork, cmd: ReleaseCommitment) -> Result:
    tx = uow.tx
    row = tx.execute(select(t.commitments).where(t.commitments.c.id == cmd.id)).mappings().first()
    if row is None:
        return fail(Outcome.not_found, f"no commitment {cmd.id!r}")
    if row["status"] != "open":
        return fail(Outcome.not_open, f"commitment {cmd.id!r} is {row['status']}")
    remaining = int(row["quantity"]) - int(row["consumed"]) - int(row["released"])
    quantity = remaining if cmd.quantity is None else cmd.quantity
    if cmd.quantity is not None and (error := check_quantity("quantity", cmd.quantity)):
        return error
    if quantity > remaining:
        return fail(Outcome.exceeds_open, f"only {remaining} remain, not {quantity}", "quantity")
    # From here on the command must succeed.
    _give_back(uow, row, quantity, "released")
    uow.flush()
    body = get_commitment(tx, cmd.id, uow.today)
    uow.commit()
    return Result(Outcome.ok, body)


def _give_back(uow: UnitOfWork, row: Any, quantity: int, why: str) -> None:
    """Release or expire ``quantity`` remaining units (rule 9 then rule 3)."""
    effects = Effects(uow, f"commitment_{why}")
    position = effects.position(row["sku"], row["location"])
    key = DemandKey.for_commitment(row["id"])
    demand = position.demands[key]
    position.cancel(demand, quantity)
    c = t.commitments
    done = demand.quantity == 0
    status = row["status"]
    if done:
        status = "expired" if why == "expired" else "released"
    uow.tx.execute(c.update().where(c.c.sku == row["sku"], c.c.id == row["id"]).values(
        released=c.c.released + quantity, status=status, updated_at=uow.now,
    ))
    uow.emit(f"commitment.{why}", {"commitment": row["id"], "quantity": quantity})
    effects.finish({key})


def expire_commitments(uow: UnitOfWork) -> int:
    """Rule 6: on the first day on or after ``expires_on``, what remains is released."""
    c = t.commitments
    rows = uow.tx.execute(
        select(c).where(c.c.status == "open", c.c.expires_on.is_not(None),
                        c.c.expires_on <= uow.today)
        .order_by(c.c.sku, c.c.location, c.c.seq)
    ).mappings().all()
    uow.lock(sorted({(r["sku"], r["location"]) for r in rows}))
    for row in rows:
        remaining = int(row["quantity"]) - int(row["consumed"]) - int(row["released"])
        _give_back(uow, row, remaining, "expired")
    return len(rows)


def advance_clock(uow: UnitOfWork, cmd: AdvanceClock) -> Result:
    if not uow.store.clock.is_frozen:
        return fail(Outcome.clock_not_frozen,
                    "the calendar follows the real date; set EARMARK_TODAY to move it by hand")
    if cmd.today > CALENDAR_END:
        return invalid("today", f"must be on or before {CALENDAR_END.isoformat()}")
    if cmd.today < uow.today:
        return fail(Outcome.clock_backwards,
                    f"today is {uow.today.isoformat()}; the calendar never moves back", "today")
    # From here on the command must succeed.
    tx = uow.tx
    updated = tx.execute(
        t.clock.update().where(t.clock.c.name == FROZEN_DAY).values(day=cmd.today)
    ).rowcount
    if not updated:
        tx.execute(t.clock.insert().values(name=FROZEN_DAY, day=cmd.today))
    uow.today = cmd.today
    expired = expire_commitments(uow)
    transfers.follow_the_calendar(uow)
    uow.commit()
    return Result(Outcome.ok, {"today": cmd.today.isoformat(), "frozen": True,
                               "expired_commitments": expired})


def run_daily_jobs(uow: UnitOfWork) -> int:
    """What the passing of days triggers, for a calendar that follows the real date:
    commitments expire, and transfers' receipts follow their sources."""
    expired = expire_commitments(uow)
    transfers.follow_the_calendar(uow)
    uow.commit()
    return expired


def quote_promise(uow: UnitOfWork, cmd: QuotePromise) -> Result:
    """Exactly what an order line placed now would get; nothing is held.

    Only what a new line could touch is read: free buckets and the account's
    commitments at each position it may be placed at (``TrialPlaces.quoting``)."""
    if error := check_quantity("quantity", cmd.quantity):
        return error
    item, error = need_item(uow, cmd.sku)
    if error or item is None:
        return error or fail(Outcome.unknown_sku, cmd.sku)
    location: str | None = None
    if cmd.ship_to is not None:
        if cmd.location is not None:
            return invalid("ship_to", "name either location or ship_to, not both")
        if error := need_location(uow, cmd.ship_to, "ship_to"):
            return error
    else:
        location, error = resolve_location(uow, cmd.location, "location")
        if error:
            return error
    priority = 1000
    if cmd.account is not None:
        if error := need_account(uow, cmd.account):
            return error
        priority = uow.master.priority(cmd.account) or 0
    requested = cmd.requested_date or uow.today
    line = ShipToLine(DemandKey.for_line("\x00quote", "1"), cmd.account or "",
                      (priority, LAST_ARRIVAL, 0), requested, cmd.quantity,
                      cmd.ship_to or location or "", BackorderPolicy(item["backorders"]), cmd.split)
    places = TrialPlaces.quoting(uow, cmd.sku, cmd.account, location, cmd.ship_to)
    placed = place_line(places, line, location)
    parts = [(p.part, p.position.promises(p.demand)) for p in placed]
    promises = line_promises([(part.transit_days, mine) for part, mine in parts])
    confidence = Confidence(
        receipt_margins(uow.raw, receipts_of(p for _, mine in parts for p in mine), {cmd.sku}),
        {cmd.account: uow.master.account_basis(cmd.account)} if cmd.account else {},
        {cmd.sku: item["promise_basis"]},
    )
    promised = promised_date_of(promises)
    answer: dict[str, Any] = {
        "sku": cmd.sku,
        "location": parts[0][0].location if len(parts) == 1 else None,
        "quantity": cmd.quantity,
        "requested_date": requested.isoformat(),
        "promises": promises_out(promises, confidence),
        "promised_date": iso(promised),
        **confidence.dates(promises, promised, cmd.account, cmd.sku),
        "complete": all(p.confirmed for p in promises) and sum(p.quantity for p in promises) == cmd.quantity,
    }
    if cmd.ship_to is not None:
        answer |= {"ship_to": cmd.ship_to, "split": cmd.split,
                   "parts": [{"location": part.location, "transit_days": part.transit_days,
                              "quantity": part.quantity,
                              "promises": promises_out(mine, confidence)}
                             for part, mine in parts]}
    return Result(Outcome.ok, answer)
