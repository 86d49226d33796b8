"""One screen, one message: edit in place, switching between text and photo when needed."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.media import Photo, photo_for, remember_photo


@dataclass(frozen=True)
class Screen:
    text: str
    markup: InlineKeyboardMarkup | None = None
    photo: Photo | None = None


async def _with_photo(
    session: AsyncSession,
    bot: Bot,
    path: Photo,
    call: Callable[[str | BufferedInputFile], Awaitable[Message | bool]],
) -> Message | bool:
    """Send by the stored file_id; if Telegram no longer knows it, upload again and remember."""
    photo = await photo_for(session, bot, path)
    try:
        result = await call(photo)
    except TelegramBadRequest as error:
        if not isinstance(photo, str) or "wrong file identifier" not in error.message:
            raise
        photo = await photo_for(session, bot, path, cached=False)
        result = await call(photo)
    if not isinstance(photo, str) and isinstance(result, Message):
        await remember_photo(bot, path, result)
    return result


async def _send(bot: Bot, chat_id: int, screen: Screen, session: AsyncSession) -> Message:
    if screen.photo is None:
        return await bot.send_message(chat_id, screen.text, reply_markup=screen.markup)
    sent = await _with_photo(
        session,
        bot,
        screen.photo,
        lambda photo: bot.send_photo(
            chat_id, photo, caption=screen.text, reply_markup=screen.markup
        ),
    )
    assert isinstance(sent, Message)
    return sent


async def _edit(message: Message, screen: Screen, session: AsyncSession, bot: Bot) -> bool:
    """Edit in place; False when the message kind (text/photo) must change."""
    try:
        if screen.photo is None and message.text is not None:
            await message.edit_text(screen.text, reply_markup=screen.markup)
            return True
        if screen.photo is not None and message.photo:
            await _with_photo(
                session,
                bot,
                screen.photo,
                lambda photo: message.edit_media(
                    InputMediaPhoto(media=photo, caption=screen.text), reply_markup=screen.markup
                ),
            )
            return True
    except TelegramBadRequest as error:
        if "message is not modified" in error.message:
            return True
        if "not found" not in error.message and "can't be edited" not in error.message:
            raise
    return False


async def present(target: CallbackQuery | Message, screen: Screen, session: AsyncSession) -> None:
    """Show a screen: edit the pressed message, or replace it, or (for a command) send one."""
    bot = target.bot
    assert bot is not None
    if isinstance(target, Message):
        await _send(bot, target.chat.id, screen, session)
        return
    message = target.message
    if not isinstance(message, Message):
        await _send(bot, target.from_user.id, screen, session)
        return
    if await _edit(message, screen, session, bot):
        return
    await _send(bot, message.chat.id, screen, session)
    with contextlib.suppress(TelegramBadRequest):
        await message.delete()
