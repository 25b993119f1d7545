"""``/login`` and ``/logout``: with ``EARMARK_API_KEYS`` set, a person signs in
with an API key, which is kept in an HttpOnly cookie (script on the page
cannot read it) and checked by :class:`earmark.api.middleware.BearerAuth`."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earmark.api.middleware import KEY_COOKIE
from earmark.api.web.actions import read_form
from earmark.api.web.render import page

router = APIRouter()

COOKIE_SECONDS = 12 * 3600


def _valid(request: Request, key: str) -> bool:
    keys: list[str] = request.app.state.settings.api_keys
    matches = [hmac.compare_digest(key.encode(), known.encode()) for known in keys]
    return any(matches)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(request, "login.html", title="Sign in", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    key = (await read_form(request)).get("key", "")
    if not request.app.state.settings.api_keys:
        return RedirectResponse("/", status_code=303)
    if not key or not _valid(request, key):
        return page(request, "login.html", 401, title="Sign in", error="That is not a valid API key.")
    response = RedirectResponse("/", status_code=303)
    # SameSite=Strict: another site's form cannot post with this cookie.
    response.set_cookie(KEY_COOKIE, key, max_age=COOKIE_SECONDS, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(KEY_COOKIE, path="/")
    return response
