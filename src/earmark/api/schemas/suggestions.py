"""Suggestions: receipts to place and forecast commitments to create, and accepting one."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from earmark.api.schemas.commitments import CommitmentKind, CommitmentMode
from earmark.api.schemas.common import Day, Identifier, In, NextCursor, Out
from earmark.api.schemas.receipts import ReceiptSource
from earmark.forecast.suggestions import (
    PLANNING_DAYS_MAX,
    REVIEW_DAYS_DEFAULT,
    SERVICE_LEVEL_DEFAULT,
    SERVICE_LEVEL_MAX,
    SERVICE_LEVEL_MIN,
    WINDOW_DAYS_DEFAULT,
)

SuggestionKind = Literal["receipt", "commitment", "transfer"]

ServiceLevel = Annotated[float, Field(
    strict=True, ge=SERVICE_LEVEL_MIN, le=SERVICE_LEVEL_MAX,
    description=f"Receipts: the probability of no stockout over the lead time that the safety "
    f"stock aims at (default {SERVICE_LEVEL_DEFAULT}).")]
ReviewDays = Annotated[int, Field(
    strict=True, ge=0, le=PLANNING_DAYS_MAX,
    description=f"Receipts: days of demand beyond the lead time a receipt covers "
    f"(default {REVIEW_DAYS_DEFAULT}).")]
WindowDays = Annotated[int, Field(
    strict=True, ge=1, le=PLANNING_DAYS_MAX,
    description=f"Commitments: the days from tomorrow whose P80 demand is earmarked "
    f"(default {WINDOW_DAYS_DEFAULT}).")]


class SuggestedReceipt(Out):
    """The body of ``POST /v1/receipts`` that accepting runs."""

    id: str
    sku: str
    location: str
    quantity: int
    expected_date: Day
    source: ReceiptSource


class SuggestedCommitment(Out):
    """The body of ``POST /v1/commitments`` that accepting runs."""

    id: str
    account: str
    sku: str
    location: str
    quantity: int
    need_date: Day
    expires_on: Day | None
    kind: CommitmentKind
    mode: CommitmentMode


class ReceiptBasis(Out):
    on_hand: int
    incoming: int = Field(description="Open quantity of open receipts.")
    open_orders: int = Field(description="Open units of order lines, held and backordered.")
    open_commitments: int = Field(
        description="Remaining units of open commitments (none of one that expires on or before "
        "its need date): demand, as open orders are.")
    inventory_position: int = Field(
        description="on_hand + incoming - open_orders - open_commitments.")
    lead_time_days: int
    review_days: int
    service_level: float
    demand_over_lead_time: float = Field(
        description="The forecast's means, tomorrow through the arrival day.")
    safety_stock: float = Field(description="The larger of the item's and the statistical one.")
    item_safety_stock: int
    safety_stock_short: int = Field(
        description="How many units on-hand lacks to hold its held units and the item's safety "
                    "stock (safety stock is a buffer, not a customer; 0 when whole).")
    statistical_safety_stock: float = Field(
        description="z(service_level) x sqrt(L x sigma_d^2 + d^2 x sigma_L^2): demand's sigma read "
                    "from the 80% intervals, sigma_L from the suppliers' recorded slips.")
    lead_time_sigma_days: float = Field(
        default=0.0, description="sigma_L: the standard deviation of the recorded slips, in days "
                                 "(the position's with 10 or more, else all suppliers' pooled).")
    reorder_point: float
    order_up_to: float = Field(
        description="The forecast through lead time + review days, + safety stock.")
    extended_days: int = Field(description="Days beyond the forecast's horizon, extended flat.")


class CommitmentBasis(Out):
    window_start: Day
    window_end: Day
    window_days: int
    forecast_mean: float = Field(description="Sum of the daily means over the window.")
    forecast_p80: float = Field(description="The 80th percentile of the window's total demand.")
    account_ordered: int
    position_ordered: int
    history_days: int = Field(description="The look-back of the account's share, in days.")
    account_share: float
    covered: int = Field(description="What the account's open commitments here still hold "
                         "(those not expiring by the window's first day).")
    extended_days: int


class SuggestionOut(Out):
    id: str = Field(description="Derived from what it would create and the forecast run: the "
                    "same suggestion keeps its id; anything it would create changes it.")
    kind: Literal["receipt", "commitment"]
    sku: str
    location: str
    account: str | None = Field(description="The account of a commitment; null for a receipt.")
    quantity: int
    date: Day = Field(description="A receipt's expected date; a commitment's need date.")
    expires_on: Day | None
    run_id: str
    model: str
    method: str = Field(description="The forecast's method: its model's name, or \"fallback\" "
                        "(GET /v1/forecasts/{sku} says why).")
    made_on: Day
    reason: str
    request: SuggestedReceipt | SuggestedCommitment = Field(
        description="What POST /v1/suggestions/{id}/accept creates, as the body of "
        "POST /v1/receipts or POST /v1/commitments.")
    basis: ReceiptBasis | CommitmentBasis


class SuggestedTransfer(Out):
    """The body of ``POST /v1/transfers`` that accepting runs (no ``need_date``: ship now)."""

    id: str
    sku: str
    from_: str = Field(alias="from")
    to: str
    quantity: int


class TransferSuggestionOut(Out):
    """Rebalancing: free on-hand at ``from`` would reach backordered units at ``to``
    earlier than their present promise (DESIGN.md, "Network promising")."""

    id: str = Field(description="sg-t- and a hash of what it would create (sku, from, to, "
                    "quantity, arrival day): the same suggestion keeps its id; anything it "
                    "would create changes it.")
    kind: Literal["transfer"]
    sku: str
    from_: str = Field(alias="from")
    to: str
    location: str = Field(description="Its destination (`to`), where the units are backordered.")
    quantity: int = Field(description="The backordered units it would make earlier (at most "
                          "the free on-hand at `from`).")
    arrives: Day = Field(description="Today + the lane's transit days.")
    earlier_by_days: int | None = Field(
        description="The largest gain among the units it serves; null when one of them had no "
        "date at all (no supply, no lead time: its gain has no bound).")
    orders: list[str] = Field(description="The orders it serves, in serving order.")
    reason: str
    request: SuggestedTransfer = Field(
        description="What POST /v1/suggestions/{id}/accept creates, as the body of "
        "POST /v1/transfers.")


AnySuggestionOut = Annotated[SuggestionOut | TransferSuggestionOut, Field(discriminator="kind")]


class SuggestionPage(Out):
    items: list[AnySuggestionOut]
    next_cursor: NextCursor


class SuggestionAccept(In):
    id: Identifier | None = Field(
        default=None, description="The id of the receipt, commitment or transfer to create; "
        "default: the suggestion's id.")
    mode: CommitmentMode | None = Field(
        default=None, description="A commitment suggestion only: default strict.")
    source: ReceiptSource | None = Field(
        default=None, description="A receipt suggestion only: default purchase.")
    service_level: ServiceLevel | None = None
    review_days: ReviewDays | None = None
    window_days: WindowDays | None = Field(
        default=None, description="The parameters the suggestion was listed with, if not the "
        "defaults.")
