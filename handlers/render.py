"""Editing one message in place, the way every screen of the bot is shown."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the pressed message's text and keyboard, or send a new message."""
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
    if query.message is not None:
        await query.bot.send_message(query.message.chat.id, text, reply_markup=markup)
