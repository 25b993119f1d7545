"""The one settings object, read from the environment (``EARMARK_*``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from earmark.store.db import DEFAULT_DATABASE_URL


class Settings(BaseSettings):
    """What a running earmark is configured with.

    - ``EARMARK_DATABASE_URL``: ``sqlite:///path`` or ``postgresql://...``.
    - ``EARMARK_TODAY``: ``YYYY-MM-DD`` freezes the calendar at that day.
    - ``EARMARK_API_KEYS``: comma-separated bearer keys (admin keys named
      ``env-1``, ``env-2``, ...); with them, or with keys made by ``earmark
      keys create``, every request must present a key.
    """

    model_config = SettingsConfigDict(env_prefix="EARMARK_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    today: date | None = None
    # NoDecode: the environment holds "key1,key2", not a JSON list.
    api_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    """``EARMARK_CURRENCY``: the one currency of every cost and price (ISO 4217)."""
    batch_writes: bool = True
    """``EARMARK_BATCH_WRITES``: apply commands from concurrent requests in
    batches, one transaction each (false: one transaction per command)."""

    # Delivery of events (earmark.notify). Intervals are settings so that
    # tests can run the same code in milliseconds.
    writer_queue_max: int = Field(default=10_000, ge=1, le=1_000_000)
    """Commands that may wait for the batching writer at once; past it a write
    is answered 503 with Retry-After instead of queued (bounded memory)."""
    dispatch: bool = True
    """``EARMARK_DISPATCH``: run the dispatcher inside ``earmark serve``
    (``earmark dispatch`` runs it on its own; running both is safe)."""
    dispatch_poll_seconds: float = Field(default=0.5, gt=0)
    dispatch_lease_seconds: float = Field(default=30.0, gt=0)
    """How long a dispatcher that stopped answering (killed) keeps the
    outbox from the others."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_backoff_base_seconds: float = Field(default=1.0, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_seconds: float = Field(default=24 * 3600.0, ge=0)
    """Retries stop this long after a delivery's first attempt; it is then failed."""
    webhook_allow_private: bool = False
    """``EARMARK_WEBHOOK_ALLOW_PRIVATE=1``: webhooks may call loopback, private
    and link-local addresses (receivers on this machine or network). Off, such
    a URL is refused when the webhook is made and at every delivery."""
    delivered_retention_days: float = Field(default=7.0, gt=0)
    """``EARMARK_DELIVERED_RETENTION_DAYS``: delivered webhook deliveries older
    than this are deleted by the server (their events stay)."""
    secret_key: str | None = None
    """``EARMARK_SECRET_KEY``: the server key that seals webhook secrets and
    signs dashboard sessions (earmark.store.sealing reads it); unset, one is
    generated into a file beside the SQLite database."""
    nats_url: str | None = None
    """``EARMARK_NATS_URL``: also publish every event to NATS JetStream."""
    nats_stream: str = "EARMARK"
    nats_subject_prefix: str = "earmark"
    smtp_url: str | None = None
    """``EARMARK_SMTP_URL``: ``smtp://[user:password@]host:port?from=earmark@example.com``
    (``smtps://`` for TLS, ``&starttls=true``) e-mails every notice to the
    account's contact address."""

    # Forecasting (earmark.forecast).
    forecast_worker: Literal["process", "thread"] = "process"
    """``EARMARK_FORECAST_WORKER``: where a run started over HTTP is worked — a
    process of its own (the default: the API keeps its latency) or a thread of
    the server."""
    forecast_jobs: int = Field(default=0, ge=0, le=1024)
    """``EARMARK_FORECAST_JOBS``: processes a local run (or a local Dask
    cluster) uses; 0 for one per core."""
    dask_scheduler: str | None = None
    """``EARMARK_DASK_SCHEDULER``: the address of the Dask cluster that runs
    with ``backend: "dask"`` use (``tcp://scheduler:8786``); without it such
    a run starts a local cluster of ``forecast_jobs`` workers."""

    @field_validator("today", "nats_url", "smtp_url", "dask_scheduler", "secret_key",
                     mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value
