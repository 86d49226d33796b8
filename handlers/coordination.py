"""Coordinator and admin commands. Filters on the routers refuse everyone else server-side.

Every argument goes through core.text_input (cleaned, capped, numbers parsed strictly) and a
reply repeats at most a short excerpt of it. Each action is written to the audit log by the
service in the update's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.bidi import isolate_ltr
from core.clock import Clock
from core.i18n import (
    _,
    babel_locale,
    code,
    embed,
    format_date,
    format_datetime,
    format_money,
    format_percent,
    ngettext,
)
from core.text_input import clean, excerpt, parse_number
from courses.figures import (
    LESSON,
    PASSED,
    PRACTICE,
    STUCK_AFTER,
    CohortReport,
    CourseStats,
    Place,
    Trainee,
    progress_report,
)
from courses.library import CourseLibrary
from handlers.callbacks import CohortAction, MenuAction
from handlers.commands import install_commands_for
from handlers.filters import IsAdmin, IsCoordinator
from handlers.learning import local
from handlers.preferences import zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import accounts, audit, countries, reminders
from people.accounts import (
    DISPLAY_NAME_LENGTH,
    EXPIRED,
    MAX_INVITE_USES,
    NAME_LENGTH,
    REVOKED,
    USED_UP,
    AccountError,
    CohortSummary,
    Member,
    NewInvite,
    OpenInvite,
)
from people.time_zones import city

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
        "unknown_country": lambda: _(
            "{name} is not a country code. Use the two letters of ISO 3166, e.g. SY or AF."
        ).format(name=name),
        "unknown_zone": lambda: _(
            "{name} is not a time zone. Use a city (Kabul, Damascus, Baghdad, Beirut, Kyiv) or "
            "a zone name such as Asia/Kabul."
        ).format(name=name),
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


async def _invite_text(bot: Bot, invite: NewInvite, zone: tzinfo) -> str:
    """The group, what limits the link, how to withdraw it, and the link itself (last)."""
    me = await bot.me()
    lines = [_("Invite link for the group {cohort}:").format(cohort=embed(invite.cohort.name))]
    if invite.expires_at is not None:
        when = format_datetime(invite.expires_at, fmt="short", tzinfo=zone)
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
    await message.answer(
        text + "\n\n" + await _invite_text(message.bot, invite, zone_of(member, settings))
    )


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
    await message.answer(await _invite_text(message.bot, created, zone_of(member, settings)))


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


# Pagination: a long list is cut into pages that fit one message, each edited in place.
MESSAGE_LIMIT = 4096  # Telegram's limit, in UTF-16 code units
FOOTER_ROOM = 120  # kept free on every page for the page line
PROGRESS, COHORTS = "progress", "cohorts"  # CohortAction actions that turn a page (cohort_id)
INVITE = "invite"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Page:
    text: str
    sections: tuple[int, ...]  # indices of the sections shown on the page


def paginate(
    title: str, sections: list[tuple[str, list[str]]], limit: int = MESSAGE_LIMIT - FOOTER_ROOM
) -> list[Page]:
    """The title, then each section's heading and lines, cut into pages of at most `limit`
    UTF-16 units; a section cut by a page break repeats its heading on the next page."""
    pages: list[Page] = []
    lines, shown, size = [title], [], _units(title)
    for index, (heading, body) in enumerate(sections):
        opened = False
        for line in body:
            extra = [line] if opened else ["", heading, line]
            cost = sum(_units(text) + 1 for text in extra)
            if size + cost > limit and len(lines) > 1:
                pages.append(Page("\n".join(lines), tuple(shown)))
                lines, shown, size, opened = [title], [], _units(title), False
                extra = ["", heading, line]
                cost = sum(_units(text) + 1 for text in extra)
            lines += extra
            size += cost
            if not opened:
                shown.append(index)
                opened = True
    pages.append(Page("\n".join(lines), tuple(shown)))
    return pages


def page_screen(
    pages: list[Page], number: int, action: str, builder: InlineKeyboardBuilder | None = None
) -> Screen:
    """Page `number` (0-based, clamped) with Back/Next buttons turning pages of `action`, the
    buttons already in `builder` and the menu button."""
    number = max(0, min(number, len(pages) - 1))
    text = pages[number].text
    builder = builder or InlineKeyboardBuilder()
    turns = []
    if len(pages) > 1:
        text += "\n\n" + _("Page {page} of {pages}").format(
            page=embed(number + 1), pages=embed(len(pages))
        )
        if number > 0:
            turns.append(
                InlineKeyboardButton(
                    text=_("⬅️ Back"),
                    callback_data=CohortAction(action=action, cohort_id=number - 1).pack(),
                )
            )
        if number < len(pages) - 1:
            turns.append(
                InlineKeyboardButton(
                    text=_("Next ➡️"),
                    callback_data=CohortAction(action=action, cohort_id=number + 1).pack(),
                )
            )
    builder.adjust(1)
    if turns:
        builder.row(*turns)
    builder.row(
        InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuAction(action="home").pack())
    )
    return Screen(text, builder.as_markup())


def _invite_line(bot_username: str, invite: OpenInvite, zone: tzinfo) -> str:
    if invite.expires_at is None:
        until = _("does not expire")
    else:
        until = _("works until {date}").format(
            date=format_datetime(invite.expires_at, fmt="short", tzinfo=zone)
        )
    if invite.uses_left is None:
        uses = _("no limit on joins")
    else:
        uses = ngettext(
            "{count} more person can join", "{count} more people can join", invite.uses_left
        ).format(count=embed(invite.uses_left))
    return " · ".join([embed(invite_link(bot_username, invite.code)), until, uses])


def cohorts_pages(summaries: list[CohortSummary], bot_username: str, zone: tzinfo) -> list[Page]:
    sections = []
    for summary in summaries:
        heading = "👥 " + ngettext(
            "{cohort}: {count} member", "{cohort}: {count} members", summary.members
        ).format(cohort=embed(summary.name), count=embed(summary.members))
        body = [_invite_line(bot_username, invite, zone) for invite in summary.open_invites]
        sections.append((heading, body or [_("No invite link works now.")]))
    return paginate(_("Your groups and their invite links:"), sections)


async def _cohorts_screen(
    bot: Bot, session: AsyncSession, member: Member, clock: Clock, zone: tzinfo, number: int
) -> Screen | None:
    summaries = await accounts.list_cohorts(session, member, clock)
    if not summaries:
        return None
    me = await bot.me()
    pages = cohorts_pages(summaries, me.username or "", zone)
    number = max(0, min(number, len(pages) - 1))
    builder = InlineKeyboardBuilder()
    for index in pages[number].sections:
        builder.button(
            text=_("New invite: {cohort}").format(cohort=summaries[index].name)[:60],
            callback_data=CohortAction(action=INVITE, cohort_id=summaries[index].id),
        )
    return page_screen(pages, number, COHORTS, builder)


@coordinator_router.message(Command("cohorts"))
async def cohorts(
    message: Message, session: AsyncSession, member: Member, clock: Clock, settings: Settings
) -> None:
    """Each group with its members and the invite links that still work, page by page."""
    screen = await _cohorts_screen(
        message.bot, session, member, clock, zone_of(member, settings), 0
    )
    if screen is None:
        await message.answer(_("You have no groups yet. Create one with /cohort_new NAME."))
        return
    await present(message, screen, session)


@coordinator_router.callback_query(CohortAction.filter(F.action == COHORTS))
async def cohorts_page(
    query: CallbackQuery,
    callback_data: CohortAction,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    number = callback_data.cohort_id
    screen = await _cohorts_screen(
        query.bot, session, member, clock, zone_of(member, settings), number
    )
    if screen is None:
        screen = Screen(_("You have no groups yet. Create one with /cohort_new NAME."))
    await present(query, screen, session)
    await query.answer()


@coordinator_router.callback_query(CohortAction.filter(F.action == INVITE))
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
    await present(
        query, Screen(await _invite_text(query.bot, created, zone_of(member, settings))), session
    )
    await query.answer()


def _stage_text(place: Place) -> str:
    if place.stage == LESSON:
        return _("lesson {number} of {total}").format(
            number=embed(place.number), total=embed(place.total)
        )
    if place.stage == PRACTICE:
        return _("practice, item {number} of {total}").format(
            number=embed(place.number), total=embed(place.total)
        )
    if place.stage == PASSED:
        return _("passed")
    return _("quiz")


def trainee_lines(trainee: Trainee, library: CourseLibrary, zone: tzinfo) -> list[str]:
    """One line a course: who, which course, where, and since when nothing moved if stuck."""
    who = (
        excerpt(trainee.name, DISPLAY_NAME_LENGTH)
        if trainee.name
        else _("No name ({code})").format(code=code(trainee.label))
    )
    if not trainee.places:
        return [" · ".join([who, _("no course started yet")])]
    lines = []
    for place in trainee.places:
        course = library.get(place.course_id)
        parts = [who, local(course.title) if course else place.course_id, _stage_text(place)]
        if place.stuck_since is not None:
            since = format_date(place.stuck_since.astimezone(zone).date())
            parts.append(_("no progress since {date}").format(date=since))
        lines.append(("⚠️ " if place.stuck_since is not None else "") + " · ".join(parts))
    return lines


def totals_line(row: CourseStats, library: CourseLibrary) -> str:
    course = library.get(row.course_id)
    rate = format_percent(row.passed_attempts / row.attempts) if row.attempts else _("no quiz yet")
    return _(
        "{course}: {started} started, {in_progress} in progress, {completed} completed; "
        "quiz pass rate {rate}"
    ).format(
        course=local(course.title) if course else row.course_id,
        started=embed(row.started),
        in_progress=embed(row.in_progress),
        completed=embed(row.completed),
        rate=embed(rate),
    )


def progress_pages(
    reports: list[CohortReport], library: CourseLibrary, zone: tzinfo, *, every_organisation: bool
) -> list[Page]:
    """The totals and the trainees of each group; an admin's headings name the organisation."""
    days = STUCK_AFTER.days
    title = "\n".join(
        [
            _("Course progress in all groups:")
            if every_organisation
            else _("Course progress in your groups:"),
            ngettext(
                "⚠️ marks no progress for {count} day or more.",
                "⚠️ marks no progress for {count} days or more.",
                days,
            ).format(count=embed(days)),
        ]
    )
    sections = []
    for report in reports:
        heading = "👥 " + embed(report.cohort)
        if every_organisation:
            heading += " · " + embed(report.organisation)
        body = [totals_line(row, library) for row in report.courses]
        for trainee in report.trainees:
            body += trainee_lines(trainee, library, zone)
        sections.append((heading, body))
    return paginate(title, sections)


async def _progress_screen(
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    zone: tzinfo,
    number: int,
    *,
    every_organisation: bool,
) -> Screen:
    organisation_id = None if every_organisation else member.organisation_id
    assert every_organisation or organisation_id is not None
    reports = await progress_report(session, library, clock.now(), organisation_id)
    if not reports:
        return Screen(_("No one in your groups has started a course yet."))
    pages = progress_pages(reports, library, zone, every_organisation=every_organisation)
    return page_screen(pages, number, PROGRESS)


async def _progress(
    target: Message | CallbackQuery,
    number: int,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
    *,
    every_organisation: bool,
) -> None:
    screen = await _progress_screen(
        session,
        member,
        library,
        clock,
        zone_of(member, settings),
        number,
        every_organisation=every_organisation,
    )
    await present(target, screen, session)
    if isinstance(target, CallbackQuery):
        await target.answer()


@admin_router.message(Command("progress"))
@coordinator_router.message(Command("progress"))
async def progress(
    message: Message,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    """Who is where, who is stuck and since when, and the totals: a coordinator's groups, or
    (an admin) the groups of every organisation."""
    await _progress(
        message, 0, session, member, library, clock, settings, every_organisation=member.is_admin
    )


@admin_router.callback_query(CohortAction.filter(F.action == PROGRESS))
@coordinator_router.callback_query(CohortAction.filter(F.action == PROGRESS))
async def progress_page(
    query: CallbackQuery,
    callback_data: CohortAction,
    session: AsyncSession,
    member: Member,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    page = callback_data.cohort_id
    every = member.is_admin
    await _progress(
        query, page, session, member, library, clock, settings, every_organisation=every
    )


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
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    settings: Settings,
) -> None:
    """/audit: the latest entries, newest first; /audit ID: the ones before entry ID."""
    before = parse_number(command.args or "", low=1, high=2**31) if command.args else None
    entries = await audit.latest(session, before_id=before)
    if not entries:
        await message.answer(_("The audit log has no entries here."))
        return
    lines = [_("Audit log, newest first:")]
    for entry in entries:
        when = format_datetime(entry.at, fmt="short", tzinfo=zone_of(member, settings))
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


@coordinator_router.message(Command("cohort_country"))
async def cohort_country(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member,
    clock: Clock,
    settings: Settings,
) -> None:
    """/cohort_country GROUP CODE: where the group's members live, for the minimum wage."""
    args = clean(command.args or "").text
    if " " not in args:
        await message.answer(_("Use it like this: /cohort_country GROUP CODE (e.g. SY or AF)"))
        return
    name, country = args.rsplit(" ", 1)
    try:
        cohort = await countries.set_country(session, member, name, country, clock)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    found = countries.country_code(country) or ""
    place = babel_locale().territories.get(found, found)
    lines = [
        _("The group {cohort} is in {country} now.").format(
            cohort=embed(cohort.name), country=f"{place} ({isolate_ltr(found)})"
        )
    ]
    floor = settings.min_hourly_wage.get(found)
    if floor is None:
        lines.append(_("No minimum hourly wage is set for this country yet."))
    else:
        lines.append(
            _("Its members' paid work is topped up to at least {amount} an hour.").format(
                amount=format_money(floor.amount_minor, floor.currency)
            )
        )
    await message.answer("\n".join(lines))


@coordinator_router.message(Command("cohort_zone"))
async def cohort_zone(
    message: Message, command: CommandObject, session: AsyncSession, member: Member, clock: Clock
) -> None:
    """/cohort_zone GROUP ZONE: the time zone of a group's members who chose none."""
    args = clean(command.args or "").text
    if " " not in args:
        await message.answer(_("Use it like this: /cohort_zone GROUP ZONE (e.g. Kabul or Kyiv)"))
        return
    name, typed = args.rsplit(" ", 1)
    try:
        cohort, zone = await reminders.set_cohort_zone(session, member, name, typed, clock)
    except AccountError as error:
        await message.answer(error_text(error))
        return
    await message.answer(
        _(
            "The group {cohort} is on {zone} time now: its members who chose no time zone see "
            "times and get reminders by it."
        ).format(cohort=embed(cohort.name), zone=embed(city(zone, member.locale)))
    )
