"""API keys: a name (the actor events record), a scope, a public prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from earmark.api.schemas.common import Identifier, In, NextCursor, Out, Timestamp

Scope = Literal["read", "write", "admin"]


class KeyCreate(In):
    name: Identifier = Field(description="Who the key is: the actor that every event caused "
                             "with it records. cli, system, anonymous and env-N are reserved.")
    scope: Scope = Field(description="read: GET; write: also change stock and demand; "
                         "admin: also keys, webhooks and the clock.")


class KeyOut(Out):
    id: str
    name: str
    scope: Scope
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: Timestamp


class KeyCreated(KeyOut):
    key: str = Field(description="The key: shown only in this answer; stored only as a hash.")


class KeyPage(Out):
    items: list[KeyOut]
    next_cursor: NextCursor
