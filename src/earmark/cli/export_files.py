"""Rows written as they come: CSV line by line, Parquet a row group at a time,
so that exporting a million events holds one batch in memory, not a million.

Parquet needs pyarrow, an optional extra (``pip install 'earmark[parquet]'``);
without it the export says so and writes nothing."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from earmark.cli.common import cell

PARQUET_BATCH_ROWS = 4_096
"""Rows per Parquet row group: what an export holds in memory at once."""
PARQUET_MISSING = ("--format parquet needs pyarrow, which is not installed: "
                   "pip install 'earmark[parquet]' (or use --format csv)")


class ParquetMissing(Exception):
    """pyarrow is not installed."""


def write_csv(handle: TextIO, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """CSV, row by row; each cell a spreadsheet could run as a formula is
    neutralised (:func:`~earmark.cli.csvfile.neutralised`; the import takes
    it back)."""
    from earmark.cli.csvfile import neutralised

    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralised(cell(row.get(c))) for c in columns])
        count += 1
    return count


def _arrow() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped]
        import pyarrow.parquet  # type: ignore[import-untyped]
    except ImportError as missing:
        raise ParquetMissing(PARQUET_MISSING) from missing
    return pyarrow


def write_parquet(out: Path, columns: list[str], rows: Iterable[dict[str, Any]],
                  batch_rows: int = PARQUET_BATCH_ROWS) -> int:
    """Write ``rows`` to a Parquet file. Column types come from the first
    batch (a column without a value there is text); nested values (an
    event's data) are JSON text."""
    pa = _arrow()
    pq = pa.parquet

    batches = _batches(iter(rows), batch_rows)
    first = next(batches, [])
    schema = pa.schema([(c, _type(pa, [r.get(c) for r in first])) for c in columns])
    count = 0
    with pq.ParquetWriter(out, schema) as writer:
        for batch in itertools.chain([first], batches):
            if not batch and count:
                continue
            writer.write_table(pa.Table.from_pydict(
                {c: [_value(schema.field(c).type, r.get(c)) for r in batch] for c in columns},
                schema=schema))
            count += len(batch)
    return count


def _batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(itertools.islice(rows, size)):
        yield batch


def _type(pa: Any, values: list[Any]) -> Any:
    known = [v for v in values if v is not None]
    if not known:
        return pa.string()
    kinds = {type(v) for v in known}
    if kinds == {bool}:
        return pa.bool_()
    if kinds == {int}:
        return pa.int64()
    if kinds <= {int, float}:
        return pa.float64()
    if kinds == {datetime}:
        return pa.timestamp("us", tz="UTC")
    if kinds == {date}:
        return pa.date32()
    return pa.string()


def _value(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if str(kind) == "string":
        return cell(value)
    if str(kind) == "double":
        return float(value)
    return value
