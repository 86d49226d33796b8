"""A person takes a copy of their data, then has it erased; an old consent screen's "No, thanks"
after agreeing erases too, and says so truthfully."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import Runtime
from handlers.callbacks import Consent
from people.models import User
from standin.client import SimUser
from standin.server import StandIn
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import answer_quiz, open_course, read_every_page

NAME = "Amina Haddad"


# An id no update_id, row id or count in the test comes near: the check looks for it anywhere.
USER = 6_100_061


async def _tables_naming(runtime: Runtime, user_id: int) -> list[str]:
    found = []
    async with runtime.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if any(str(v) == str(user_id) or f":{user_id}:" in str(v) for v in row):
                    found.append(table.name)
    return found


async def _tables_holding(runtime: Runtime, words: str) -> list[str]:
    found = []
    async with runtime.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if any(words in str(v) for v in row):
                    found.append(table.name)
    return found


async def _coordinator_with_a_group(onboard: Onboard) -> tuple[SimUser, str]:
    admin = await onboard(900, "en", name="Admin")
    await admin.send("/org_new Hope NGO")
    coordinator = await onboard(20, "en", name="Layla")
    await admin.send("/coordinator_add 20 Hope NGO")
    await coordinator.send("/cohort_new Lviv")
    return coordinator, coordinator.last.text.split("start=")[1].strip()


@pytest.mark.parametrize("locale", ["ar", "fa_AF", "uk", "en"])
async def test_mydata_then_deleteme_leaves_nothing_and_the_figures_unchanged(
    onboard: Onboard, runtime: Runtime, standin: StandIn, locale: str
) -> None:
    coordinator, code = await _coordinator_with_a_group(onboard)
    course = runtime.library.get("working-on-platform")
    user = await onboard(USER, locale, code=code, name="Nadia")
    await open_course(user, course, locale)
    await read_every_page(user, course, locale)
    await answer_quiz(user, course, locale)
    await user.press(t(locale, "🎓 My certificate"))
    await user.send(NAME)
    await user.press(t(locale, "✅ Yes"))
    stays = await onboard(62, "en", code=code)
    await open_course(stays, course, "en")
    await coordinator.send("/progress")
    progress = coordinator.last.text
    assert "2 started, 1 in progress, 1 completed" in progress

    await user.send("/mydata")
    document = user.last.document
    assert document is not None and document.file_name == "rafiq-my-data.json"
    assert user.last.caption == t(
        locale, "Everything Rafiq holds about you, table by table. Send /deleteme to erase it."
    )
    [sent] = [f.data for f in standin.stored_files() if f.file_id == document.file_id]
    tables = {name for name, rows in json.loads(sent)["tables"].items() if rows}
    assert tables == set(await _tables_naming(runtime, USER))
    assert {"users", "course_progress", "quiz_attempts", "certificates"} <= tables
    assert sent.decode().count(NAME) == 2  # the account and the certificate

    await user.send("/deleteme")
    await user.press(t(locale, "Yes, erase my data"))
    said = user.last.text
    assert said.startswith(
        t(
            locale,
            "Your data has been erased: your account, group, course progress, answers, skills "
            "and your name.",
        )
    )
    assert (
        t(
            locale,
            "Kept: which courses you started and finished and your quiz scores, without your "
            "name or Telegram id, so that your group's statistics stay correct.",
        )
        in said
    )
    assert await _tables_naming(runtime, USER) == []
    assert await _tables_holding(runtime, NAME) == []
    await user.send("/mydata")
    assert user.last.text == t(locale, "Rafiq holds nothing about you.")
    await coordinator.send("/progress")
    after = coordinator.last.text

    def totals(text: str) -> list[str]:  # titles, headings and counts; not the people listed
        return [line for line in text.split("\n") if " · " not in line]

    assert totals(after) == totals(progress)
    assert NAME not in after


async def test_no_thanks_on_an_older_consent_screen_erases(
    onboard: Onboard, runtime: Runtime
) -> None:
    user = await onboard(62, "en")
    await user.press_data(Consent(locale="en", accept=False).pack(), user.last.message_id)
    said = user.last.text
    assert "Nothing about you has been stored" not in said
    assert said.startswith("Your data has been erased")
    async with runtime.sessions() as session:
        assert await session.get(User, 62) is None
    assert await _tables_naming(runtime, 62) == []
