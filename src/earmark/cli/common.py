"""What every CLI command shares: the database option and opening the store."""

from __future__ import annotations

import os
from datetime import date
from typing import Annotated

import typer

from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.store.db import DEFAULT_DATABASE_URL

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Database URL (default: $EARMARK_DATABASE_URL, else sqlite:///earmark.db).",
        show_default=False,
    ),
]


def database_url(option: str | None) -> str:
    return option or os.environ.get("EARMARK_DATABASE_URL") or DEFAULT_DATABASE_URL


def frozen_today() -> date | None:
    value = os.environ.get("EARMARK_TODAY")
    return date.fromisoformat(value) if value else None


def open_store(option: str | None, *, upgrade: bool = True) -> Store:
    store = Store(database_url(option), Clock(frozen=frozen_today()))
    if upgrade:
        store.upgrade()
    return store
