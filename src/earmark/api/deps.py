"""Typed dependencies shared by the routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query, Request
from pydantic import BeforeValidator, StringConstraints

from earmark.api.commands import Commands
from earmark.api.idempotency import KEY_LENGTH_MAX, IdempotentRequest, body_hash
from earmark.api.problems import invalid_parameter
from earmark.api.schemas.common import ID_REGEX
from earmark.domain.limits import CURSOR_LENGTH_MAX, ID_LENGTH_MAX, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX
from earmark.forecast.worker import RunLauncher
from earmark.service.pages import Cursors, InvalidCursor, Key
from earmark.service.uow import Store
from earmark.settings import Settings


# Async (they do no I/O): FastAPI runs a plain ``def`` dependency on a worker thread.
async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_commands(request: Request) -> Commands:
    commands: Commands = request.app.state.commands
    return commands


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CommandsDep = Annotated[Commands, Depends(get_commands)]


async def get_idempotent_request(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key", min_length=1, max_length=KEY_LENGTH_MAX,
            description="A retry with the same key and body returns the first answer and "
            "changes nothing; the same key with another body is refused (422). Only a request "
            "that ran keeps its key: a body refused as malformed or invalid before anything ran "
            "(400, or 422 for validation) leaves it unused; a refusal by a rule (409, 422) is "
            "kept like any answer.",
        ),
    ] = None,
) -> IdempotentRequest | None:
    if key is None:
        return None
    # The body is read (and cached by Starlette for the route's own parsing)
    # to tell a retry from a different request under the same key.
    body = await request.body()
    return IdempotentRequest(key, request.method, request.url.path, body_hash(body))


IdempotencyDep = Annotated[IdempotentRequest | None, Depends(get_idempotent_request)]


@dataclass(frozen=True)
class PageRequest:
    after: Key | None
    """The sort key of the previous page's last item; None for the first page."""
    limit: int


CURSOR_DESCRIPTION = (
    "An opaque keyset cursor: the next_cursor of the previous page. The page continues just "
    "after the previous page's last item, so walking a list while it changes never repeats an "
    "item, nor skips one that existed throughout. A cursor of another list, or one this server "
    "did not give out, is refused (422)."
)


def keyset_page(cursors: Cursors) -> Any:
    """The dependency reading the page a request asks for, on the list whose
    cursors are ``cursors``: ``Annotated[PageRequest, keyset_page(...)]``."""

    def get_page(
        limit: Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX, description="Page size.")]
        = PAGE_LIMIT_DEFAULT,
        cursor: Annotated[
            str | None, Query(max_length=CURSOR_LENGTH_MAX, description=CURSOR_DESCRIPTION),
        ] = None,
    ) -> PageRequest:
        try:
            return PageRequest(cursors.decode(cursor), limit)
        except InvalidCursor as refused:
            raise invalid_parameter("cursor", str(refused)) from None

    return Depends(get_page)


def _id_path(description: str) -> object:
    return Path(min_length=1, max_length=ID_LENGTH_MAX, pattern=ID_REGEX, description=description)


SkuPath = Annotated[str, _id_path("The item's sku.")]
CodePath = Annotated[str, _id_path("The location's code.")]
IdPath = Annotated[str, _id_path("The resource's id.")]
def _empty_is_none(value: object) -> object:
    return None if value == "" else value


EMPTY_IS_NONE = BeforeValidator(_empty_is_none)
"""A filter left empty (API.md writes lists as ``?account=&status=``) filters nothing."""

_OptionalId = (
    Annotated[str, StringConstraints(min_length=1, max_length=ID_LENGTH_MAX, pattern=ID_REGEX)]
    | None
)
IdQuery = Annotated[_OptionalId, EMPTY_IS_NONE, Query()]
FromQuery = Annotated[_OptionalId, EMPTY_IS_NONE, Query(alias="from")]
"""A location filter named ``from`` (a Python keyword)."""
ToQuery = Annotated[_OptionalId, EMPTY_IS_NONE, Query(alias="to")]


def get_forecast_launcher(request: Request) -> RunLauncher:
    launcher: RunLauncher = request.app.state.forecast_launcher
    return launcher


LauncherDep = Annotated[RunLauncher, Depends(get_forecast_launcher)]
