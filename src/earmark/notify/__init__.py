"""Telling people what changed: the dispatcher reads the outbox (the
``events`` table) and delivers it to webhooks, NATS JetStream, customer
notices and e-mail. See :mod:`earmark.notify.dispatcher`."""
