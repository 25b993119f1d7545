"""Webhooks: a URL that is sent the events it asked for, signed with its secret."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from earmark.api.schemas.common import In, NextCursor, Out, Timestamp
from earmark.notify.webhooks import SECRET_LENGTH_MAX, URL_LENGTH_MAX, WEBHOOK_EVENTS_MAX

EventType = Annotated[str, Field(min_length=1, max_length=40,
                                 examples=["order.promise_changed", "*"])]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(In):
    url: str = Field(min_length=1, max_length=URL_LENGTH_MAX,
                     description="An http:// or https:// URL that is POSTed each event.",
                     examples=["https://example.com/earmark-events"])
    events: list[EventType] = Field(
        min_length=1, max_length=WEBHOOK_EVENTS_MAX,
        description='Event types to deliver, or ["*"] for every type.')
    secret: str = Field(min_length=1, max_length=SECRET_LENGTH_MAX,
                        description="Keys the HMAC-SHA256 signature of every delivery; "
                        "never shown again.")


class WebhookOut(Out):
    id: str
    url: str
    events: list[str]
    created_at: Timestamp


class WebhookPage(Out):
    items: list[WebhookOut]
    next_cursor: NextCursor


class DeliveryOut(Out):
    event_id: int
    event_type: str
    attempts: int
    status: DeliveryStatus
    last_status_code: int | None = Field(description="The receiver's last answer; null if "
                                         "it gave none (refused, timed out) or none was tried.")
    last_error: str | None = None
    next_attempt_at: Timestamp | None = Field(description="When the next attempt is due; "
                                              "null once delivered or failed.")
    delivered_at: Timestamp | None = None


class DeliveryPage(Out):
    items: list[DeliveryOut]
    next_cursor: NextCursor
