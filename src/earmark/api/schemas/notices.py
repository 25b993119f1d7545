"""Notices: what an account's customer should be told, in words; and the
address they are e-mailed to."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from earmark.api.schemas.common import In, NextCursor, Out, Timestamp
from earmark.notify.mailer import EMAIL_LENGTH_MAX

NoticeKind = Literal["backordered", "scheduled", "date_moved", "ready_to_ship", "commitment_at_risk"]


class NoticeOut(Out):
    id: int
    event_id: int = Field(description="The event the notice tells of (the first, when one "
                          "change recorded several for the same order line).")
    at: Timestamp
    kind: NoticeKind
    order: str | None = Field(default=None, description="Present for an order's notice.")
    line: str | None = Field(default=None, description="Present for an order's notice.")
    commitment: str | None = Field(default=None,
                                   description="Present for a commitment's notice.")
    subject: str
    text: str = Field(description="Plain text.")
    html: str = Field(description="The same, as an HTML document.")


class NoticePage(Out):
    items: list[NoticeOut]
    next_cursor: NextCursor


class ContactPut(In):
    email: str = Field(min_length=3, max_length=EMAIL_LENGTH_MAX,
                       examples=["buyer@example.com"])


class ContactOut(Out):
    account: str
    email: str
    created_at: Timestamp
    updated_at: Timestamp
