"""Business outcomes and the one exception type for broken invariants.

Outcomes that are part of the business (a strict commitment that supply
cannot meet, a shipment of units that are not held, a create that repeats
an existing id with other content) are values of :class:`Outcome`. The
service layer maps each to an HTTP status exactly once (``api/problems.py``).

Exceptions are for bugs: :class:`InvariantViolation` is raised when the
domain finds its own state impossible. It is never caught to carry on.
"""

from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    """What a command ended with, when it did not simply succeed."""

    ok = "ok"
    created = "created"
    exists = "exists"
    exists_with_different_content = "exists_with_different_content"
    not_found = "not_found"
    unknown_sku = "unknown_sku"
    unknown_location = "unknown_location"
    unknown_account = "unknown_account"
    location_required = "location_required"
    invalid = "invalid"
    insufficient = "insufficient"
    rejected_not_available = "rejected_not_available"
    would_go_negative = "would_go_negative"
    not_held = "not_held"
    exceeds_open = "exceeds_open"
    not_open = "not_open"
    below_received = "below_received"
    clock_not_frozen = "clock_not_frozen"
    clock_backwards = "clock_backwards"
    already_accepted = "already_accepted"
    run_in_progress = "run_in_progress"
    no_lane = "no_lane"
    transfer_receipt = "transfer_receipt"


class InvariantViolation(Exception):
    """The domain found a state that its rules make impossible: a bug."""
