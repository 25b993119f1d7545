"""What forecasts feed, as the API and the CLI show it: a position's stored
forecast, its projection, the suggestions, and the command that accepts a
suggestion.

Suggestions of transfers (rebalancing stock between locations) come from
the positions themselves, not from a forecast
(:mod:`earmark.service.rebalancing`); they are listed with the others.

Accepting a suggestion (:func:`accept_suggestion`) recomputes the
suggestions of its position under the position's lock, finds the one with
that id and creates it through the very handler that ``POST /v1/receipts``
(:func:`earmark.service.supply.create_receipt`), ``POST /v1/commitments``
(:func:`earmark.service.commitments.create_commitment`) or ``POST
/v1/transfers`` (:func:`earmark.service.transfers.create_transfer`) runs,
so it is checked, pegged, evented and answered exactly as that call would be. The
created resource takes the suggestion's id unless the caller names another.
A suggestion that is no longer suggested answers ``not_found``, or
``already_accepted`` when a resource with its id (or the id asked for)
exists: after an accept the suggestion is gone by construction (the new
receipt raises the inventory position above the reorder point; the new
commitment covers the account's share; the new transfer's receipt serves
the units it would have made earlier).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from earmark.domain.events import iso
from earmark.domain.outcomes import InvariantViolation, Outcome
from earmark.forecast.projection import PositionState, Projection, future_points, project
from earmark.forecast.state import Key, ordered_by_accounts, position_state, position_states
from earmark.forecast.store import PositionForecast, forecasts_of, latest_forecast
from earmark.forecast.suggestions import (
    COMMITMENT,
    RECEIPT,
    SHARE_HISTORY_DAYS,
    Params,
    Suggestion,
    kind_of_id,
    suggest_commitments,
    suggest_receipt,
)
from earmark.service import commitments, rebalancing, supply, transfers
from earmark.service.pages import Cursors
from earmark.service.rebalancing import TRANSFER, TransferSuggestion, transfer_suggestions
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import UnitOfWork
from earmark.store import tables as t

KIND_ORDER = {RECEIPT: 0, COMMITMENT: 1, TRANSFER: 2}
SUGGESTIONS = Cursors("suggestions", (str, str, int, str))
"""Cursors over suggestions: they hold a suggestion's :func:`suggestion_order`."""
AnySuggestion = Suggestion | TransferSuggestion


def suggestion_order(s: AnySuggestion) -> tuple[str, str, int, str]:
    """By sku, location (a transfer's: its destination), kind (receipts, then
    commitments, then transfers) and account (a transfer's: its origin)."""
    if isinstance(s, TransferSuggestion):
        return (s.sku, s.destination, KIND_ORDER[TRANSFER], s.origin)
    return (s.sku, s.location, KIND_ORDER[s.kind], s.account or "")


def kind_of(suggestion_id: str) -> str | None:
    """The kind of suggestion an id names (None: no suggestion's)."""
    if suggestion_id.startswith(rebalancing.ID_PREFIX):
        return TRANSFER
    return kind_of_id(suggestion_id)


# ----------------------------------------------------------------------
# The stored forecast


def forecast_out(f: PositionForecast) -> dict[str, Any]:
    return {
        "sku": f.sku,
        "location": f.location,
        "run_id": f.run_id,
        "made_on": f.made_on.isoformat(),
        "model": f.model,
        "method": f.method,
        "method_reason": f.method_reason,
        "horizon_days": len(f.points),
        "points": [{"date": p.day.isoformat(), "mean": p.mean, "lo80": p.lo80, "hi80": p.hi80,
                    "lo95": p.lo95, "hi95": p.hi95} for p in f.points],
        "accuracy": {"mase": f.accuracy.mase, "wape": f.accuracy.wape},
        "baseline": {"model": f.baseline_model, "mase": f.baseline.mase,
                     "wape": f.baseline.wape},
    }


# ----------------------------------------------------------------------
# The projection


def _rounded(value: float) -> float:
    return round(value, 2) + 0.0  # + 0.0: no "-0.0" in the answer


def projection_out(state: PositionState, forecast: PositionForecast | None,
                   projection: Projection) -> dict[str, Any]:
    future = future_points(forecast.points, state.today) if forecast else []
    used = forecast if future else None
    return {
        "sku": state.sku,
        "location": state.location,
        "today": state.today.isoformat(),
        "on_hand": state.on_hand,
        "safety_stock": state.safety_stock,
        "forecast": None if used is None else {
            "run_id": used.run_id, "model": used.model, "method": used.method,
            "method_reason": used.method_reason, "made_on": used.made_on.isoformat(),
            "first_date": future[0].day.isoformat(), "last_date": future[-1].day.isoformat(),
        },
        "stale_forecast": forecast is not None and not future,
        "days": [
            {"date": d.day.isoformat(), "receipts": d.receipts, "orders": d.orders,
             "commitments": d.commitments, "forecast": _rounded(d.forecast),
             "expected_demand": _rounded(d.expected_demand),
             "projected_on_hand": _rounded(d.on_hand)}
            for d in projection.days
        ],
        "first_below_safety_stock": iso(projection.first_below_safety_stock),
        "first_below_zero": iso(projection.first_below_zero),
    }


def projection_of(tx: Connection, sku: str, location: str, today: date) -> dict[str, Any] | None:
    """The projection of a position (None for an unknown sku)."""
    state = position_state(tx, sku, location, today)
    if state is None:
        return None
    forecast = latest_forecast(tx, sku, location)
    projection = project(state, forecast.points if forecast else ())
    return projection_out(state, forecast, projection)


# ----------------------------------------------------------------------
# Suggestions


def _of_position(state: PositionState, forecast: PositionForecast, ordered: dict[str, int],
                 params: Params, kind: str | None) -> list[Suggestion]:
    out: list[Suggestion] = []
    if kind in (None, RECEIPT) and (receipt := suggest_receipt(state, forecast, params)):
        out.append(receipt)
    if kind in (None, COMMITMENT):
        out += suggest_commitments(state, forecast, ordered, params)
    return out


def suggestions(tx: Connection, today: date, params: Params, *, sku: str | None = None,
                location: str | None = None, kind: str | None = None,
                account: str | None = None) -> list[AnySuggestion]:
    """Every current suggestion, by sku, location, kind (receipts first) and account.

    Reads the positions with a forecast together, a query per kind of row
    (:func:`~earmark.forecast.state.position_states`), whatever their number."""
    found: list[AnySuggestion] = []
    if kind in (None, TRANSFER) and account is None:
        found += transfer_suggestions(tx, today, sku=sku, location=location)
    if kind != TRANSFER:
        found += _forecast_suggestions(tx, today, params, sku=sku, location=location, kind=kind,
                                       account=account)
    return sorted(found, key=suggestion_order)


def _forecast_suggestions(tx: Connection, today: date, params: Params, *, sku: str | None,
                          location: str | None, kind: str | None,
                          account: str | None) -> list[Suggestion]:
    if account is not None:
        # A receipt suggestion has no account: ``account`` keeps commitments only.
        if kind == RECEIPT:
            return []
        kind = COMMITMENT
    forecasts = forecasts_of(tx, sku, location)
    if not forecasts:
        return []
    states = position_states(tx, today, sku=sku, location=location, forecasted=True,
                             account=account)
    ordered: dict[Key, dict[str, int]] = {}
    if kind in (None, COMMITMENT):
        first = today - timedelta(days=SHARE_HISTORY_DAYS - 1)
        ordered = ordered_by_accounts(tx, first, today, sku=sku, location=location,
                                      forecasted=True)
    found: list[Suggestion] = []
    for forecast in forecasts:
        key = (forecast.sku, forecast.location)
        state = states.get(key)
        if state is not None:
            found += _of_position(state, forecast, ordered.get(key, {}), params, kind)
    if account is not None:
        found = [s for s in found if s.account == account]
    return found


def _basis_out(s: Suggestion) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(s.basis).items()}


def create_request(s: Suggestion, create_id: str | None = None, mode: str | None = None,
                   source: str | None = None) -> supply.CreateReceipt | commitments.CreateCommitment:
    """The command that accepting ``s`` runs: the one its POST would build."""
    if s.kind == RECEIPT:
        return supply.CreateReceipt(create_id or s.id, s.sku, s.location, s.quantity, s.day,
                                    source or "purchase")
    if s.account is None:
        raise InvariantViolation(f"commitment suggestion {s.id!r} without an account")
    return commitments.CreateCommitment(create_id or s.id, s.account, s.sku, s.location,
                                        s.quantity, s.day, s.expires_on, "forecast",
                                        mode or "strict")


def transfer_request(s: TransferSuggestion, create_id: str | None = None
                     ) -> transfers.CreateTransfer:
    """What accepting a transfer suggestion runs: ship now, from free on-hand."""
    return transfers.CreateTransfer(create_id or s.id, s.sku, s.origin, s.destination,
                                    s.quantity)


def suggestion_out(s: AnySuggestion) -> dict[str, Any]:
    if isinstance(s, TransferSuggestion):
        return {
            "id": s.id, "kind": s.kind, "sku": s.sku, "from": s.origin, "to": s.destination,
            "location": s.destination, "quantity": s.quantity, "arrives": s.arrives.isoformat(),
            "earlier_by_days": s.earlier_by_days, "orders": list(s.orders),
            "reason": (f"{s.quantity} backordered units at {s.destination} would arrive "
                       f"{s.arrives.isoformat()} from free stock at {s.origin}, earlier than "
                       "promised now"),
            "request": {"id": s.id, "sku": s.sku, "from": s.origin, "to": s.destination,
                        "quantity": s.quantity},
        }
    request = create_request(s)
    # A suggested receipt names no supplier (the request leaves it out, as the
    # API's answer does).
    body = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(request).items()
            if not (k == "supplier" and v is None)}
    return {
        "id": s.id, "kind": s.kind, "sku": s.sku, "location": s.location, "account": s.account,
        "quantity": s.quantity, "date": s.day.isoformat(), "expires_on": iso(s.expires_on),
        "run_id": s.run_id, "model": s.model, "method": s.method, "made_on": s.made_on.isoformat(),
        "reason": s.reason,
        "request": body,
        "basis": _basis_out(s),
    }


def find_suggestion(tx: Connection, today: date, suggestion_id: str, params: Params,
                    *, sku: str | None = None, location: str | None = None
                    ) -> AnySuggestion | None:
    """The current suggestion with this id (of one position, when given)."""
    kind = kind_of(suggestion_id)
    if kind is None:
        return None
    if sku is not None and location is not None:
        candidates = suggestions(tx, today, params, sku=sku, location=location, kind=kind)
    else:
        candidates = suggestions(tx, today, params, kind=kind)
    return next((s for s in candidates if s.id == suggestion_id), None)


# ----------------------------------------------------------------------
# Accepting a suggestion


@dataclass(frozen=True)
class AcceptSuggestion:
    id: str
    sku: str | None = None
    location: str | None = None
    """Where the suggestion was last seen (the route looks it up before the
    write); the handler recomputes that position's suggestions under its lock."""
    create_id: str | None = None
    mode: str | None = None
    source: str | None = None
    params: Params = field(default_factory=Params)
    also_locked: tuple[str, ...] = ()
    """Other locations of the sku the accept changes (a transfer's origin)."""


def _exists(tx: Connection, kind: str, ident: str) -> bool:
    table = {RECEIPT: t.receipts, COMMITMENT: t.commitments, TRANSFER: t.transfers}[kind]
    return tx.execute(select(table.c.id).where(table.c.id == ident)).first() is not None


def accept_suggestion(uow: UnitOfWork, cmd: AcceptSuggestion) -> Result:
    kind = kind_of(cmd.id)
    if kind is None:
        return fail(Outcome.not_found, f"no suggestion {cmd.id!r}")
    if cmd.mode is not None and kind != COMMITMENT:
        return invalid("mode", "applies to a commitment suggestion only")
    if cmd.source is not None and kind != RECEIPT:
        return invalid("source", "applies to a receipt suggestion only")
    found: AnySuggestion | None = None
    if cmd.sku is not None and cmd.location is not None:
        # Under the positions' locks, so that two accepts of one suggestion cannot both create it.
        uow.lock([(cmd.sku, cmd.location), *((cmd.sku, o) for o in cmd.also_locked)])
        found = find_suggestion(uow.tx, uow.today, cmd.id, cmd.params, sku=cmd.sku,
                                location=cmd.location)
    if found is None:
        what = {RECEIPT: "receipt", COMMITMENT: "commitment", TRANSFER: "transfer"}[kind]
        for ident in dict.fromkeys([cmd.id, cmd.create_id or cmd.id]):
            if _exists(uow.tx, kind, ident):
                return fail(Outcome.already_accepted,
                            f"suggestion {cmd.id!r} is no longer suggested and {what} {ident!r} "
                            "exists: it was accepted already")
        return fail(Outcome.not_found,
                    f"no suggestion {cmd.id!r} now: suggestions change with stock, orders, "
                    "commitments, forecasts and the date, and with the parameters they were "
                    "listed with; list them again")
    if isinstance(found, TransferSuggestion):
        return transfers.create_transfer(uow, transfer_request(found, cmd.create_id))
    request = create_request(found, cmd.create_id, cmd.mode, cmd.source)
    if isinstance(request, supply.CreateReceipt):
        return supply.create_receipt(uow, request)
    return commitments.create_commitment(uow, request)
