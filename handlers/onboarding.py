"""/start: language, consent, invite links."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import F
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.i18n import _, embed, use_locale
from core.locales import CATALOG_LOCALES
from handlers.callbacks import Consent, PickLanguage
from handlers.commands import install_commands_for
from handlers.coordination import invite_problem_text
from handlers.keyboards import language_picker, main_menu
from handlers.privacy import erase_member, erased_text, refused_text
from handlers.routing import Routes
from handlers.screens import Screen, present
from people import accounts
from people.accounts import INVITE_CODE, CohortInfo, Member

if TYPE_CHECKING:  # the dispatcher hands the settings in; handlers never import the bot
    from bot.settings import Settings

router = Routes(__name__)


def menu_text() -> str:
    return _("Main menu. What would you like to do?")


def joined_text(cohort: CohortInfo) -> str:
    return _("You joined the group {cohort} of {organisation}.").format(
        cohort=embed(cohort.name), organisation=embed(cohort.organisation)
    )


def invalid_invite_text() -> str:
    return _(
        "This invite link is not valid. Check that you opened the whole link, "
        "or ask your coordinator for a new one."
    )


def choose_language_text() -> str:
    lines = []
    for locale in CATALOG_LOCALES:
        with use_locale(locale):
            lines.append(_("Welcome to Rafiq! Please choose your language."))
    return "\n".join(lines)


def consent_text() -> str:
    return _(
        "Before we start, please read what Rafiq stores and why.\n\n"
        "We store your Telegram id, the language you choose, the group you joined, your course "
        "progress, your quiz answers, your practice answers, your skills, your work answers and "
        "your disputes of them, your accuracy on control items, the training pay and work pay you "
        "earn, your payout method (encrypted) and your payouts, your time zone and reminder "
        "settings, the name you give for certificates "
        "(encrypted) and your certificates. We also keep the messages you send the bot until they "
        "are handled, the messages the bot is due to send you, whether you blocked the bot, a "
        "question the bot is waiting for you to answer, and, if you become a coordinator, the "
        "invite links you create, the announcements you send, the items you settle and a record of "
        "your actions. We use this to show you your courses, tasks and earnings, to pay you and to "
        "issue your certificates.\n\n"
        "We do not store your contacts or your location, nor your phone number unless you give it "
        "as your payout method. Your coordinator at your partner organisation can see your "
        "progress, your disputes and your payouts.\n\n"
        "Send /mydata at any time for a copy of all of it, and /deleteme to erase it. Payment "
        "records and the labels you gave are kept without your name, because accounting and the "
        "customers' data need them.\n\n"
        "Do you agree?"
    )


def consent_keyboard(locale: str, invite: str):
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("✅ I agree"), callback_data=Consent(locale=locale, accept=True, invite=invite)
    )
    builder.button(
        text=_("No, thanks"), callback_data=Consent(locale=locale, accept=False, invite=invite)
    )
    builder.adjust(1)
    return builder.as_markup()


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    member: Member | None,
    clock: Clock,
) -> None:
    code = (command.args or "").strip()
    check = await accounts.check_invite(session, code, clock) if code else None
    valid = check is not None and check.problem is None
    cohort = None
    if member is not None and valid:  # the write comes before the first reply
        cohort = await accounts.join_by_invite(session, member.id, code, clock)
    if check is not None and not valid:
        await message.answer(invite_problem_text(check.problem))
    if member is None:
        invite = code if valid else ""
        await message.answer(choose_language_text(), reply_markup=language_picker(invite))
        return
    if cohort is not None:
        await message.answer(joined_text(cohort))
    await message.answer(menu_text(), reply_markup=main_menu(member))


@router.callback_query(PickLanguage.filter())
async def picked_language(
    query: CallbackQuery, callback_data: PickLanguage, session: AsyncSession
) -> None:
    locale = callback_data.locale if callback_data.locale in CATALOG_LOCALES else "en"
    invite = callback_data.invite if INVITE_CODE.match(callback_data.invite or "x") else ""
    with use_locale(locale):
        await present(query, Screen(consent_text(), consent_keyboard(locale, invite)), session)
    await query.answer()


@router.callback_query(Consent.filter(F.accept))
async def accepted(
    query: CallbackQuery,
    callback_data: Consent,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
) -> None:
    locale = callback_data.locale if callback_data.locale in CATALOG_LOCALES else "en"
    member, cohort = await accounts.accept_consent(
        session,
        user_id=query.from_user.id,
        locale=locale,
        invite_code=callback_data.invite or None,
        is_admin=query.from_user.id in settings.admin_ids,
        clock=clock,
    )
    if member.is_admin or member.is_coordinator:
        await install_commands_for(query.bot, member)
    with use_locale(member.locale):
        text = menu_text()
        if cohort is not None:
            text = joined_text(cohort) + "\n\n" + text
        await present(query, Screen(text, main_menu(member)), session)
        await query.answer(_("Thank you!"))


@router.callback_query(Consent.filter(~F.accept))
async def declined(
    query: CallbackQuery,
    callback_data: Consent,
    session: AsyncSession,
    member: Member | None,
    state: FSMContext,
) -> None:
    locale = callback_data.locale if callback_data.locale in CATALOG_LOCALES else "en"
    if member is not None:  # an older consent screen, after agreeing: erase, as /deleteme does
        erased = await erase_member(session, state, member.id)
        text = refused_text() if erased is None else erased_text(erased)
        await present(query, Screen(text), session)
        await query.answer()
        return
    with use_locale(locale):
        text = _(
            "Understood. Nothing about you has been stored. Send /start if you change your mind."
        )
        await present(query, Screen(text), session)
    await query.answer()
