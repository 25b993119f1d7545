"""``/v1/suggestions``: receipts to place and forecast commitments to create,
computed from the stored forecasts, and transfers that would rebalance
stock towards backorders; accepting one creates it through the same handler
as ``POST /v1/receipts``, ``POST /v1/commitments`` or ``POST /v1/transfers``
(:mod:`earmark.forecast.planning`)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from earmark.api.commands import respond
from earmark.api.deps import CommandsDep, IdempotencyDep, IdPath, IdQuery, PageRequest, keyset_page
from earmark.api.routes import problems
from earmark.api.schemas.commitments import CommitmentOut
from earmark.api.schemas.common import Out
from earmark.api.schemas.receipts import ReceiptOut
from earmark.api.schemas.suggestions import (
    SuggestionAccept,
    SuggestionKind,
    SuggestionPage,
)
from earmark.api.schemas.transfers import TransferOut
from earmark.forecast.planning import (
    SUGGESTIONS,
    AcceptSuggestion,
    accept_suggestion,
    find_suggestion,
    kind_of,
    suggestion_order,
    suggestion_out,
    suggestions,
)
from earmark.forecast.suggestions import (
    COMMITMENT,
    PLANNING_DAYS_MAX,
    RECEIPT,
    REVIEW_DAYS_DEFAULT,
    SERVICE_LEVEL_DEFAULT,
    SERVICE_LEVEL_MAX,
    SERVICE_LEVEL_MIN,
    WINDOW_DAYS_DEFAULT,
    Params,
)
from earmark.service.pages import computed_page, page
from earmark.service.rebalancing import TRANSFER, TransferSuggestion

router = APIRouter(prefix="/v1/suggestions", tags=["forecasts"])

SuggestionsPage = Annotated[PageRequest, keyset_page(SUGGESTIONS)]

ServiceLevelQuery = Annotated[float | None, Query(
    ge=SERVICE_LEVEL_MIN, le=SERVICE_LEVEL_MAX,
    description=f"Receipts: the service level the safety stock aims at "
    f"(default {SERVICE_LEVEL_DEFAULT}).")]
ReviewDaysQuery = Annotated[int | None, Query(
    ge=0, le=PLANNING_DAYS_MAX,
    description=f"Receipts: days beyond the lead time a receipt covers "
    f"(default {REVIEW_DAYS_DEFAULT}).")]
WindowDaysQuery = Annotated[int | None, Query(
    ge=1, le=PLANNING_DAYS_MAX,
    description=f"Commitments: the window from tomorrow whose P80 demand is earmarked "
    f"(default {WINDOW_DAYS_DEFAULT}).")]


def _params(service_level: float | None, review_days: int | None,
            window_days: int | None) -> Params:
    defaults = Params()
    return Params(
        service_level=defaults.service_level if service_level is None else service_level,
        review_days=defaults.review_days if review_days is None else review_days,
        window_days=defaults.window_days if window_days is None else window_days,
    )


@router.get("", response_model=SuggestionPage, responses=problems(422))
def get_suggestions(
    asked: SuggestionsPage, commands: CommandsDep, sku: IdQuery = None, location: IdQuery = None,
    account: IdQuery = None, kind: Annotated[SuggestionKind | None, Query()] = None,
    service_level: ServiceLevelQuery = None, review_days: ReviewDaysQuery = None,
    window_days: WindowDaysQuery = None,
) -> JSONResponse:
    """Receipts to place (by the reorder point; only for items with a
    ``lead_time_days``, which dates the receipt) and forecast commitments to
    create (each ordering account's share of the window's P80 demand), of
    every position with a current forecast (one with a day after today); and
    transfers (``kind: "transfer"``) from free on-hand elsewhere that would
    deliver a position's backordered units earlier than promised, one per
    lane into it. By sku, location (a transfer's destination), kind
    (receipts, commitments, transfers) and account (a transfer's origin).
    ``account`` keeps that account's commitments only."""
    params = _params(service_level, review_days, window_days)
    with commands.reading() as uow:
        found = suggestions(uow.tx, uow.today, params, sku=sku, location=location, kind=kind,
                            account=account)
    shown, cursor = computed_page(found, suggestion_order, SUGGESTIONS, asked.after, asked.limit)
    return respond(SuggestionPage, page([suggestion_out(s) for s in shown], cursor))


@router.post(
    "/{id}/accept", response_model=ReceiptOut | CommitmentOut | TransferOut, status_code=201,
    responses={200: {"model": ReceiptOut | CommitmentOut | TransferOut,
                     "description": "The resource existed already with identical content."},
               **problems(400, 404, 409, 422)},
)
def post_accept(id: IdPath, commands: CommandsDep, key: IdempotencyDep,
                body: SuggestionAccept | None = None) -> JSONResponse:
    """Create the suggestion, as it is now, through the same command as
    ``POST /v1/receipts``, ``POST /v1/commitments`` or ``POST /v1/transfers``
    (201 with the receipt, commitment or transfer, and its ``Location``). 404
    if it is no longer suggested (pass the parameters it was listed with, if
    not the defaults); 409 if it was accepted already, or as that POST would
    answer (a strict commitment that cannot be confirmed)."""
    body = body or SuggestionAccept()
    params = _params(body.service_level, body.review_days, body.window_days)
    with commands.reading() as uow:
        # Where it is, so that the write recomputes one position only.
        seen = find_suggestion(uow.tx, uow.today, id, params)
    command = AcceptSuggestion(
        id, seen.sku if seen else None,
        (seen.destination if isinstance(seen, TransferSuggestion) else seen.location)
        if seen else None,
        create_id=body.id, mode=body.mode, source=body.source, params=params,
        also_locked=(seen.origin,) if isinstance(seen, TransferSuggestion) else (),
    )
    answers: dict[str | None, tuple[type[Out], str]] = {
        RECEIPT: (ReceiptOut, "receipts"), COMMITMENT: (CommitmentOut, "commitments"),
        TRANSFER: (TransferOut, "transfers")}
    # An id of no kind is not found by the command; the model is never used then.
    out, path = answers.get(kind_of(id), answers[RECEIPT])
    response = commands.run(accept_suggestion, command, out, key)
    if response.status_code in (200, 201):
        created = json.loads(bytes(response.body))["id"]
        response.headers["Location"] = f"/v1/{path}/{created}"
    return response
