"""Property-based fuzzing of every operation in /openapi.json (schemathesis,
in process through the ASGI app): no request may get a 5xx, and every
response must be one the description documents, in the documented shape
and media type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from earmark.api.app import create_app
from earmark.forecast.store import Accuracy, ForecastPoint, PositionForecast, save_forecasts
from earmark.service import commitments, master, orders, supply
from earmark.service.clock import Clock
from earmark.service.uow import Store
from earmark.settings import Settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
MAX_EXAMPLES = 12
KEY = "fuzz-admin-key"
"""An admin key (EARMARK_API_KEYS): without keys, a generated POST /v1/keys
would turn keys on halfway through the run."""
AUTH = {"Authorization": f"Bearer {KEY}"}


def _seeded_store(directory: Path) -> Store:
    """A database with a little of everything, so that generated requests
    also reach the handlers' success paths (ids such as "0" or "A" are what
    generators try first)."""
    store = Store(f"sqlite:///{directory}/fuzz.db", Clock(frozen=date(2026, 1, 5)))
    store.upgrade()

    def run(handler: object, command: object) -> None:
        with store.unit_of_work() as uow:
            handler(uow, command)  # type: ignore[operator]

    for key in ("0", "A", "a"):
        run(master.upsert_item, master.UpsertItem(key, "Item"))
        run(master.upsert_location, master.UpsertLocation(key, "Location"))
        run(master.upsert_account, master.UpsertAccount(key, "Account"))
        run(supply.adjust, supply.Adjust(key, key, 1000, "initial"))
        run(supply.create_receipt, supply.CreateReceipt(key, key, key, 500, date(2026, 2, 1)))
        run(orders.place_order, orders.PlaceOrder(key, key, [orders.LineIn("0", key, 5, key)]))
        run(commitments.create_commitment, commitments.CreateCommitment(
            key, key, key, key, 10, date(2026, 3, 1)))
    # Forecasts, so that forecasts, projections and suggestions answer with bodies too.
    with store.engine.begin() as conn:
        save_forecasts(conn, [
            PositionForecast(key, key, "fuzz", date(2026, 1, 5), "AutoETS", tuple(
                ForecastPoint(date(2026, 1, 5) + timedelta(days=i), 50.0, 30.0, 70.0, 20.0, 80.0)
                for i in range(1, 29)), Accuracy(0.9, 0.2), "SeasonalNaive", Accuracy(1.0, None))
            for key in ("0", "A", "a")
        ], datetime.now(UTC))
    return store


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = _seeded_store(tmp_path_factory.mktemp("fuzz"))
    yield store
    store.dispose()


def _app_factory() -> object:
    # Schemathesis loads the description at import time; the store it talks
    # to is swapped in by the fixture below before any case runs.
    return create_app(Store("sqlite://", Clock(frozen=date(2026, 1, 5))),
                      Settings(api_keys=[KEY]))


APP = _app_factory()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, headers=AUTH)


@pytest.fixture(autouse=True)
def _use_fuzz_store(fuzz_store: Store) -> None:
    from earmark.api.commands import Commands

    APP.state.store = fuzz_store  # type: ignore[attr-defined]
    APP.state.commands = Commands(fuzz_store)  # type: ignore[attr-defined]
    APP.state.keyring.store = fuzz_store  # type: ignore[attr-defined]


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_conforms_to_its_description(case: Case) -> None:
    case.call_and_validate(checks=CHECKS, headers=AUTH)
