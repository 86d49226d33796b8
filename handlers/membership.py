"""Telegram says a person blocked the bot (kicked) or unblocked it (member): the outbox follows."""

from __future__ import annotations

from aiogram import F
from aiogram.enums import ChatMemberStatus
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from handlers.routing import Routes
from people import reachability

router = Routes(__name__)


@router.my_chat_member(F.chat.type == "private")
async def membership_changed(
    update: ChatMemberUpdated, session: AsyncSession, clock: Clock
) -> None:
    status = update.new_chat_member.status
    if status == ChatMemberStatus.KICKED:
        await reachability.mark_unreachable(session, update.chat.id, clock.now())
    elif status == ChatMemberStatus.MEMBER:
        await reachability.mark_reachable(session, update.chat.id)
