"""``/v1/keys``: API keys with scopes (admin only); the key is shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from earmark.api.commands import answer_response, respond
from earmark.api.deps import CommandsDep, PageRequest, keyset_page
from earmark.api.routes import problems
from earmark.api.schemas.common import Out
from earmark.api.schemas.keys import KeyCreate, KeyCreated, KeyPage
from earmark.domain.limits import ID_LENGTH_MAX
from earmark.service import keys

router = APIRouter(prefix="/v1/keys", tags=["keys"])

KeysPage = Annotated[PageRequest, keyset_page(keys.KEYS.cursors)]
KeyIdPath = Annotated[str, Path(min_length=1, max_length=ID_LENGTH_MAX,
                                description="The key's id (key_...).")]


@router.post("", response_model=KeyCreated, status_code=201, responses=problems(400, 409, 422))
def post_key(body: KeyCreate, request: Request, commands: CommandsDep) -> JSONResponse:
    """Make a key. The answer holds the key itself, the only time it is shown:
    the server keeps only its hash. From the first key on, the server needs
    a key on every request (but the health check)."""
    # No Idempotency-Key: a replayed answer would be a stored copy of the key.
    answer, _ = commands.answer(keys.create_key, keys.CreateKey(body.name, body.scope),
                                KeyCreated, None)
    if answer.status < 300:
        request.app.state.keyring.key_made()
    return answer_response(answer)


@router.get("", response_model=KeyPage, responses=problems(422))
def list_keys(page: KeysPage, commands: CommandsDep) -> JSONResponse:
    """The live keys: names, scopes and prefixes (never a key)."""
    with commands.reading() as uow:
        return respond(KeyPage, keys.list_keys(uow.tx, page.after, page.limit))


@router.delete("/{id}", status_code=204, response_class=Response, responses=problems(404, 422))
def delete_key(id: KeyIdPath, commands: CommandsDep) -> Response:
    """Revoke the key: the next request that presents it is refused (401)."""
    answer, _ = commands.answer(keys.revoke_key, keys.RevokeKey(id), Out, None)
    if answer.status >= 400:
        return answer_response(answer)
    return Response(status_code=204)
