"""Coordinator and admin commands. Filters on the routers refuse everyone else server-side."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, embed, format_percent, ngettext
from courses.figures import cohort_progress
from courses.library import CourseLibrary
from handlers.callbacks import CohortAction
from handlers.commands import install_commands_for
from handlers.filters import IsAdmin, IsCoordinator
from handlers.learning import local
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import accounts
from people.accounts import AccountError, Member

coordinator_router = Routes(f"{__name__}.coordinator", IsCoordinator())
admin_router = Routes(f"{__name__}.admin", IsAdmin())


def error_text(error: AccountError) -> str:
    name = embed(error.details.get("name", error.details.get("id", "")))
    texts = {
        "empty_name": lambda: _("Please add a name after the command."),
        "organisation_exists": lambda: _("An organisation called {name} already exists.").format(
            name=name
        ),
        "unknown_organisation": lambda: _("There is no organisation called {name}.").format(
            name=name
        ),
        "unknown_user": lambda: _(
            "User {name} has not started the bot yet. Ask them to send /start first."
        ).format(name=name),
        "cohort_exists": lambda: _("You already have a group called {name}.").format(name=name),
        "unknown_cohort": lambda: _("You have no group called {name}.").format(name=name),
        "not_coordinator": lambda: _("Only coordinators can do this."),
    }
    return texts.get(error.reason, lambda: _("That did not work. Please try again."))()


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def _invite_text(bot: Bot, cohort_name: str, code: str) -> str:
    me = await bot.me()
    return _("Invite link for the group {cohort}:\n{link}").format(
        cohort=embed(cohort_name), link=embed(invite_link(me.username or "", code))
    )


@coordinator_router.message(Command("cohort_new"))
async def cohort_new(
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    try:
        cohort, code = await accounts.create_cohort(session, member, command.args or "", clock)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await message.answer(
        _("Group {cohort} created.").format(cohort=embed(cohort.name))
        + "\n\n"
        + await _invite_text(message.bot, cohort.name, code)
    )


@coordinator_router.message(Command("invite"))
async def invite(
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    name = (command.args or "").strip()
    try:
        code = await accounts.create_invite(session, member, clock, cohort_name=name)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await message.answer(await _invite_text(message.bot, name, code))


@coordinator_router.message(Command("cohorts"))
async def cohorts(message: Message, session: AsyncSession, member: Member) -> None:
    summaries = await accounts.list_cohorts(session, member)
    if not summaries:
        await message.answer(_("You have no groups yet. Create one with /cohort_new NAME."))
        return
    builder = InlineKeyboardBuilder()
    lines = [_("Your groups:")]
    for summary in summaries:
        lines.append(
            ngettext(
                "{cohort}: {count} member", "{cohort}: {count} members", summary.members
            ).format(cohort=embed(summary.name), count=embed(summary.members))
        )
        builder.button(
            text=_("New invite: {cohort}").format(cohort=summary.name)[:60],
            callback_data=CohortAction(action="invite", cohort_id=summary.id),
        )
    builder.adjust(1)
    await message.answer("\n".join(lines), reply_markup=builder.as_markup())


@coordinator_router.callback_query(CohortAction.filter())
async def cohort_action(
    query: CallbackQuery,
    callback_data: CohortAction,
    session: AsyncSession,
    member: Member,
    clock: Clock,
) -> None:
    try:
        code = await accounts.create_invite(
            session, member, clock, cohort_id=callback_data.cohort_id
        )
    except AccountError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    summaries = {s.id: s.name for s in await accounts.list_cohorts(session, member)}
    await present(
        query,
        Screen(await _invite_text(query.bot, summaries[callback_data.cohort_id], code)),
        session,
    )
    await query.answer()


@coordinator_router.message(Command("progress"))
async def progress(
    message: Message, session: AsyncSession, member: Member, library: CourseLibrary
) -> None:
    assert member.organisation_id is not None
    stats = await cohort_progress(session, member.organisation_id, library)
    if not stats:
        await message.answer(_("No one in your groups has started a course yet."))
        return
    lines = [_("Course progress in your groups:")]
    cohort = None
    for row in stats:
        if row.cohort != cohort:
            cohort = row.cohort
            lines += ["", "👥 " + embed(cohort)]
        course = library.get(row.course_id)
        rate = (
            format_percent(row.passed_attempts / row.attempts) if row.attempts else _("no quiz yet")
        )
        lines.append(
            _(
                "{course}: {started} started, {in_progress} in progress, {completed} completed; "
                "quiz pass rate {rate}"
            ).format(
                course=local(course.title) if course else row.course_id,
                started=embed(row.started),
                in_progress=embed(row.in_progress),
                completed=embed(row.completed),
                rate=embed(rate),
            )
        )
    await message.answer("\n".join(lines))


@admin_router.message(Command("org_new"))
async def org_new(
    message: Message, command: CommandObject, session: AsyncSession, clock: Clock
) -> None:
    try:
        await accounts.create_organisation(session, command.args or "", clock)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await message.answer(
        _("Organisation {name} created.").format(name=embed((command.args or "").strip()))
    )


@admin_router.message(Command("coordinator_add"))
async def coordinator_add(message: Message, command: CommandObject, session: AsyncSession) -> None:
    parts = (command.args or "").split(maxsplit=1)
    if len(parts) != 2 or not parts[0].isdigit():
        await message.answer(_("Use it like this: /coordinator_add USER_ID ORGANISATION"))
        return
    try:
        appointed = await accounts.appoint_coordinator(session, int(parts[0]), parts[1].strip())
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await install_commands_for(message.bot, appointed)
    await message.answer(
        _("User {user} is now a coordinator of {organisation}.").format(
            user=embed(appointed.id), organisation=embed(parts[1].strip())
        )
    )
