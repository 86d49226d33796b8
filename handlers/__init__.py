"""Telegram-facing layer: routers composed in one place."""

from aiogram import F, Router

from handlers import (
    broadcasts,
    certificates,
    coordination,
    disputes,
    earnings_history,
    fallback,
    learning,
    membership,
    menu,
    onboarding,
    payout_confirmations,
    payout_methods,
    place,
    practice,
    preferences,
    privacy,
    work,
    work_coordination,
    work_import,
)
from handlers.routing import on_the_loop


def build_router() -> Router:
    root = Router(name="rafiq")
    root.message.filter(on_the_loop(F.chat.type == "private"))
    root.message.outer_middleware(place.ForgetPlaceOnCommand())
    for routes in (
        onboarding.router,
        privacy.router,
        certificates.router,
        coordination.admin_router,
        work_coordination.router,
        disputes.coordinator_router,
        payout_confirmations.router,
        coordination.coordinator_router,
        work_import.router,
        broadcasts.router,
        learning.router,
        practice.router,
        work.router,
        payout_methods.router,
        disputes.worker_router,
        earnings_history.router,
        preferences.router,
        menu.router,
        fallback.router,
        membership.router,
    ):
        routes.register_on(root)
    return root
