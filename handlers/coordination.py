"""Coordinator and admin commands. Filters on the routers refuse everyone else server-side.

Every argument goes through core.text_input (cleaned, capped, numbers parsed strictly) and a
reply repeats at most a short excerpt of it. Each action is written to the audit log by the
service in the update's unit of work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.bidi import isolate_ltr
from core.clock import Clock
from core.i18n import _, embed, format_datetime, format_percent, ngettext
from core.text_input import clean, excerpt, parse_number
from courses.figures import cohort_progress
from courses.library import CourseLibrary
from handlers.callbacks import CohortAction
from handlers.commands import install_commands_for
from handlers.filters import IsAdmin, IsCoordinator
from handlers.learning import local
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import accounts, audit
from people.accounts import (
    EXPIRED,
    MAX_INVITE_USES,
    NAME_LENGTH,
    REVOKED,
    USED_UP,
    AccountError,
    Member,
    NewInvite,
)

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

coordinator_router = Routes(f"{__name__}.coordinator", IsCoordinator())
admin_router = Routes(f"{__name__}.admin", IsAdmin())


def error_text(error: AccountError) -> str:
    name = excerpt(error.details.get("name", error.details.get("id", "")))
    texts = {
        "empty_name": lambda: _("Please add a name after the command."),
        "invisible_name": lambda: _(
            "That name has no letters anyone could see. Please write it with letters."
        ),
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
        "unknown_invite": lambda: _("None of your groups has an invite {code}.").format(code=name),
        "bad_uses": lambda: _("The number of uses must be a whole number from 1 to {max}.").format(
            max=embed(MAX_INVITE_USES)
        ),
        "not_coordinator": lambda: _("Only coordinators can do this."),
        "not_admin": lambda: _("Only admins can do this."),
    }
    return texts.get(error.reason, lambda: _("That did not work. Please try again."))()


def shortened_text(limit: int) -> str:
    return _("The name was too long, so I shortened it to {count} characters.").format(
        count=embed(limit)
    )


def invite_problem_text(problem: str | None) -> str:
    """Why an invite link does not work, said kindly (used at /start)."""
    if problem == EXPIRED:
        return _(
            "This invite link has expired. You can still use Rafiq; ask your coordinator for a "
            "new link to join your group."
        )
    if problem == USED_UP:
        return _(
            "This invite link has already been used as many times as it allows. You can still "
            "use Rafiq; ask your coordinator for a new link to join your group."
        )
    if problem == REVOKED:
        return _(
            "This invite link was withdrawn by your coordinator. You can still use Rafiq; ask "
            "your coordinator for a new link to join your group."
        )
    return _(
        "This invite link is not valid. Check that you opened the whole link, "
        "or ask your coordinator for a new one."
    )


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def _invite_text(bot: Bot, invite: NewInvite, settings: Settings) -> str:
    """The group, what limits the link, how to withdraw it, and the link itself (last)."""
    me = await bot.me()
    lines = [_("Invite link for the group {cohort}:").format(cohort=embed(invite.cohort.name))]
    if invite.expires_at is not None:
        when = format_datetime(invite.expires_at, fmt="short", tzinfo=settings.zone)
        lines.append(_("It works until {date}.").format(date=when))
    if invite.max_uses is not None:
        lines.append(
            ngettext(
                "It lets {count} person join.", "It lets {count} people join.", invite.max_uses
            ).format(count=embed(invite.max_uses))
        )
    lines.append(
        _("To withdraw it: {command}").format(command=isolate_ltr(f"/invite_revoke {invite.code}"))
    )
    lines.append(embed(invite_link(me.username or "", invite.code)))
    return "\n".join(lines)


@coordinator_router.message(Command("cohort_new"))
async def cohort_new(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    raw = command.args or ""
    try:
        cohort, code = await accounts.create_cohort(
            session, member, raw, clock, invite_lifetime=settings.invite_lifetime
        )
    except AccountError as error:
        await message.answer(error_text(error))
        return
    invite = NewInvite(code, cohort, clock.now() + settings.invite_lifetime, None)
    text = _("Group {cohort} created.").format(cohort=embed(cohort.name))
    if clean(raw, NAME_LENGTH).shortened:
        text += " " + shortened_text(NAME_LENGTH)
    await message.answer(text + "\n\n" + await _invite_text(message.bot, invite, settings))


@coordinator_router.message(Command("invite"))
async def invite(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    """/invite GROUP [USES]: a new link for a group, optionally for that many people only."""
    args = clean(command.args or "").text
    if not args:
        await message.answer(_("Use it like this: /invite GROUP or /invite GROUP NUMBER"))
        return
    name, max_uses = args, None
    if await accounts.find_own_cohort(session, member, args) is None and " " in args:
        head, tail = args.rsplit(" ", 1)
        number = parse_number(tail, high=10**9)
        if number is not None:
            name, max_uses = head, number
    try:
        created = await accounts.create_invite(
            session,
            member,
            clock,
            cohort_name=name,
            lifetime=settings.invite_lifetime,
            max_uses=max_uses,
        )
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await message.answer(await _invite_text(message.bot, created, settings))


@coordinator_router.message(Command("invite_revoke"))
async def invite_revoke(
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    code = accounts.invite_code_from(command.args or "")
    if not code:
        await message.answer(_("Use it like this: /invite_revoke CODE"))
        return
    try:
        cohort = await accounts.revoke_invite(session, member, code, clock)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await message.answer(
        _(
            "The invite {code} for the group {cohort} no longer works. "
            "People who already joined stay in the group."
        ).format(code=isolate_ltr(code), cohort=embed(cohort.name))
    )


@coordinator_router.message(Command("cohorts"))
async def cohorts(message: Message, session: AsyncSession, member: Member, clock: Clock) -> None:
    summaries = await accounts.list_cohorts(session, member, clock)
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
    settings: Settings,
) -> None:
    try:
        created = await accounts.create_invite(
            session,
            member,
            clock,
            cohort_id=callback_data.cohort_id,
            lifetime=settings.invite_lifetime,
        )
    except AccountError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await present(query, Screen(await _invite_text(query.bot, created, settings)), session)
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
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    raw = command.args or ""
    try:
        await accounts.create_organisation(session, raw, clock, actor=member)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    cleaned = clean(raw, NAME_LENGTH)
    text = _("Organisation {name} created.").format(name=excerpt(cleaned.text))
    if cleaned.shortened:
        text += " " + shortened_text(NAME_LENGTH)
    await message.answer(text)


@admin_router.message(Command("coordinator_add"))
async def coordinator_add(
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    parts = clean(command.args or "").text.split(" ", 1)
    user_id = parse_number(parts[0], low=1, high=accounts.USER_ID_LIMIT)
    if len(parts) != 2 or user_id is None:
        await message.answer(_("Use it like this: /coordinator_add USER_ID ORGANISATION"))
        return
    try:
        appointed = await accounts.appoint_coordinator(
            session, user_id, parts[1], actor=member, clock=clock
        )
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await install_commands_for(message.bot, appointed)
    await message.answer(
        _("User {user} is now a coordinator of {organisation}.").format(
            user=embed(appointed.id), organisation=excerpt(parts[1])
        )
    )


@admin_router.message(Command("audit"))
async def audit_log(
    message: Message, command: CommandObject, session: AsyncSession, settings: Settings
) -> None:
    """/audit: the latest entries, newest first; /audit ID: the ones before entry ID."""
    before = parse_number(command.args or "", low=1, high=2**31) if command.args else None
    entries = await audit.latest(session, before_id=before)
    if not entries:
        await message.answer(_("The audit log has no entries here."))
        return
    lines = [_("Audit log, newest first:")]
    for entry in entries:
        when = format_datetime(entry.at, fmt="short", tzinfo=settings.zone)
        actor = embed(entry.actor_id) if entry.actor_id is not None else "⚙️"
        parts = [embed(entry.id), when, actor, isolate_ltr(entry.action), isolate_ltr(entry.object)]
        if entry.detail:
            parts.append(isolate_ltr(entry.detail))
        lines.append(" · ".join(parts))
    if len(entries) == audit.PAGE:
        lines += [
            "",
            _("Older entries: {command}").format(command=isolate_ltr(f"/audit {entries[-1].id}")),
        ]
    await message.answer("\n".join(lines))
