"""The one settings object, read from the environment (``EARMARK_*``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from earmark.store.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    """What a running earmark is configured with.

    - ``EARMARK_DATABASE_URL``: ``sqlite:///path`` or ``postgresql://...``.
    - ``EARMARK_TODAY``: ``YYYY-MM-DD`` freezes the calendar at that day.
    - ``EARMARK_API_KEYS``: comma-separated bearer keys; when set, every
      request must present one of them.
    """

    model_config = SettingsConfigDict(env_prefix="EARMARK_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    today: date | None = None
    # NoDecode: the environment holds "key1,key2", not a JSON list.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    batch_writes: bool = True
    """``EARMARK_BATCH_WRITES``: apply commands from concurrent requests in
    batches, one transaction each (false: one transaction per command)."""

    @field_validator("today", mode="before")
    @classmethod
    def _empty_today_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value
