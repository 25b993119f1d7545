"""Liveness and the kind of database."""

from __future__ import annotations

from typing import Literal

from earmark.api.schemas.common import Out


class HealthOut(Out):
    status: Literal["ok"]
    database: Literal["sqlite", "postgresql"]
