"""What a worker is told about a payout and their payout method, in their language.

Used by the Earnings screen and by the notices a payout run or a confirmation writes to the
outbox (rendered inside `use_locale(worker's locale)`).
"""

from __future__ import annotations

from core.i18n import _, code, format_money
from core.text_input import excerpt
from tasks.payout_methods import mask


def method_name(kind: str) -> str:
    names = {
        "mobile_money": _("Mobile money"),
        "bank": _("Bank account"),
        "wallet": _("Online wallet"),
        "cash": _("Cash through your partner organisation"),
    }
    return names[kind]


def method_shown(kind: str, details: str | None) -> str:
    """ "Mobile money •••• 4821": the name and the masked details, kept left-to-right."""
    masked = mask(kind, details)
    return f"{method_name(kind)} {code(masked)}" if masked else method_name(kind)


def state_name(state: str) -> str:
    names = {"in_payout": _("on its way"), "paid": _("paid"), "failed": _("failed")}
    return names[state]


def payout_created(amount_minor: int, currency: str, kind: str, details: str | None) -> str:
    return _(
        "💸 A payout of {amount} is on its way to you: {method}. You will get a message when "
        "it is paid."
    ).format(amount=format_money(amount_minor, currency), method=method_shown(kind, details))


def payout_paid(amount_minor: int, currency: str, kind: str, details: str | None) -> str:
    return _("✅ Your payout of {amount} was paid: {method}.").format(
        amount=format_money(amount_minor, currency), method=method_shown(kind, details)
    )


def payout_failed(amount_minor: int, currency: str, reason: str) -> str:
    return _(
        "⚠️ Your payout of {amount} could not be made ({reason}). The money is back in your "
        "available balance. Check your payout method in 💰 Earnings."
    ).format(amount=format_money(amount_minor, currency), reason=excerpt(reason, 120))


def held_no_method(amount_minor: int, currency: str) -> str:
    return _(
        "You have {amount} available, but no payout method yet. Set one in 💰 Earnings to be "
        "paid in the next payout."
    ).format(amount=format_money(amount_minor, currency))


def held_below_minimum(amount_minor: int, currency: str, minimum_minor: int) -> str:
    return _(
        "You have {amount} available. Payouts start at {minimum}, so it stays in your balance "
        "until then."
    ).format(
        amount=format_money(amount_minor, currency),
        minimum=format_money(minimum_minor, currency),
    )
