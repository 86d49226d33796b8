"""The command menus Telegram shows: everyone's, per language, and coordinators' own."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from core.i18n import N_, gettext, use_locale
from core.locales import CATALOG_LOCALES
from people.accounts import Member

EVERYONE = (
    ("start", N_("Main menu")),
    ("learn", N_("Courses")),
    ("work", N_("Paid work")),
    ("earnings", N_("What you earned")),
    ("language", N_("Change the language")),
    ("verify", N_("Check a certificate")),
    ("mydata", N_("A copy of everything Rafiq holds about you")),
    ("deleteme", N_("Erase your data")),
    ("help", N_("Help")),
)
COORDINATORS = (
    ("cohorts", N_("Your groups and invite links")),
    ("cohort_new", N_("Create a group")),
    ("invite", N_("New invite link for a group")),
    ("invite_revoke", N_("Withdraw an invite link")),
    ("progress", N_("Who is where in your groups")),
    ("cohort_country", N_("Set a group's country, for the minimum wage")),
    ("cohort_zone", N_("Set a group's time zone")),
)
PROJECTS = (  # coordinators' and admins'
    ("projects", N_("Labelling projects: figures, review, export")),
    ("resume_worker", N_("Let a paused worker work on a project again")),
    ("broadcast", N_("Send an announcement")),
    ("payouts", N_("Weekly payouts: mark them paid or failed")),
)
ADMINS = (
    ("org_new", N_("Create a partner organisation")),
    ("coordinator_add", N_("Make someone a coordinator")),
    ("audit", N_("Latest coordinator and admin actions")),
    ("progress", N_("Who is where in every group")),
)

TELEGRAM_LANGUAGE = {"ar": "ar", "fa_AF": "fa", "uk": "uk", "en": "en"}


def _commands(pairs: tuple[tuple[str, str], ...]) -> list[BotCommand]:
    return [BotCommand(command=name, description=gettext(text)) for name, text in pairs]


async def install_default_commands(bot: Bot) -> None:
    for locale in CATALOG_LOCALES:
        with use_locale(locale):
            await bot.set_my_commands(
                _commands(EVERYONE),
                scope=BotCommandScopeDefault(),
                language_code=TELEGRAM_LANGUAGE[locale],
            )
    with use_locale("en"):
        await bot.set_my_commands(_commands(EVERYONE), scope=BotCommandScopeDefault())


async def install_commands_for(bot: Bot, member: Member, *, refresh: bool = False) -> None:
    """Coordinators (and admins) see their commands in their own chat only; someone who lost
    the role (`refresh=True`) gets everyone's menu back."""
    pairs = EVERYONE
    if member.is_coordinator:
        pairs += COORDINATORS
    if member.is_coordinator or member.is_admin:
        pairs += PROJECTS
    if member.is_admin:
        pairs += ADMINS
    pairs = tuple({name: (name, text) for name, text in pairs}.values())  # admins' text wins
    if pairs == EVERYONE:
        if refresh:
            await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=member.id))
        return
    with use_locale(member.locale):
        await bot.set_my_commands(_commands(pairs), scope=BotCommandScopeChat(chat_id=member.id))
