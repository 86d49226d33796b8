"""A person takes a copy of their data, then has it erased; an old consent screen's "No, thanks"
after agreeing erases too, and says so truthfully."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import SQLModel

from bot.app import Runtime
from handlers.callbacks import Consent
from people.models import User
from tests.e2e.conftest import Onboard, t


async def _tables_naming(runtime: Runtime, user_id: int) -> list[str]:
    found = []
    async with runtime.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                if any(str(v) == str(user_id) or f":{user_id}:" in str(v) for v in row):
                    found.append(table.name)
    return found


async def test_mydata_then_deleteme_leaves_nothing(onboard: Onboard, runtime: Runtime) -> None:
    user = await onboard(61, "en", name="Nadia")
    await user.send("/mydata")
    document = user.last.document
    assert document is not None and document.file_name == "rafiq-my-data.json"
    assert document.file_size > 0
    assert user.last.caption == t(
        "en", "Everything Rafiq holds about you, table by table. Send /deleteme to erase it."
    )
    assert "users" in await _tables_naming(runtime, 61)

    await user.send("/deleteme")
    await user.press(t("en", "Yes, erase my data"))
    assert user.last.text.startswith(t("en", "Your data has been erased")[:20])
    assert await _tables_naming(runtime, 61) == []
    await user.send("/mydata")
    assert user.last.text == t("en", "Rafiq holds nothing about you.")


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
