"""``/v1/webhooks``: subscribe a URL to events; read, list, delete; its deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from fastapi.responses import JSONResponse

from earmark.api.commands import answer_response, respond
from earmark.api.deps import CommandsDep, IdempotencyDep, PageRequest, SettingsDep, keyset_page
from earmark.api.problems import not_found
from earmark.api.routes import problems
from earmark.api.schemas.common import Out
from earmark.api.schemas.webhooks import DeliveryPage, WebhookCreate, WebhookOut, WebhookPage
from earmark.domain.limits import ID_LENGTH_MAX
from earmark.notify import webhooks

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

WebhooksPage = Annotated[PageRequest, keyset_page(webhooks.WEBHOOKS.cursors)]
DeliveriesPage = Annotated[PageRequest, keyset_page(webhooks.DELIVERIES.cursors)]

WebhookIdPath = Annotated[str, Path(min_length=1, max_length=ID_LENGTH_MAX,
                                    description="The webhook's id (wh_...).")]


@router.post("", response_model=WebhookOut, status_code=201, responses=problems(400, 422))
def post_webhook(body: WebhookCreate, commands: CommandsDep, settings: SettingsDep,
                 key: IdempotencyDep) -> JSONResponse:
    """Subscribe a URL to events. Each delivery is a signed POST of the event
    (see the README, "Webhooks"); the secret is never shown again. A URL
    whose host is or resolves to a loopback, private or link-local address
    is refused (422) unless ``EARMARK_WEBHOOK_ALLOW_PRIVATE=1``."""
    command = webhooks.CreateWebhook(body.url, body.events, body.secret,
                                     allow_private=settings.webhook_allow_private)
    return commands.run(webhooks.create_webhook, command, WebhookOut, key)


@router.get("", response_model=WebhookPage, responses=problems(422))
def list_webhooks(page: WebhooksPage, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        return respond(WebhookPage, webhooks.list_webhooks(uow.tx, page.after, page.limit))


@router.get("/{id}", response_model=WebhookOut, responses=problems(404, 422))
def get_webhook(id: WebhookIdPath, commands: CommandsDep) -> JSONResponse:
    with commands.reading() as uow:
        webhook = webhooks.get_webhook(uow.tx, id)
    if webhook is None:
        raise not_found(f"no webhook {id!r}")
    return respond(WebhookOut, webhook)


@router.delete("/{id}", status_code=204, response_class=Response, responses=problems(404, 422))
def delete_webhook(id: WebhookIdPath, commands: CommandsDep) -> Response:
    """Stop delivering to the webhook; what was still pending is not sent."""
    answer, _ = commands.answer(webhooks.delete_webhook, webhooks.DeleteWebhook(id), Out, None)
    if answer.status >= 400:
        return answer_response(answer)
    return Response(status_code=204)


@router.get("/{id}/deliveries", response_model=DeliveryPage, responses=problems(404, 422))
def list_deliveries(id: WebhookIdPath, page: DeliveriesPage, commands: CommandsDep) -> JSONResponse:
    """The webhook's deliveries in event order: attempts, status and the next attempt."""
    with commands.reading() as uow:
        if webhooks.get_webhook(uow.tx, id) is None:
            raise not_found(f"no webhook {id!r}")
        return respond(DeliveryPage,
                       webhooks.list_deliveries(uow.tx, id, page.after, page.limit))
