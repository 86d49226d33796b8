"""The batch file finance pays from: one CSV line per payout, with the full method details.

The details are decrypted into this file because finance cannot pay without them, so the file
is created readable and writable by its owner only (mode 0600), written whole under a temporary
name and then renamed: a reader never sees half a batch.
"""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

from babel import numbers

from core.pseudonym import pseudonym
from tasks.payout_methods import mask
from tasks.payout_models import Payout

FILE_MODE = 0o600
COLUMNS = (
    "payout_id",
    "worker",
    "period",
    "amount_minor",
    "amount",
    "currency",
    "method",
    "details_masked",
    "details",
)


def batch_path(out_dir: Path, period: str) -> Path:
    return out_dir / f"payouts-{period}.csv"


def _amount(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-numbers.get_currency_precision(currency)))


def batch_csv(payouts: list[Payout]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for payout in payouts:
        writer.writerow(
            (
                payout.id,
                pseudonym(payout.user_id) if payout.user_id is not None else "",
                payout.period,
                payout.amount_minor,
                _amount(payout.amount_minor, payout.currency),
                payout.currency,
                payout.method_kind,
                mask(payout.method_kind, payout.details),
                payout.details or "",
            )
        )
    return buffer.getvalue()


def write_batch(out_dir: Path, period: str, payouts: list[Payout]) -> Path:
    """The period's batch file (replacing an earlier one of the same period), mode 0600."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = batch_path(out_dir, period)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(descriptor, FILE_MODE)  # also when the draft was left by a killed run
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(batch_csv(payouts))
    except BaseException:
        draft.unlink(missing_ok=True)
        raise
    os.replace(draft, path)
    return path
