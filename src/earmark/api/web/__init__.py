"""The web UI served at ``/``: server-rendered pages (Jinja2), htmx for
partial updates, Server-Sent Events for the live feed, and uPlot for the
time-phased ATP chart, all on the same service layer as the API.

``router`` holds every page; ``STATIC_DIR`` the vendored JavaScript and the
style sheet (``make vendor`` rebuilds the vendored files from npm).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from earmark.api.web import actions, auth, live, pages, reports

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False)
for _module in (pages, reports, actions, live, auth):
    router.include_router(_module.router)

__all__ = ["STATIC_DIR", "router"]
