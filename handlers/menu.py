"""The main menu and its simple screens: help, settings, language."""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, format_datetime, format_list, format_money, use_locale
from core.locales import CATALOG_LOCALES
from courses import pages
from courses.library import CourseLibrary
from courses.progress import current
from handlers import earnings_history, place
from handlers.callbacks import ChangeLanguage, MenuAction
from handlers.commands import install_commands_for
from handlers.filters import IsMember
from handlers.keyboards import back_to_menu, language_changer, main_menu
from handlers.learning import course_list, course_screen
from handlers.onboarding import menu_text
from handlers.payout_methods import earnings_payout_lines, payout_method_button
from handlers.practice import intro_screen, practice_screen
from handlers.preferences import settings_screen, zone_of
from handlers.routing import Routes
from handlers.screens import Screen, present
from handlers.work import work_screen
from people import accounts
from people.accounts import Member
from tasks.owed import earnings
from tasks.payouts import PayoutTerms

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__, IsMember())


def help_text(member: Member) -> str:
    lines = [
        _("Rafiq helps you learn data-annotation work and do paid tasks from your phone."),
        "",
        _("/start - main menu"),
        _("/learn - courses"),
        _("/work - paid work"),
        _("/earnings - what you earned"),
        _("/language - change the language"),
        _("/verify CODE - check a certificate"),
        _("/mydata - a copy of everything Rafiq holds about you"),
        _("/deleteme - erase your data"),
        _("/help - this help"),
    ]
    if member.is_coordinator:
        lines += [
            "",
            _("For coordinators:"),
            _("/cohorts - your groups and their invite links"),
            _("/cohort_new NAME - create a group"),
            _("/invite NAME - a new invite link for a group"),
            _("/cohort_country NAME CODE - the group's country, for the minimum wage"),
            _("/cohort_zone NAME ZONE - the group's time zone, for members who chose none"),
            _("/progress - who is where in your groups, and who is stuck"),
            _("/projects - paid projects: figures, review, export"),
            _("/broadcast - send an announcement to your groups"),
            _("/payouts - your groups' weekly payouts: mark them paid or failed"),
            _("Send a project folder as a .zip file to import it."),
        ]
    if member.is_admin:
        lines += [
            "",
            _("For admins:"),
            _("/org_new NAME - create a partner organisation"),
            _("/coordinator_add USER_ID ORGANISATION - make someone a coordinator"),
            _("/progress - who is where in every group"),
            _("/broadcast - send an announcement to everyone or to a group"),
            _("/payouts - every weekly payout: mark them paid or failed"),
        ]
    lines += [
        "",
        _(
            "Rafiq stores your Telegram id, language, group, "
            "course progress, quiz and practice answers, skills, work answers and disputes, "
            "accuracy on control items, training pay and work pay, your payout method "
            "(encrypted) and payouts, your time zone and reminder settings, your name for "
            "certificates (encrypted) and your "
            "certificates. /mydata sends you all of it; /deleteme erases it."
        ),
        "",
        _("Questions? Ask your coordinator at your partner organisation."),
    ]
    return "\n".join(lines)


def _amounts(per_currency: dict[str, int]) -> str:
    return format_list(
        format_money(amount, currency) for currency, amount in sorted(per_currency.items())
    )


async def earnings_screen(
    session: AsyncSession,
    member: Member,
    clock: Clock,
    zone: ZoneInfo | None = None,
    terms: PayoutTerms | None = None,
) -> Screen:
    """Pending, available (in payout and paid once there are any), this week, and what earned
    it; pending pay whose review window has passed is released first; then the payouts."""
    now = clock.now()
    found = await earnings(session, member.id, now.astimezone(zone) if zone else now)
    terms = terms or PayoutTerms(zone=zone or UTC)
    footer = earnings_payout_lines(found, terms, now, zone or terms.zone)
    markup = earnings_history.markup()
    markup.inline_keyboard.insert(0, [payout_method_button(found)])
    if not found.by_kind and not any(b.total for b in found.balances.values()):
        body = _("Nothing is recorded for you yet. Practice sets and paid work earn money.")
        return Screen("\n\n".join([_("💰 Earnings"), body, footer]), markup)

    def account(name: str, *, zero: bool = False) -> dict[str, int]:
        return {c: getattr(b, name) for c, b in found.balances.items() if zero or getattr(b, name)}

    lines = [_("Pending: {amount}").format(amount=_amounts(account("pending", zero=True)))]
    if found.next_release is not None:
        lines.append(
            _("The next pending amount becomes available on {date}.").format(
                date=format_datetime(found.next_release, fmt="short", tzinfo=zone)
            )
        )
    lines.append(_("Available: {amount}").format(amount=_amounts(account("available", zero=True))))
    if account("in_payout"):
        lines.append(_("In payout: {amount}").format(amount=_amounts(account("in_payout"))))
    if account("paid"):
        lines.append(_("Paid so far: {amount}").format(amount=_amounts(account("paid"))))
    if found.this_week:
        lines.append(_("This week: {amount}").format(amount=_amounts(found.this_week)))
    lines += await earnings_history.hourly_lines(session, member.id, now, zone)
    names = {
        "answer": _("Paid work"),
        "practice": _("Training pay"),
        "bonus": _("Bonuses"),
        "adjustment": _("Corrections"),
        "top_up": _("Top-ups to the minimum wage"),
    }
    earned = [_("Earned so far:")]
    for kind in names:
        per_currency = {c: a for (k, c), a in found.by_kind.items() if k == kind}
        if per_currency:
            earned.append(f"• {names[kind]}: {_amounts(per_currency)}")
    body = "\n".join(lines) + "\n\n" + "\n".join(earned)
    return Screen("\n\n".join([_("💰 Earnings"), body, footer]), markup)


@router.message(Command("help"))
async def help_command(message: Message, member: Member) -> None:
    await message.answer(help_text(member), reply_markup=back_to_menu())


@router.message(Command("earnings"))
async def earnings_command(
    message: Message, session: AsyncSession, member: Member, clock: Clock, settings: Settings
) -> None:
    screen = await earnings_screen(
        session, member, clock, zone_of(member, settings), settings.payout_terms()
    )
    await present(message, screen, session)


@router.message(Command("menu"))
async def menu_command(message: Message, member: Member) -> None:
    await message.answer(menu_text(), reply_markup=main_menu(member))


LANGUAGE_BACK = "language_back"  # FSM data: the screen to return to after a language change


@router.message(Command("language"))
async def language_command(message: Message, state: FSMContext) -> None:
    """From a command: the picker, then the main menu in the new language."""
    await state.update_data({LANGUAGE_BACK: "home"})
    await message.answer(_("Choose your language."), reply_markup=language_changer("home"))


@router.callback_query(MenuAction.filter())
async def menu_action(
    query: CallbackQuery,
    callback_data: MenuAction,
    member: Member,
    session: AsyncSession,
    library: CourseLibrary,
    clock: Clock,
    state: FSMContext,
    settings: Settings,
) -> None:
    await place.forget(state)  # the menu's screens are not in the courses
    if callback_data.action == "language":  # from Settings: back to Settings afterwards
        await state.update_data({LANGUAGE_BACK: "settings"})
    if callback_data.action == "earnings":
        terms = settings.payout_terms()
        screen = await earnings_screen(session, member, clock, zone_of(member, settings), terms)
        await present(query, screen, session)
        await query.answer()
        return
    if callback_data.action == "work":
        await present(query, await work_screen(session, member, library), session)
        await query.answer()
        return
    if callback_data.action == "settings":
        await present(query, await settings_screen(session, member, settings, clock.now()), session)
        await query.answer()
        return
    screens = {
        "home": lambda: (menu_text(), main_menu(member)),
        "help": lambda: (help_text(member), back_to_menu()),
        "language": lambda: (_("Choose your language."), language_changer("settings")),
    }
    screen = screens.get(callback_data.action)
    if screen is None:
        await query.answer(_("This button is no longer valid."))
        return
    text, markup = screen()
    await present(query, Screen(text, markup), session)
    await query.answer()


@router.callback_query(ChangeLanguage.filter())
async def change_language(
    query: CallbackQuery,
    callback_data: ChangeLanguage,
    session: AsyncSession,
    state: FSMContext,
    library: CourseLibrary,
    clock: Clock,
    settings: Settings,
) -> None:
    """The new language, then the screen the picker was opened from, in that language: for
    /language typed on a course screen (a lesson page, the course list), that screen again."""
    if callback_data.locale not in CATALOG_LOCALES:
        await query.answer(_("This button is no longer valid."))
        return
    member = await accounts.set_locale(session, query.from_user.id, callback_data.locale)
    data = await state.get_data()
    back = data.pop(LANGUAGE_BACK, "settings")
    await state.set_data(data)
    await install_commands_for(query.bot, member)
    with use_locale(member.locale):
        screen = None
        if back == "home" and place.PLACE in data:
            screen = await place_screen(
                session, member, data[place.PLACE], library, clock, zone_of(member, settings)
            )
        if screen is None and back == "home":
            screen = Screen(menu_text(), main_menu(member))
        elif screen is None:
            screen = await settings_screen(session, member, settings, clock.now())
        await present(query, screen, session)
        await query.answer(_("Language changed."))


async def place_screen(
    session: AsyncSession,
    member: Member,
    where: str,
    library: CourseLibrary,
    clock: Clock,
    zone: ZoneInfo,
) -> Screen | None:
    """The course screen remembered in `where` (handlers.place), drawn anew; None if the
    course is gone."""
    kind, course_id = place.parse(where)
    if kind == "learn":
        return course_list(await pages.overview(session, member.id, library))
    course = library.get(course_id)
    if course is None:
        return None
    progress = await current(session, member.id, course)
    if kind == "practice" and course.practice is not None and progress.practised:
        return await practice_screen(session, member, progress)
    if kind == "practice" and course.practice is not None:
        return intro_screen(course)
    return await course_screen(session, member, progress, library, clock, zone)
