"""Secrets sealed at rest: webhook secrets are stored encrypted (Fernet:
AES-128-CBC with an HMAC-SHA256 tag) under the server key, so a copy of the
database (a backup, a dump handed to support) does not hand out the secrets
that sign deliveries.

The server key comes from ``EARMARK_SECRET_KEY`` (any string; a Fernet key
is derived from it with HKDF). Without it, a key is generated once into a
file that only its owner may read: beside a SQLite database (``earmark.db``
→ ``earmark.db.key``), or ``~/.config/earmark/secret.key`` for PostgreSQL.
A demo thus needs no setup; several servers on one PostgreSQL database must
share ``EARMARK_SECRET_KEY``.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.engine import make_url

SECRET_KEY_ENV = "EARMARK_SECRET_KEY"
KEY_FILE_SUFFIX = ".key"
_HKDF_INFO = b"earmark server key v1"


class SealingError(Exception):
    """A sealed value that the server key does not open (the key changed)."""


def derive_key(secret: str, purpose: bytes) -> bytes:
    """32 bytes for ``purpose``, derived from the server secret: the same
    secret yields independent keys for sealing and for signing cookies."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO + b":" + purpose)
    return hkdf.derive(secret.encode())


def key_file(database_url: str) -> Path:
    """Where the generated server key lives when ``EARMARK_SECRET_KEY`` is unset."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database + KEY_FILE_SUFFIX)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "earmark" / "secret.key"


def server_secret(database_url: str) -> str:
    """The server's secret: ``EARMARK_SECRET_KEY``, else the key file (made on first use)."""
    configured = os.environ.get(SECRET_KEY_ENV, "")
    if configured:
        return configured
    path = key_file(database_url)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    generated = base64.urlsafe_b64encode(os.urandom(32)).decode()
    try:
        # O_EXCL: of two processes making it at once, one writes and both read its key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(generated + "\n")
    return generated


class Sealer:
    """Seals and opens short strings under a key derived from the server secret."""

    def __init__(self, secret: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(derive_key(secret, b"seal")))

    @classmethod
    def for_database(cls, database_url: str) -> Sealer:
        return cls(server_secret(database_url))

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError) as error:
            raise SealingError("sealed with another server key "
                               f"(was {SECRET_KEY_ENV} changed?)") from error
