"""Telegram-facing layer: routers composed in one place."""

from aiogram import F, Router

from handlers import coordination, fallback, menu, onboarding


def build_router() -> Router:
    root = Router(name="rafiq")
    root.message.filter(F.chat.type == "private")
    root.include_routers(
        onboarding.router,
        coordination.admin_router,
        coordination.coordinator_router,
        menu.router,
        fallback.router,
    )
    return root
