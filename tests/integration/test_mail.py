"""Notices e-mailed through a real SMTP server (aiosmtpd, run by the test):
to the account's contact address, as text and HTML, each once; never the
history before the address was given."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.integration.helpers import run, seed
from tests.notify_helpers import dispatching, fast_settings, wait_until

from earmark.domain.outcomes import Outcome
from earmark.notify import mailer, notices
from earmark.notify.outbox import read_cursor, transaction
from earmark.service import orders, supply
from earmark.service.uow import Store


class Inbox:
    """An aiosmtpd handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}?from=earmark@example.com", inbox
    finally:
        controller.stop()


def all_notices(store: Store, account: str) -> list[dict[str, Any]]:
    with transaction(store, write=False) as connection:
        items: list[dict[str, Any]] = notices.list_notices(connection, account, None, 1000)["items"]
    return items


def order(oid: str, account: str, quantity: int) -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, account, [orders.LineIn("1", "COAT", quantity, "WEB")])


def test_notices_are_mailed_to_the_contact_as_text_and_html(store: Store,
                                                            smtp: tuple[str, Inbox]) -> None:
    url, inbox = smtp
    seed(store, on_hand=1, accounts={"acme": 100, "bob": 100}, lead_time_days=10)
    run(store, orders.place_order, order("SO-0", "acme", 3))  # before acme gave an address
    time.sleep(0.01)
    assert run(store, mailer.set_contact, mailer.SetContact("acme", "buyer@acme.example")).ok
    run(store, supply.create_receipt, supply.CreateReceipt("PO-1", "COAT", "WEB", 10,
                                                           date(2026, 2, 1)))
    run(store, orders.place_order, order("SO-1", "acme", 2))
    run(store, orders.place_order, order("SO-2", "bob", 2))  # bob has no address
    run(store, supply.patch_receipt, supply.PatchReceipt("PO-1", expected_date=date(2026, 2, 9)))

    with dispatching(store, fast_settings(smtp_url=url)):
        wait_until(lambda: len(all_notices(store, "acme")) >= 4, what="the notices")
        # SO-0 was placed before acme gave an address: its backorder is history.
        mailed = all_notices(store, "acme")[1:]
        wait_until(lambda: len(inbox.messages) >= len(mailed), what="the messages")
        time.sleep(0.2)  # and no more
    assert all_notices(store, "acme")[0]["order"] == "SO-0"
    assert len(inbox.messages) == len(mailed) == 4
    for (recipients, message), notice in zip(inbox.messages, mailed, strict=True):
        assert recipients == ["buyer@acme.example"]
        assert message["To"] == "buyer@acme.example"
        assert message["From"] == "earmark@example.com"
        assert message["Subject"] == notice["subject"]
        assert message["Earmark-Event-Id"] == str(notice["event_id"])
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        assert text is not None and html is not None
        assert text.get_content().replace("\r\n", "\n") == notice["text"]
        assert html.get_content().replace("\r\n", "\n").strip() == notice["html"].strip()


def test_a_mail_server_that_is_down_holds_the_mail_and_nothing_else(store: Store) -> None:
    seed(store, on_hand=0)
    assert run(store, mailer.set_contact, mailer.SetContact("acme", "buyer@acme.example")).ok
    run(store, orders.place_order, order("SO-1", "acme", 1))
    with dispatching(store, fast_settings(smtp_url=f"smtp://127.0.0.1:{free_port()}")):
        wait_until(lambda: len(all_notices(store, "acme")) == 1, what="the notice")
        time.sleep(0.1)
    with transaction(store, write=False) as connection:
        assert (read_cursor(connection, mailer.MAIL_CURSOR) or 0) == 0


def test_a_contact_needs_a_known_account_and_an_address(store: Store) -> None:
    seed(store)
    assert run(store, mailer.set_contact,
               mailer.SetContact("nobody", "a@b.example")).outcome is Outcome.not_found
    for bad in ("not an address", "a@b", "a b@c.example", "@c.example"):
        assert run(store, mailer.set_contact,
                   mailer.SetContact("acme", bad)).outcome is Outcome.invalid, bad
    assert run(store, mailer.set_contact,
               mailer.SetContact("acme", "a@b.example")).outcome is Outcome.created
    changed = run(store, mailer.set_contact, mailer.SetContact("acme", "c@d.example"))
    assert changed.outcome is Outcome.ok and changed.value["email"] == "c@d.example"


def test_smtp_urls_name_host_port_sender_and_security() -> None:
    target = mailer.SmtpTarget.from_url("smtp://127.0.0.1:2525?from=earmark@example.com")
    assert (target.host, target.port, target.sender, target.security) == (
        "127.0.0.1", 2525, "earmark@example.com", "plain")
    secure = mailer.SmtpTarget.from_url("smtps://user%40x:p%3Ass@mail.example")
    assert (secure.port, secure.security, secure.username, secure.password) == (
        465, "ssl", "user@x", "p:ss")
    assert mailer.SmtpTarget.from_url("smtp://m.example?starttls=true").security == "starttls"
    with pytest.raises(ValueError):
        mailer.SmtpTarget.from_url("http://m.example")
