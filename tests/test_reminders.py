"""Reminders with an injected clock: one reminder for an idle lesson, inside the person's waking
hours in their own time zone, not again the same day; switched off, none; the daily cap; a quiz
retry; new work once per project; a job run twice writes once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.app import Runtime
from bot.reminder_job import run_reminders
from core.outbox import OutboxMessage
from courses.models import CourseProgress, QuizAttempt, UserSkill
from people import accounts, reminders
from people.models import Cohort, Organisation, User
from people.time_zones import is_quiet, next_waking, zone_named
from tasks.models import WorkItem
from tests.tasks.test_work import setup

KABUL, KYIV = zone_named("Asia/Kabul"), zone_named("Europe/Kyiv")
COURSE = "annotation-basics"


async def trainee(rt: Runtime, user_id: int, locale: str = "ar", zone: str | None = None) -> None:
    now = rt.clock.now()
    async with rt.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=user_id,
            locale=locale,
            invite_code=None,
            is_admin=False,
            clock=rt.clock,
        )
        if zone is not None:
            await reminders.set_time_zone(session, user_id, zone)
        session.add(
            CourseProgress(
                user_id=user_id,
                course_id=COURSE,
                stage="lesson",
                lesson_id="single-label",
                page=1,
                started_at=now,
                updated_at=now,
            )
        )
        await session.commit()


async def job(rt: Runtime) -> int:
    return await run_reminders(rt.sessions, rt.gate, rt.clock, rt.library, rt.settings)


async def rows(rt: Runtime, user_id: int | None = None) -> list[OutboxMessage]:
    async with rt.sessions() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if user_id is not None:
            query = query.where(OutboxMessage.user_id == user_id)
        return list((await session.execute(query)).scalars())


def test_quiet_hours_span_midnight_in_the_persons_zone() -> None:
    late = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)  # 22:30 in Kabul, 20:00 in Kyiv
    assert is_quiet(late, KABUL, 21, 8) and not is_quiet(late, KYIV, 21, 8)
    woken = next_waking(late, KABUL, 21, 8)
    assert woken.astimezone(KABUL).replace(tzinfo=None) == datetime(2026, 11, 23, 8, 0)
    assert next_waking(late, KYIV, 21, 8) == late
    assert not is_quiet(late, KABUL, 8, 8)  # from = until: no quiet hours


async def test_an_idle_trainee_gets_one_reminder_in_waking_hours_not_again_that_day(
    runtime: Runtime,
) -> None:
    runtime.clock.advance(timedelta(hours=-9, minutes=-30))  # 2026-11-21 23:30 UTC
    await trainee(runtime, 500, "ar", "Asia/Kabul")
    runtime.clock.advance(timedelta(hours=20))  # 19:30 UTC: midnight in Kabul, idle 20 h
    assert await job(runtime) == 0  # not idle long enough (24 h)
    runtime.clock.advance(timedelta(hours=5))  # 00:30 UTC: 05:00 in Kabul, quiet
    assert await job(runtime) == 1
    [reminder] = await rows(runtime, 500)
    assert reminder.kind == "remind_lesson"
    local = reminder.not_before.astimezone(KABUL)
    assert (local.hour, local.minute) == (8, 0)  # waits for the end of the quiet hours
    assert "/learn" in reminder.text and "«" in reminder.text
    assert "⚙️" in reminder.text  # says where to switch them off

    for _ in range(6):  # the job keeps running all day: nothing more for this idle spell
        runtime.clock.advance(timedelta(hours=2))
        assert await job(runtime) == 0
    assert len(await rows(runtime, 500)) == 1


async def test_switched_off_reminders_are_not_written(runtime: Runtime) -> None:
    await trainee(runtime, 501, "uk", "Europe/Kyiv")
    async with runtime.sessions() as session:
        await reminders.switch(session, 501, "lesson", on=False)
        await reminders.switch(session, 501, "lesson", on=False)  # a double tap
        await session.commit()
    runtime.clock.advance(timedelta(days=2))
    assert await job(runtime) == 0
    async with runtime.sessions() as session:
        await reminders.switch(session, 501, "lesson", on=True)
        await session.commit()
    assert await job(runtime) == 1


async def test_a_person_who_blocked_the_bot_gets_none(runtime: Runtime) -> None:
    await trainee(runtime, 502)
    async with runtime.sessions() as session:
        (await session.get(User, 502)).unreachable_since = runtime.clock.now()
        await session.commit()
    runtime.clock.advance(timedelta(days=2))
    assert await job(runtime) == 0


async def test_the_group_zone_is_used_when_the_person_chose_none(runtime: Runtime) -> None:
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        org = Organisation(name="Hope", created_at=now)
        session.add(org)
        await session.flush()
        cohort = Cohort(name="Kabul 1", organisation_id=org.id, created_at=now)
        session.add(cohort)
        await session.flush()
        await reminders.set_group_zone(session, cohort, "Asia/Kabul")
        await session.commit()
        cohort_id = cohort.id
    await trainee(runtime, 503)
    async with runtime.sessions() as session:
        (await session.get(User, 503)).cohort_id = cohort_id
        member = await accounts.get_member(session, 503)
        await session.commit()
    assert member is not None and member.zone_name == "Asia/Kabul"
    runtime.clock.advance(timedelta(hours=24, minutes=30))  # 09:30 UTC: 14:00 in Kabul
    assert await job(runtime) == 1
    [reminder] = await rows(runtime, 503)
    assert reminder.not_before == runtime.clock.now()  # awake in Kabul: at once


async def test_the_daily_cap_counts_the_persons_day(runtime: Runtime) -> None:
    await trainee(runtime, 504, "en", "Europe/Kyiv")
    async with runtime.sessions() as session:
        person = (await reminders.recipients(session, [504], "lesson", UTC))[504]
        written = [
            await reminders.remind(
                session, person, "lesson", f"k{n}", lambda: "hello", runtime.clock.now(), cap=2
            )
            for n in range(4)
        ]
        await session.commit()
    assert written == [True, True, False, False]


async def test_a_failed_quiz_is_recalled_once_its_cooldown_ends(runtime: Runtime) -> None:
    await trainee(runtime, 505, "fa_AF", "Asia/Kabul")
    async with runtime.sessions() as session:
        progress = await session.get(CourseProgress, (505, COURSE))
        progress.stage = "quiz"
        session.add(
            QuizAttempt(
                user_id=505,
                course_id=COURSE,
                attempt=1,
                score=3,
                total=10,
                passed=False,
                finished_at=runtime.clock.now(),
            )
        )
        await session.commit()
    runtime.clock.advance(timedelta(minutes=10))
    assert await job(runtime) == 0  # still cooling down
    runtime.clock.advance(timedelta(minutes=25))  # 09:35 UTC: 14:05 in Kabul
    assert await job(runtime) == 1
    assert await job(runtime) == 0
    [reminder] = await rows(runtime, 505)
    assert reminder.kind == "remind_quiz" and "/learn" in reminder.text
    runtime.clock.advance(timedelta(days=2))
    assert await job(runtime) == 0  # a failed quiz is not also an idle lesson


async def test_new_work_is_announced_once_to_qualified_workers(runtime: Runtime) -> None:
    await setup(runtime, workers=3, items=2)
    async with runtime.sessions() as session:
        for user_id in (100, 101):
            session.add(
                UserSkill(
                    user_id=user_id,
                    skill="image-labelling",
                    course_id=COURSE,
                    granted_at=runtime.clock.now(),
                )
            )
        await session.commit()
    assert await job(runtime) == 2  # 102 has not got the skill
    assert await job(runtime) == 0
    texts = [r.text for r in await rows(runtime)]
    assert all("/work" in text and "«Digits»" in text for text in texts)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Asia/" + "x" * 40])
async def test_an_unknown_zone_is_refused(runtime: Runtime, name: str) -> None:
    await trainee(runtime, 506)
    async with runtime.sessions() as session:
        with pytest.raises(reminders.ReminderSettingError):
            await reminders.set_time_zone(session, 506, name)


async def test_new_work_in_another_language_is_not_announced(runtime: Runtime) -> None:
    await setup(runtime, workers=2, items=2)
    async with runtime.sessions() as session:
        await session.execute(update(WorkItem).values(language="ar"))
        (await session.get(User, 101)).locale = "ar"
        for user_id in (100, 101):
            session.add(
                UserSkill(
                    user_id=user_id,
                    skill="image-labelling",
                    course_id=COURSE,
                    granted_at=runtime.clock.now(),
                )
            )
        await session.commit()
    assert await job(runtime) == 1
    assert [r.user_id for r in await rows(runtime)] == [101]
