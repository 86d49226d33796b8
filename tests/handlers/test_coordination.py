"""Coordinator commands: refused server-side to members; a new group comes with its invite;
groups found however the name is spelled; /progress pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import func, select

from bot.app import Runtime
from core.bidi import LRI, PDI, strip_bidi_controls
from core.i18n import use_locale
from courses.figures import LESSON, PRACTICE, CohortReport, CourseStats, Place, Trainee
from courses.library import CourseLibrary
from handlers.callbacks import CohortAction
from handlers.coordination import (
    FOOTER_ROOM,
    MESSAGE_LIMIT,
    page_screen,
    paginate,
    progress_pages,
)
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


async def test_groups_are_found_however_arabic_and_dari_keyboards_spell_the_name(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    await _member(handler_runtime, 7, organisation="Hope NGO")
    await chat.feed(chat.message("/cohort_new علی کابل"))  # Persian yeh and keheh
    for typed in ("علي كابل", "عَلِيّ كـابل", "ＬＶＩＶ"):  # Arabic letters, harakat, tatweel
        await chat.feed(chat.message(f"/invite {typed}"))
    await chat.feed(chat.message("/cohort_new على كابل"))  # alef maksura: the same name
    replies = [strip_bidi_controls(m.text) for m in telegram.sent(SendMessage)]
    assert replies[1].startswith("Invite link for the group علی کابل:")
    assert replies[2].startswith("Invite link for the group علی کابل:")
    assert replies[3] == "You have no group called ＬＶＩＶ."
    assert replies[4] == "You already have a group called على كابل."
    assert await _count(handler_runtime, Cohort) == 1
    assert await _count(handler_runtime, Invite) == 3


async def test_progress_pages_are_turned_only_by_coordinators_and_stay_in_range(
    chat: Chatting, telegram: FakeTelegram, handler_runtime: Runtime
) -> None:
    await _member(handler_runtime, 7, organisation="Hope NGO")
    await chat.feed(chat.message("/cohort_new Lviv"))
    code = telegram.sent(SendMessage)[-1].text.split("start=")[1].split()[0]
    await _trainee(handler_runtime, 40, code, "Olena")
    await chat.feed(chat.press(CohortAction(action="progress", cohort_id=999).pack()))
    [edit] = telegram.sent(EditMessageText)
    assert "Olena · no course started yet" in edit.text.split("\n")
    assert "Page" not in edit.text  # one page: no page line, no turning buttons
    assert [b.text for row in edit.reply_markup.inline_keyboard for b in row] == ["🏠 Menu"]

    stranger = Chatting(chat.dispatcher, chat.bot, 40)
    await stranger.feed(stranger.press(CohortAction(action="progress", cohort_id=0).pack()))
    assert telegram.sent(AnswerCallbackQuery)[-1].text == "This button is no longer valid."
    assert len(telegram.sent(EditMessageText)) == 1


async def _trainee(runtime: Runtime, user_id: int, code: str, name: str) -> None:
    async with runtime.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=user_id,
            locale="en",
            invite_code=code,
            is_admin=False,
            clock=runtime.clock,
        )
        await accounts.set_display_name(session, user_id, name)
        await session.commit()


def test_pages_fit_a_message_repeat_the_heading_and_lose_no_line() -> None:
    sections = [
        (f"👥 Group {g}", [f"line {g}-{n} " + "ы" * 90 for n in range(40)]) for g in range(3)
    ]
    pages = paginate("Title", sections)
    assert len(pages) > 2
    assert all(len(p.text.encode("utf-16-le")) // 2 <= MESSAGE_LIMIT - FOOTER_ROOM for p in pages)
    lines = [line for p in pages for line in p.text.split("\n")]
    assert [line for line in lines if line.startswith("line")] == [
        line for _, body in sections for line in body
    ]
    for page in pages:
        shown = page.text.split("\n")
        assert shown[0] == "Title" and shown[2].startswith("👥 Group")  # where it continues
        assert [sections[i][0] for i in page.sections] == [s for s in shown if s.startswith("👥")]


@pytest.mark.parametrize("locale", ["ar", "fa_AF"])
def test_progress_screen_has_no_western_digit_outside_codes(
    locale: str, library: CourseLibrary
) -> None:
    basics = library.get("annotation-basics")
    when = datetime(2026, 10, 29, 18, 47, tzinfo=UTC)
    report = CohortReport(
        1,
        "Lviv",
        "Hope NGO",
        (CourseStats("Lviv", basics.id, 12, 7, 5, 9, 8, 1),),
        (
            Trainee("u0123456789ab", None, (Place(basics.id, LESSON, 3, 8, when, when),)),
            Trainee("u0123456789ac", "Olena", (Place(basics.id, PRACTICE, 4, 8, when, None),)),
        ),
    )
    with use_locale(locale):
        [page] = progress_pages([report] * 1, library, UTC, every_organisation=True)
        screen = page_screen([page, page], 1, "progress")
    outside_codes = re.sub(f"{LRI}[^{PDI}]*{PDI}", "", screen.text)
    assert not re.search("[0-9]", outside_codes), screen.text
    assert "u0123456789ab" in screen.text  # the pseudonym, a code: Latin
