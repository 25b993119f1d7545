"""Loading positions from rows and writing them back.

A position is loaded whole (its open receipts, open demands and pegs) and
written back as the difference against what was loaded, so a command that
touches three pegs writes three rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, any_, bindparam, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from earmark.domain.network import need_date_at
from earmark.domain.position import ON_HAND, Demand, DemandKey, DemandKind, Position
from earmark.domain.transfers import source_need_date
from earmark.store import tables as t
from earmark.store.db import built_once, insert_rows, read_together, update_rows, write


@dataclass
class LoadedPosition:
    """A position and what its rows said when loaded or last saved, so that a
    save writes only the pegs and counters of the demands that changed."""

    position: Position
    version: int = 0
    """``positions.version`` as loaded (bumped by the commit that saves it)."""
    epoch: int = 0
    """The rank epoch it was loaded in (account priorities change it)."""
    saved_pegs: dict[DemandKey, dict[str, int]] = field(default_factory=dict)
    saved_on_hand: int = 0
    saved_held: dict[DemandKey, int] = field(default_factory=dict)
    saved_bucket_pegged: dict[str, int] = field(default_factory=dict)
    """Units pegged per bucket as stored (``positions.held``, ``receipts.pegged``)."""


def ensure_and_lock_positions(
    tx: Connection, keys: list[tuple[str, str]], dialect: str,
    create: list[tuple[str, str]] | None = None,
) -> dict[tuple[str, str], tuple[int, int]]:
    """Lock the positions (creating the missing ones among ``create``, all by
    default) and return each one's (on-hand, version), read under the lock.

    On PostgreSQL the rows are locked in (sku, location) order, so that two
    writers can never wait on each other in a cycle, except while creating
    positions (a deadlock there is detected and the batch retried). Positions
    that exist, the usual case, cost one statement."""
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    found = _lock_stored(tx, ordered, dialect)
    missing = [k for k in sorted(set(ordered if create is None else create)) if k not in found]
    if missing:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        tx.execute(
            insert(t.positions).on_conflict_do_nothing(index_elements=["sku", "location"]),
            [{"sku": sku, "location": location, "on_hand": 0} for sku, location in missing],
        )
        found.update(_lock_stored(tx, missing, dialect))
    return found


_LOCK_PG = built_once(text(
    "SELECT positions.sku, positions.location, positions.on_hand, positions.version "
    "FROM positions WHERE (positions.sku, positions.location) IN "
    "(SELECT * FROM unnest(CAST(:skus AS VARCHAR[]), CAST(:locations AS VARCHAR[]))) "
    "ORDER BY positions.sku, positions.location FOR UPDATE"))
"""PostgreSQL's lock: the keys as two array parameters, so that the text is
the same for any number of positions (compiled once, prepared by the server)."""


def lock_statement(ordered: list[tuple[str, str]], dialect: str
                   ) -> tuple[Executable, dict[str, Any]]:
    """Lock the stored positions among ``ordered`` (sorted) and read (sku,
    location, on-hand, version) of each under the lock: the statement and its
    parameters."""
    if dialect == "postgresql":
        return _LOCK_PG, {"skus": [sku for sku, _ in ordered],
                          "locations": [location for _, location in ordered]}
    p = t.positions.c
    return (select(p.sku, p.location, p.on_hand, p.version)
            .where(tuple_(p.sku, p.location).in_(ordered))
            .order_by(p.sku, p.location)), {}


def locked_versions(rows: Iterable[Sequence[Any]]) -> dict[tuple[str, str], tuple[int, int]]:
    return {(row[0], row[1]): (int(row[2]), int(row[3])) for row in rows}


def _lock_stored(tx: Connection, ordered: list[tuple[str, str]], dialect: str
                 ) -> dict[tuple[str, str], tuple[int, int]]:
    statement, params = lock_statement(ordered, dialect)
    return locked_versions(tx.execute(statement, params))


def _next_seq_statement(insert: Any) -> Any:
    # An upsert, so that the first use of a counter by two writers at once
    # cannot collide on its primary key.
    return (
        insert(t.counters)
        .values(name=bindparam("name"), value=bindparam("step"))
        .on_conflict_do_update(
            index_elements=["name"], set_={"value": t.counters.c.value + bindparam("step")}
        )
        .returning(t.counters.c.value)
    )


NEXT_SEQ_PG = built_once(_next_seq_statement(postgresql.insert))
"""Take ``step`` numbers of the counter ``name``; returns the last one taken (PostgreSQL)."""
_NEXT_SEQ_SQLITE = _next_seq_statement(sqlite.insert)
_POSITION_VERSION = select(t.positions.c.on_hand, t.positions.c.version).where(
    t.positions.c.sku == bindparam("p_sku"), t.positions.c.location == bindparam("p_loc")
)


def next_seq(tx: Connection, name: str, step: int = 1) -> int:
    """Take ``step`` numbers of a named counter; returns the last one taken.

    The counter's row stays locked until the transaction ends, so numbers
    taken under the position locks follow commit order."""
    statement = NEXT_SEQ_PG if tx.dialect.name == "postgresql" else _NEXT_SEQ_SQLITE
    return int(tx.execute(statement, {"name": name, "step": step}).scalar_one())


def position_version(tx: Connection, sku: str, location: str) -> tuple[int, int] | None:
    """(on-hand, version) of a stored position, or None."""
    row = tx.execute(_POSITION_VERSION, {"p_sku": sku, "p_loc": location}).first()
    return (int(row[0]), int(row[1])) if row else None


_FINISH_POSITION = built_once(
    t.positions.update()
    .where(t.positions.c.sku == bindparam("b_sku"), t.positions.c.location == bindparam("b_loc"))
    .values(version=t.positions.c.version + 1, held=bindparam("b_held"))
)


def finish_positions(tx: Connection, loaded: list[LoadedPosition]) -> None:
    """At commit: bump each position's version (other writers' copies go stale)
    and store the units pegged per bucket, in one statement of each kind."""
    if not loaded:
        return
    receipts: list[dict[str, Any]] = []
    for lp in loaded:
        position = lp.position
        # Only the buckets whose pegs moved: a position may have thousands.
        for key in sorted(position.dirty_buckets):
            # A closed receipt is gone from the position: nothing is pegged to it any more.
            n = position.pegged(key) if key in position.buckets else 0
            if key != ON_HAND and lp.saved_bucket_pegged.get(key, 0) != n:
                receipts.append({"sku": position.sku, "id": key, "pegged": n})
            lp.saved_bucket_pegged[key] = n
        position.dirty_buckets.clear()
    write(tx, _FINISH_POSITION,
          [{"b_sku": lp.position.sku, "b_loc": lp.position.location,
            "b_held": lp.position.pegged(ON_HAND)} for lp in loaded])
    # Keyed by sku too: every statement on a position's rows names its sku
    # (the distribution column, were the schema spread by sku).
    update_rows(tx, t.receipts, ["sku", "id"], receipts)
    for lp in loaded:
        lp.version += 1


def load_position(tx: Connection, sku: str, location: str, today: date,
                  stored: tuple[int, int] | None = None, item: Any = None) -> LoadedPosition:
    """The whole position: its open receipts, open demands (ranked by their
    accounts' priorities, read in the same query) and pegs."""
    key = (sku, location)
    if item is None:
        item = tx.execute(select(t.items).where(t.items.c.sku == sku)).mappings().one()
    if stored is None:
        stored = position_version(tx, sku, location)
    return load_positions(tx, [key], today, {key: stored} if stored else {}, {sku: item})[key]


def load_statements(keys: list[tuple[str, str]]) -> list[Select[Any]]:
    """The reads that load whole positions: their open receipts, pegs, open
    order lines, open commitments (each demand with its account's priority)
    and the transfers with units still at them. :func:`build_positions`
    makes positions of what they return."""
    r, g, ln, c, acc = t.receipts.c, t.pegs.c, t.order_lines.c, t.commitments.c, t.accounts.c
    tr = t.transfers.c
    # A transfer's receipt is the one whose id a transfer has; the transfer pegs
    # at its source only transfer receipts created before its own (``Demand.supplies_seq``).
    own_receipt = t.receipts.alias("own_receipt")
    own = own_receipt.c
    return [
        select(r.sku, r.location, r.id, r.expected_date, r.quantity, r.received, r.seq,
               tr.id.is_not(None))
        .outerjoin(t.transfers, tr.id == r.id)
        .where(tuple_(r.sku, r.location).in_(keys), r.status == "open"),
        select(g.sku, g.location, g.demand_kind, g.demand_ref, g.demand_line, g.bucket, g.quantity)
        .where(tuple_(g.sku, g.location).in_(keys)),
        select(ln.sku, ln.location, ln.order_id, ln.line, ln.account, acc.priority, ln.seq, ln.idx,
               ln.requested_date, ln.open, ln.transit_days)
        .join(t.accounts, acc.id == ln.account)
        .where(tuple_(ln.sku, ln.location).in_(keys), ln.open > 0),
        select(c.sku, c.location, c.id, c.account, acc.priority, c.seq, c.need_date, c.quantity,
               c.consumed, c.released)
        .join(t.accounts, acc.id == c.account)
        .where(tuple_(c.sku, c.location).in_(keys), c.status == "open"),
        select(tr.sku, tr.from_location, tr.id, tr.priority, tr.seq, tr.need_date,
               tr.transit_days, tr.quantity, tr.shipped, tr.cancelled, own.seq)
        .join(own_receipt, own.id == tr.id)
        .where(tuple_(tr.sku, tr.from_location).in_(keys), tr.status.in_(("open", "in_transit")),
               tr.quantity > tr.shipped + tr.cancelled),
    ]


def build_positions(
    keys: list[tuple[str, str]], today: date, stored: dict[tuple[str, str], tuple[int, int]],
    items: dict[str, Any], rows: Sequence[Iterable[Sequence[Any]]],
) -> dict[tuple[str, str], LoadedPosition]:
    """Positions from the rows of :func:`load_statements` (in that order).

    ``stored`` holds each position's (on-hand, version), read under its lock
    (a position missing from it is new: nothing on hand); ``items`` holds the
    item row of every sku."""
    receipts, pegs, lines, commitments, transfers = rows
    positions: dict[tuple[str, str], Position] = {}
    for sku, location in keys:
        item = items[sku]
        positions[(sku, location)] = Position(
            sku, location, today, stored.get((sku, location), (0, 0))[0],
            safety_stock=int(item["safety_stock"]), lead_time_days=item["lead_time_days"],
        )
    for sku, location, rid, expected, quantity, received, seq, transfer in receipts:
        positions[(sku, location)].load_receipt(rid, expected, int(quantity) - int(received),
                                                int(seq), transfer=bool(transfer))

    pegs_by_demand: dict[tuple[str, str], dict[DemandKey, dict[str, int]]] = {k: {} for k in keys}
    for sku, location, kind, ref, line, bucket, quantity in pegs:
        demand_key = DemandKey(DemandKind(kind), ref, line)
        pegs_by_demand[(sku, location)].setdefault(demand_key, {})[bucket] = int(quantity)

    for sku, location, order_id, line, account, priority, seq, idx, requested, open_, transit in lines:
        key = (sku, location)
        demand_key = DemandKey.for_line(order_id, line)
        # A part of a line placed by ship_to is needed here its transit days earlier.
        positions[key].load_demand(Demand(
            demand_key, account, (int(priority), int(seq), int(idx)),
            need_date_at(requested, int(transit)), int(open_),
            dict(pegs_by_demand[key].get(demand_key, {})), transit_days=int(transit),
        ))
    for sku, location, cid, account, priority, seq, need, quantity, consumed, released in commitments:
        key = (sku, location)
        demand_key = DemandKey.for_commitment(cid)
        remaining = int(quantity) - int(consumed) - int(released)
        positions[key].load_demand(Demand(
            demand_key, account, (int(priority), int(seq), 0), need, remaining,
            dict(pegs_by_demand[key].get(demand_key, {})),
        ))
    for (sku, location, tid, priority, seq, need, transit, quantity, shipped, cancelled,
         receipt_seq) in transfers:
        key = (sku, location)
        demand_key = DemandKey.for_transfer(tid)
        positions[key].load_demand(Demand(
            demand_key, "", (int(priority), int(seq), 0), source_need_date(need, int(transit)),
            int(quantity) - int(shipped) - int(cancelled),
            dict(pegs_by_demand[key].get(demand_key, {})), int(receipt_seq),
        ))
    loaded: dict[tuple[str, str], LoadedPosition] = {}
    for key, position in positions.items():
        position.dirty.clear()
        position.dirty_buckets.clear()
        held = {k: d.held for k, d in position.demands.items() if k.kind is DemandKind.line}
        on_hand, version = stored.get(key, (0, 0))
        loaded[key] = LoadedPosition(position, version, 0, pegs_by_demand[key], on_hand, held,
                                     dict(position.pegged_by_bucket()))
    return loaded


def load_positions(
    tx: Connection, keys: list[tuple[str, str]], today: date,
    stored: dict[tuple[str, str], tuple[int, int]], items: dict[str, Any],
) -> dict[tuple[str, str], LoadedPosition]:
    """Several whole positions in five queries (a batch's cold positions); see
    :func:`build_positions` for ``stored`` and ``items``."""
    rows = [list(tx.execute(statement)) for statement in load_statements(keys)]
    return build_positions(keys, today, stored, items, rows)


PEG_KEY = ["sku", "location", "demand_kind", "demand_ref", "demand_line", "bucket"]
_ON_HAND_UPDATE = built_once(
    t.positions.update()
    .where(t.positions.c.sku == bindparam("p_sku"), t.positions.c.location == bindparam("p_loc"))
    .values(on_hand=bindparam("p_on_hand"))
)


def save_position(tx: Connection, loaded: LoadedPosition) -> None:
    """Write the pegs, allocation counters and on-hand that changed since the
    last save: the work is proportional to the demands the command touched,
    in at most one statement of each kind."""
    position = loaded.position
    sku, location = position.sku, position.location
    inserts: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    allocations: list[dict[str, Any]] = []
    for key in sorted(position.dirty):
        demand = position.demands.get(key)
        new = {b: n for b, n in demand.pegs.items() if n > 0} if demand else {}
        old = loaded.saved_pegs.get(key, {})
        match = {"sku": sku, "location": location, "demand_kind": key.kind.value,
                 "demand_ref": key.ref, "demand_line": key.line}
        for bucket, n in old.items():
            if bucket not in new:
                deletes.append({**match, "bucket": bucket})
            elif new[bucket] != n:
                updates.append({**match, "bucket": bucket, "quantity": new[bucket]})
        inserts.extend(
            {"sku": sku, "location": location, "demand_kind": key.kind.value,
             "demand_ref": key.ref, "demand_line": key.line, "bucket": bucket, "quantity": n}
            for bucket, n in new.items() if bucket not in old
        )
        if new:
            loaded.saved_pegs[key] = dict(new)
        else:
            loaded.saved_pegs.pop(key, None)
        if key.kind is DemandKind.line:
            held = demand.held if demand else 0
            # A line placed in this unit of work was inserted with nothing allocated.
            if loaded.saved_held.get(key, 0) != held:
                allocations.append({"sku": sku, "location": location, "order_id": key.ref,
                                    "line": key.line, "allocated": held})
            if demand:
                loaded.saved_held[key] = held
            else:
                loaded.saved_held.pop(key, None)
    position.dirty.clear()
    update_rows(tx, t.pegs, PEG_KEY, deletes, delete=True)
    update_rows(tx, t.pegs, PEG_KEY, updates)
    insert_rows(tx, t.pegs, inserts)
    # A line placed by ship_to has a row per part: the location names the part.
    update_rows(tx, t.order_lines, ["sku", "location", "order_id", "line"], allocations)
    if position.on_hand != loaded.saved_on_hand:
        write(tx, _ON_HAND_UPDATE, [{"p_sku": sku, "p_loc": location, "p_on_hand": position.on_hand}])
        loaded.saved_on_hand = position.on_hand


@dataclass
class Trials:
    """Trial positions read from the stored counters (:func:`load_trials`)."""

    positions: dict[str, Position]
    """By location: the receipts with free units, the account's open
    commitments with the buckets they are pegged to, and the counters."""
    expected: set[str]
    """Those of the locations asked about that have an open receipt."""


def _trial_reads(dialect: str) -> tuple[Executable, Executable, Executable, Executable]:
    """The reads of :func:`load_trials`, built once: on PostgreSQL with one
    array parameter for the locations, so that the text never changes."""
    p, c, r = t.positions.c, t.commitments.c, t.receipts.c

    def among(column: Any) -> Any:
        if dialect == "postgresql":
            return column == any_(bindparam("locations", type_=postgresql.ARRAY(column.type)))
        return column.in_(bindparam("locations", expanding=True))

    sku: Any = bindparam("sku")
    statements = (
        select(p.location, p.on_hand, p.held).where(p.sku == sku, among(p.location)),
        select(r.location, r.id, r.expected_date, r.quantity - r.received, r.seq, r.pegged)
        .where(r.sku == sku, among(r.location), t.RECEIPT_HAS_FREE_UNITS),
        select(c.location, c.id, c.account, c.seq, c.need_date, c.quantity, c.consumed, c.released)
        .where(c.sku == sku, among(c.location), c.status == "open", c.account == bindparam("account")),
        select(r.location).where(r.sku == sku, r.location == bindparam("code"), r.status == "open")
        .limit(1),
    )
    return (built_once(statements[0]), built_once(statements[1]), built_once(statements[2]),
            built_once(statements[3]))


_TRIAL_READS = {dialect: _trial_reads(dialect) for dialect in ("postgresql", "sqlite")}


def load_trials(tx: Connection, sku: str, locations: list[str], today: date, account: str | None,
                priority: int, item: Any, expected_at: Sequence[str] = ()) -> Trials:
    """What a new line of ``account`` could touch at each of ``locations``, read
    from the counters (``Position.trial`` without loading the positions'
    demands): in one round trip on PostgreSQL, and one more when the account
    has commitments pegged to receipts without free units."""
    stored_read, receipts_read, commitments_read, expected_read = _TRIAL_READS[tx.dialect.name]
    where = {"sku": sku, "locations": list(locations)}
    reads: list[tuple[Any, dict[str, Any]]] = [(stored_read, where), (receipts_read, where)]
    if account is not None:
        reads.append((commitments_read, {**where, "account": account}))
    reads.extend((expected_read, {"sku": sku, "code": code}) for code in expected_at)
    answers = read_together(tx, reads)
    stored, receipt_rows = answers[0], answers[1]
    commitment_rows = answers[2] if account is not None else []
    expected = {row[0] for rows in answers[3 if account is not None else 2:] for row in rows}
    pegs: dict[DemandKey, dict[str, int]] = {}
    if commitment_rows:
        g = t.pegs.c
        for ref, bucket, quantity in tx.execute(
            select(g.demand_ref, g.bucket, g.quantity).where(
                g.sku == sku, g.location.in_(locations),
                g.demand_kind == DemandKind.commitment.value,
                g.demand_ref.in_([row[1] for row in commitment_rows]))
        ).all():
            pegs.setdefault(DemandKey.for_commitment(ref), {})[bucket] = int(quantity)
    seen = {row[1] for row in receipt_rows}
    wanted = sorted({b for mine in pegs.values() for b in mine if b != ON_HAND} - seen)
    if wanted:
        r = t.receipts.c
        receipt_rows = receipt_rows + [tuple(row) for row in tx.execute(
            select(r.location, r.id, r.expected_date, r.quantity - r.received, r.seq, r.pegged)
            .where(r.sku == sku, r.id.in_(wanted), r.status == "open"))]
    counts = {code: (0, 0) for code in locations}
    counts.update({code: (int(on_hand), int(held)) for code, on_hand, held in stored})
    positions: dict[str, Position] = {}
    counters: dict[str, dict[str, int]] = {}
    for code in locations:
        on_hand, held = counts[code]
        positions[code] = Position(sku, code, today, on_hand, safety_stock=int(item["safety_stock"]),
                                   lead_time_days=item["lead_time_days"])
        counters[code] = {ON_HAND: held}
    for code, rid, expected_date, open_units, seq, pegged in receipt_rows:
        positions[code].load_receipt(rid, expected_date, int(open_units), int(seq))
        counters[code][rid] = int(pegged)
    for code, cid, owner, seq, need, quantity, consumed, released in commitment_rows:
        key = DemandKey.for_commitment(cid)
        positions[code].load_demand(Demand(key, owner, (priority, int(seq), 0), need,
                                           int(quantity) - int(consumed) - int(released),
                                           dict(pegs.get(key, {}))))
    # The counters stand for everyone pegged, not only the demands loaded here.
    for code, position in positions.items():
        position.set_pegged_counts(counters[code])
    return Trials(positions, expected)
