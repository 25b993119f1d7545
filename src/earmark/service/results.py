"""What every handler returns: a business outcome and, on success, a value.

Outcomes are mapped to HTTP status codes once, in ``api/problems.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from earmark.domain.outcomes import Outcome


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class Result:
    outcome: Outcome
    value: Any = None
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.ok, Outcome.created, Outcome.exists)


def fail(outcome: Outcome, detail: str, field_name: str | None = None, **extra: Any) -> Result:
    errors = [FieldError(field_name, detail)] if field_name else []
    return Result(outcome, None, detail, errors, dict(extra))


def invalid(field_name: str, message: str) -> Result:
    return fail(Outcome.invalid, f"{field_name}: {message}", field_name)
