"""How far a forecast run may look ahead; here, apart from the models, so that
the CLI can name the limits in ``--help`` without loading numpy."""

from __future__ import annotations

HORIZON_DAYS_DEFAULT = 90
HORIZON_DAYS_MAX = 180
