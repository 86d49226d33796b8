"""Whether the bot can reach a person: Telegram says so when they block or unblock it.

A 403 from Telegram, or a `my_chat_member` update saying the bot was blocked, marks the person
unreachable: their waiting messages are parked as unreachable and nothing new is sent until a
`my_chat_member` update says they unblocked it. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.outbox import OutboxMessage
from people.models import User

BLOCKED = "blocked the bot"


async def mark_unreachable(session: AsyncSession, chat_id: int, now: datetime) -> None:
    """The person in this private chat blocked the bot (kept from the first time it was seen);
    every message still waiting for them is parked as unreachable."""
    await session.execute(
        update(User)
        .where(User.id == chat_id, User.unreachable_since.is_(None))  # type: ignore[union-attr]
        .values(unreachable_since=now)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.state == outbox.WAITING)
        .values(state=outbox.UNREACHABLE, error=BLOCKED)
    )


async def mark_reachable(session: AsyncSession, chat_id: int) -> None:
    """The person unblocked the bot: messages written from now on reach them."""
    await session.execute(
        update(User)
        .where(User.id == chat_id, User.unreachable_since.is_not(None))  # type: ignore[union-attr]
        .values(unreachable_since=None)
    )


async def is_unreachable(session: AsyncSession, chat_id: int) -> bool:
    user = await session.get(User, chat_id)
    return user is not None and user.unreachable_since is not None
