"""The writer's queue is bounded: past ``queued_max`` waiting commands a write
is refused at once (503 with Retry-After over HTTP) instead of queued, so an
overload never grows memory, and nothing of a refused write happens."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient
from tests.integration.helpers import seed

from earmark.api.app import create_app
from earmark.service.check import check_store
from earmark.service.uow import Store, UnitOfWork
from earmark.service.writer import Writer, WriterBusy
from earmark.settings import Settings


def blocking_job(started: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    def job(uow: UnitOfWork) -> str:
        started.set()
        release.wait(10)
        return "done"
    return job


def test_a_full_queue_refuses_a_job_at_once_and_takes_jobs_again_once_it_drains(store: Store) -> None:
    writer = Writer(store, queued_max=2, wait_ms=0).start()
    started, release = threading.Event(), threading.Event()
    try:
        running = writer.enqueue(blocking_job(started, release))
        assert started.wait(10)  # the writer is busy with it: it no longer counts as queued
        waiting = [writer.enqueue(lambda uow: "queued") for _ in range(2)]
        assert writer.queued == 2
        with pytest.raises(WriterBusy) as refused:
            writer.enqueue(lambda uow: "too many")
        assert refused.value.retry_after_s >= 1
        assert writer.queued == 2
        release.set()
        assert running.result(10) == "done"
        assert [f.result(10) for f in waiting] == ["queued", "queued"]
        assert writer.queued == 0
        assert writer.enqueue(lambda uow: "again").result(10) == "again"
    finally:
        release.set()
        writer.stop()


def test_a_write_past_the_queue_limit_is_a_503_with_retry_after_and_changes_nothing(
    store: Store,
) -> None:
    seed(store, on_hand=10)
    app = create_app(store, Settings(dispatch=False, writer_queue_max=1))
    writer = app.state.commands.writer
    started, release = threading.Event(), threading.Event()
    with TestClient(app) as client:
        try:
            blocker = writer.enqueue(blocking_job(started, release))
            assert started.wait(10)
            filler = writer.enqueue(lambda uow: "queued")
            order = {"id": "SO-1", "account": "acme",
                     "lines": [{"sku": "COAT", "quantity": 1, "location": "WEB"}]}
            answer = client.post("/v1/orders", json=order)
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert answer.json()["type"].endswith("busy")
        finally:
            release.set()
        assert blocker.result(10) == "done" and filler.result(10) == "queued"
        assert client.get("/v1/orders/SO-1").status_code == 404
        assert client.post("/v1/orders", json=order).status_code == 201
    assert check_store(store)[1] == []
