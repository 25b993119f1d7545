"""The forms: place an order, add or move a receipt, create a commitment.

Each form is checked by the API's own schema and run by the API's own
handler through :meth:`Commands.answer`, so the UI can do exactly what the
API can and nothing else; a refusal is shown with the API's problem detail.
"""

from __future__ import annotations

import json
import uuid
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qs

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from earmark.api.commands import Commands
from earmark.api.deps import CodePath, SkuPath
from earmark.api.idempotency import Answer
from earmark.api.middleware import CSRF_FIELD
from earmark.api.routes.orders import place_command
from earmark.api.schemas.commitments import CommitmentCreate, CommitmentOut
from earmark.api.schemas.orders import OrderCreate, OrderOut
from earmark.api.schemas.receipts import ReceiptCreate, ReceiptOut, ReceiptPatch
from earmark.api.web import views
from earmark.api.web.render import commands_of, is_htmx, page
from earmark.service import commitments, supply
from earmark.service import orders as order_handlers

router = APIRouter()

FORM_FIELDS_MAX = 20
FORM_BYTES_MAX = 16 * 1024
"""A form is small; anything bigger is not one of ours."""

Model = TypeVar("Model", bound=BaseModel)

INTEGER_FIELDS = ("quantity",)


async def read_form(request: Request) -> dict[str, str]:
    body = (await request.body())[:FORM_BYTES_MAX].decode("utf-8", errors="replace")
    parsed = parse_qs(body, keep_blank_values=True, max_num_fields=FORM_FIELDS_MAX)
    # The CSRF token was checked before the route ran (earmark.api.middleware).
    return {name: values[0].strip() for name, values in parsed.items() if name != CSRF_FIELD}


def _integer(value: Any) -> Any:
    """A whole number typed into a form, as JSON would carry it; anything else as typed,
    for the schema to refuse."""
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def _checked(model: type[Model], fields: dict[str, Any]) -> Model | str:
    """The form as the API's schema reads the same JSON, or what is wrong with it."""
    document = {k: v for k, v in fields.items() if v not in ("", None)}
    for name in INTEGER_FIELDS:
        if name in document:
            document[name] = _integer(document[name])
    try:
        return model.model_validate_json(json.dumps(document))
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
            for e in error.errors(include_url=False)
        )


def _refusal(answer: Answer) -> str | None:
    if answer.status < 400:
        return None
    content = answer.content
    return str(content.get("detail") or content.get("title")) if isinstance(content, dict) \
        else "refused"


def _actions_page(request: Request, *, done: str | None = None, error: str | None = None,
                  values: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    with commands_of(request).reading() as uow:
        today = uow.today
        choices = views.overview_choices(uow)
    return page(request, "actions.html", status, title="Play with the demo", done=done,
                error=error, values=values or {}, today=today, choices=choices,
                new_id=uuid.uuid4().hex[:6].upper())


@router.get("/act", response_class=HTMLResponse)
def actions(request: Request) -> Response:
    return _actions_page(request)


async def _run(commands: Commands, handler: Any, command: Any, out: Any) -> Answer:
    """The command's answer, waited for on a worker thread: a write may wait
    for the database (a lock, a restart) and must not stop the event loop,
    which serves everyone else meanwhile."""
    answer, _ = await anyio.to_thread.run_sync(partial(commands.answer, handler, command, out, None))
    return answer


@router.post("/act/order", response_class=HTMLResponse)
async def place_order(request: Request) -> Response:
    form = await read_form(request)
    checked = _checked(OrderCreate, {
        "id": form.get("id"), "account": form.get("account"),
        "lines": [{"line": "1", "sku": form.get("sku"), "quantity": _integer(form.get("quantity")),
                   "location": form.get("location") or None,
                   "requested_date": form.get("requested_date") or None}],
    })
    if isinstance(checked, str):
        return _actions_page(request, error=checked, values=form, status=422)
    answer = await _run(commands_of(request), order_handlers.place_order, place_command(checked), OrderOut)
    if (refused := _refusal(answer)) is not None:
        return _actions_page(request, error=refused, values=form, status=answer.status)
    line = answer.content["lines"][0]
    return _actions_page(request, done=(
        f"Order {checked.id} placed: {line['allocated']} allocated, {line['backordered']} "
        f"backordered, promised {line['promised_date'] or 'without a date'}."))


@router.post("/act/receipt", response_class=HTMLResponse)
async def add_receipt(request: Request) -> Response:
    form = await read_form(request)
    checked = _checked(ReceiptCreate, form)
    if isinstance(checked, str):
        return _actions_page(request, error=checked, values=form, status=422)
    command = supply.CreateReceipt(checked.id, checked.sku, checked.location, checked.quantity,
                                   checked.expected_date, checked.source)
    answer = await _run(commands_of(request), supply.create_receipt, command, ReceiptOut)
    if (refused := _refusal(answer)) is not None:
        return _actions_page(request, error=refused, values=form, status=answer.status)
    return _actions_page(request, done=(
        f"Receipt {checked.id} added: {checked.quantity} {checked.sku} at {checked.location} "
        f"expected {checked.expected_date.isoformat()}."))


@router.post("/act/commitment", response_class=HTMLResponse)
async def create_commitment(request: Request) -> Response:
    form = await read_form(request)
    checked = _checked(CommitmentCreate, form)
    if isinstance(checked, str):
        return _actions_page(request, error=checked, values=form, status=422)
    command = commitments.CreateCommitment(
        checked.id, checked.account, checked.sku, checked.location, checked.quantity,
        checked.need_date, checked.expires_on, checked.kind, checked.mode)
    answer = await _run(commands_of(request), commitments.create_commitment, command, CommitmentOut)
    if (refused := _refusal(answer)) is not None:
        return _actions_page(request, error=refused, values=form, status=answer.status)
    return _actions_page(request, done=(
        f"Commitment {checked.id} created: {answer.content['confirmed']} of "
        f"{checked.quantity} confirmed, promised {answer.content['promised_date'] or 'without a date'}."))


def _promised(queue: list[dict[str, Any]], held: list[dict[str, Any]]) -> dict[str, str | None]:
    """Each demand's promised date, by a label a person reads."""
    dates: dict[str, str | None] = {f"{b['order']} line {b['line']}": b["promised_date"]
                                    for b in queue}
    dates.update({f"commitment {c['id']}": c["promised_date"] for c in held
                  if c["status"] == "open"})
    return dates


@router.post("/positions/{sku}/{location}/receipts", response_class=HTMLResponse)
async def move_receipt(request: Request, sku: SkuPath, location: CodePath) -> Response:
    """Move an open receipt of this position to another date, then show the
    position again with the promises that moved."""
    form = await read_form(request)
    commands = commands_of(request)
    receipt_id = form.get("receipt", "")
    checked = _checked(ReceiptPatch, {"expected_date": form.get("expected_date")})
    error: str | None = checked if isinstance(checked, str) else None
    with commands.reading() as uow:
        before = views.position_view(uow, sku, location)
    if before is None:
        return page(request, "missing.html", 404, title="Not found",
                    detail=f"no position {sku} at {location}")
    if not any(r["id"] == receipt_id for r in before.receipts):
        error = f"{receipt_id!r} is not an open receipt of {sku} at {location}"
    if error is None and isinstance(checked, ReceiptPatch):
        command = supply.PatchReceipt(receipt_id, checked.expected_date, None)
        error = _refusal(await _run(commands, supply.patch_receipt, command, ReceiptOut))
    with commands.reading() as uow:
        after = views.position_view(uow, sku, location)
        today = uow.today
    if after is None:
        return page(request, "missing.html", 404, title="Not found",
                    detail=f"no position {sku} at {location}")
    old = _promised(before.queue, before.commitments)
    new = _promised(after.queue, after.commitments)
    moved = [{"demand": name, "old": old.get(name), "new": day}
             for name, day in new.items() if name in old and old[name] != day]
    # htmx swaps only successful answers, so a refusal it asked for comes as a 200.
    template = "_position_live.html" if is_htmx(request) else "position.html"
    status = 200 if error is None or is_htmx(request) else 422
    return page(request, template, status, view=after, today=today,
                moved=moved, error=error, title=f"{sku} at {location}")
