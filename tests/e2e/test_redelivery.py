"""An update Telegram delivers twice is acted on once: one reply, one row (polling and webhook)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.app import PollingBot, Runtime
from bot.inbox import InboxUpdate
from people.models import Cohort, Invite
from standin.client import SimUser
from standin.server import StandIn
from tests.e2e.conftest import TOKEN, Onboard, WebhookBot


async def _count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


def _bot_messages(user: SimUser) -> int:
    return sum(1 for event in user.events if event.kind == "message")


async def _redeliver_last(standin: StandIn, user: SimUser) -> None:
    assert user.last_update_id is not None
    pending = standin.redeliver(TOKEN, user.last_update_id)
    await asyncio.wait_for(pending.done, timeout=10)


async def _admin_with_a_group(onboard: Onboard) -> SimUser:
    """An admin who made an organisation, became its coordinator and created a group last."""
    admin = await onboard(900, "en", name="Admin")
    await admin.send("/org_new Hope NGO")
    await admin.send("/coordinator_add 900 Hope NGO")
    await admin.send("/cohort_new Lviv")
    return admin


async def test_polling_a_redelivered_update_is_acted_on_once(
    onboard: Onboard, standin: StandIn, polling: PollingBot, runtime: Runtime
) -> None:
    admin = await _admin_with_a_group(onboard)
    messages = _bot_messages(admin)
    assert await _count(runtime, Invite) == 1

    await _redeliver_last(standin, admin)
    await polling.idle()

    assert await _count(runtime, Cohort) == 1
    assert await _count(runtime, Invite) == 1
    assert _bot_messages(admin) == messages

    fresh = standin.user(31, language_code="en")
    await fresh.send("/start")
    pickers = _bot_messages(fresh)
    await _redeliver_last(standin, fresh)
    await polling.idle()
    assert _bot_messages(fresh) == pickers == 1


async def test_polling_a_restart_redelivers_and_nothing_is_done_twice(
    onboard: Onboard, standin: StandIn, polling: PollingBot, runtime: Runtime
) -> None:
    """Telegram resends every update past the last confirmed offset after a restart."""
    admin = await _admin_with_a_group(onboard)
    first = admin.last_update_id
    assert first is not None
    await polling.stop()
    pending = [standin.redeliver(TOKEN, update_id) for update_id in range(1, first + 1)]
    await polling.start()
    await asyncio.wait_for(asyncio.gather(*(p.done for p in pending)), timeout=10)
    await polling.idle()
    assert await _count(runtime, Invite) == 1
    assert await _count(runtime, InboxUpdate) == first


async def test_webhook_a_redelivered_update_is_acted_on_once(
    standin: StandIn, webhook: WebhookBot
) -> None:
    runtime = webhook.runtime
    admin = standin.user(900, language_code="en")
    await admin.send("/start")
    await admin.press("English")
    await admin.press("✅ I agree")
    await admin.send("/org_new Hope NGO")
    await admin.send("/coordinator_add 900 Hope NGO")
    await admin.send("/cohort_new Lviv")
    messages = _bot_messages(admin)

    await _redeliver_last(standin, admin)  # done once the webhook answered 200
    await _redeliver_last(standin, admin)
    await asyncio.sleep(0)  # let a (wrongly) scheduled handling run before we look
    async with runtime.sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "pending")
        )
    assert pending == 0
    assert await _count(runtime, Invite) == 1
    assert await _count(runtime, Cohort) == 1
    assert _bot_messages(admin) == messages
