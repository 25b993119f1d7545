"""Hostile CSV (issue 17, point 6): ``earmark import`` fuzzed with files a
careless or hostile sender makes — wrong encodings, a byte-order mark,
missing columns, huge numbers, formulas such as ``=cmd|' /C calc'!A0`` —
tells every bad row by its line and imports nothing of such a file; and
``earmark export`` writes no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.integration.cli_helpers import Cli, cli_on

from earmark.cli.csvfile import neutralised, unneutralised

FORMULA = "=cmd|' /C calc'!A0"
FORMULAS = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+9)*cmd|' /C calc'!A0",
            "\t=1+1", "'=already quoted"]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    yield from cli_on(database_url, monkeypatch)


@dataclass(frozen=True)
class Row:
    sku: str
    name: str
    safety_stock: str
    bad: bool


NAMES = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1,
                max_size=60).map(str.strip).filter(bool) | st.sampled_from(FORMULAS).map(str.strip)
GOOD_FIGURES = st.integers(0, 10**12).map(str) | st.just("")
BAD_FIGURES = st.sampled_from(["9" * 40, "1" + "0" * 13, "-5", "1e3", "1_000", "١٢", "12.5",
                               FORMULA, "=1+1", "0x10", "+7"])
BAD_SKUS = st.sampled_from([FORMULA, "has space", "x" * 65, "é", "=A1"])


@st.composite
def item_rows(draw: st.DrawFn) -> list[Row]:
    """Items, some of them bad in one way (a bad sku, a bad figure or a name too long)."""
    tag = uuid.uuid4().hex[:8]
    rows = []
    for n in range(draw(st.integers(1, 8))):
        sku, name, figure = f"FZ-{tag}-{n}", draw(NAMES), draw(GOOD_FIGURES)
        fault = draw(st.sampled_from([None, None, "sku", "figure", "name"]))
        if fault == "sku":
            sku = draw(BAD_SKUS)
        elif fault == "figure":
            figure = draw(BAD_FIGURES)
        elif fault == "name":
            name = "n" * 201
        rows.append(Row(sku, name, figure, fault is not None))
    return rows


def write_items(path: Path, rows: list[Row], encoding: str = "utf-8") -> None:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["sku", "name", "safety_stock"])
    writer.writerows([row.sku, row.name, row.safety_stock] for row in rows)
    path.write_bytes(text.getvalue().encode(encoding))


def skus_stored(cli: Cli) -> set[str]:
    return {row["sku"] for row in csv.DictReader(io.StringIO(cli("export", "items")))}


FUZZ = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(rows=item_rows(), bom=st.booleans())
def test_an_import_with_bad_rows_names_each_by_its_line_and_imports_nothing(
    cli: Cli, tmp_path: Path, rows: list[Row], bom: bool
) -> None:
    path = tmp_path / f"items-{uuid.uuid4().hex[:6]}.csv"
    write_items(path, rows, "utf-8-sig" if bom else "utf-8")
    before = skus_stored(cli)
    result = cli.run("import", "items", str(path))
    bad_lines = [n for n, row in enumerate(rows, start=2) if row.bad]
    if not bad_lines:
        assert result.exit_code == 0, result.output
        assert skus_stored(cli) == before | {row.sku for row in rows}
        return
    assert result.exit_code == 1, result.output
    told = str(result.stderr)
    assert "nothing was imported" in told
    for line in bad_lines:
        assert f"line {line}:" in told, (line, told)
    good_lines = set(range(2, len(rows) + 2)) - set(bad_lines)
    assert not any(f"line {line}:" in told for line in good_lines), told
    assert skus_stored(cli) == before


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1", "cp1252"])
def test_a_file_that_is_not_utf_8_is_refused_whole(cli: Cli, tmp_path: Path,
                                                    encoding: str) -> None:
    path = tmp_path / "items.csv"
    write_items(path, [Row("FZ-ENC-1", "Crème brûlée", "1", False)], encoding)
    said = cli.refused("import", "items", str(path))
    assert "is not UTF-8 text" in said and "nothing was imported" in said
    assert "FZ-ENC-1" not in skus_stored(cli)


def test_a_byte_order_mark_is_no_column_and_a_missing_column_is_named(cli: Cli,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "items.csv"
    path.write_bytes("\ufeffsku,name\nFZ-BOM-1,With a mark\n".encode())
    cli("import", "items", str(path))
    assert "FZ-BOM-1" in skus_stored(cli)
    path.write_text("sku,unit\nFZ-BOM-2,each\n")
    said = cli.refused("import", "items", str(path))
    assert "line 1: items needs the column(s) name" in said


def test_three_bad_rows_of_five_are_each_told_and_none_of_the_five_imported(
    cli: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "stock.csv"
    cli("items", "create", "FZ-S", "Stocked")
    cli("locations", "create", "FZ-L", "Shelf")
    path.write_text("sku,location,quantity\nFZ-S,FZ-L,4\nFZ-S,FZ-L," + "9" * 400 + "\n"
                    "NOPE,FZ-L,1\nFZ-S,FZ-L,2\nFZ-S,FZ-L,=1+1\n")
    result = cli.run("import", "stock", str(path), "--mode", "add")
    assert result.exit_code == 1
    told = str(result.stderr)
    assert "3 rows refused; nothing was imported" in told
    assert "line 3: quantity: 9999" in told and "beyond any figure" in told
    assert "line 4: add 1 to NOPE at FZ-L (initial): unknown_sku: unknown sku 'NOPE'" in told
    assert "line 6: quantity: '=1+1' is not a whole number" in told
    assert "line 2" not in told and "line 5" not in told
    assert cli.json("availability", "FZ-S", "--location", "FZ-L")["on_hand"] == 0


def test_an_export_neutralises_formula_cells_and_imports_back_unchanged(
    cli: Cli, tmp_path: Path
) -> None:
    for n, name in enumerate(FORMULAS):
        cli("items", "create", "--", f"FZ-F-{n}", name)
    exported = cli("export", "items")
    cells = {row["sku"]: row["name"] for row in csv.DictReader(io.StringIO(exported))}
    assert cells["FZ-F-0"] == "'=cmd|' /C calc'!A0"
    assert cells["FZ-F-2"] == "'-2+3+cmd|' /C calc'!A0"
    assert cells["FZ-F-4"] == "'\t=1+1"
    assert cells["FZ-F-5"] == "''=already quoted"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                   for row in csv.reader(io.StringIO(exported)) for cell in row)
    path = tmp_path / "items.csv"
    path.write_text(exported)
    cli("import", "items", str(path))
    assert cli("export", "items") == exported
    assert cli.json("items", "show", "FZ-F-0")["name"] == FORMULA


def test_a_negative_figure_stays_a_number_in_an_export() -> None:
    # A spreadsheet reads -3 as the number it is: nothing to run, and it still sums.
    assert neutralised("-3") == "-3" and neutralised("-3.5") == "-3.5"
    assert neutralised("-3+cmd") == "'-3+cmd"
    assert neutralised("=SUM(A1:A2)") == "'=SUM(A1:A2)"


@given(st.text())
def test_neutralising_a_cell_and_reading_it_back_gives_the_cell(value: str) -> None:
    assert unneutralised(neutralised(value)) == value
    assert not neutralised(value).startswith(("=", "+", "@", "\t", "\r"))
