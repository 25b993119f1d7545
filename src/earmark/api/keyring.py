"""Who may call: the keys of ``EARMARK_API_KEYS`` (admin keys ``env-1``, ...)
and the keys of the table (earmark.service.keys), the dashboard's signed
session cookie and its CSRF tokens.

A server needs keys once it has any: ``EARMARK_API_KEYS`` set, or a key
made through ``POST /v1/keys`` or ``earmark keys create``. A key made by
this process turns keys on at once; one made by another process (the CLI)
within :data:`RECHECK_SECONDS`. Revoking every key never turns them off:
revoked keys still count, so a revoke cannot open a server to the network.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time

import anyio.to_thread

from earmark.service import keys
from earmark.service.keys import Caller
from earmark.service.uow import Store

RECHECK_SECONDS = 1.0
"""How often a server without keys looks whether one was made elsewhere."""
SESSION_SECONDS = 12 * 3600
FINGERPRINT_LENGTH = 32


class KeyRing:
    def __init__(self, store: Store, env_keys: list[str]) -> None:
        self.store = store
        self._env = keys.env_callers(env_keys)
        self._env_fingerprints = {caller.name: _fingerprint(raw.decode())
                                  for raw, caller in self._env}
        self._stored = False
        self._checked_at = float("-inf")
        self._lock = threading.Lock()
        self._signing_key: bytes | None = None

    # Whether keys are needed

    @property
    def from_env(self) -> bool:
        return bool(self._env)

    def known_required(self) -> bool:
        """Keys are needed, as far as known without asking the database."""
        return self.from_env or self._stored

    def key_made(self) -> None:
        """A key was made through this process: keys are needed from now on."""
        self._stored = True

    def required(self) -> bool:
        if self.known_required():
            return True
        now = time.monotonic()
        with self._lock:
            if now - self._checked_at < RECHECK_SECONDS:
                return self._stored
            self._checked_at = now
        with self.store.unit_of_work(write=False) as uow:
            found = keys.any_stored_keys(uow.tx)
        self._stored = self._stored or found
        return self._stored

    async def required_async(self) -> bool:
        if self.known_required():
            return True
        if time.monotonic() - self._checked_at < RECHECK_SECONDS:
            return False
        return await anyio.to_thread.run_sync(self.required)

    # Who a key is

    def caller(self, presented: str) -> Caller | None:
        found = keys.env_caller(self._env, presented)
        if found is not None or keys.prefix_of(presented) is None:
            return found
        stored = self._stored_key(presented)
        return None if stored is None else stored[1]

    def _stored_key(self, presented: str) -> tuple[str, Caller] | None:
        with self.store.unit_of_work(write=False) as uow:
            return keys.stored_caller(uow.tx, presented)

    async def caller_async(self, presented: str) -> Caller | None:
        if keys.prefix_of(presented) is None:
            return keys.env_caller(self._env, presented)
        return await anyio.to_thread.run_sync(self.caller, presented)

    # The dashboard's session: which key signed in, signed by the server

    @property
    def signing_key(self) -> bytes:
        if self._signing_key is None:
            self._signing_key = keys.session_signing_key(self.store.url)
        return self._signing_key

    def _sign(self, payload: str) -> str:
        return hmac.new(self.signing_key, payload.encode(), hashlib.sha256).hexdigest()

    def session_for(self, presented: str, now: float | None = None) -> str | None:
        """The cookie value for a person who signed in with ``presented``: which
        key (an ``env-N`` name or a stored key's id), a fingerprint of it, an
        expiry, and the server's signature. The key itself is not in it."""
        env = keys.env_caller(self._env, presented)
        if env is not None:
            ref = env.name
        else:
            stored = self._stored_key(presented) if keys.prefix_of(presented) else None
            if stored is None:
                return None
            ref = stored[0]
        expires = int((time.time() if now is None else now) + SESSION_SECONDS)
        payload = f"{ref}|{_fingerprint(presented)}|{expires}"
        return f"{payload}|{self._sign(payload)}"

    def session_caller(self, cookie: str) -> Caller | None:
        """Who a session cookie signed in as, if its signature holds, it has not
        expired and its key still stands (a revoked key ends its sessions)."""
        payload, _, signature = cookie.rpartition("|")
        if not payload or not hmac.compare_digest(self._sign(payload), signature):
            return None
        ref, fingerprint, expires = (payload.split("|") + ["", "", ""])[:3]
        if not expires.isdigit() or int(expires) < time.time():
            return None
        if ref in self._env_fingerprints:
            if not hmac.compare_digest(self._env_fingerprints[ref], fingerprint):
                return None
            return Caller(ref, "admin")
        return self._stored_session(ref, fingerprint)

    def _stored_session(self, key_id: str, fingerprint: str) -> Caller | None:
        with self.store.unit_of_work(write=False) as uow:
            return keys.caller_by_id(uow.tx, key_id, fingerprint)

    def csrf_token(self, session: str | None) -> str:
        """The token the dashboard's forms carry: bound to the session (or to
        none, on a server without keys), unknowable to another site's page."""
        return self._sign("csrf|" + (session or ""))[:40]

    def csrf_valid(self, session: str | None, token: str) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf_token(session), token)


def _fingerprint(key: str) -> str:
    return keys.key_hash(key)[:FINGERPRINT_LENGTH]
