"""Coordinator commands: refused server-side to members; a new group comes with its invite."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SendMessage
from sqlalchemy import func, select

from bot.app import Runtime
from handlers.callbacks import CohortAction
from people import accounts
from people.models import Cohort, Invite
from tests.handlers.conftest import Chatting, FakeTelegram


async def _member(runtime: Runtime, user_id: int, organisation: str | None = None) -> None:
    async with runtime.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=user_id,
            locale="en",
            invite_code=None,
            is_admin=False,
            clock=runtime.clock,
        )
        if organisation:
            await accounts.create_organisation(session, organisation, runtime.clock)
            await accounts.appoint_coordinator(session, user_id, organisation)
        await session.commit()


async def _count(runtime: Runtime, table: type) -> int:
    async with runtime.sessions() as session:
        return await session.scalar(select(func.count()).select_from(table)) or 0


async def test_a_member_is_refused_coordinator_commands_and_buttons(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    await _member(handler_runtime, 7)
    await chat.feed(chat.message("/cohort_new Lviv"))
    assert [m.text for m in telegram.sent(SendMessage)] == [
        "I did not understand that. Send /help to see what I can do."
    ]
    await chat.feed(chat.press(CohortAction(action="invite", cohort_id=1).pack()))
    assert telegram.sent(AnswerCallbackQuery)[-1].text == "This button is no longer valid."
    assert (await _count(handler_runtime, Cohort), await _count(handler_runtime, Invite)) == (0, 0)


async def test_a_coordinators_new_group_comes_with_one_invite_once(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    await _member(handler_runtime, 7, organisation="Hope NGO")
    command = chat.message("/cohort_new Lviv")
    await chat.feed(command)
    await chat.feed(command)  # redelivered: changes nothing, says nothing
    [reply] = telegram.sent(SendMessage)
    async with handler_runtime.sessions() as session:
        [code] = (await session.execute(select(Invite.code))).scalars().all()
    assert reply.text.startswith("Group Lviv created.\n\nInvite link for the group Lviv:")
    assert f"https://t.me/rafiq_bot?start={code}" in reply.text
    assert await _count(handler_runtime, Cohort) == 1
