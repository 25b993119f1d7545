"""Named limits. Every input that can grow has one, and each is tested."""

from __future__ import annotations

import re

ORDER_LINES_MAX = 500
QUANTITY_MAX = 10**12
ID_LENGTH_MAX = 64
PRIORITY_MAX = 1000
PAGE_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 1000
CURSOR_LENGTH_MAX = 1000
BATCH_ORDERS_MAX = 1000
LEAD_TIME_DAYS_MAX = 3650
TRANSIT_DAYS_MAX = 3650
NAME_LENGTH_MAX = 200
NOTE_LENGTH_MAX = 1000

ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def is_valid_id(value: str) -> bool:
    """True for a client-chosen identifier of 1-64 chars of ``A-Za-z0-9._:-``."""
    return bool(ID_PATTERN.fullmatch(value))


def is_valid_quantity(value: int) -> bool:
    """True for a whole quantity from 0 to :data:`QUANTITY_MAX`."""
    return 0 <= value <= QUANTITY_MAX
