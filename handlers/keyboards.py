"""Inline keyboards shared by several handlers."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.i18n import _
from core.locales import CATALOG_LOCALES, LANGUAGE_NAMES
from handlers.callbacks import ChangeLanguage, MenuAction, PickLanguage


def language_picker(invite: str = "") -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in CATALOG_LOCALES:
        builder.button(
            text=LANGUAGE_NAMES[locale], callback_data=PickLanguage(locale=locale, invite=invite)
        )
    builder.adjust(2)
    return builder.as_markup()


def language_changer() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in CATALOG_LOCALES:
        builder.button(text=LANGUAGE_NAMES[locale], callback_data=ChangeLanguage(locale=locale))
    builder.button(text=_("⬅️ Back"), callback_data=MenuAction(action="settings"))
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def main_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📚 Learn"), callback_data=MenuAction(action="learn"))
    builder.button(text=_("🛠 Work"), callback_data=MenuAction(action="work"))
    builder.button(text=_("💰 Earnings"), callback_data=MenuAction(action="earnings"))
    builder.button(text=_("⚙️ Settings"), callback_data=MenuAction(action="settings"))
    builder.button(text=_("❓ Help"), callback_data=MenuAction(action="help"))
    builder.adjust(2, 2, 1)
    return builder.as_markup()


def back_to_menu() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🏠 Menu"), callback_data=MenuAction(action="home"))
    return builder.as_markup()
