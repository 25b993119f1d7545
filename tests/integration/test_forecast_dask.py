"""The Dask path (statsforecast's Fugue backend on a Dask cluster) makes the
same choices and the same forecasts as the local one; a run can be worked on
a cluster given by its scheduler's address. A local cluster of two workers,
a small catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from distributed import Client, LocalCluster

from earmark.forecast import synthetic
from earmark.forecast.engine import DaskBackend, LocalBackend, forecast_frame
from earmark.forecast.execution import backend_for, execute_run
from earmark.forecast.history import HistoryRow, RecordHistory, _Rows, record_history
from earmark.forecast.runs import StartRun, start_run
from earmark.forecast.store import forecasts_of
from earmark.service import master
from earmark.service.uow import Store

pytestmark = pytest.mark.xdist_group("forecast")

TODAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as local:
        yield local


def catalogue_rows(count: int, days: int, seed: int) -> list[tuple[str, str, str, int]]:
    """``count`` generated positions (some intermittent), and one too young to cross-validate."""
    first = TODAY - timedelta(days=days)
    demand = synthetic.catalogue(count, np.datetime64(first, "D"), days, seed=seed,
                                 intermittent_share=0.35)
    rows = [(f"SKU-{i}", "WEB", (first + timedelta(days=d)).isoformat(), int(demand[i, d]))
            for i in range(count) for d in range(days)]
    rows += [("SKU-NEW", "WEB", (TODAY - timedelta(days=d)).isoformat(), 3) for d in range(1, 40)]
    return rows


def test_the_dask_backend_makes_the_same_choices_and_forecasts_as_the_local_one(cluster: Any) -> None:
    rows = _Rows()
    rows.add(catalogue_rows(8, 500, seed=5))
    frame = rows.history(TODAY - timedelta(days=1)).frame()
    local = forecast_frame(frame, 30, LocalBackend(1))
    with Client(cluster) as client:
        distributed = forecast_frame(frame, 30, DaskBackend(client))
    assert [r.unique_id for r in distributed] == [r.unique_id for r in local]
    assert {r.model for r in local} >= {"AutoETS", "SeasonalNaive"}  # smooth, and the young one
    assert any(r.intermittent for r in local)
    for ours, theirs in zip(local, distributed, strict=True):
        assert theirs.model == ours.model, ours.unique_id
        for field in ("mean", "lo80", "hi80", "lo95", "hi95"):
            np.testing.assert_allclose(getattr(theirs, field), getattr(ours, field), rtol=1e-6,
                                       atol=1e-6, err_msg=f"{ours.unique_id} {field}")
        assert theirs.errors == ours.errors
        assert theirs.baseline == ours.baseline


def test_a_run_is_worked_on_the_cluster_its_scheduler_address_names(store: Store, cluster: Any) -> None:
    with store.unit_of_work() as uow:
        master.upsert_location(uow, master.UpsertLocation("WEB", "Web"))
    rows = catalogue_rows(3, 300, seed=9)
    for sku in {r[0] for r in rows}:
        with store.unit_of_work() as uow:
            master.upsert_item(uow, master.UpsertItem(sku, sku))
    with store.unit_of_work() as uow:
        assert record_history(uow, RecordHistory(tuple(
            HistoryRow(i + 2, date.fromisoformat(d), sku, loc, q)
            for i, (sku, loc, d, q) in enumerate(rows)))).ok
    with store.unit_of_work() as uow:
        started = start_run(uow, StartRun("dask", 14))
    assert started.ok
    with backend_for("dask", 2, cluster.scheduler_address) as backend:
        done = execute_run(store, started.value["id"], backend)
    assert done["status"] == "succeeded", done["error"]
    assert done["summary"]["backend"] == "dask"
    assert (done["positions_total"], done["positions_done"]) == (4, 4)
    with store.unit_of_work(write=False) as uow:
        stored = forecasts_of(uow.tx)
    assert len(stored) == 4
    assert all(len(f.points) == 14 and f.points[0].day == TODAY + timedelta(days=1) for f in stored)
