"""Reminders through the stand-in and the sender: a trainee sets Kabul and quiet hours in
Settings, leaves a lesson, and the reminder comes once, at the end of the quiet hours in Kabul;
with lesson reminders switched off in Settings, none comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import PollingBot, Runtime
from bot.reminder_job import run_reminders
from core.i18n import format_time, use_locale
from core.outbox import OutboxMessage
from outreach.reminders import settings_hint
from people.time_zones import city, zone_named
from tests.e2e.conftest import Onboard, t
from tests.e2e.test_learning import open_course, shown

KABUL = zone_named("Asia/Kabul")


async def job(rt: Runtime) -> int:
    return await run_reminders(rt.sessions, rt.gate, rt.clock, rt.library, rt.settings)


async def reminders_sent(rt: Runtime, user_id: int) -> list[OutboxMessage]:
    async with rt.sessions() as session:
        query = select(OutboxMessage).where(
            OutboxMessage.user_id == user_id, OutboxMessage.kind == "remind_lesson"
        )
        return list((await session.execute(query)).scalars())


@pytest.mark.parametrize("locale", ["ar", "fa_AF", "uk", "en"])
async def test_a_reminder_waits_for_the_end_of_quiet_hours_in_kabul(
    onboard: Onboard, runtime: Runtime, polling: PollingBot, locale: str
) -> None:
    user = await onboard(600, locale)
    await user.send("/start")
    await user.press(t(locale, "⚙️ Settings"))
    await user.press(t(locale, "🕰 Time zone"))
    kabul = city("Asia/Kabul", locale)
    await user.press(next(label for label in user.last.labels if label.startswith(kabul)))
    assert kabul in shown(user)
    await user.press(t(locale, "🌙 Quiet hours"))
    await user.press(user.last.labels[1])  # 22:00 until 07:00
    with use_locale(locale):
        quiet = t(locale, "Quiet hours, without reminders: {start} to {end}").format(
            start=format_time(datetime(2026, 1, 1, 22).time()),
            end=format_time(datetime(2026, 1, 1, 7).time()),
        )
    assert quiet in shown(user)

    course = runtime.library.get("annotation-basics")
    await open_course(user, course, locale)
    await user.press(t(locale, "Next ➡️"))  # a page read, then the trainee leaves
    before = len(user.messages)

    # 2026-11-23 19:00 UTC is 23:30 in Kabul: idle for a day and a half, inside quiet hours
    runtime.clock.advance(datetime(2026, 11, 23, 19, tzinfo=UTC) - runtime.clock.now())
    assert await job(runtime) == 1
    assert await job(runtime) == 0
    [row] = await reminders_sent(runtime, 600)
    assert row.not_before.astimezone(KABUL).replace(tzinfo=None) == datetime(2026, 11, 24, 7)
    # Kabul is asleep: the sender keeps it until then (tests/test_sender.py, not_before).
    assert len(user.messages) == before

    runtime.clock.advance(timedelta(hours=7, minutes=31))  # 07:01 in Kabul
    assert polling.sender is not None
    polling.sender.wake()  # the clock moved under it: look now, not at the next poll
    with use_locale(locale):
        hint = settings_hint()
    arrived = await user.wait_for(lambda m: hint in (m.text or ""))
    assert "/learn" in (arrived.text or "")
    assert len(user.messages) == before + 1


async def test_lesson_reminders_switched_off_in_settings_do_not_come(
    onboard: Onboard, runtime: Runtime
) -> None:
    user = await onboard(601, "ar")
    await user.send("/start")
    await user.press(t("ar", "⚙️ Settings"))
    await user.press(t("ar", "🔔 Reminders"))
    await user.press("🔔 " + t("ar", "Unfinished lessons"))
    assert "🔕 " + t("ar", "Unfinished lessons") in user.last.labels
    await user.press(t("ar", "⬅️ Back"))
    assert t("ar", "Unfinished lessons") not in shown(user)  # the summary lists those on

    course = runtime.library.get("annotation-basics")
    await open_course(user, course, "ar")
    runtime.clock.advance(timedelta(days=3))
    assert await job(runtime) == 0
    assert await reminders_sent(runtime, 601) == []
