"""The demo data set: four businesses that promise from the same engine.

- A fashion retailer's designer coat, sold online only, sold out and on
  backorder ahead of a delivery; VIP customers are served first.
- A steel supplier committing next quarter's beams to a developer's
  contract against on-hand stock and two mill receipts (DESIGN.md's worked
  example), with smaller builders ordering around it.
- An electronics maker earmarking specialised accelerator chips for its
  upcoming AI server line, and the server orders that consume them.
- A grocer promising out-of-season produce against harvest receipts, with a
  key account ahead of the corner shops.

Every item has a cost and a price, and the four weeks before the demo's day
hold closed orders, filled or backordered and shipped on time or late
(``earmark.demo.service_history``): the capital and service reports show
real figures at once.

Every position also has two years of daily demand history (generated,
seeded: trends, weekly and yearly seasons, promotions, and intermittent
items: the boot, the plate and the accelerator chips), which forecasting
learns from (``earmark.forecast``).

Everything goes through the same handlers as the API, so the demo's events,
pegs and ledger are real.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from earmark.demo.service_history import RecordServiceHistory, record_service_history
from earmark.domain.backorder import BackorderPolicy
from earmark.forecast import history
from earmark.forecast.synthetic import Profile, series
from earmark.service import commitments as cm
from earmark.service import master, network, orders, suppliers, supply, transfers
from earmark.service.uow import Store

DEMO_TODAY = date(2026, 1, 5)


def _day(days: int) -> date:
    return DEMO_TODAY + timedelta(days=days)


ITEMS: list[master.UpsertItem] = [
    master.UpsertItem("COAT-ASTRID-S", "Astrid wool coat, camel, S", "each", "420.00", 21),
    master.UpsertItem("COAT-ASTRID-M", "Astrid wool coat, camel, M", "each", "420.00", 21),
    master.UpsertItem("COAT-ASTRID-L", "Astrid wool coat, camel, L", "each", "420.00", 21),
    master.UpsertItem("SCARF-MERINO", "Merino scarf, charcoal", "each", "65.00", 10, safety_stock=5),
    master.UpsertItem("BOOT-CHELSEA-42", "Chelsea boot, 42", "pair", "180.00", 28, BackorderPolicy.deny),
    master.UpsertItem("BEAM-W12", "Steel wide-flange beam W12x26, 12 m", "each", "910.00", 45),
    master.UpsertItem("PLATE-S355-20", "Steel plate S355, 20 mm", "sheet", "640.00", 30, safety_stock=50),
    master.UpsertItem("BOLT-M20", "Structural bolt M20x80, galvanised", "each", "1.20", 14, safety_stock=500),
    master.UpsertItem("CHIP-AX900", "AX900 AI accelerator module", "each", "18500.00", 120),
    master.UpsertItem("HBM-STACK-24", "HBM3e stack, 24 GB", "each", "2100.00", 90),
    master.UpsertItem("PSU-3KW", "3 kW titanium power supply", "each", "640.00", 21, safety_stock=10),
    master.UpsertItem("AVOCADO-HASS", "Hass avocados, case of 48", "case", "52.00", 7),
    master.UpsertItem("CHERRY-LAPINS", "Lapins cherries, 5 kg crate", "crate", "38.00", 10),
    master.UpsertItem("MANGO-KENT", "Kent mangoes, case of 12", "case", "24.00", 7, safety_stock=20),
]

PRICES = {
    "COAT-ASTRID-S": "890.00",
    "COAT-ASTRID-M": "890.00",
    "COAT-ASTRID-L": "890.00",
    "SCARF-MERINO": "145.00",
    "BOOT-CHELSEA-42": "390.00",
    "BEAM-W12": "1240.00",
    "PLATE-S355-20": "860.00",
    "BOLT-M20": "2.10",
    "CHIP-AX900": "26000.00",
    "HBM-STACK-24": "2900.00",
    "PSU-3KW": "980.00",
    "AVOCADO-HASS": "78.00",
    "CHERRY-LAPINS": "64.00",
    "MANGO-KENT": "39.00",
}
"""What a unit of each item sells for (its cost is in ``ITEMS``)."""
ITEMS = [replace(item, unit_price=PRICES[item.sku]) for item in ITEMS]

LOCATIONS = [
    master.UpsertLocation("WEB", "Online fulfilment centre"),
    master.UpsertLocation("STORE-SOHO", "Soho flagship store"),
    master.UpsertLocation("YARD", "Steel stockyard, Gary IN"),
    master.UpsertLocation("FAB-AUS", "Server assembly plant, Austin"),
    master.UpsertLocation("DC-EAST", "Fresh produce DC, Newark"),
    master.UpsertLocation("SITE-PIER-7", "Harbor Developments site, Pier 7"),
    master.UpsertLocation("SITE-RIVERSIDE", "Harbor Developments site, Riverside"),
    master.UpsertLocation("SHOP-HOBOKEN", "FreshMart Hoboken"),
    master.UpsertLocation("SHOP-JERSEY", "FreshMart Jersey City"),
]

LANES = [
    # The store's customers are served from the web warehouse, two days away.
    network.SetLane("WEB", "STORE-SOHO", 2),
    # The yard trucks beams to the developer's two sites.
    network.SetLane("YARD", "SITE-PIER-7", 1),
    network.SetLane("YARD", "SITE-RIVERSIDE", 2),
    # The produce hub feeds its shops overnight.
    network.SetLane("DC-EAST", "SHOP-HOBOKEN", 1),
    network.SetLane("DC-EAST", "SHOP-JERSEY", 1),
]

ACCOUNTS = [
    master.UpsertAccount("web", "Online shoppers", 100),
    master.UpsertAccount("vip-club", "VIP club members", 20),
    master.UpsertAccount("bigdev", "Harbor Developments (contract)", 10),
    master.UpsertAccount("smallbuild", "Smith & Sons Builders", 100),
    master.UpsertAccount("metalworks", "Lakeside Metalworks", 100),
    master.UpsertAccount("ai-servers", "AI server line (internal)", 5),
    master.UpsertAccount("cloudco", "CloudCo (server buyer)", 50),
    master.UpsertAccount("labs", "University research labs", 150),
    master.UpsertAccount("freshmart", "FreshMart supermarkets (key account)", 10),
    master.UpsertAccount("corner", "Corner grocers", 100),
    master.UpsertAccount("bistro", "Bistro Rue Neuve", 120),
]


HISTORY_DAYS = 730
"""Two years of daily demand, up to the day before the demo's today."""
HISTORY_SEED = 20260105
DEMAND: dict[tuple[str, str], Profile] = {
    # Coats and scarves sell before and around Christmas, at the weekend, with sales.
    ("COAT-ASTRID-S", "WEB"): Profile(3, 0.3, "retail", 0.7, 345, 3, 2.5),
    ("COAT-ASTRID-M", "WEB"): Profile(5, 0.3, "retail", 0.7, 345, 3, 2.5),
    ("COAT-ASTRID-L", "WEB"): Profile(3, 0.3, "retail", 0.7, 345, 3, 2.5),
    ("SCARF-MERINO", "WEB"): Profile(12, 0.1, "retail", 0.5, 350, 4, 2.0),
    ("SCARF-MERINO", "STORE-SOHO"): Profile(4, 0.0, "retail", 0.5, 350, 2, 1.8),
    ("BOOT-CHELSEA-42", "WEB"): Profile(0.4, intermittent_share=0.25),
    # Steel is a weekday trade, busiest in the building season.
    ("BEAM-W12", "YARD"): Profile(120, 0.1, "trade", 0.3, 180),
    ("PLATE-S355-20", "YARD"): Profile(6, intermittent_share=0.2),
    ("BOLT-M20", "YARD"): Profile(900, 0.05, "trade", 0.2, 170, 1, 1.5),
    # Electronics: chips in lumps, memory and power supplies growing with the server line.
    ("CHIP-AX900", "FAB-AUS"): Profile(2, intermittent_share=0.12),
    ("HBM-STACK-24", "FAB-AUS"): Profile(20, 0.4, "trade"),
    ("PSU-3KW", "FAB-AUS"): Profile(4, 0.2, "trade"),
    # Produce follows its harvests; avocados peak for February's parties.
    ("AVOCADO-HASS", "DC-EAST"): Profile(60, 0.1, "retail", 0.3, 35, 6, 1.6),
    ("CHERRY-LAPINS", "DC-EAST"): Profile(20, 0.0, "retail", 0.9, 10, 2, 1.5),
    ("MANGO-KENT", "DC-EAST"): Profile(25, 0.05, "retail", 0.4, 200, 4, 1.7),
}


def demand_history() -> history.RecordHistory:
    """Two years of generated daily demand for every demo position (days
    without demand are left out, but for each position's first day)."""
    rng = np.random.default_rng(HISTORY_SEED)
    first = DEMO_TODAY - timedelta(days=HISTORY_DAYS)
    rows: list[history.HistoryRow] = []
    for (sku, location), profile in DEMAND.items():
        units = series(profile, np.datetime64(first, "D"), HISTORY_DAYS, rng)
        rows += [history.HistoryRow(0, first + timedelta(days=i), sku, location, int(q))
                 for i, q in enumerate(units) if q or i == 0]
    return history.RecordHistory(tuple(rows))


def _adjust(sku: str, location: str, quantity: int) -> supply.Adjust:
    return supply.Adjust(sku, location, quantity, "initial", "opening stock")


RECEIPT_SUPPLIERS = {
    "COAT": "nordic-wool", "SCARF": "nordic-wool", "BEAM": "gary-mill", "PLATE": "gary-mill",
    "HBM": "hbm-fab", "AVOCADO": "mx-growers", "CHERRY": "cl-growers",
}
"""Who delivers each kind of item (transfers and the chip fab's own output have no supplier)."""

SLIP_HISTORY: dict[tuple[str, str, str], list[int]] = {
    # Each supplier's past receipts, oldest first: days late (negative: early).
    ("nordic-wool", "SCARF-MERINO", "WEB"): [0, 2, 1, 0, 5, 3, 0, 9, 1, 2, 0, 4, 1, 6],
    ("gary-mill", "BEAM-W12", "YARD"): [0, 0, -1, 0, 1, 0, 0, 2, 0, 0, -2, 3],
    ("mx-growers", "AVOCADO-HASS", "DC-EAST"): [3, 5, 2, 7, 4, 6],
    ("hbm-fab", "HBM-STACK-24", "FAB-AUS"): [0, 14, 1],
}
"""Slips that make the suppliers page and the confidence dates speak from the
start: nordic-wool's P90 is 6 days (14 slips), gary-mill's 2 (12 slips);
mx-growers and hbm-fab have fewer than 10, so the pooled P90 stands in."""


def _receipt(
    rid: str, sku: str, location: str, quantity: int, days: int, source: str = "purchase"
) -> supply.CreateReceipt:
    supplier = RECEIPT_SUPPLIERS.get(sku.split("-")[0])
    return supply.CreateReceipt(rid, sku, location, quantity, _day(days), source, supplier)


def slip_history() -> suppliers.RecordSlipHistory:
    """Past receipts, one every three weeks back from a month ago, received in full."""
    past: list[suppliers.PastReceipt] = []
    for (supplier, sku, location), slips in SLIP_HISTORY.items():
        for n, slip in enumerate(slips):
            first_expected = _day(-30 - 21 * (len(slips) - 1 - n))
            past.append(suppliers.PastReceipt(
                f"HIST-{supplier}-{n + 1:02d}", sku, location, 100, supplier, first_expected,
                first_expected + timedelta(days=slip)))
    return suppliers.RecordSlipHistory(tuple(past))


def _order(oid: str, account: str, *lines: tuple[str, str, int, int]) -> orders.PlaceOrder:
    return orders.PlaceOrder(
        oid,
        account,
        [
            orders.LineIn(str(i + 1), sku, qty, loc, _day(days))
            for i, (sku, loc, qty, days) in enumerate(lines)
        ],
    )


def _ship_to(oid: str, account: str, sku: str, ship_to: str, quantity: int, days: int,
             *, split: bool = False) -> orders.PlaceOrder:
    return orders.PlaceOrder(oid, account, [
        orders.LineIn("1", sku, quantity, None, _day(days), ship_to=ship_to, split=split)])


def _commit(
    cid: str,
    account: str,
    sku: str,
    location: str,
    quantity: int,
    need_days: int,
    expires_days: int | None,
    kind: str,
    mode: str = "strict",
) -> cm.CreateCommitment:
    return cm.CreateCommitment(
        cid,
        account,
        sku,
        location,
        quantity,
        _day(need_days),
        None if expires_days is None else _day(expires_days),
        kind,
        mode,
    )


def commands() -> list[tuple[Any, Any]]:
    """Every command of the demo, in the order it happened."""
    steps: list[tuple[Any, Any]] = []
    # The demo's day, stored with its database: every process that opens it (the
    # server, `earmark --database demo.db ...`) plans by the same today.
    steps += [(cm.advance_clock, cm.AdvanceClock(DEMO_TODAY))]
    steps += [(master.upsert_location, c) for c in LOCATIONS]
    steps += [(network.set_lane, c) for c in LANES]
    steps += [(master.upsert_account, c) for c in ACCOUNTS]
    steps += [(master.upsert_item, c) for c in ITEMS]
    steps += [(history.record_history, demand_history())]
    # Four weeks of closed orders before today: what the service report measures.
    steps += [(record_service_history, RecordServiceHistory(DEMO_TODAY))]
    steps += [(suppliers.record_slip_history, slip_history())]
    steps += [
        (supply.adjust, c)
        for c in [
            # Fashion: the coat is down to its last units online.
            _adjust("COAT-ASTRID-S", "WEB", 3),
            _adjust("COAT-ASTRID-M", "WEB", 4),
            _adjust("COAT-ASTRID-L", "WEB", 2),
            _adjust("SCARF-MERINO", "WEB", 140),
            _adjust("SCARF-MERINO", "STORE-SOHO", 25),
            _adjust("BOOT-CHELSEA-42", "WEB", 6),
            # Steel: DESIGN.md's worked example, plus plate and bolts.
            _adjust("BEAM-W12", "YARD", 2000),
            _adjust("PLATE-S355-20", "YARD", 380),
            _adjust("BOLT-M20", "YARD", 24000),
            # Electronics: a handful of modules from the pilot run.
            _adjust("CHIP-AX900", "FAB-AUS", 40),
            _adjust("HBM-STACK-24", "FAB-AUS", 600),
            _adjust("PSU-3KW", "FAB-AUS", 90),
            # Grocery: out of season, little on hand.
            _adjust("AVOCADO-HASS", "DC-EAST", 120),
            _adjust("CHERRY-LAPINS", "DC-EAST", 0),
            _adjust("MANGO-KENT", "DC-EAST", 300),
        ]
        if c.quantity
    ]
    steps += [
        (supply.create_receipt, c)
        for c in [
            _receipt("PO-COAT-0112", "COAT-ASTRID-M", "WEB", 24, 14),
            _receipt("PO-COAT-0112-S", "COAT-ASTRID-S", "WEB", 12, 14),
            _receipt("PO-COAT-0209", "COAT-ASTRID-M", "WEB", 40, 35),
            _receipt("PO-SCARF-0120", "SCARF-MERINO", "WEB", 200, 15),
            _receipt("MILL-FEB", "BEAM-W12", "YARD", 5000, 27, "production"),
            _receipt("MILL-MAR", "BEAM-W12", "YARD", 6000, 55, "production"),
            _receipt("MILL-PLATE-01", "PLATE-S355-20", "YARD", 400, 20, "production"),
            _receipt("FAB-AX900-W6", "CHIP-AX900", "FAB-AUS", 160, 33, "production"),
            _receipt("FAB-AX900-W10", "CHIP-AX900", "FAB-AUS", 240, 61, "production"),
            _receipt("PO-HBM-Q1", "HBM-STACK-24", "FAB-AUS", 1800, 40),
            _receipt("HARVEST-AVO-MX-1", "AVOCADO-HASS", "DC-EAST", 600, 9, "harvest"),
            _receipt("HARVEST-AVO-MX-2", "AVOCADO-HASS", "DC-EAST", 900, 23, "harvest"),
            _receipt("HARVEST-CHERRY-CL", "CHERRY-LAPINS", "DC-EAST", 450, 16, "harvest"),
            _receipt("TRANSFER-MANGO-01", "MANGO-KENT", "DC-EAST", 200, 4, "transfer"),
        ]
    ]
    steps += [
        (cm.create_commitment, c)
        for c in [
            # The worked example: 10,000 beams for April, pegged to March and February.
            _commit("C-STEEL-Q2", "bigdev", "BEAM-W12", "YARD", 10000, 86, 176, "contract"),
            _commit("C-PLATE-BIGDEV", "bigdev", "PLATE-S355-20", "YARD", 300, 30, 120, "contract"),
            # Chips for the AI server line, ahead of its launch.
            _commit("C-AX900-LAUNCH", "ai-servers", "CHIP-AX900", "FAB-AUS", 320, 70, 150, "project"),
            _commit("C-HBM-LAUNCH", "ai-servers", "HBM-STACK-24", "FAB-AUS", 1600, 60, 150, "project"),
            # FreshMart's weekly avocado and cherry programme.
            _commit("C-FRESHMART-AVO", "freshmart", "AVOCADO-HASS", "DC-EAST", 700, 21, 35, "key_account"),
            _commit(
                "C-FRESHMART-CHERRY",
                "freshmart",
                "CHERRY-LAPINS",
                "DC-EAST",
                300,
                18,
                30,
                "key_account",
                "partial",
            ),
            # A forecast earmark for the coat's spring restock, for VIP pre-orders.
            _commit("C-VIP-COAT", "vip-club", "COAT-ASTRID-M", "WEB", 10, 35, 60, "forecast", "partial"),
        ]
    ]
    steps += [
        (orders.place_order, c)
        for c in [
            # Coats: the last units go, then a queue forms behind the January delivery.
            _order("WEB-10231", "web", ("COAT-ASTRID-M", "WEB", 2, 0), ("SCARF-MERINO", "WEB", 1, 0)),
            _order("WEB-10232", "web", ("COAT-ASTRID-M", "WEB", 1, 0)),
            _order("WEB-10233", "web", ("COAT-ASTRID-M", "WEB", 3, 0)),
            _order("WEB-10234", "vip-club", ("COAT-ASTRID-M", "WEB", 1, 0)),
            _order("WEB-10235", "web", ("COAT-ASTRID-S", "WEB", 5, 0)),
            _order("WEB-10236", "web", ("COAT-ASTRID-M", "WEB", 2, 0), ("COAT-ASTRID-L", "WEB", 1, 0)),
            _order("WEB-10237", "web", ("COAT-ASTRID-L", "WEB", 3, 0)),
            _order("WEB-10238", "vip-club", ("COAT-ASTRID-M", "WEB", 4, 0)),
            _order("WEB-10239", "web", ("COAT-ASTRID-M", "WEB", 18, 0)),
            # Steel: a builder takes what is left this month (the worked example's order).
            _order("SO-STEEL-7781", "smallbuild", ("BEAM-W12", "YARD", 3000, 0)),
            _order(
                "SO-STEEL-7790",
                "metalworks",
                ("PLATE-S355-20", "YARD", 120, 0),
                ("BOLT-M20", "YARD", 8000, 0),
            ),
            _order("SO-STEEL-7801", "bigdev", ("BEAM-W12", "YARD", 1500, 40)),
            # Electronics: server builds consume the launch earmark; others queue.
            _order(
                "SRV-BUILD-001",
                "ai-servers",
                ("CHIP-AX900", "FAB-AUS", 32, 0),
                ("HBM-STACK-24", "FAB-AUS", 192, 0),
                ("PSU-3KW", "FAB-AUS", 16, 0),
            ),
            _order("CC-PO-5521", "cloudco", ("CHIP-AX900", "FAB-AUS", 120, 30)),
            _order("LAB-2026-03", "labs", ("CHIP-AX900", "FAB-AUS", 8, 0)),
            # Grocery: FreshMart's orders consume its earmark; corner shops queue.
            _order(
                "FM-WK02",
                "freshmart",
                ("AVOCADO-HASS", "DC-EAST", 180, 7),
                ("CHERRY-LAPINS", "DC-EAST", 60, 16),
            ),
            _order("CG-1187", "corner", ("AVOCADO-HASS", "DC-EAST", 40, 0), ("MANGO-KENT", "DC-EAST", 30, 0)),
            _order("CG-1188", "corner", ("CHERRY-LAPINS", "DC-EAST", 40, 0)),
            _order(
                "BISTRO-77", "bistro", ("AVOCADO-HASS", "DC-EAST", 12, 0), ("MANGO-KENT", "DC-EAST", 10, 0)
            ),
        ]
    ]
    steps += [
        (orders.place_order, c)
        for c in [
            # The store sells the coat it does not stock: served from the web warehouse.
            _ship_to("SOHO-5512", "web", "COAT-ASTRID-S", "STORE-SOHO", 1, 0),
            # Scarves: the store's shelf cannot spare 30 (its safety stock stays), so the
            # whole line comes from the web warehouse, two days away (split only if none could).
            _ship_to("SOHO-5513", "vip-club", "SCARF-MERINO", "STORE-SOHO", 30, 0, split=True),
            # The developer's beams go to its sites from its contract at the yard.
            _ship_to("HD-PIER7-001", "bigdev", "BEAM-W12", "SITE-PIER-7", 1200, 30),
            _ship_to("HD-RIVER-001", "bigdev", "BEAM-W12", "SITE-RIVERSIDE", 800, 60),
        ]
    ]
    steps += [
        # The hub feeds its shops overnight.
        (transfers.create_transfer, transfers.CreateTransfer(
            "TR-HOB-0105", "MANGO-KENT", "DC-EAST", "SHOP-HOBOKEN", 24)),
        (transfers.create_transfer, transfers.CreateTransfer(
            "TR-JC-0105", "MANGO-KENT", "DC-EAST", "SHOP-JERSEY", 40)),
        (transfers.ship_transfer, transfers.ShipTransfer("TR-JC-0105")),
        # February's avocados for Jersey City ride on the second Mexican harvest.
        (transfers.create_transfer, transfers.CreateTransfer(
            "TR-JC-0204", "AVOCADO-HASS", "DC-EAST", "SHOP-JERSEY", 60, _day(30))),
    ]
    steps += [
        (orders.place_order, _ship_to("FMJ-0204", "freshmart", "AVOCADO-HASS", "SHOP-JERSEY", 30, 30)),
        (orders.ship_order, orders.ShipOrder("WEB-10231", [orders.LineQuantity("2", 1)])),
        (supply.receive_receipt, supply.ReceiveReceipt("TRANSFER-MANGO-01", 150)),
    ]
    return steps


def load(store: Store) -> int:
    """Apply every demo command; returns how many ran. Fails loudly on a refusal."""
    count = 0
    for handler, cmd in commands():
        with store.unit_of_work() as uow:
            result = handler(uow, cmd)
        if not result.ok:
            raise RuntimeError(f"demo step {cmd!r} was refused: {result.outcome} {result.detail}")
        count += 1
    return count
