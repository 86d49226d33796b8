"""/payouts: coordinators (their organisation's workers) and admins (everyone's) see each week's
payout batch and mark it, or one payout, paid or failed with a reason. Finance can do the same
with `python -m bot payouts confirm`. Every button's ids are checked again by the service: a
forged or stale one changes nothing and says why."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, code, embed, format_money
from core.pseudonym import pseudonym
from handlers.callbacks import MenuAction, PayoutAdmin
from handlers.routing import Routes
from handlers.screens import Screen, present
from handlers.work_coordination import IsCoordinatorOrAdmin, dispute_scope
from people.accounts import Member
from tasks import payout_batches
from tasks.payout_batches import Batch
from tasks.payout_models import Payout, PayoutState
from tasks.payout_notices import method_shown, state_name
from tasks.payouts import PayoutError, parse_period

if TYPE_CHECKING:
    from bot.settings import Settings

router = Routes(__name__, IsCoordinatorOrAdmin())

PER_PAGE = 10
REASON_KEY = "payout_failed"  # FSM data: [period, currency, payout id] waiting for a reason


class FailureReason(StatesGroup):
    waiting = State()


scope = dispute_scope  # the same rule: their organisation's workers, admins everyone's


def actor(member: Member) -> str:
    return f"member:{member.id}"


def _summary(batch: Batch) -> str:
    return _(
        "{period} · {currency} — payouts: {count}, total {amount}; on their way: {waiting}, "
        "paid: {paid}, failed: {failed}"
    ).format(
        period=code(batch.period),
        currency=code(batch.currency),
        count=embed(batch.count),
        amount=format_money(batch.total_minor, batch.currency),
        waiting=embed(batch.in_payout),
        paid=embed(batch.paid),
        failed=embed(batch.failed),
    )


def _line(payout: Payout) -> str:
    worker = pseudonym(payout.user_id) if payout.user_id is not None else "—"
    return " · ".join(
        (
            code(f"#{payout.id}"),
            code(worker),
            method_shown(payout.method_kind, payout.details),
            format_money(payout.amount_minor, payout.currency),
            state_name(payout.state),
        )
    )


def _menu_row(builder: InlineKeyboardBuilder) -> None:
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))


async def batches_screen(session: AsyncSession, member: Member) -> Screen:
    found = await payout_batches.batches(session, scope(member))
    builder = InlineKeyboardBuilder()
    if not found:
        _menu_row(builder)
        return Screen(_("💸 No payouts yet."), builder.as_markup())
    text = "\n\n".join([_("💸 Payouts by week"), *(_summary(batch) for batch in found)])
    for batch in found:
        builder.button(
            text=f"{batch.period} · {batch.currency}",
            callback_data=PayoutAdmin(do="batch", p=batch.period, c=batch.currency),
        )
    _menu_row(builder)
    builder.adjust(2)
    return Screen(text[:4000], builder.as_markup())


async def batch_screen(
    session: AsyncSession, member: Member, period: str, currency: str, page: int
) -> Screen | None:
    batch = await payout_batches.batch(session, period, currency, scope(member))
    if batch is None:
        return None
    pages = max(1, -(-batch.count // PER_PAGE))
    page = max(0, min(page, pages - 1))
    payouts = await payout_batches.payouts_in(
        session, period, currency, scope(member), offset=page * PER_PAGE, limit=PER_PAGE
    )
    lines = ["💸 " + _summary(batch), ""] + [_line(payout) for payout in payouts]
    if pages > 1:
        lines += ["", _("Page {page} of {pages}").format(page=embed(page + 1), pages=embed(pages))]
    builder = InlineKeyboardBuilder()
    for payout in payouts:
        builder.button(text=f"#{payout.id}", callback_data=PayoutAdmin(do="one", i=payout.id or 0))
    sizes = [5] * (-(-len(payouts) // 5))
    if page > 0:
        builder.button(
            text=_("⬅️ Back"),
            callback_data=PayoutAdmin(do="batch", p=period, c=currency, n=page - 1),
        )
    if page < pages - 1:
        builder.button(
            text=_("Next ➡️"),
            callback_data=PayoutAdmin(do="batch", p=period, c=currency, n=page + 1),
        )
    sizes.append((page > 0) + (page < pages - 1))
    if batch.in_payout:
        builder.button(
            text=_("✅ All paid"), callback_data=PayoutAdmin(do="paid", p=period, c=currency)
        )
        builder.button(
            text=_("⚠️ All failed"), callback_data=PayoutAdmin(do="failed", p=period, c=currency)
        )
        sizes.append(2)
    builder.button(text=_("💸 Payouts by week"), callback_data=PayoutAdmin(do="list"))
    _menu_row(builder)
    sizes.append(2)
    builder.adjust(*[size for size in sizes if size])
    return Screen("\n".join(lines)[:4000], builder.as_markup())


def payout_screen(payout: Payout) -> Screen:
    lines = [_line(payout)]
    if payout.state == PayoutState.FAILED and payout.reason:
        lines.append(_("Reason: {reason}").format(reason=embed(payout.reason)))
    builder = InlineKeyboardBuilder()
    if payout.state == PayoutState.IN_PAYOUT:
        builder.button(text=_("✅ Paid"), callback_data=PayoutAdmin(do="paid", i=payout.id or 0))
        builder.button(text=_("⚠️ Failed"), callback_data=PayoutAdmin(do="failed", i=payout.id or 0))
    builder.button(
        text=_("⬅️ Back"), callback_data=PayoutAdmin(do="batch", p=payout.period, c=payout.currency)
    )
    builder.adjust(2, 1)
    return Screen("\n".join(lines), builder.as_markup())


@router.message(Command("payouts"))
async def payouts_command(message: Message, session: AsyncSession, member: Member) -> None:
    await present(message, await batches_screen(session, member), session)


@router.callback_query(MenuAction.filter(F.action == "payouts"))
async def payouts_button(query: CallbackQuery, session: AsyncSession, member: Member) -> None:
    await present(query, await batches_screen(session, member), session)
    await query.answer()


async def _target(
    session: AsyncSession, member: Member, data: PayoutAdmin
) -> tuple[int, int] | None:
    """What a paid/failed button is about: (payouts still on their way, their amount), or None
    for a forged or stale one."""
    if data.i:
        payout = await payout_batches.payout_in_scope(session, data.i, scope(member))
        if payout is None or payout.state != PayoutState.IN_PAYOUT:
            return None
        return 1, payout.amount_minor
    if parse_period(data.p) != data.p or not data.c:
        return None
    batch = await payout_batches.batch(session, data.p, data.c, scope(member))
    if batch is None or not batch.in_payout:
        return None
    return batch.in_payout, batch.waiting_minor


async def _currency(session: AsyncSession, member: Member, data: PayoutAdmin) -> str:
    if data.i:
        payout = await payout_batches.payout_in_scope(session, data.i, scope(member))
        return payout.currency if payout else ""
    return data.c


@router.callback_query(PayoutAdmin.filter())
async def payout_admin(
    query: CallbackQuery,
    callback_data: PayoutAdmin,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
    settings: Settings,
) -> None:
    data = callback_data
    if data.do == "list":
        await present(query, await batches_screen(session, member), session)
        await query.answer()
        return
    if data.do == "batch":
        screen = None
        if parse_period(data.p) == data.p and 0 <= data.n < 10**6:
            screen = await batch_screen(session, member, data.p, data.c, data.n)
        if screen is None:
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        await present(query, screen, session)
        await query.answer()
        return
    if data.do == "one":
        payout = await payout_batches.payout_in_scope(session, data.i, scope(member))
        if payout is None:
            await query.answer(_("This button is no longer valid."), show_alert=True)
            return
        await present(query, payout_screen(payout), session)
        await query.answer()
        return
    if data.do not in ("paid", "failed", "yes"):
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    target = await _target(session, member, data)
    if target is None:
        await query.answer(
            _("Nothing to mark here: it was marked already, or it is not yours to confirm."),
            show_alert=True,
        )
        return
    count, amount = target
    currency = await _currency(session, member, data)
    back = (
        PayoutAdmin(do="one", i=data.i) if data.i else PayoutAdmin(do="batch", p=data.p, c=data.c)
    )
    builder = InlineKeyboardBuilder()
    if data.do == "paid":
        builder.button(
            text=_("✅ Yes, paid"),
            callback_data=PayoutAdmin(do="yes", p=data.p, c=data.c, i=data.i),
        )
        builder.button(text=_("⬅️ Back"), callback_data=back)
        builder.adjust(1)
        text = _(
            "Mark as paid — payouts: {count}, total {amount}. Each worker gets a message that "
            "the money was paid."
        ).format(count=embed(count), amount=format_money(amount, currency))
        await present(query, Screen(text, builder.as_markup()), session)
        await query.answer()
        return
    if data.do == "failed":
        await state.set_state(FailureReason.waiting)
        await state.set_data({REASON_KEY: [data.p, data.c, data.i]})
        builder.button(text=_("⬅️ Back"), callback_data=back)
        text = _(
            "Mark as failed — payouts: {count}, total {amount}. The money goes back to each "
            "worker's available balance.\n\nSend the reason as a message; each worker reads it."
        ).format(count=embed(count), amount=format_money(amount, currency))
        await present(query, Screen(text, builder.as_markup()), session)
        await query.answer()
        return
    said = await _mark(
        session, member, clock, data.p, data.c, data.i, paid=True, reason=None, zone=settings.zone
    )
    await _after(query, session, member, data.p, data.c, data.i, said)


async def _mark(
    session: AsyncSession,
    member: Member,
    clock: Clock,
    period: str,
    currency: str,
    payout_id: int,
    *,
    paid: bool,
    reason: str | None,
    zone: tzinfo,
) -> str:
    """Mark the payout (or the batch) and say what happened; `zone`: the deployment's, for
    workers who chose none."""
    if payout_id:
        try:
            await payout_batches.confirm_in_scope(
                session,
                payout_id,
                scope(member),
                clock.now(),
                paid=paid,
                reason=reason,
                actor=actor(member),
                actor_id=member.id,
                zone=zone,
            )
        except PayoutError:
            return _("Nothing to mark here: it was marked already, or it is not yours to confirm.")
        moved = 1
    else:
        outcome = await payout_batches.confirm_batch(
            session,
            period,
            currency,
            scope(member),
            clock.now(),
            paid=paid,
            reason=reason,
            actor=actor(member),
            actor_id=member.id,
            zone=zone,
        )
        moved = len(outcome.moved)
    if paid:
        return _("✅ Marked paid: {count}.").format(count=embed(moved))
    return _("⚠️ Marked failed: {count}. The money is back in their available balance.").format(
        count=embed(moved)
    )


async def _after(
    target: CallbackQuery | Message,
    session: AsyncSession,
    member: Member,
    period: str,
    currency: str,
    payout_id: int,
    said: str,
) -> None:
    if payout_id:
        payout = await payout_batches.payout_in_scope(session, payout_id, scope(member))
        period, currency = (payout.period, payout.currency) if payout else (period, currency)
    screen = await batch_screen(session, member, period, currency, 0)
    screen = screen or await batches_screen(session, member)
    if isinstance(target, CallbackQuery):
        await present(target, screen, session)
        await target.answer(said[:190])
        return
    await target.answer(said)
    await present(target, screen, session)


@router.message(FailureReason.waiting, F.text, ~F.text.startswith("/"))
async def failure_reason(
    message: Message,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    state: FSMContext,
    settings: Settings,
) -> None:
    data = await state.get_data()
    await state.clear()
    period, currency, payout_id = data.get(REASON_KEY) or ("", "", 0)
    reason = (message.text or "").strip()[:500]
    if payout_id:
        found = await payout_batches.payout_in_scope(session, int(payout_id), scope(member))
        target_ok = found is not None and found.state == PayoutState.IN_PAYOUT
    else:
        target_ok = parse_period(str(period)) == period
    if not target_ok:
        await message.answer(
            _("Nothing to mark here: it was marked already, or it is not yours to confirm.")
        )
        return
    said = await _mark(
        session,
        member,
        clock,
        str(period),
        str(currency),
        int(payout_id),
        paid=False,
        reason=reason,
        zone=settings.zone,
    )
    await _after(message, session, member, str(period), str(currency), int(payout_id), said)
