"""Telegram-facing layer: routers composed in one place."""

from aiogram import F, Router

from handlers import (
    certificates,
    coordination,
    fallback,
    learning,
    menu,
    onboarding,
    practice,
    privacy,
    work,
)


def build_router() -> Router:
    root = Router(name="rafiq")
    root.message.filter(F.chat.type == "private")
    for routes in (
        onboarding.router,
        privacy.router,
        certificates.router,
        coordination.admin_router,
        coordination.coordinator_router,
        learning.router,
        practice.router,
        work.router,
        menu.router,
        fallback.router,
    ):
        root.include_router(routes.build())
    return root
