"""A worker's payout method: which kinds a cohort allows, details checked per kind, shown masked.

Details are normalised before they are stored (Latin digits, no spaces): a phone number for
mobile money (any digit system, an optional leading +), an IBAN (checksum verified) or an account
number for a bank, a wallet id or an e-mail address for an online wallet, nothing for cash.
Stored encrypted (tasks.payout_models). Nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.text_input import ascii_digits, clean
from tasks.payout_models import METHOD_KINDS, PayoutMethod

MASK = "••••"
_SEPARATORS = re.compile(r"[\s\-().]")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
# Both start with a letter or digit: a spreadsheet opening finance's batch file takes a cell
# that starts with = + - or @ for a formula.
_EMAIL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_WALLET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{2,63}$")
PHONE_DIGITS = (8, 15)  # E.164 allows at most 15
ACCOUNT_DIGITS = (6, 30)


class MethodError(Exception):
    """Refused: `reason` is not_allowed, bad_details (cash has none, the others need them),
    bad_phone, bad_account or bad_wallet."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def allowed_methods(
    cohort_id: int | None,
    default: Sequence[str],
    by_cohort: Mapping[int, Sequence[str]],
) -> tuple[str, ...]:
    """The kinds a worker of the cohort may choose, in the order of METHOD_KINDS."""
    chosen = by_cohort.get(cohort_id, default) if cohort_id is not None else default
    return tuple(kind for kind in METHOD_KINDS if kind in chosen)


def needs_details(kind: str) -> bool:
    return kind != "cash"


def _phone(text: str) -> str:
    plus = text.startswith("+")
    digits = _SEPARATORS.sub("", text.removeprefix("+"))
    if plus is False and digits.startswith("00"):  # 0093... is +93...
        plus, digits = True, digits[2:]
    low, high = PHONE_DIGITS
    if not (digits.isascii() and digits.isdigit() and low <= len(digits) <= high):
        raise MethodError("bad_phone")
    return ("+" if plus else "") + digits


def _iban_valid(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _bank(text: str) -> str:
    compact = _SEPARATORS.sub("", text).upper()
    if _IBAN.match(compact):
        if not _iban_valid(compact):
            raise MethodError("bad_account")
        return compact
    low, high = ACCOUNT_DIGITS
    if compact.isascii() and compact.isdigit() and low <= len(compact) <= high:
        return compact
    raise MethodError("bad_account")


def _wallet(text: str) -> str:
    if " " in text:
        raise MethodError("bad_wallet")
    if "@" in text:
        if _EMAIL.match(text) and len(text) <= 254:
            return text.lower()
        raise MethodError("bad_wallet")
    if _WALLET_ID.match(text):
        return text
    raise MethodError("bad_wallet")


def normalize(kind: str, text: str) -> str:
    """The details as stored, or MethodError with the reason they cannot be."""
    value = ascii_digits(clean(text, 300).text)
    if kind == "mobile_money":
        return _phone(value)
    if kind == "bank":
        return _bank(value)
    if kind == "wallet":
        return _wallet(value)
    raise MethodError("not_allowed")


def mask(kind: str, details: str | None) -> str:
    """What a screen shows: the last four characters (an e-mail: its first letter and domain)."""
    if not details:
        return ""
    if kind == "wallet" and "@" in details:
        local, domain = details.split("@", 1)
        return f"{local[:1]}{MASK}@{domain}"
    return f"{MASK} {details[-4:]}"


async def current(session: AsyncSession, user_id: int) -> PayoutMethod | None:
    return await session.get(PayoutMethod, user_id)


async def set_method(
    session: AsyncSession,
    user_id: int,
    kind: str,
    details: str | None,
    now: datetime,
    allowed: Sequence[str],
) -> PayoutMethod:
    """Register or replace the worker's method; `details` as given by `normalize` (None for
    cash). A double tap stores it once."""
    if kind not in allowed or kind not in METHOD_KINDS:
        raise MethodError("not_allowed")
    if needs_details(kind) != (details is not None):
        raise MethodError("bad_details")
    found = await session.get(PayoutMethod, user_id)
    if found is None:
        fresh = PayoutMethod(user_id=user_id, kind=kind, details=details, updated_at=now)
        try:
            async with session.begin_nested():
                session.add(fresh)
            return fresh
        except IntegrityError:
            found = await session.get(PayoutMethod, user_id, populate_existing=True)
            if found is None:
                raise
    found.kind, found.details, found.updated_at = kind, details, now
    await session.flush()
    return found
