"""``/login`` and ``/logout``: on a server with keys, a person signs in with
an API key. The cookie it sets holds no key: it names the key (``env-1``,
or a stored key's id) with a fingerprint and an expiry, signed by the server
(earmark.api.keyring); HttpOnly, so script on the page cannot read it, and
SameSite=Strict, so another site's page cannot send it. A revoked key ends
its sessions at once."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earmark.api.keyring import SESSION_SECONDS, KeyRing
from earmark.api.middleware import KEY_COOKIE
from earmark.api.web.actions import read_form
from earmark.api.web.render import page

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return page(request, "login.html", title="Sign in", error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    key = (await read_form(request)).get("key", "")
    ring: KeyRing = request.app.state.keyring
    if not ring.known_required():
        return RedirectResponse("/", status_code=303)
    session = await anyio.to_thread.run_sync(ring.session_for, key) if key else None
    if session is None:
        return page(request, "login.html", 401, title="Sign in", error="That is not a valid API key.")
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(KEY_COOKIE, session, max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(KEY_COOKIE, path="/")
    return response
