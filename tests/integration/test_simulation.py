"""``earmark simulate``: the simulation drives the real engine, and one seed
gives one result (short runs; the README holds a full year's table)."""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from earmark.cli.main import app
from earmark.demo.simulation import POLICIES, Scenario, simulate

SHORT = Scenario(days=60, suppliers=1)


@pytest.mark.xdist_group("simulation")
def test_the_simulation_is_deterministic_for_a_seed() -> None:
    first = [asdict(r) for r in simulate(SHORT)]
    assert first == [asdict(r) for r in simulate(SHORT)]
    other = [asdict(r) for r in simulate(Scenario(days=60, suppliers=1, seed=8))]
    assert other != first


@pytest.mark.xdist_group("simulation")
def test_the_policies_are_compared_on_the_same_orders_and_shipments() -> None:
    results = {r.policy: r for r in simulate(Scenario(days=40, suppliers=1, slips="erratic"))}
    assert list(results) == list(POLICIES)
    # A fixed 30-day quote waits 30 days for every unit, and is never late in
    # 40 days whose receipts are due within 14 + 7.
    assert results["naive-30"].quoted_wait_days_mean == 30.0
    assert results["naive-30"].on_time_rate == 1.0
    # Fill rate and capital are the engine's, shared by every policy.
    assert len({r.fill_rate for r in results.values()}) == 1
    assert len({r.capital_held_mean for r in results.values()}) == 1
    fill = results["pegged"].fill_rate
    assert fill is not None and 0 < fill <= 1
    # The P90 date is never before the pegged one: it waits at least as long.
    p90_wait, pegged_wait = (results["pegged-p90"].quoted_wait_days_mean,
                             results["pegged"].quoted_wait_days_mean)
    assert p90_wait is not None and pegged_wait is not None and p90_wait >= pegged_wait
    # A fixed quote is never moved.
    assert results["naive-30"].promise_changes_per_order == 0.0


@pytest.mark.xdist_group("simulation")
def test_the_command_prints_the_table_and_writes_the_csv(tmp_path: Path) -> None:
    out = tmp_path / "simulation.csv"
    result = CliRunner().invoke(app, ["simulate", "--days", "30", "--suppliers", "1",
                                      "--seed", "3", "--out", str(out)],
                                env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    for policy in POLICIES:
        assert policy in result.output
    assert "on time" in result.output and "quoted wait" in result.output
    with out.open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert [r["policy"] for r in rows] == list(POLICIES)
    assert {r["scenario_seed"] for r in rows} == {"3"}
    assert rows[0]["quoted_wait_days_mean"] == "30.0"


def test_an_unknown_slip_distribution_is_refused() -> None:
    result = CliRunner().invoke(app, ["simulate", "--slips", "sometimes"])
    assert result.exit_code == 2
