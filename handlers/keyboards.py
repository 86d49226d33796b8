"""Inline keyboards shared by several handlers."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.i18n import _
from core.locales import CATALOG_LOCALES, LANGUAGE_NAMES
from handlers.callbacks import ChangeLanguage, MenuAction, PickLanguage
from people.accounts import Member


def language_picker(invite: str = "") -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in CATALOG_LOCALES:
        builder.button(
            text=LANGUAGE_NAMES[locale], callback_data=PickLanguage(locale=locale, invite=invite)
        )
    builder.adjust(2)
    return builder.as_markup()


def language_changer(back: str = "settings") -> InlineKeyboardMarkup:
    """The languages, and a way back to where the picker was opened: "settings" or "home"."""
    builder = InlineKeyboardBuilder()
    for locale in CATALOG_LOCALES:
        builder.button(text=LANGUAGE_NAMES[locale], callback_data=ChangeLanguage(locale=locale))
    if back == "settings":
        builder.button(text=_("⬅️ Back"), callback_data=MenuAction(action="settings"))
    else:
        builder.add(menu_button())
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def main_menu(member: Member | None = None) -> InlineKeyboardMarkup:
    """The main menu; coordinators and admins also get the announcement and payout buttons."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📚 Learn"), callback_data=MenuAction(action="learn"))
    builder.button(text=_("🛠 Work"), callback_data=MenuAction(action="work"))
    builder.button(text=_("💰 Earnings"), callback_data=MenuAction(action="earnings"))
    builder.button(text=_("⚙️ Settings"), callback_data=MenuAction(action="settings"))
    builder.button(text=_("❓ Help"), callback_data=MenuAction(action="help"))
    if member is not None and (member.is_coordinator or member.is_admin):
        builder.button(text=_("📣 Announcement"), callback_data=MenuAction(action="broadcast"))
        builder.button(text=_("💸 Payouts"), callback_data=MenuAction(action="payouts"))
        builder.adjust(2, 2, 2, 1)
        return builder.as_markup()
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def menu_button() -> InlineKeyboardButton:
    """🏠 Menu: the way out of any screen."""
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuAction(action="home").pack())


def courses_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=_("📚 Courses"), callback_data=MenuAction(action="learn").pack()
    )


def leave_row() -> list[InlineKeyboardButton]:
    """The last row of a learning screen: the course list and the main menu."""
    return [courses_button(), menu_button()]


def back_to_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    return builder.as_markup()
