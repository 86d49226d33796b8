"""When a handler fails: log it (no personal data), and never leave the user's button spinning."""

from __future__ import annotations

import contextlib
import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

from core.i18n import _, use_locale

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, locale: str = "en") -> bool:
    update = event.update
    log.error(
        "update %s (%s) failed: %s",
        update.update_id,
        update.event_type,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    with use_locale(locale), contextlib.suppress(TelegramAPIError):
        sorry = _("Sorry, something went wrong. Please try again.")
        if update.callback_query is not None:
            await update.callback_query.answer(sorry, show_alert=True)
        elif update.message is not None:
            await update.message.answer(sorry)
    return True
