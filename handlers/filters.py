"""Role filters. They run on the server for every update, whatever the client shows or sends."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from people.accounts import Member


class IsCoordinator(Filter):
    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and member.is_coordinator


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and member.is_admin


class IsMember(Filter):
    """The person accepted the consent message."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None
