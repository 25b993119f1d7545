"""Types shared by every resource: identifiers, quantities, dates, pages, problems.

Inputs are checked strictly: a quantity is a JSON integer (not ``"5"``, not
``5.0``, not ``true``) and a date is a ``YYYY-MM-DD`` string, so what the
schema says is exactly what is accepted.

Every request body that asks for units takes them as :data:`Units` (or
:data:`SignedUnits` for an adjustment): 0 units is refused with the same 422
on every path (API.md "Conventions"), before any command runs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from earmark.domain.limits import ID_LENGTH_MAX, ID_PATTERN, NAME_LENGTH_MAX, QUANTITY_MAX

ID_REGEX = ID_PATTERN.pattern
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


def _not_zero_units(value: Any) -> Any:
    # Checked before the type so that 0 gets the one same answer on every
    # path, whether the field is signed (an adjustment) or not.
    if type(value) is int and value == 0:
        raise PydanticCustomError("zero_units", "Input should not be 0: 0 units change nothing")
    return value


def _as_utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; every stored timestamp is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Identifier = Annotated[
    str, Field(min_length=1, max_length=ID_LENGTH_MAX, pattern=ID_REGEX,
               description="1-64 characters of A-Za-z0-9._:-")
]
Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH_MAX)]
Quantity = Annotated[int, Field(strict=True, ge=0, le=QUANTITY_MAX)]
"""A count that may be 0 (a setting such as safety stock), never units a request asks for."""
Units = Annotated[
    int,
    Field(strict=True, ge=1, le=QUANTITY_MAX, description="Units, 1 to 10^12 (0 is refused with 422)."),
    BeforeValidator(_not_zero_units),
]
"""Units a request body asks for: orders, commitments, receipts, receiving,
cancelling, shipping, releasing, quoting."""
SignedUnits = Annotated[
    int,
    Field(strict=True, ge=-QUANTITY_MAX, le=QUANTITY_MAX, json_schema_extra={"not": {"const": 0}},
          description="Units added (positive) or taken (negative); 0 is refused with 422."),
    BeforeValidator(_not_zero_units),
]
Day = Annotated[date, BeforeValidator(_iso_day)]
Timestamp = Annotated[datetime, AfterValidator(_as_utc)]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class In(BaseModel):
    """A request body: unknown fields are refused rather than silently dropped,
    and no text may hold a NUL character (PostgreSQL cannot store one)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _has_nul(data):
            raise ValueError("text must not contain the NUL character (\\u0000)")
        return data


class Out(BaseModel):
    """A response body."""


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["urn:earmark:problem:insufficient"])
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = Field(
        default=None, description="Which field broke which rule, when the request named one."
    )
    shortfall: int | None = Field(
        default=None, description="A refused strict commitment: units that cannot be confirmed."
    )
    earliest_date: date | None = Field(
        default=None,
        description="A refused strict commitment: the first date the full quantity could be "
        "confirmed, or null.",
    )


NextCursor = Annotated[
    str | None, Field(description="Pass as ?cursor= for the next page; null at the end.")
]



class Promise(Out):
    quantity: int
    date: Day | None
    confirmed: bool
    receipt: str | None = Field(default=None, description="The receipt the units are pegged to.")
    likely_by: Day | None = Field(
        default=None, description="Pegged to a receipt: the date + its supplier's P90 slip "
                                  "(the pooled P90 with fewer than 10 slips), not below the date.")


PromiseBasisField = Literal["expected", "p90"]
"""Which date a customer is told: ``promised_date`` or ``promised_date_p90``."""
P90_DESCRIPTION = ("The latest likely_by of the promises (the date where an entry has none); "
                   "null like promised_date.")
CUSTOMER_DATE_DESCRIPTION = ("promised_date or promised_date_p90, as the account's (else the "
                             "item's) promise_basis says: the date the customer is told.")
