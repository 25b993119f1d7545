"""The backorder policy of an order line (and the default of an item)."""

from __future__ import annotations

from enum import Enum


class BackorderPolicy(str, Enum):
    """What happens to the units of an order line that cannot be held now.

    The values are the words of the API, so JSON, the database and the CLI
    see the same strings as before this was an enum.
    """

    allow = "allow"
    """Backorder them: they wait in the queue for supply."""
    deny = "deny"
    """Cancel them at once; the line keeps what can be held."""
    reject = "reject"
    """Refuse the whole order (an order line only, never an item's default)."""

    def __repr__(self) -> str:
        # Validation messages list the allowed values as the API spells them.
        return repr(self.value)


ITEM_BACKORDER_POLICIES = (BackorderPolicy.allow, BackorderPolicy.deny)
"""The policies an item may have as its default (``reject`` is per order)."""


def in_words(policies: tuple[BackorderPolicy, ...] | type[BackorderPolicy]) -> str:
    """``'allow', 'deny' or 'reject'``: the policies for a validation message."""
    quoted = [repr(p) for p in policies]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else quoted[0]
