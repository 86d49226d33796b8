"""The main menu and its simple screens: help, settings, language."""

from __future__ import annotations

from datetime import datetime, time

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, format_money, use_locale
from core.locales import CATALOG_LOCALES, LANGUAGE_NAMES
from courses.library import CourseLibrary
from handlers.callbacks import ChangeLanguage, MenuAction
from handlers.commands import install_commands_for
from handlers.filters import IsMember
from handlers.keyboards import back_to_menu, language_changer, main_menu
from handlers.onboarding import menu_text
from handlers.routing import Routes
from handlers.screens import Screen, present
from handlers.work import work_screen
from people import accounts
from people.accounts import Member
from tasks.owed import owed_totals

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
            _("/progress - who is where in your groups, and who is stuck"),
            _("/projects - paid projects: figures, review, export"),
            _("Send a project folder as a .zip file to import it."),
        ]
    if member.is_admin:
        lines += [
            "",
            _("For admins:"),
            _("/org_new NAME - create a partner organisation"),
            _("/coordinator_add USER_ID ORGANISATION - make someone a coordinator"),
            _("/progress - who is where in every group"),
        ]
    lines += [
        "",
        _(
            "Rafiq stores your Telegram id, language, group, course progress, quiz and practice "
            "answers, skills, work answers, accuracy on control items, training pay and work "
            "pay, your name for certificates (encrypted) and your certificates. /mydata sends "
            "you all of it; /deleteme erases it."
        ),
        "",
        _("Questions? Ask your coordinator at your partner organisation."),
    ]
    return "\n".join(lines)


def settings_text(member: Member) -> str:
    return _("Settings\n\nLanguage: {language}").format(language=LANGUAGE_NAMES[member.locale])


def settings_keyboard():
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🌐 Language"), callback_data=MenuAction(action="language"))
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    builder.adjust(1)
    return builder.as_markup()


async def earnings_screen(session: AsyncSession, member: Member, clock: Clock) -> Screen:
    now = clock.now()
    totals = await owed_totals(session, member.id)
    today = await owed_totals(
        session, member.id, datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    )
    names = {"work": _("Paid work"), "practice": _("Training pay")}
    if not totals:
        body = _("Nothing is recorded for you yet. Practice sets and paid work earn money.")
    else:
        lines = [_("Recorded for you so far:")]
        for (kind, currency), amount in sorted(totals.items()):
            line = f"• {names.get(kind, kind)}: {format_money(amount, currency)}"
            if today.get((kind, currency)):
                line += " " + _("(today {amount})").format(
                    amount=format_money(today[(kind, currency)], currency)
                )
            lines.append(line)
        body = "\n".join(lines)
    footer = _(
        "Payouts are not made through the bot yet: your partner organisation tells you "
        "when and how you are paid."
    )
    return Screen("\n\n".join([_("💰 Earnings"), body, footer]), back_to_menu())


@router.message(Command("help"))
async def help_command(message: Message, member: Member) -> None:
    await message.answer(help_text(member), reply_markup=back_to_menu())


@router.message(Command("earnings"))
async def earnings_command(
    message: Message, session: AsyncSession, member: Member, clock: Clock
) -> None:
    await present(message, await earnings_screen(session, member, clock), session)


@router.message(Command("menu"))
async def menu_command(message: Message) -> None:
    await message.answer(menu_text(), reply_markup=main_menu())


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
) -> None:
    if callback_data.action == "language":  # from Settings: back to Settings afterwards
        await state.update_data({LANGUAGE_BACK: "settings"})
    if callback_data.action == "earnings":
        await present(query, await earnings_screen(session, member, clock), session)
        await query.answer()
        return
    if callback_data.action == "work":
        await present(query, await work_screen(session, member, library), session)
        await query.answer()
        return
    screens = {
        "home": lambda: (menu_text(), main_menu()),
        "help": lambda: (help_text(member), back_to_menu()),
        "settings": lambda: (settings_text(member), settings_keyboard()),
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
    query: CallbackQuery, callback_data: ChangeLanguage, session: AsyncSession, state: FSMContext
) -> None:
    """The new language, then the screen the picker was opened from, in that language."""
    if callback_data.locale not in CATALOG_LOCALES:
        await query.answer(_("This button is no longer valid."))
        return
    member = await accounts.set_locale(session, query.from_user.id, callback_data.locale)
    data = await state.get_data()
    back = data.pop(LANGUAGE_BACK, "settings")
    await state.set_data(data)
    await install_commands_for(query.bot, member)
    with use_locale(member.locale):
        if back == "home":
            screen = Screen(menu_text(), main_menu())
        else:
            screen = Screen(settings_text(member), settings_keyboard())
        await present(query, screen, session)
        await query.answer(_("Language changed."))
