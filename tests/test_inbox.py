"""The inbox: stored before acknowledged, settled once, pruned after the redelivery window."""

from __future__ import annotations

from datetime import timedelta

from aiogram.types import Update
from sqlalchemy import select

from bot import inbox
from bot.app import Runtime
from bot.inbox import InboxUpdate
from core.clock import ManualClock


def _update(update_id: int, chat_id: int, text: str = "hi") -> Update:
    return Update.model_validate(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "A"},
                "text": text,
            },
        }
    )


async def test_an_update_is_stored_once_and_settled_once(
    runtime: Runtime, clock: ManualClock
) -> None:
    async with runtime.sessions() as session:
        new = await inbox.store(session, [_update(7, 70), _update(5, 50)], clock.now())
        assert [(s.update_id, s.chat_id) for s in new] == [(7, 70), (5, 50)]
        assert await inbox.store(session, [_update(7, 70, "again")], clock.now()) == []
        await session.commit()

        waiting = await inbox.pending(session, 10)
        assert [(s.update_id, s.chat_id) for s in waiting] == [(5, 50), (7, 70)]
        assert waiting[1].update.message is not None and waiting[1].update.message.text == "hi"

        assert await inbox.settle(session, 5, 50, clock.now()) is True
        assert await inbox.settle(session, 5, 50, clock.now()) is False
        await session.commit()
        assert [s.update_id for s in await inbox.pending(session, 10)] == [7]
        row = await session.get(InboxUpdate, 5)
        assert row is not None and row.status == "done" and row.payload is None


async def test_an_update_fed_without_the_inbox_is_recorded_by_its_settlement(
    runtime: Runtime, clock: ManualClock
) -> None:
    async with runtime.sessions() as session:
        assert await inbox.settle(session, 9, 90, clock.now(), inbox.FAILED, "ValueError")
        assert not await inbox.settle(session, 9, 90, clock.now())
        await session.commit()
        assert await inbox.status_of(session, 9) == "failed"


async def test_prune_forgets_settled_updates_past_the_window_and_keeps_pending_ones(
    runtime: Runtime, clock: ManualClock
) -> None:
    async with runtime.sessions() as session:
        await inbox.store(session, [_update(1, 10), _update(2, 20)], clock.now())
        await inbox.settle(session, 1, 10, clock.now())
        await session.commit()
        clock.advance(inbox.REDELIVERY_WINDOW + timedelta(minutes=1))
        await inbox.prune(session, clock.now() - inbox.REDELIVERY_WINDOW)
        await session.commit()
        ids = (await session.execute(select(InboxUpdate.update_id))).scalars().all()
        assert ids == [2]
