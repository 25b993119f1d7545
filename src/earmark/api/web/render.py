"""Rendering pages: one Jinja2 environment, and the small filters the templates share."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from earmark.api.commands import Commands
from earmark.api.keyring import KeyRing
from earmark.api.middleware import KEY_COOKIE

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _number(value: Any) -> str:
    """Thousands with a thin space's readable cousin, a comma; nothing for None."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def _day(value: Any) -> str:
    if value is None:
        return "no date"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _percent(part: Any, whole: Any) -> float:
    whole = int(whole or 0)
    return 0.0 if whole <= 0 else round(100.0 * int(part or 0) / whole, 1)


def _data(value: Any) -> str:
    """An event's data as short ``key=value`` text."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return json.dumps(value)


templates.env.filters["n"] = _number
templates.env.filters["day"] = _day
templates.env.filters["data"] = _data
templates.env.globals["percent"] = _percent


def commands_of(request: Request) -> Commands:
    commands: Commands = request.app.state.commands
    return commands


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    ring: KeyRing = request.app.state.keyring
    secured = ring.known_required()
    session = request.cookies.get(KEY_COOKIE) if secured else None
    return templates.TemplateResponse(
        request, name, {"secured": secured, "path": request.url.path,
                        # Every form posts it back; htmx sends it as a header (base.html).
                        "csrf_token": ring.csrf_token(session), **context},
        status_code=status)
