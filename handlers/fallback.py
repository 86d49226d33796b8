"""What is left: unknown commands, stale or forged buttons, people who have not consented."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message

from core.i18n import _
from handlers.keyboards import back_to_menu
from handlers.routing import Routes
from people.accounts import Member

router = Routes(__name__)


@router.message()
async def anything_else(message: Message, member: Member | None) -> None:
    if member is None:
        await message.answer(_("Please send /start to begin."))
    else:
        await message.answer(
            _("I did not understand that. Send /help to see what I can do."),
            reply_markup=back_to_menu(),
        )


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer valid."))
