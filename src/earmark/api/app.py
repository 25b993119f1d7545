"""The FastAPI application: routers, problem documents, authentication, the
OpenAPI description and, on a calendar that follows the real date, the
daily jobs.

``create_app`` takes an open store (tests and the CLI own its lifetime);
``app_from_env`` builds everything from the environment for
``uvicorn --factory earmark.api.app:app_from_env``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from earmark import __version__
from earmark.api import handlers, jobs
from earmark.api.commands import Commands
from earmark.api.keyring import KeyRing
from earmark.api.lane import OrderLane
from earmark.api.middleware import (
    CONTENT_SECURITY_POLICY,
    OPEN_PATHS,
    BearerAuth,
    BodyLimit,
    DatabaseUnavailable,
)
from earmark.api.problems import PROBLEM_MEDIA_TYPE
from earmark.api.routes import (
    accounts,
    adjustments,
    audit,
    availability,
    backorders,
    clock,
    commitments,
    events,
    forecast_runs,
    health,
    items,
    keys,
    lanes,
    locations,
    notices,
    orders,
    position_forecast,
    projection,
    promise,
    receipts,
    reports,
    suggestions,
    suppliers,
    transfers,
    webhooks,
)
from earmark.api.web import STATIC_DIR
from earmark.api.web import router as web_router
from earmark.forecast.worker import RunLauncher
from earmark.notify.dispatcher import dispatching
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.service.writer import Writer
from earmark.settings import Settings

ROUTERS = (health, items, locations, lanes, transfers, accounts, adjustments, receipts, suppliers,
           orders, commitments, availability, promise, backorders, events, audit, clock, webhooks,
           keys, notices,
           forecast_runs,
           # After the forecast runs' router: /v1/forecasts/{sku} must not take their paths.
           projection, suggestions, position_forecast, reports)
"""In the order the schema lists them."""
MATCHED_FIRST = (orders,)
VENDOR_URL = "/static/vendor"
"""Where the package's vendored web assets are served (``make vendor``)."""
"""Routers a request is matched against first: FastAPI tries the routers in
turn, and an order's hot paths (POST /v1/orders, GET /v1/orders/{id}) should not
wait behind every other router. No other router has a path they could take."""
def create_app(store: Store, settings: Settings) -> FastAPI:
    writer = Writer(store, queued_max=settings.writer_queue_max) if settings.batch_writes else None
    # Forecast runs are worked by processes the server starts and stops (earmark.forecast.worker).
    launcher = RunLauncher(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if writer is not None:
            writer.start()
        try:
            # The dispatcher delivers events on a thread of its own (earmark.notify).
            with dispatching(store, settings):
                async with jobs.daily_jobs(store):
                    yield
        finally:
            launcher.stop()
            if writer is not None:
                writer.stop()

    app = FastAPI(
        title="earmark",
        version=__version__,
        summary="Inventory promising: backorders with a real queue, and commitments.",
        openapi_url="/openapi.json",
        # /docs is served below from the package's own Swagger UI files: it
        # works offline, with no CDN.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.settings = settings
    app.state.commands = Commands(store, writer)
    app.state.forecast_launcher = launcher
    ring = KeyRing(store, settings.api_keys)
    app.state.keyring = ring
    handlers.install(app)
    for module in (*MATCHED_FIRST, *(m for m in ROUTERS if m not in MATCHED_FIRST)):
        app.include_router(module.router)
    # The web UI at /, on the same service layer (earmark.api.web); not part of the API's schema.
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json", title="earmark — the HTTP API",
            swagger_js_url=f"{VENDOR_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{VENDOR_URL}/swagger-ui.css",
            swagger_favicon_url=f"{VENDOR_URL}/favicon-32x32.png")
        return _with_script_nonce(page)
    # Added last runs first: a stranger is refused before their body is read,
    # and the order lane gets the body whole.
    app.add_middleware(OrderLane)
    app.add_middleware(BodyLimit)
    app.add_middleware(BearerAuth, ring=ring)
    app.openapi = _openapi(app, ring)  # type: ignore[method-assign]
    # Outermost: a database that does not answer is a 503 whichever layer met it.
    app.add_middleware(DatabaseUnavailable)
    return app


def _with_script_nonce(page: HTMLResponse) -> HTMLResponse:
    """Swagger UI's page starts itself with an inline script: allowed by a
    nonce of its own, so the Content-Security-Policy still forbids any other."""
    nonce = secrets.token_urlsafe(16)
    html = bytes(page.body).decode().replace("<script>", f'<script nonce="{nonce}">')
    policy = CONTENT_SECURITY_POLICY.replace("script-src 'self'",
                                             f"script-src 'self' 'nonce-{nonce}'")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def _openapi(app: FastAPI, ring: KeyRing) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 routes=_in_schema_order(app.routes))
            _describe_problems(schema, ring.required())
            app.openapi_schema = schema
        return app.openapi_schema

    return build


def _in_schema_order(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes with the included routers in :data:`ROUTERS` order (they are
    included in :data:`MATCHED_FIRST` order), so that the schema does not
    depend on how requests are matched."""
    place = {id(module.router): n for n, module in enumerate(ROUTERS)}
    return sorted(routes, key=lambda route: place.get(
        id(getattr(route, "original_router", None)), len(ROUTERS)))


def _describe_problems(schema: dict[str, Any], secured: bool) -> None:
    """Error responses are ``application/problem+json``; an operation with a
    body may answer 413; every operation may answer 503 when the database
    does not answer; with API keys, every operation but the open ones
    needs a key and may answer 401, and the open ones say they need none."""
    if secured:
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"}
        }
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.get("responses", {})
            if secured and path in OPEN_PATHS:
                operation["security"] = []
            elif secured:
                operation["security"] = [{"bearer": []}]
                responses["401"] = _problem_response("No valid API key.")
                responses["403"] = _problem_response("A key whose scope is too small.")
            if "requestBody" in operation:
                responses["413"] = _problem_response("A request body over the size limit.")
            responses.setdefault("503", _problem_response(
                "The database does not answer (or the writer is busy): retry after "
                "`Retry-After` seconds. Nothing was changed."))
            for status, response in responses.items():
                content = response.get("content", {})
                if status[:1] in ("4", "5") and "application/json" in content:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def app_from_env() -> FastAPI:
    """The application as configured by ``EARMARK_*``; migrations run first."""
    settings = Settings()
    store = Store(settings.database_url, Clock(frozen=settings.today))
    store.upgrade()
    return create_app(store, settings)
