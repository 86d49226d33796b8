"""Learning services on the database: stale steps change nothing, broken courses stay out.

The services never commit: each test commits where the bot's update boundary would.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from core.clock import ManualClock
from courses import certificates, pages, quiz
from courses.content_model import Course
from courses.library import load_library
from courses.loader import DEFAULT_CONTENT_ROOT
from courses.models import CourseProgress, LessonRead, QuizAnswer, UserSkill
from courses.progress import LearningError, State, current
from people import accounts
from tasks.catalog import DEFAULT_PROJECTS_DIR


async def _trainee(runtime: Runtime, user_id: int = 7) -> None:
    async with runtime.sessions() as session:
        await accounts.accept_consent(
            session,
            user_id=user_id,
            locale="en",
            invite_code=None,
            is_admin=False,
            clock=runtime.clock,
        )
        await session.commit()


async def next_page(session, runtime: Runtime, user_id: int, course: Course) -> State:
    state = await current(session, user_id, course)
    assert state.lesson is not None
    return await pages.turn_page(
        session,
        user_id,
        course,
        lesson_id=state.lesson.id,
        page=state.page,
        forward=True,
        clock=runtime.clock,
    )


async def read_all(runtime: Runtime, course: Course, user_id: int = 7) -> State:
    async with runtime.sessions() as session:
        state = await pages.open_course(session, user_id, course, runtime.clock)
        while state.lesson is not None:
            state = await next_page(session, runtime, user_id, course)
        await session.commit()
    return state


async def _at_quiz(runtime: Runtime, course_id: str = "working-on-platform"):
    course = runtime.library.get(course_id)
    await _trainee(runtime)
    await read_all(runtime, course)
    async with runtime.sessions() as session:
        state = await quiz.start_quiz(session, 7, course, runtime.clock)
        await session.commit()
    return course, state


async def answer(runtime: Runtime, course: Course, attempt: int, question_id: str, option: str):
    async with runtime.sessions() as session:
        outcome = await quiz.answer_question(
            session,
            7,
            course,
            attempt=attempt,
            question_id=question_id,
            option_id=option,
            clock=runtime.clock,
        )
        await session.commit()
    return outcome


async def test_pages_move_one_step_from_the_page_seen(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    first, second = course.lessons[0], course.lessons[1]
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await pages.open_course(session, 7, course, runtime.clock)
        state = await pages.turn_page(
            session, 7, course, lesson_id=first.id, page=1, forward=True, clock=runtime.clock
        )
        assert (state.lesson, state.page) == (first, 2)
        with pytest.raises(LearningError):  # the same button again: stale
            await pages.turn_page(
                session, 7, course, lesson_id=first.id, page=1, forward=True, clock=runtime.clock
            )
        with pytest.raises(LearningError):  # a forged page
            await pages.turn_page(
                session, 7, course, lesson_id=second.id, page=2, forward=True, clock=runtime.clock
            )
        with pytest.raises(LearningError):
            await quiz.start_quiz(session, 7, course, runtime.clock)
        await session.commit()
    async with runtime.sessions() as session:
        row = await session.get(CourseProgress, (7, course.id))
        assert (row.lesson_id, row.page) == (first.id, 2)


async def test_the_last_page_of_a_lesson_leads_to_the_next_and_marks_it_read(
    runtime: Runtime,
) -> None:
    course = runtime.library.get("annotation-basics")
    first = course.lessons[0]
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await pages.open_course(session, 7, course, runtime.clock)
        for _ in first.pages:
            state = await next_page(session, runtime, 7, course)
        assert (state.lesson, state.page, state.read) == (course.lessons[1], 1, {first.id})
        back = await pages.turn_page(
            session,
            7,
            course,
            lesson_id=course.lessons[1].id,
            page=1,
            forward=False,
            clock=runtime.clock,
        )
        assert (back.lesson, back.page) == (first, len(first.pages))
        await session.commit()
    async with runtime.sessions() as session:
        stored = (await session.execute(select(LessonRead.lesson_id))).scalars().all()
        summary = await pages.overview(session, 7, runtime.library)
    assert stored == [first.id]
    assert [(s.course.id, s.lessons_done) for s in summary if s.stage != "new"] == [(course.id, 1)]


async def test_a_replayed_answer_is_refused_and_not_stored_twice(runtime: Runtime) -> None:
    course, state = await _at_quiz(runtime)
    question = course.quiz[0]
    await answer(runtime, course, state.attempt, question.id, question.answer)
    with pytest.raises(LearningError):
        await answer(runtime, course, state.attempt, question.id, question.answer)
    with pytest.raises(LearningError):  # the current question, with an option it does not have
        await answer(runtime, course, state.attempt, course.quiz[1].id, "not-an-option")
    with pytest.raises(LearningError):  # a question further on: not the current one
        await answer(runtime, course, state.attempt, course.quiz[2].id, course.quiz[2].answer)
    with pytest.raises(LearningError):  # another attempt's button
        await answer(runtime, course, state.attempt + 1, course.quiz[1].id, course.quiz[1].answer)
    async with runtime.sessions() as session:
        answers = (await session.execute(select(func.count()).select_from(QuizAnswer))).scalar_one()
        assert (await current(session, 7, course)).question == course.quiz[1]
    assert answers == 1


async def test_pass_mark_is_inclusive_and_skill_is_granted_once(
    runtime: Runtime, clock: ManualClock
) -> None:
    course, state = await _at_quiz(runtime)
    total = len(course.quiz)
    needed = -(-course.pass_mark * total // 100)  # the fewest right answers that pass
    for index, question in enumerate(course.quiz):
        wrong = next(o.id for o in question.options if o.id != question.answer)
        pick = question.answer if index < needed else wrong
        outcome = await answer(runtime, course, state.attempt, question.id, pick)
    assert outcome.finished is not None
    assert outcome.finished.passed and outcome.finished.score == needed
    assert outcome.finished.skill_granted
    async with runtime.sessions() as session:
        with pytest.raises(LearningError):
            await quiz.start_quiz(session, 7, course, clock)
        skills = (await session.execute(select(func.count()).select_from(UserSkill))).scalar_one()
    assert skills == 1


async def test_cooldown_counts_from_the_failed_attempt(
    runtime: Runtime, clock: ManualClock
) -> None:
    course, state = await _at_quiz(runtime)
    for question in course.quiz:
        wrong = next(o.id for o in question.options if o.id != question.answer)
        outcome = await answer(runtime, course, state.attempt, question.id, wrong)
    assert outcome.finished is not None and not outcome.finished.passed
    assert outcome.finished.retry_at == clock.now() + course.retry_cooldown
    async with runtime.sessions() as session:
        after = await current(session, 7, course)
        assert after.at_quiz_door
        clock.advance(course.retry_cooldown - timedelta(seconds=1))
        with pytest.raises(LearningError) as caught:
            await quiz.start_quiz(session, 7, course, clock)
        assert caught.value.reason == "cooldown"
        clock.advance(timedelta(seconds=1))
        again = await quiz.start_quiz(session, 7, course, clock)
        await session.commit()
    assert again.attempt == state.attempt + 1 and again.question == course.quiz[0]


def test_a_broken_course_is_reported_and_left_out(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_ROOT / "working-on-platform", root / "working-on-platform")
    broken = root / "annotation-basics"
    shutil.copytree(DEFAULT_CONTENT_ROOT / "annotation-basics", broken)
    (broken / "uk.yaml").unlink()
    library = load_library(root, DEFAULT_PROJECTS_DIR)
    assert [course.id for course in library.courses] == ["working-on-platform"]
    assert any("uk.yaml" in str(problem) for problem in library.problems)


async def test_a_double_tap_on_an_answer_stores_it_once(runtime: Runtime) -> None:
    course, state = await _at_quiz(runtime)

    async def tap() -> object:
        try:
            return await answer(runtime, course, state.attempt, course.quiz[0].id, "a")
        except LearningError as error:
            return error.reason

    results = await asyncio.gather(tap(), tap())
    assert sum(result == "stale" for result in results) == 1
    async with runtime.sessions() as session:
        answers = (await session.execute(select(func.count()).select_from(QuizAnswer))).scalar_one()
        assert (await current(session, 7, course)).question == course.quiz[1]
    assert answers == 1


async def test_a_double_tap_on_the_last_answer_finishes_once(runtime: Runtime) -> None:
    from courses.models import QuizAttempt

    course, state = await _at_quiz(runtime)
    for question in course.quiz[:-1]:
        await answer(runtime, course, state.attempt, question.id, question.answer)
    last = course.quiz[-1]

    async def tap() -> object:
        try:
            return (await answer(runtime, course, state.attempt, last.id, last.answer)).finished
        except LearningError as error:
            return error.reason

    results = await asyncio.gather(tap(), tap())
    assert sorted(map(str, results)).count("stale") == 1
    async with runtime.sessions() as session:
        attempts = (
            await session.execute(select(func.count()).select_from(QuizAttempt))
        ).scalar_one()
        skills = (await session.execute(select(func.count()).select_from(UserSkill))).scalar_one()
    assert (attempts, skills) == (1, 1)


async def test_a_double_tap_on_my_certificate_issues_one(runtime: Runtime) -> None:
    course, state = await _at_quiz(runtime)
    for question in course.quiz:
        await answer(runtime, course, state.attempt, question.id, question.answer)
    async with runtime.sessions() as session:
        await accounts.set_display_name(session, 7, "Olena Koval")
        await session.commit()

    async def tap() -> str:
        async with runtime.sessions() as session:
            code = (await certificates.issue_certificate(session, 7, course, runtime.clock)).code
            await session.commit()
            return code

    first, second = await asyncio.gather(tap(), tap())
    assert first == second
    async with runtime.sessions() as session:
        assert await certificates.pending_certificates(session, 7, runtime.library) == []
        found = await certificates.find_certificate(session, f" {first.lower()} ")
    assert found is not None and found.name == "Olena Koval"


async def test_reads_write_nothing(runtime: Runtime) -> None:
    course, _ = await _at_quiz(runtime)
    async with runtime.sessions() as session:
        await pages.overview(session, 7, runtime.library)
        await current(session, 7, course)
        await quiz.retry_at(session, 7, course, runtime.clock)
        assert not (session.new or session.dirty or session.deleted)
