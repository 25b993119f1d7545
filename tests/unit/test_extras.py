"""The lighter install (issue 17, point 8): Dask and the NATS client are
extras. Without them earmark still starts, serves and forecasts locally; a
part that needs one says which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

from earmark.extras import MissingExtra
from earmark.forecast.execution import backend_for
from earmark.notify.broker import Broker

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"dask", "distributed", "fugue_dask", "nats"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
"""


def test_a_dask_run_without_the_dask_extra_says_to_install_it(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtra) as missing, backend_for("dask", 1):
        pass
    assert str(missing.value) == (
        "forecast runs on a Dask cluster needs the 'distributed' package, which the core "
        "install leaves out: pip install 'earmark[dask]'")


def test_nats_without_the_nats_extra_says_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "nats", None)
    with pytest.raises(MissingExtra, match=r"pip install 'earmark\[nats\]'"):
        Broker("nats://127.0.0.1:4222")


def test_the_server_the_cli_and_a_local_forecast_need_neither_extra() -> None:
    code = BLOCK + """
from datetime import date
from earmark.api.app import create_app
from earmark.cli.main import app
from earmark.forecast.execution import backend_for
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.settings import Settings
import pandas as pd
store = Store("sqlite://", Clock(frozen=date(2026, 1, 5)))
store.upgrade()
create_app(store, Settings())
frame = pd.DataFrame({"unique_id": ["A"] * 60, "ds": pd.date_range("2025-11-01", periods=60),
                      "y": [float(n % 7) for n in range(60)]})
with backend_for("local", 1) as backend:
    out = backend.forecast(["SeasonalNaive"], frame, horizon_days=7)
print(len(out), sorted(m for m in sys.modules if m.split(".")[0] in {"dask", "nats"}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "7 []"
