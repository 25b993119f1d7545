"""Forecast runs over HTTP and from the CLI, on SQLite and PostgreSQL: a run
started by POST /v1/forecast-runs is worked by a process of its own, reports
its progress and ends with its summary and the forecasts stored; one run at
a time; a run whose worker died is marked failed; the old paths of the runs
still answer, deprecated."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from earmark.api.app import create_app
from earmark.cli.main import app as cli
from earmark.forecast import synthetic
from earmark.forecast.history import HistoryRow, RecordHistory, record_history
from earmark.forecast.runs import LEASE_NAME, StartRun, start_run
from earmark.forecast.store import forecasts_of
from earmark.service import master
from earmark.service.uow import Store
from earmark.settings import Settings
from earmark.store import tables as t

pytestmark = pytest.mark.xdist_group("forecast")

TODAY = date(2026, 1, 5)
RUN_SECONDS_MAX = 180


def seed_history(store: Store, skus: tuple[str, ...] = ("COAT", "SCARF"), days: int = 300) -> None:
    with store.unit_of_work() as uow:
        master.upsert_location(uow, master.UpsertLocation("WEB", "Web"))
    for sku in skus:
        with store.unit_of_work() as uow:
            master.upsert_item(uow, master.UpsertItem(sku, sku.title()))
    first = TODAY - timedelta(days=days)
    demand = synthetic.catalogue(len(skus), np.datetime64(first, "D"), days, seed=4,
                                 intermittent_share=0.0)
    rows = tuple(HistoryRow(0, first + timedelta(days=d), sku, "WEB", int(demand[i, d]))
                 for i, sku in enumerate(skus) for d in range(days))
    with store.unit_of_work() as uow:
        assert record_history(uow, RecordHistory(rows)).ok


@pytest.fixture
def api(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store, Settings(dispatch=False, forecast_jobs=1))) as client:
        yield client


def problem(response: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    document: dict[str, Any] = response.json()
    assert document["type"] == f"urn:earmark:problem:{kind}", document
    return document


def wait_for_end(api: TestClient, location: str) -> tuple[dict[str, Any], list[float]]:
    seen: list[float] = []
    deadline = time.monotonic() + RUN_SECONDS_MAX
    while time.monotonic() < deadline:
        run = api.get(location).json()
        seen.append(run["progress"])
        if run["status"] in ("succeeded", "failed"):
            return run, seen
        time.sleep(0.2)
    raise AssertionError(f"the run did not end within {RUN_SECONDS_MAX} s: {run}")


def test_a_run_started_over_http_reports_progress_and_stores_its_forecasts(
        store: Store, api: TestClient) -> None:
    seed_history(store)
    started = api.post("/v1/forecast-runs", json={"horizon_days": 14})
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["status"], run["backend"], run["horizon_days"], run["made_on"]) == (
        "queued", "local", 14, TODAY.isoformat())
    location = started.headers["Location"]
    assert location == f"/v1/forecast-runs/{run['id']}"
    refused = problem(api.post("/v1/forecast-runs", json={}), 409, "run_in_progress")
    assert refused["run"] == run["id"]

    ended, progress = wait_for_end(api, location)
    assert ended["status"] == "succeeded", ended["error"]
    assert (ended["positions_total"], ended["positions_done"], ended["progress"]) == (2, 2, 1.0)
    assert progress == sorted(progress)
    summary = ended["summary"]
    assert summary["positions"] == summary["cross_validated"] == 2
    assert sum(summary["models"].values()) == 2
    assert summary["accuracy"]["baseline"]["model"] == "SeasonalNaive"
    assert summary["accuracy"]["model"]["wape"] is not None
    assert ended["started_at"] is not None and ended["finished_at"] is not None
    assert api.get("/v1/forecast-runs").json()["items"][0]["id"] == run["id"]

    with store.unit_of_work(write=False) as uow:
        stored = forecasts_of(uow.tx)
    assert [(f.sku, f.run_id, len(f.points)) for f in stored] == [("COAT", run["id"], 14),
                                                                  ("SCARF", run["id"], 14)]
    assert stored[0].points[0].day == TODAY + timedelta(days=1)
    shown = api.get("/v1/forecasts/COAT", params={"location": "WEB"})
    assert shown.status_code == 200 and shown.json()["model"] == stored[0].model
    # 300 days are enough to cross-validate: the method is the chosen model.
    assert (shown.json()["method"], shown.json()["method_reason"]) == (stored[0].model, None)
    # The lease went with the run: the next one may start.
    assert api.post("/v1/forecast-runs").status_code == 202


@pytest.mark.parametrize("body", [{"horizon_days": 0}, {"horizon_days": 181}, {"horizon_days": "30"},
                                  {"backend": "spark"}, {"horizon": 30}])
def test_a_bad_run_request_is_refused(api: TestClient, body: dict[str, Any]) -> None:
    problem(api.post("/v1/forecast-runs", json=body), 422, "validation")


def test_an_unknown_run_is_not_found(api: TestClient) -> None:
    problem(api.get("/v1/forecast-runs/fr_nope"), 404, "not_found")


def test_a_run_whose_worker_stopped_is_marked_failed_and_another_may_start(store: Store) -> None:
    with store.unit_of_work() as uow:
        abandoned = start_run(uow, StartRun()).value["id"]
    with store.unit_of_work() as uow:
        uow.tx.execute(t.leases.update().where(t.leases.c.name == LEASE_NAME)
                       .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        uow.commit()
    settings = Settings(dispatch=False, forecast_worker="thread")
    with TestClient(create_app(store, settings)) as api:
        run = api.get(f"/v1/forecast-runs/{abandoned}").json()
        assert run["status"] == "failed" and run["error"].startswith("interrupted")
        again = api.post("/v1/forecast-runs", json={"horizon_days": 7})
        assert again.status_code == 202, again.text
        ended, _ = wait_for_end(api, again.headers["Location"])
    # Nothing to forecast yet: the run succeeds with no positions.
    assert (ended["status"], ended["positions_total"], ended["progress"]) == ("succeeded", 0, 1.0)


def test_the_old_paths_of_the_runs_still_answer_and_are_deprecated_in_openapi(
        store: Store) -> None:
    settings = Settings(dispatch=False, forecast_worker="thread")
    with TestClient(create_app(store, settings)) as api:
        started = api.post("/v1/forecasts/run", json={"horizon_days": 7})
        assert started.status_code == 202, started.text
        run_id = started.json()["id"]
        assert started.headers["Location"] == f"/v1/forecast-runs/{run_id}"
        old, _ = wait_for_end(api, f"/v1/forecasts/runs/{run_id}")
        new = api.get(f"/v1/forecast-runs/{run_id}").json()
        assert old == new and old["status"] == "succeeded"
        assert [r["id"] for r in api.get("/v1/forecasts/runs").json()["items"]] == [run_id]
        problem(api.get("/v1/forecasts/runs/fr_nope"), 404, "not_found")
        paths = api.get("/openapi.json").json()["paths"]
    for path, method in (("/v1/forecasts/run", "post"), ("/v1/forecasts/runs", "get"),
                         ("/v1/forecasts/runs/{id}", "get")):
        assert paths[path][method]["deprecated"] is True, path
        assert "/v1/forecast-runs" in paths[path][method]["description"]
    for path, method in (("/v1/forecast-runs", "post"), ("/v1/forecast-runs", "get"),
                         ("/v1/forecast-runs/{id}", "get")):
        assert not paths[path][method].get("deprecated", False), path


def test_forecast_run_shows_a_progress_bar_and_ends_with_the_summary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARMARK_TODAY", TODAY.isoformat())
    db = f"sqlite:///{tmp_path}/cli.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade", "--database", db]).exit_code == 0
    for args in (["items", "create", "COAT", "Coat"], ["locations", "create", "WEB", "Web"]):
        assert runner.invoke(cli, [*args, "--database", db]).exit_code == 0
    first = TODAY - timedelta(days=200)
    demand = synthetic.catalogue(1, np.datetime64(first, "D"), 200, seed=1, intermittent_share=0.0)[0]
    history = tmp_path / "demand.csv"
    history.write_text("date,sku,location,quantity\n" + "".join(
        f"{first + timedelta(days=d)},COAT,WEB,{q}\n" for d, q in enumerate(demand)))
    imported = runner.invoke(cli, ["import", "history", str(history), "--database", db])
    assert imported.exit_code == 0, imported.output
    assert "history from" in imported.output and "200 row(s); changed 1" in imported.output
    ran = runner.invoke(cli, ["forecast", "run", "--horizon", "21", "--jobs", "1", "--database", db])
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output and "1 position(s)" in ran.output
    assert "seasonal naive" in ran.output.lower() or "SeasonalNaive" in ran.output
    assert "Models chosen" in ran.output
    shown = runner.invoke(cli, ["forecast", "show", "COAT", "--location", "WEB", "--database", db])
    assert shown.exit_code == 0, shown.output
