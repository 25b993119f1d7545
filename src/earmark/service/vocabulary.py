"""The words of the API that name a choice, in one place: the HTTP schemas,
the service's checks and the CLI's choices all read them from here.

This module imports nothing but ``typing``, so that the CLI can list the
choices in ``--help`` without loading the database layer."""

from __future__ import annotations

from typing import Literal, get_args

AdjustmentReason = Literal["initial", "count", "damage", "return", "correction"]
ReceiptSource = Literal["purchase", "production", "transfer", "harvest"]
ReceiptStatus = Literal["open", "received", "cancelled"]
CommitmentKind = Literal["contract", "project", "key_account", "forecast"]
CommitmentMode = Literal["strict", "partial"]
CommitmentStatus = Literal["open", "consumed", "expired", "released"]
BackorderWord = Literal["allow", "deny", "reject"]
ItemBackorderWord = Literal["allow", "deny"]
OrderStatus = Literal["open", "closed"]

ADJUSTMENT_REASONS: tuple[str, ...] = get_args(AdjustmentReason)
RECEIPT_SOURCES: tuple[str, ...] = get_args(ReceiptSource)
COMMITMENT_KINDS: tuple[str, ...] = get_args(CommitmentKind)
COMMITMENT_MODES: tuple[str, ...] = get_args(CommitmentMode)

PromiseBasisWord = Literal["expected", "p90"]
"""Which date an account's or item's customers are told (``domain.slips.PromiseBasis``)."""
