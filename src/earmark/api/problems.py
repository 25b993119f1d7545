"""Every error the HTTP API answers with, as an RFC 9457 problem document.

A problem is ``application/problem+json``:
``{"type", "title", "status", "detail", "errors"?: [{"field", "message"}]}``,
plus the extra members an outcome carries (a refused strict commitment's
``shortfall`` and ``earliest_date``).

Where each status comes from:

- 400 ``malformed-json``: the body is not JSON.
- 401 ``unauthorized``: API keys are configured and none was presented.
- 404 ``not_found`` / ``no-such-route``: no such resource or path.
- 405 ``method-not-allowed``.
- 409 and 422 from a business :class:`Outcome`, mapped once in
  :data:`OUTCOME_STATUS`; 422 ``validation`` for a body, query or path that
  breaks the schema; 422 ``idempotency-key-reused`` for a key replayed with
  another request.
- 503 ``database-unavailable`` with ``Retry-After``: the database does not
  answer (:class:`~earmark.api.middleware.DatabaseUnavailable`); 503
  ``busy``: the batching writer's queue is full.
- 500 ``internal``: a bug, always. The catch-all handler answers it as a
  problem too so that a client never sees a bare stack trace.

A 400 or a ``validation`` 422 refuses a request before anything ran, so it
is not kept under the request's ``Idempotency-Key``; a refusal by a rule
(409, or 422 from an :class:`Outcome`) is an answer of a command that ran,
and is kept and replayed like any other (API.md "Conventions").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse

from earmark.domain.outcomes import Outcome
from earmark.service.results import Result

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:earmark:problem:"


OUTCOME_STATUS: dict[Outcome, int] = {
    Outcome.ok: 200,
    Outcome.created: 201,
    Outcome.exists: 200,
    Outcome.not_found: 404,
    Outcome.unknown_sku: 422,
    Outcome.unknown_location: 422,
    Outcome.unknown_account: 422,
    Outcome.location_required: 422,
    Outcome.invalid: 422,
    Outcome.below_received: 422,
    Outcome.clock_backwards: 422,
    Outcome.would_go_negative: 422,
    Outcome.exists_with_different_content: 409,
    Outcome.insufficient: 409,
    Outcome.rejected_not_available: 409,
    Outcome.not_held: 409,
    Outcome.exceeds_open: 409,
    Outcome.not_open: 409,
    Outcome.clock_not_frozen: 409,
    Outcome.already_accepted: 409,
    Outcome.run_in_progress: 409,
    Outcome.no_lane: 422,
    Outcome.transfer_receipt: 409,
}

OUTCOME_TITLE: dict[Outcome, str] = {
    Outcome.not_found: "Not found",
    Outcome.unknown_sku: "Unknown sku",
    Outcome.unknown_location: "Unknown location",
    Outcome.unknown_account: "Unknown account",
    Outcome.location_required: "Location required",
    Outcome.invalid: "Invalid request",
    Outcome.below_received: "Quantity below what was received",
    Outcome.clock_backwards: "The calendar never moves back",
    Outcome.would_go_negative: "On-hand would go below zero",
    Outcome.exists_with_different_content: "Exists with different content",
    Outcome.insufficient: "Insufficient supply",
    Outcome.rejected_not_available: "Rejected: not available now",
    Outcome.not_held: "Units not held",
    Outcome.exceeds_open: "More than is open",
    Outcome.not_open: "No longer open",
    Outcome.clock_not_frozen: "The calendar is not frozen",
    Outcome.already_accepted: "Suggestion already accepted",
    Outcome.run_in_progress: "A forecast run is in progress",
    Outcome.no_lane: "No lane",
    Outcome.transfer_receipt: "The receipt of a transfer",
}


class ProblemError(Exception):
    """Raised by routes and dependencies to answer with a problem document."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    def document(self) -> dict[str, Any]:
        return problem(self.status, self.kind, self.title, self.detail, self.errors)


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str,
    errors: Sequence[Mapping[str, str]] = (),
    **extra: Any,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        document["errors"] = [{"field": e["field"], "message": e["message"]} for e in errors]
    document.update(extra)
    return document


def problem_response(document: Mapping[str, Any], headers: Mapping[str, str] | None = None
                     ) -> JSONResponse:
    return JSONResponse(dict(document), status_code=int(document["status"]),
                        media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


RETRY_AFTER_S = 1
"""When a client may try again after the database did not answer: a restart
of PostgreSQL takes seconds, a SQLite lock as long as its holder's write."""


def unavailable_response() -> JSONResponse:
    """The answer when the database does not answer: 503, ``Retry-After``."""
    return problem_response(
        problem(503, "database-unavailable", "Database unavailable",
                "the database does not answer; retry shortly"),
        {"Retry-After": str(RETRY_AFTER_S)})


def status_of(outcome: Outcome) -> int:
    return OUTCOME_STATUS[outcome]


def result_problem(result: Result) -> dict[str, Any]:
    """The problem document of a handler's failed outcome."""
    status = status_of(result.outcome)
    return problem(
        status,
        result.outcome.value,
        OUTCOME_TITLE.get(result.outcome, result.outcome.value),
        result.detail or OUTCOME_TITLE.get(result.outcome, result.outcome.value),
        [{"field": e.field, "message": e.message} for e in result.errors],
        **result.extra,
    )


def not_found(what: str) -> ProblemError:
    return ProblemError(404, Outcome.not_found.value, OUTCOME_TITLE[Outcome.not_found], what)


def invalid_parameter(field: str, message: str) -> ProblemError:
    return ProblemError(422, "validation", "Request validation failed", f"{field}: {message}",
                        [{"field": field, "message": message}])


def field_path(location: Sequence[Any]) -> str:
    """``("body", "lines", 0, "quantity")`` → ``lines[0].quantity``."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    if any(e.get("type") == "json_invalid" for e in errors):
        return problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
    fields = [{"field": field_path(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
              for e in errors]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return problem(422, "validation", "Request validation failed", detail, fields)
