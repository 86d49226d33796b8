"""Earnings, more closely: pay per hour of answering, a short history by day or by project, and
the worker's latest answers with a way to dispute one that was not paid or marked wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, embed, format_date, format_datetime, format_list, format_money, ngettext
from handlers.callbacks import DisputeOpen, EarningsView, MenuAction
from handlers.filters import IsMember
from handlers.learning import local
from handlers.preferences import zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from people.accounts import Member
from tasks import disputes, history
from tasks.owed import week_start

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__, IsMember())

DAYS = 14
ANSWERS = 10
VIEWS = ("day", "project", "answers")


def _amounts(per_currency: dict[str, int] | dict[str, float]) -> str:
    return format_list(format_money(round(a), c) for c, a in sorted(per_currency.items()))


async def hourly_lines(
    session: AsyncSession, user_id: int, now: datetime, zone: tzinfo | None = None
) -> list[str]:
    """The worker's pay per hour of answering, this week and overall (none before an answer)."""
    overall = await history.hourly(session, user_id)
    if not overall:
        return []
    week = await history.hourly(session, user_id, week_start(now.astimezone(zone or UTC)))
    return [
        _("Per hour of answering: {week} this week, {overall} overall").format(
            week=_amounts(week) if week else "-", overall=_amounts(overall)
        )
    ]


def markup() -> InlineKeyboardMarkup:
    """Earnings' buttons: the history, and the menu."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📜 History"), callback_data=EarningsView(v="day"))
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    builder.adjust(2)
    return builder.as_markup()


def _views(builder: InlineKeyboardBuilder, shown: str) -> None:
    names = {"day": _("📅 By day"), "project": _("🗂 By project"), "answers": _("🧾 My answers")}
    for view, name in names.items():
        if view != shown:
            builder.button(text=name, callback_data=EarningsView(v=view))
    builder.button(text=_("⬅️ Earnings"), callback_data=MenuAction(action="earnings"))


async def by_day_screen(
    session: AsyncSession, member: Member, now: datetime, zone: tzinfo
) -> Screen:
    days = await history.by_day(session, member.id, now - timedelta(days=DAYS), zone)
    lines = [_("📅 The last {days} days:").format(days=embed(DAYS))]
    for day in days:
        earned = _amounts(day.earned) if day.earned else "-"
        lines.append(
            ngettext(
                "{date}: {answers} answer, {earned}",
                "{date}: {answers} answers, {earned}",
                day.answers,
            ).format(
                date=format_date(day.day, fmt="medium"), answers=embed(day.answers), earned=earned
            )
        )
    if not days:
        lines.append(_("Nothing in these days."))
    builder = InlineKeyboardBuilder()
    _views(builder, "day")
    builder.adjust(2, 1)
    return Screen("\n".join(lines), builder.as_markup())


async def by_project_screen(session: AsyncSession, member: Member) -> Screen:
    totals = await history.by_project(session, member.id)
    lines = [_("🗂 By project, so far:")]
    for total in totals:
        earned = _amounts(total.earned) if total.earned else "-"
        lines.append(
            ngettext(
                "{project}: {answers} answer, {earned}",
                "{project}: {answers} answers, {earned}",
                total.answers,
            ).format(
                project=local(total.project.spec["title"]),
                answers=embed(total.answers),
                earned=earned,
            )
        )
    if not totals:
        lines.append(_("You have not answered any paid item yet."))
    builder = InlineKeyboardBuilder()
    _views(builder, "project")
    builder.adjust(2, 1)
    return Screen("\n".join(lines), builder.as_markup())


def _status(answer: disputes.MyAnswer) -> str:
    if answer.dispute == disputes.OPEN:
        return _("⚖️ disputed, waiting for a coordinator")
    if answer.dispute == disputes.REVERSED:
        return _("⚖️ dispute accepted")
    if answer.dispute == disputes.UPHELD:
        return _("⚖️ dispute not accepted")
    return {
        disputes.LATE: _("⌛ came too late: not paid"),
        disputes.TOO_FAST: _("⚡ flagged too fast: not paid"),
        disputes.GOLD: _("❌ control item answered wrong"),
    }.get(answer.disputable or "", _("✅ paid"))


async def answers_screen(session: AsyncSession, member: Member, zone: tzinfo) -> Screen:
    """The latest answers; one that was not paid or was marked wrong can be disputed."""
    found = await disputes.recent_answers(session, member.id, ANSWERS)
    lines = [_("🧾 Your latest answers:")]
    builder = InlineKeyboardBuilder()
    disputable = 0
    for number, answer in enumerate(found, 1):
        when = answer.assignment.answered_at
        stamp = format_datetime(when, fmt="short", tzinfo=zone) if when else ""
        lines.append(
            f"{embed(number)}. {local(answer.project.spec['title'])} · {stamp}: {_status(answer)}"
        )
        if answer.disputable and answer.dispute is None:
            disputable += 1
            builder.button(
                text=_("⚖️ Dispute {number}").format(number=embed(number)),
                callback_data=DisputeOpen(a=answer.assignment.id or 0),
            )
    if not found:
        lines.append(_("You have not answered any paid item yet."))
    elif disputable:
        lines.append(
            _(
                "If you think an answer was judged wrongly, dispute it: a coordinator looks "
                "at it again."
            )
        )
    _views(builder, "answers")
    widths = [3] * (disputable // 3) + ([disputable % 3] if disputable % 3 else [])
    builder.adjust(*widths, 2, 1)
    return Screen("\n".join(lines), builder.as_markup())


@router.callback_query(EarningsView.filter())
async def show_history(
    query: CallbackQuery,
    callback_data: EarningsView,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    if callback_data.v == "day":
        screen = await by_day_screen(session, member, clock.now(), zone_of(member, settings))
    elif callback_data.v == "project":
        screen = await by_project_screen(session, member)
    elif callback_data.v == "answers":
        screen = await answers_screen(session, member, zone_of(member, settings))
    else:
        await query.answer(_("This button is no longer valid."))
        return
    await present(query, screen, session)
    await query.answer()
