"""E-mail: every notice, as a text and HTML message, to the address its
account gave (``PUT /v1/accounts/{id}/contact``), through the SMTP server
``EARMARK_SMTP_URL`` names.

Accounts carry no address of their own: a contact is an addition beside
them. An account is mailed the notices of changes made after it gave its
address, never its history. The mail reader follows the notices reader
(its cursor never passes the notices cursor) and moves its own cursor past
each message the server accepted: a message is sent at least once, and
twice only if the dispatcher stops between the server's answer and the
cursor's move.
"""

from __future__ import annotations

import logging
import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection, RowMapping

from earmark.domain.outcomes import Outcome
from earmark.notify.notices import NOTICES_CURSOR
from earmark.notify.outbox import (
    CursorMoved,
    move_cursor,
    read_cursor,
    start_cursor,
    transaction,
    utc,
)
from earmark.service.results import Result, fail, invalid
from earmark.service.uow import Store, UnitOfWork
from earmark.store import tables as t

log = logging.getLogger("earmark.notify.mail")

MAIL_CURSOR = "smtp"
EMAIL_LENGTH_MAX = 254
# Deliberately loose: the SMTP server is the judge of an address; this only
# refuses what cannot be one.
EMAIL_PATTERN = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+$")
SMTP_TIMEOUT_SECONDS = 10.0


# Contacts


@dataclass(frozen=True)
class SetContact:
    account: str
    email: str


def _contact_out(row: RowMapping) -> dict[str, Any]:
    return {"account": row["account"], "email": row["email"],
            "created_at": utc(row["created_at"]), "updated_at": utc(row["updated_at"])}


def get_contact(tx: Connection, account: str) -> dict[str, Any] | None:
    c = t.account_contacts
    row = tx.execute(select(c).where(c.c.account == account)).mappings().first()
    return None if row is None else _contact_out(row)


def set_contact(uow: UnitOfWork, cmd: SetContact) -> Result:
    tx = uow.tx
    if tx.execute(select(t.accounts.c.id).where(t.accounts.c.id == cmd.account)).first() is None:
        return fail(Outcome.not_found, f"no account {cmd.account!r}")
    if len(cmd.email) > EMAIL_LENGTH_MAX or not EMAIL_PATTERN.fullmatch(cmd.email):
        return invalid("email", "must be an e-mail address such as buyer@example.com")
    # From here on the command must succeed.
    c = t.account_contacts
    updated = tx.execute(
        c.update().where(c.c.account == cmd.account).values(email=cmd.email, updated_at=uow.now)
    ).rowcount
    if not updated:
        tx.execute(c.insert().values(account=cmd.account, email=cmd.email, created_at=uow.now,
                                     updated_at=uow.now))
    body = get_contact(tx, cmd.account)
    uow.commit()
    return Result(Outcome.ok if updated else Outcome.created, body)


# Sending


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    sender: str
    security: str = "plain"
    """``plain``, ``starttls`` or ``ssl`` (``smtps://``)."""
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """``smtp://[user:password@]host[:port]?from=earmark@example.com[&starttls=true]``,
        or ``smtps://`` for TLS from the start."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"EARMARK_SMTP_URL must be smtp://host:port or smtps://...: {url!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        security = "ssl" if parts.scheme == "smtps" else (
            "starttls" if query.get("starttls", "").lower() in ("1", "true", "yes") else "plain")
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            sender=query.get("from", "earmark@localhost"),
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def connect(self) -> smtplib.SMTP:
        server: smtplib.SMTP
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
            if self.security == "starttls":
                server.starttls()
        if self.username:
            server.login(self.username, self.password or "")
        return server


def message(target: SmtpTarget, to: str, notice: RowMapping) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = target.sender
    mail["To"] = to
    mail["Subject"] = notice["subject"]
    mail["Date"] = format_datetime(utc(notice["at"]))
    mail["Message-ID"] = make_msgid(f"earmark.notice.{notice['id']}")
    # A receiver that dedupes (delivery is at least once) keys on this.
    mail["Earmark-Event-Id"] = str(notice["event_id"])
    mail.set_content(notice["text"])
    mail.add_alternative(notice["html"], subtype="html")
    return mail


def _to_send(store: Store, batch: int) -> tuple[int, int, list[RowMapping]]:
    """The mail cursor, how far it may go, and the notices to send on the way."""
    n, c = t.notices, t.account_contacts
    with transaction(store, write=False) as connection:
        after = read_cursor(connection, MAIL_CURSOR)
        upto = read_cursor(connection, NOTICES_CURSOR) or 0
        rows = connection.execute(
            select(n, c.c.email)
            .join(c, and_(c.c.account == n.c.account, n.c.at >= c.c.created_at))
            .where(n.c.event_id > (after or 0), n.c.event_id <= upto)
            .order_by(n.c.event_id, n.c.id).limit(batch)
        ).mappings().all()
    if after is None:
        with transaction(store) as connection:
            start_cursor(connection, MAIL_CURSOR, 0)
        after = 0
    if len(rows) == batch:
        upto = int(rows[-1]["event_id"])
    return after, upto, list(rows)


def send_step(store: Store, target: SmtpTarget, batch: int) -> bool:
    """Send the notices after the mail cursor; True if the cursor moved."""
    after, upto, rows = _to_send(store, batch)
    if upto <= after:
        return False
    sent_upto = after
    try:
        if rows:
            with target.connect() as server:
                for row in rows:
                    try:
                        server.send_message(message(target, row["email"], row))
                    except smtplib.SMTPRecipientsRefused as refused:
                        log.warning("notice %s: the SMTP server refused %s: %s",
                                    row["id"], row["email"], refused.recipients)
                    sent_upto = int(row["event_id"])
        sent_upto = upto
    finally:
        # Also after a failure: what the server accepted is not sent again.
        if sent_upto > after:
            _advance(store, after, sent_upto)
    return True


def _advance(store: Store, after: int, to: int) -> None:
    try:
        with transaction(store) as connection:
            move_cursor(connection, MAIL_CURSOR, after, to)
    except CursorMoved:
        log.warning("another dispatcher moved the mail cursor past event %d", after)
