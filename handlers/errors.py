"""When a handler fails: log it (no personal data), and never leave the user's button spinning."""

from __future__ import annotations

import contextlib
import logging
import traceback
from pathlib import Path

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, User

from core.i18n import _, use_locale
from core.pseudonym import pseudonym

log = logging.getLogger(__name__)
FRAMES = 4  # innermost frames named in the log line


def where(error: BaseException) -> str:
    """The innermost frames as `file:line in function`, innermost last: no message, no values
    (an exception's message can quote what the user typed)."""
    frames = traceback.extract_tb(error.__traceback__)[-FRAMES:]
    return " > ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames)


async def on_error(
    event: ErrorEvent, locale: str = "en", event_from_user: User | None = None
) -> bool:
    update, error = event.update, event.exception
    log.error(
        "update %s (%s) from %s failed: %s at %s",
        update.update_id,
        update.event_type,
        pseudonym(event_from_user.id) if event_from_user else "-",
        type(error).__name__,
        where(error) or "-",
    )
    with use_locale(locale), contextlib.suppress(TelegramAPIError):
        sorry = _("Sorry, something went wrong. Please try again.")
        if update.callback_query is not None:
            await update.callback_query.answer(sorry, show_alert=True)
        elif update.message is not None:
            await update.message.answer(sorry)
    return True
