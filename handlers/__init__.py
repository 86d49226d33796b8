"""Telegram-facing layer: routers composed in one place."""

from aiogram import F, Router

from handlers import (
    certificates,
    coordination,
    fallback,
    learning,
    membership,
    menu,
    onboarding,
    practice,
    privacy,
    work,
    work_coordination,
    work_import,
)


def build_router() -> Router:
    root = Router(name="rafiq")
    root.message.filter(F.chat.type == "private")
    for routes in (
        onboarding.router,
        privacy.router,
        certificates.router,
        coordination.admin_router,
        work_coordination.router,
        coordination.coordinator_router,
        work_import.router,
        learning.router,
        practice.router,
        work.router,
        menu.router,
        fallback.router,
        membership.router,
    ):
        root.include_router(routes.build())
    return root
