"""A course file edited while trainees are mid-way: each continues at the first thing not done.

Questions, practice items and lessons reordered, removed and added; buttons from before the edit
are refused and record nothing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from courses import pages, practice, quiz
from courses.content_model import Course, Option, PracticeItem, Question
from courses.models import CourseProgress, LessonRead, PracticeAnswer, QuizAnswer, QuizAttempt
from courses.progress import LearningError, current
from tests.courses.test_learning_service import _at_quiz, _trainee, answer, next_page, read_all


def new_question(qid: str) -> Question:
    text = {locale: f"{qid}?" for locale in ("ar", "fa_AF", "uk", "en")}
    options = tuple(Option(o, {locale: o for locale in text}) for o in ("yes", "no"))
    return Question(qid, text, options, "yes", text)


def new_item(course: Course, iid: str) -> PracticeItem:
    assert course.practice is not None
    return replace(course.practice.items[0], id=iid)


def with_items(course: Course, items: tuple[PracticeItem, ...]) -> Course:
    assert course.practice is not None
    return replace(course, practice=replace(course.practice, items=items))


async def count(runtime: Runtime, model: type) -> int:
    async with runtime.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_reordered_questions_continue_at_the_first_unanswered(runtime: Runtime) -> None:
    course, state = await _at_quiz(runtime)
    for question in course.quiz[:2]:
        await answer(runtime, course, state.attempt, question.id, question.answer)
    edited = replace(course, quiz=tuple(reversed(course.quiz)))
    async with runtime.sessions() as session:
        now = await current(session, 7, edited)
    assert now.question == course.quiz[-1] and now.question_number == 3

    with pytest.raises(LearningError):  # the button shown before the edit (q3)
        await answer(runtime, edited, state.attempt, course.quiz[2].id, course.quiz[2].answer)
    total = len(course.quiz)
    for question in edited.quiz[: total - 2]:
        outcome = await answer(runtime, edited, state.attempt, question.id, question.answer)
    assert outcome.finished is not None and outcome.finished.passed
    assert (outcome.finished.score, outcome.finished.total) == (total, total)
    assert await count(runtime, QuizAnswer) == total


async def test_a_removed_current_question_moves_on_and_scores_only_what_is_left(
    runtime: Runtime,
) -> None:
    course, state = await _at_quiz(runtime)
    first, second, third = course.quiz[:3]
    await answer(runtime, course, state.attempt, first.id, first.answer)
    wrong = next(o.id for o in second.options if o.id != second.answer)
    await answer(runtime, course, state.attempt, second.id, wrong)
    edited = replace(course, quiz=tuple(q for q in course.quiz if q not in (first, third)))
    with pytest.raises(LearningError):  # the removed question's button
        await answer(runtime, edited, state.attempt, third.id, third.answer)
    for question in edited.quiz[1:]:
        outcome = await answer(runtime, edited, state.attempt, question.id, question.answer)
    assert outcome.finished is not None
    left = len(course.quiz) - 2  # the first does not count, the second was wrong
    assert (outcome.finished.score, outcome.finished.total) == (left - 1, left)


async def test_an_added_question_is_asked_before_the_quiz_ends(runtime: Runtime) -> None:
    course, state = await _at_quiz(runtime)
    for question in course.quiz[:2]:
        await answer(runtime, course, state.attempt, question.id, question.answer)
    added = new_question("q-new")
    edited = replace(course, quiz=(added, *course.quiz))
    async with runtime.sessions() as session:
        assert (await current(session, 7, edited)).question == added
    for question in (added, *course.quiz[2:]):
        outcome = await answer(runtime, edited, state.attempt, question.id, question.answer)
    assert outcome.finished is not None and outcome.finished.total == len(course.quiz) + 1


async def test_a_quiz_whose_last_open_question_was_removed_ends_when_shown(
    runtime: Runtime,
) -> None:
    course, state = await _at_quiz(runtime)
    for question in course.quiz[:-1]:
        await answer(runtime, course, state.attempt, question.id, question.answer)
    edited = replace(course, quiz=course.quiz[:-1])
    async with runtime.sessions() as session:
        assert (await current(session, 7, edited)).question is None
        after = await quiz.finish_if_answered(session, 7, edited, runtime.clock)
        await session.commit()
    assert after.stage == "passed"
    async with runtime.sessions() as session:
        score = await quiz.last_score(session, 7, edited)
        again = await quiz.finish_if_answered(session, 7, edited, runtime.clock)
        await session.commit()
    left = len(course.quiz) - 1
    assert (score.score, score.total) == (left, left) and again.stage == "passed"
    assert await count(runtime, QuizAttempt) == 1


async def answer_item(runtime: Runtime, course: Course, item_id: str, label: str):
    """`label`; for a multi-label item (its `answer` is "") the item's right tags."""
    assert course.practice is not None
    item = next((i for i in course.practice.items if i.id == item_id), None)
    answer = {"tags": item.answers} if item is not None and item.multi else {"label": label}
    async with runtime.sessions() as session:
        outcome = await practice.answer_practice(
            session, 7, course, item_id=item_id, clock=runtime.clock, **answer
        )
        await session.commit()
    return outcome


async def test_practice_items_reordered_removed_and_added(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    await read_all(runtime, course)
    items = course.practice.items
    for item in items[:2]:
        await answer_item(runtime, course, item.id, item.answer)
    with pytest.raises(LearningError):  # a double tap on the second item
        await answer_item(runtime, course, items[1].id, items[1].answer)

    added = new_item(course, "p-new")
    edited = with_items(course, (*reversed(items[3:]), added, *items[:2]))  # items[2] removed
    async with runtime.sessions() as session:
        state = await current(session, 7, edited)
    assert state.practice_item == items[-1] and state.practice_number == 3
    with pytest.raises(LearningError):  # the removed item's button, shown before the edit
        await answer_item(runtime, edited, items[2].id, items[2].answer)
    with pytest.raises(LearningError):  # an item further on
        await answer_item(runtime, edited, added.id, added.answer)

    for item in (*reversed(items[3:]), added):
        outcome = await answer_item(runtime, edited, item.id, item.answer)
    assert outcome.finished and outcome.number == len(edited.practice.items)
    async with runtime.sessions() as session:
        assert (await current(session, 7, edited)).practice_done
        earned = await practice.practice_earned(session, 7, edited)
    assert await count(runtime, PracticeAnswer) == len(items)  # 2 + 5 + the new one
    assert earned == course.practice.rate_minor * len(items)


async def test_practice_waits_for_the_lessons(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await pages.open_course(session, 7, course, runtime.clock)
        await session.commit()
    item = course.practice.items[0]
    with pytest.raises(LearningError) as caught:
        await answer_item(runtime, course, item.id, item.answer)
    assert caught.value.reason == "not_now"


async def test_lessons_reordered_keep_the_page_and_what_was_read(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await pages.open_course(session, 7, course, runtime.clock)
        for _ in range(len(course.lessons[0].pages) + 1):
            state = await next_page(session, runtime, 7, course)
        await session.commit()
    assert (state.lesson, state.page) == (course.lessons[1], 2)
    edited = replace(course, lessons=tuple(reversed(course.lessons)))
    async with runtime.sessions() as session:
        moved = await current(session, 7, edited)
    assert (moved.lesson, moved.page, moved.read) == (course.lessons[1], 2, {course.lessons[0].id})


async def test_a_removed_lesson_sends_the_trainee_to_the_first_unread(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await pages.open_course(session, 7, course, runtime.clock)
        for _ in range(len(course.lessons[0].pages) + 1):
            await next_page(session, runtime, 7, course)
        await session.commit()
    edited = replace(course, lessons=course.lessons[:1] + course.lessons[2:])
    async with runtime.sessions() as session:
        state = await current(session, 7, edited)
        assert (state.lesson, state.page) == (course.lessons[2], 1)
        state = await next_page(session, runtime, 7, edited)
        await session.commit()
    assert (state.lesson, state.page) == (course.lessons[2], 2)


async def test_a_lesson_added_after_a_failed_quiz_is_read_before_the_retry(
    runtime: Runtime,
) -> None:
    course, state = await _at_quiz(runtime)
    for question in course.quiz:
        wrong = next(o.id for o in question.options if o.id != question.answer)
        await answer(runtime, course, state.attempt, question.id, wrong)
    runtime.clock.advance(course.retry_cooldown)
    extra = replace(course.lessons[0], id="new-lesson")
    edited = replace(course, lessons=(*course.lessons, extra))
    async with runtime.sessions() as session:
        door = await current(session, 7, edited)
        assert (door.lesson, door.page) == (extra, 1)
        with pytest.raises(LearningError) as caught:
            await quiz.start_quiz(session, 7, edited, runtime.clock)
        assert caught.value.reason == "lessons_unfinished"
    async with runtime.sessions() as session:
        while door.lesson is not None:
            door = await next_page(session, runtime, 7, edited)
        started = await quiz.start_quiz(session, 7, edited, runtime.clock)
        await session.commit()
    assert started.stage == "quiz" and started.attempt == state.attempt + 1


async def test_a_shrunk_lesson_keeps_the_trainee_on_its_last_page(runtime: Runtime) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    async with runtime.sessions() as session:
        await pages.open_course(session, 7, course, runtime.clock)
        await next_page(session, runtime, 7, course)
        await next_page(session, runtime, 7, course)
        await session.commit()
    lesson = course.lessons[0]
    short = replace(lesson, pages=lesson.pages[:1])
    edited = replace(course, lessons=(short, *course.lessons[1:]))
    async with runtime.sessions() as session:
        state = await current(session, 7, edited)
    assert (state.lesson, state.page) == (short, 1)


async def test_a_position_saved_before_migration_0004_is_read_through_todays_course(
    runtime: Runtime,
) -> None:
    course = runtime.library.get("annotation-basics")
    await _trainee(runtime)
    async with runtime.sessions() as session:
        now = runtime.clock.now()
        session.add(
            CourseProgress(
                user_id=7,
                course_id=course.id,
                legacy_page=4,
                legacy_furthest_page=7,
                started_at=now,
                updated_at=now,
            )
        )
        await session.commit()
    first, second, third = course.lessons[:3]  # 3 pages each: page 4 is the 2nd of lesson 2
    async with runtime.sessions() as session:
        state = await current(session, 7, course)
        assert (state.lesson, state.page) == (second, 2)
        assert state.read == {first.id, second.id}
        moved = await next_page(session, runtime, 7, course)
        await session.commit()
    assert (moved.lesson, moved.page) == (second, 3)
    async with runtime.sessions() as session:
        row = await session.get(CourseProgress, (7, course.id))
        read = set((await session.execute(select(LessonRead.lesson_id))).scalars())
    assert (row.lesson_id, row.page, row.legacy_page, row.legacy_furthest_page) == (
        second.id,
        3,
        None,
        None,
    )
    assert read == {first.id, second.id} and third.id not in read
