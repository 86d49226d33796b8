"""Learning services on the database: stale steps change nothing, broken courses stay out."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from core.clock import ManualClock
from courses import learning
from courses.learning import LearningError
from courses.library import load_library
from courses.loader import DEFAULT_CONTENT_ROOT
from courses.models import QuizAnswer, UserSkill
from people import accounts
from tasks.catalog import DEFAULT_PROJECTS_FILE


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


async def _at_quiz(runtime: Runtime, course_id: str = "working-on-platform"):
    course = runtime.library.get(course_id)
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await learning.open_course(session, 7, course, runtime.clock)
        for page in range(course.page_count):
            await learning.turn_page(session, 7, course, page, page + 1, runtime.clock)
        state = await learning.start_quiz(session, 7, course, runtime.clock)
    return course, state


async def test_pages_move_one_step_from_where_the_trainee_is(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await learning.open_course(session, 7, course, runtime.clock)
        state = await learning.turn_page(session, 7, course, 0, 1, runtime.clock)
        assert state.page == 1
        assert (await learning.turn_page(session, 7, course, 0, 1, runtime.clock)).page == 1
        assert (await learning.turn_page(session, 7, course, 1, 5, runtime.clock)).page == 1
        with pytest.raises(LearningError):
            await learning.start_quiz(session, 7, course, runtime.clock)


async def test_a_replayed_answer_is_refused_and_not_stored_twice(runtime: Runtime) -> None:
    course, state = await _at_quiz(runtime)
    question = course.quiz[0]
    async with runtime.sessions() as session:
        await learning.answer_question(
            session,
            7,
            course,
            attempt=state.attempt,
            question_index=0,
            option_id=question.answer,
            clock=runtime.clock,
        )
        with pytest.raises(LearningError):
            await learning.answer_question(
                session,
                7,
                course,
                attempt=state.attempt,
                question_index=0,
                option_id=question.answer,
                clock=runtime.clock,
            )
        with pytest.raises(LearningError):
            await learning.answer_question(
                session,
                7,
                course,
                attempt=state.attempt,
                question_index=1,
                option_id="not-an-option",
                clock=runtime.clock,
            )
        answers = (await session.execute(select(func.count()).select_from(QuizAnswer))).scalar_one()
    assert answers == 1


async def test_pass_mark_is_inclusive_and_skill_is_granted_once(
    runtime: Runtime, clock: ManualClock
) -> None:
    course, state = await _at_quiz(runtime)
    total = len(course.quiz)
    needed = -(-course.pass_mark * total // 100)  # the fewest right answers that pass
    async with runtime.sessions() as session:
        for index, question in enumerate(course.quiz):
            wrong = next(o.id for o in question.options if o.id != question.answer)
            outcome = await learning.answer_question(
                session,
                7,
                course,
                attempt=state.attempt,
                question_index=index,
                option_id=question.answer if index < needed else wrong,
                clock=clock,
            )
        assert outcome.finished is not None
        assert outcome.finished.passed and outcome.finished.score == needed
        assert outcome.finished.skill_granted
        with pytest.raises(LearningError):
            await learning.start_quiz(session, 7, course, clock)
        skills = (await session.execute(select(func.count()).select_from(UserSkill))).scalar_one()
    assert skills == 1


async def test_cooldown_counts_from_the_failed_attempt(
    runtime: Runtime, clock: ManualClock
) -> None:
    course, state = await _at_quiz(runtime)
    async with runtime.sessions() as session:
        for index, question in enumerate(course.quiz):
            wrong = next(o.id for o in question.options if o.id != question.answer)
            outcome = await learning.answer_question(
                session,
                7,
                course,
                attempt=state.attempt,
                question_index=index,
                option_id=wrong,
                clock=clock,
            )
        assert outcome.finished is not None and not outcome.finished.passed
        assert outcome.finished.retry_at == clock.now() + course.retry_cooldown
        clock.advance(course.retry_cooldown - timedelta(seconds=1))
        with pytest.raises(LearningError) as caught:
            await learning.start_quiz(session, 7, course, clock)
        assert caught.value.reason == "cooldown"
        clock.advance(timedelta(seconds=1))
        again = await learning.start_quiz(session, 7, course, clock)
    assert again.attempt == state.attempt + 1 and again.question == 0


def test_a_broken_course_is_reported_and_left_out(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_ROOT / "working-on-platform", root / "working-on-platform")
    broken = root / "annotation-basics"
    shutil.copytree(DEFAULT_CONTENT_ROOT / "annotation-basics", broken)
    (broken / "uk.yaml").unlink()
    library = load_library(root, DEFAULT_PROJECTS_FILE)
    assert [course.id for course in library.courses] == ["working-on-platform"]
    assert any("uk.yaml" in str(problem) for problem in library.problems)


async def test_a_double_tap_on_an_answer_stores_it_once(runtime: Runtime) -> None:
    import asyncio

    course, state = await _at_quiz(runtime)

    async def tap() -> object:
        async with runtime.sessions() as session:
            try:
                return await learning.answer_question(
                    session,
                    7,
                    course,
                    attempt=state.attempt,
                    question_index=0,
                    option_id=course.quiz[0].answer,
                    clock=runtime.clock,
                )
            except LearningError as error:
                return error.reason

    results = await asyncio.gather(tap(), tap())
    assert sum(result == "stale" for result in results) == 1
    async with runtime.sessions() as session:
        answers = (await session.execute(select(func.count()).select_from(QuizAnswer))).scalar_one()
        assert (await learning.current(session, 7, course)).question == 1
    assert answers == 1


async def test_a_double_tap_on_my_certificate_issues_one(runtime: Runtime) -> None:
    import asyncio

    course, state = await _at_quiz(runtime)
    async with runtime.sessions() as session:
        for index, question in enumerate(course.quiz):
            await learning.answer_question(
                session,
                7,
                course,
                attempt=state.attempt,
                question_index=index,
                option_id=question.answer,
                clock=runtime.clock,
            )
        await accounts.set_display_name(session, 7, "Olena Koval")

    async def tap() -> str:
        async with runtime.sessions() as session:
            return (await learning.issue_certificate(session, 7, course, runtime.clock)).code

    first, second = await asyncio.gather(tap(), tap())
    assert first == second


async def test_a_quiz_that_lost_questions_sends_the_trainee_back_to_its_door(
    runtime: Runtime,
) -> None:
    from dataclasses import replace

    course, state = await _at_quiz(runtime)
    async with runtime.sessions() as session:
        for index in range(len(course.quiz) - 1):
            await learning.answer_question(
                session,
                7,
                course,
                attempt=state.attempt,
                question_index=index,
                option_id=course.quiz[index].answer,
                clock=runtime.clock,
            )
    shorter = replace(course, quiz=course.quiz[:2])
    async with runtime.sessions() as session:
        repaired = await learning.current(session, 7, shorter)
        assert repaired.stage == "lesson" and repaired.at_quiz_door
        again = await learning.start_quiz(session, 7, shorter, runtime.clock)
    assert again.stage == "quiz" and again.question == 0
