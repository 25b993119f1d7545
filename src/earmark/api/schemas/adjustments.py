"""Stock adjustments: counted, damaged, returned, corrected units."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from earmark.api.schemas.availability import AvailabilityOut
from earmark.api.schemas.common import Identifier, In, Out, SignedUnits
from earmark.domain.limits import NOTE_LENGTH_MAX
from earmark.service.vocabulary import AdjustmentReason


class AdjustmentCreate(In):
    sku: Identifier
    location: Identifier
    quantity: SignedUnits
    reason: AdjustmentReason
    note: Annotated[str, Field(max_length=NOTE_LENGTH_MAX)] | None = None


class AdjustmentOut(Out):
    position: AvailabilityOut
