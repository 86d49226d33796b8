"""How a worker is paid: choose a payout method, send its details, confirm; change it later.

Reached from the Earnings screen. The conversation state lives in the database (bot's FSM
storage), so a prompt survives a restart; the details typed wait there for the confirmation
encrypted with the same keyring as the stored method, never in plain text.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core import crypto
from core.clock import Clock
from core.i18n import _, code, format_date, format_list, format_money
from handlers.callbacks import MenuAction, PayoutStep
from handlers.filters import IsMember
from handlers.keyboards import menu_button
from handlers.routing import Routes
from handlers.screens import Screen, present
from people.accounts import Member
from tasks import payout_methods
from tasks.owed import Earnings
from tasks.payout_methods import MethodError
from tasks.payout_notices import method_name, method_shown, state_name
from tasks.payouts import PayoutTerms

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__, IsMember())

KIND_KEY = "payout_kind"  # FSM data while the details prompt waits
DETAILS_KEY = "payout_details"  # the checked details, encrypted, until confirmed


class PayoutDetails(StatesGroup):
    waiting = State()


def payout_method_button_text(has_method: bool) -> str:
    return _("💳 Change payout method") if has_method else _("💳 Set payout method")


def allowed(member: Member, settings: Settings) -> tuple[str, ...]:
    return payout_methods.allowed_methods(
        member.cohort_id, settings.payout_methods, settings.payout_methods_by_cohort
    )


def _prompt(kind: str) -> str:
    prompts = {
        "mobile_money": _(
            "Send the phone number of your mobile money account, with the country code, for "
            "example +93 70 123 4567."
        ),
        "bank": _("Send your IBAN or your bank account number."),
        "wallet": _("Send your wallet id or the e-mail address of your online wallet."),
    }
    return "✍️ " + prompts[kind]


def _problem(reason: str) -> str:
    problems = {
        "bad_phone": _(
            "That does not look like a phone number. Send 8 to 15 digits, with the country code."
        ),
        "bad_account": _("That is not a valid IBAN or account number. Check it and send it again."),
        "bad_wallet": _("That is not a valid wallet id or e-mail address. Send it without spaces."),
    }
    return problems.get(reason, _("This button is no longer valid."))


def _back_row(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("💰 Earnings"), callback_data=MenuAction(action="earnings"))
    builder.add(menu_button())


async def methods_screen(session: AsyncSession, member: Member, settings: Settings) -> Screen:
    """The current method (masked) and the methods the worker's group allows."""
    found = await payout_methods.current(session, member.id)
    lines = [_("💳 Payout method")]
    if found is None:
        lines.append(_("You have no payout method yet. Payouts go only to a method you set."))
    else:
        lines.append(
            _("You are paid by: {method}").format(method=method_shown(found.kind, found.details))
        )
    lines.append(_("Choose how you want to be paid:"))
    builder = InlineKeyboardBuilder()
    kinds = allowed(member, settings)
    for kind in kinds:
        builder.button(text=method_name(kind), callback_data=PayoutStep(do="kind", kind=kind))
    _back_row(builder)
    builder.adjust(*([1] * len(kinds)), 2)
    return Screen("\n\n".join(lines), builder.as_markup())


def confirm_screen(kind: str, details: str | None) -> Screen:
    shown = f"{method_name(kind)}: {code(details)}" if details else method_name(kind)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("✅ Yes"), callback_data=PayoutStep(do="save", kind=kind))
    builder.button(text=_("✏️ Change"), callback_data=PayoutStep(do="menu"))
    builder.add(menu_button())
    builder.adjust(2, 1)
    return Screen(_("{name} - is this right?").format(name=shown), builder.as_markup())


def _prompt_markup() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅️ Back"), callback_data=PayoutStep(do="menu"))
    builder.add(menu_button())
    return builder.as_markup()


@router.callback_query(PayoutStep.filter())
async def payout_step(
    query: CallbackQuery,
    callback_data: PayoutStep,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    step, kind = callback_data.do, callback_data.kind
    if step == "menu":
        await state.clear()
        await present(query, await methods_screen(session, member, settings), session)
        await query.answer()
        return
    if kind not in allowed(member, settings) or step not in ("kind", "save"):
        await query.answer(_("This button is no longer valid."))
        return
    if step == "kind":
        if not payout_methods.needs_details(kind):
            await state.clear()
            await present(query, confirm_screen(kind, None), session)
        else:
            await state.set_state(PayoutDetails.waiting)
            await state.set_data({KIND_KEY: kind})
            await present(query, Screen(_prompt(kind), _prompt_markup()), session)
        await query.answer()
        return
    data = await state.get_data()
    details = None
    if payout_methods.needs_details(kind):
        token = data.get(DETAILS_KEY)
        if data.get(KIND_KEY) != kind or not isinstance(token, str):
            await query.answer(_("This button is no longer valid."))
            return
        details = crypto.keyring().decrypt(token)
    saved = await payout_methods.set_method(
        session, member.id, kind, details, clock.now(), allowed(member, settings)
    )
    await state.clear()
    builder = InlineKeyboardBuilder()
    _back_row(builder)
    text = _("✅ Saved. You are paid by: {method}").format(
        method=method_shown(saved.kind, saved.details)
    )
    await present(query, Screen(text, builder.as_markup()), session)
    await query.answer()


@router.message(PayoutDetails.waiting, F.text, ~F.text.startswith("/"))
async def payout_details(
    message: Message, session: AsyncSession, member: Member, settings: Settings, state: FSMContext
) -> None:
    """The details typed: checked for the method chosen, then shown back to confirm."""
    kind = str((await state.get_data()).get(KIND_KEY) or "")
    if kind not in allowed(member, settings) or not payout_methods.needs_details(kind):
        await state.clear()
        await present(message, await methods_screen(session, member, settings), session)
        return
    try:
        details = payout_methods.normalize(kind, message.text or "")
    except MethodError as error:
        await message.answer(
            _problem(error.reason) + "\n\n" + _prompt(kind), reply_markup=_prompt_markup()
        )
        return
    await state.set_data({KIND_KEY: kind, DETAILS_KEY: crypto.keyring().encrypt(details)})
    await present(message, confirm_screen(kind, details), session)


def earnings_payout_lines(found: Earnings, terms: PayoutTerms, now: datetime, zone: tzinfo) -> str:
    """The Earnings screen's payout part: next payout, minimum, method, last payouts; the
    dates in the worker's `zone`."""
    next_day = terms.next_payout(now).astimezone(zone).date()
    lines = [_("Next payout: {date}").format(date=format_date(next_day, fmt="full"))]
    minimums = {c: terms.minimum[c] for c in found.balances if c in terms.minimum}
    if minimums:
        amounts = format_list(format_money(a, c) for c, a in sorted(minimums.items()))
        lines.append(_("Minimum to be paid: {amount}").format(amount=amounts))
    if found.method is None:
        lines.append(_("No payout method yet: set one to be paid."))
    else:
        shown = method_shown(found.method.kind, found.method.details)
        lines.append(_("Payout method: {method}").format(method=shown))
    if found.payouts:
        lines.append(_("Last payouts:"))
        for payout in found.payouts:
            day = format_date(payout.created_at.astimezone(zone).date(), fmt="medium")
            amount = format_money(payout.amount_minor, payout.currency)
            lines.append(f"• {day}: {amount}, {state_name(payout.state)}")
    return "\n".join(lines)


def payout_method_button(found: Earnings) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=payout_method_button_text(found.method is not None),
        callback_data=PayoutStep(do="menu").pack(),
    )
