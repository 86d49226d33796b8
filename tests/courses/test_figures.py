"""Coordinators' figures on the database: who is where, who is stuck since when, the totals;
only the cohorts in scope, stand-ins counted but never listed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from bot.app import Runtime
from core.clock import ManualClock
from core.pseudonym import pseudonym
from courses.figures import LESSON, PASSED, PRACTICE, QUIZ, Place, progress_report
from courses.models import CourseProgress, LessonRead, PracticeAnswer
from people import accounts
from people.models import User
from people.privacy import STAND_IN_BELOW

BASICS, PLATFORM = "annotation-basics", "working-on-platform"
STAND_IN = STAND_IN_BELOW - 5


async def _group(runtime: Runtime, coordinator_id: int, organisation: str) -> str:
    """A coordinator of a new organisation with a group called Lviv; the group's invite code."""
    async with runtime.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=coordinator_id,
            locale="en",
            invite_code=None,
            is_admin=False,
            clock=runtime.clock,
        )
        await accounts.create_organisation(session, organisation, runtime.clock)
        coordinator = await accounts.appoint_coordinator(session, coordinator_id, organisation)
        _, code = await accounts.create_cohort(session, coordinator, "Lviv", runtime.clock)
        await session.commit()
    return code


async def _trainee(runtime: Runtime, user_id: int, code: str, name: str | None = None) -> None:
    async with runtime.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=user_id,
            locale="en",
            invite_code=code,
            is_admin=False,
            clock=runtime.clock,
        )
        if name:
            await accounts.set_display_name(session, user_id, name)
        await session.commit()


def _row(user_id: int, course: str, stage: str, lesson: str | None, at) -> CourseProgress:
    return CourseProgress(
        user_id=user_id,
        course_id=course,
        stage=stage,
        lesson_id=lesson,
        page=1 if lesson else 0,
        attempt=1 if stage != "lesson" else 0,
        started_at=at,
        updated_at=at,
        completed_at=at if stage == "passed" else None,
    )


async def test_who_is_where_who_is_stuck_since_when_and_the_totals(
    runtime: Runtime, clock: ManualClock
) -> None:
    now = clock.now()
    day = timedelta(days=1)
    basics = runtime.library.get(BASICS)
    hope = await _group(runtime, 1, "Hope NGO")
    other = await _group(runtime, 2, "Other NGO")  # also has a group called Lviv
    await _trainee(runtime, 10, hope, "Olena")
    await _trainee(runtime, 11, hope)  # gave no name
    await _trainee(runtime, 12, hope, "bohdan")
    await _trainee(runtime, 13, hope, "Zoya")
    await _trainee(runtime, 20, other, "Ahmad")
    async with runtime.sessions() as session:
        cohort_id = (await session.get(User, 10)).cohort_id
        session.add(
            User(id=STAND_IN, locale="en", cohort_id=cohort_id, consented_at=now - 30 * day)
        )
        await session.flush()
        session.add_all(
            [
                _row(10, BASICS, "lesson", "single-label", now - 4 * day),
                _row(11, BASICS, "lesson", None, now - day),
                _row(11, PLATFORM, "passed", None, now - 10 * day),
                _row(12, PLATFORM, "quiz", None, now - 3 * day),
                _row(STAND_IN, PLATFORM, "passed", None, now - 20 * day),
                _row(20, BASICS, "lesson", "why-labels", now - 9 * day),
            ]
        )
        session.add(LessonRead(user_id=10, course_id=BASICS, lesson_id="why-labels", read_at=now))
        session.add_all(
            LessonRead(user_id=11, course_id=BASICS, lesson_id=lesson.id, read_at=now)
            for lesson in basics.lessons
        )
        session.add_all(
            PracticeAnswer(
                user_id=11, course_id=BASICS, item_id=item, label="x", correct=True, answered_at=now
            )
            for item in ("p1", "p2")
        )
        await session.commit()

    async with runtime.sessions() as session:
        organisation_id = (await session.get(User, 1)).organisation_id
        [lviv] = await progress_report(session, runtime.library, now, organisation_id)
    assert (lviv.cohort, lviv.organisation) == ("Lviv", "Hope NGO")
    lessons, items = len(basics.lessons), len(basics.practice.items)
    assert [(t.name, t.label, t.places) for t in lviv.trainees] == [
        (
            "Olena",
            pseudonym(10),
            (Place(BASICS, LESSON, 2, lessons, now - 4 * day, now - 4 * day),),
        ),
        ("bohdan", pseudonym(12), (Place(PLATFORM, QUIZ, 0, 0, now - 3 * day, now - 3 * day),)),
        ("Zoya", pseudonym(13), ()),
        (
            None,
            pseudonym(11),
            (
                Place(BASICS, PRACTICE, 3, items, now - day, None),
                Place(PLATFORM, PASSED, 0, 0, now - 10 * day, None),  # passed: never stuck
            ),
        ),
    ]
    # The stand-in of an erased trainee counts in the totals but is no one to list.
    assert [(s.course_id, s.started, s.in_progress, s.completed) for s in lviv.courses] == [
        (BASICS, 2, 2, 0),
        (PLATFORM, 3, 1, 2),
    ]

    async with runtime.sessions() as session:
        everyone = await progress_report(session, runtime.library, now, None)
    assert [(r.cohort, r.organisation) for r in everyone] == [
        ("Lviv", "Hope NGO"),
        ("Lviv", "Other NGO"),
    ]
    [ahmad] = everyone[1].trainees
    assert ahmad.name == "Ahmad" and ahmad.stuck_since == now - 9 * day
    assert [(s.course_id, s.started) for s in everyone[1].courses] == [(BASICS, 1)]


async def test_names_are_stored_encrypted_and_shown_decrypted(
    runtime: Runtime, clock: ManualClock
) -> None:
    code = await _group(runtime, 1, "Hope NGO")
    await _trainee(runtime, 10, code, "Olena Kovalenko")
    async with runtime.sessions() as session:
        stored = (
            await session.execute(text("SELECT display_name FROM users WHERE id = 10"))
        ).scalar_one()
        organisation_id = (await session.get(User, 1)).organisation_id
        [lviv] = await progress_report(session, runtime.library, clock.now(), organisation_id)
    assert "Olena" not in stored
    assert [t.name for t in lviv.trainees] == ["Olena Kovalenko"]


async def test_a_course_file_edited_meanwhile_strands_no_one(
    runtime: Runtime, clock: ManualClock
) -> None:
    """A row naming a lesson removed from the course, or a course no longer offered."""
    code = await _group(runtime, 1, "Hope NGO")
    await _trainee(runtime, 10, code, "Olena")
    now = clock.now()
    async with runtime.sessions() as session:
        session.add_all(
            [
                _row(10, BASICS, "lesson", "gone", now),
                _row(10, "retired-course", "lesson", "x", now),
            ]
        )
        await session.commit()
    async with runtime.sessions() as session:
        organisation_id = (await session.get(User, 1)).organisation_id
        [lviv] = await progress_report(session, runtime.library, now, organisation_id)
    [olena] = lviv.trainees
    assert olena.places == (Place(BASICS, LESSON, 1, 8, now, None),)
