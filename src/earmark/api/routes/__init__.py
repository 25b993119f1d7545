"""One router per resource. Each route builds a service command, runs it
through :class:`earmark.api.commands.Commands` and returns its answer."""

from __future__ import annotations

from typing import Any

from earmark.api.schemas.common import Problem

_DESCRIPTIONS = {
    400: "Malformed JSON.",
    404: "No such resource.",
    409: "Conflict with the current state.",
    422: "A well-formed request that breaks a rule.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem documents a route can answer with
    (``app.py`` files them under ``application/problem+json``)."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS[status]}
            for status in statuses}
