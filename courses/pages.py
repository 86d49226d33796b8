"""Reading a course: the course list, opening a course, turning its pages one at a time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from courses.content_model import Course, Lesson
from courses.library import CourseLibrary
from courses.models import CourseProgress, LessonRead, PracticeAnswer
from courses.progress import LearningError, State, first_unread, load, move, state_of


@dataclass(frozen=True)
class CourseSummary:
    course: Course
    stage: str  # "new", "lesson", "quiz" or "passed"
    lessons_done: int
    steps_done: int  # lessons read, the quiz passed, the practice set finished
    steps_total: int  # lessons, the quiz, the practice set (if the course has one)


async def overview(
    session: AsyncSession, user_id: int, library: CourseLibrary
) -> list[CourseSummary]:
    """Every course with the trainee's stage, lessons read and steps done (three queries, no
    writes)."""
    rows = {
        row.course_id: row
        for row in (
            await session.execute(select(CourseProgress).where(CourseProgress.user_id == user_id))
        ).scalars()
    }
    read: dict[str, set[str]] = {}
    for course_id, lesson_id in await session.execute(
        select(LessonRead.course_id, LessonRead.lesson_id).where(LessonRead.user_id == user_id)
    ):
        read.setdefault(course_id, set()).add(lesson_id)
    practised: dict[str, set[str]] = {}
    for course_id, item_id in await session.execute(
        select(PracticeAnswer.course_id, PracticeAnswer.item_id).where(
            PracticeAnswer.user_id == user_id
        )
    ):
        practised.setdefault(course_id, set()).add(item_id)
    summaries = []
    for course in library.courses:
        state = state_of(
            course,
            rows.get(course.id),
            read.get(course.id, ()),
            practised=practised.get(course.id, ()),
        )
        summaries.append(
            CourseSummary(
                course, state.stage, state.lessons_done, state.steps_done, state.steps_total
            )
        )
    return summaries


async def open_course(session: AsyncSession, user_id: int, course: Course, clock: Clock) -> State:
    """Start the course if new; either way, the place the trainee left it."""
    loaded = await load(session, user_id, course)
    if loaded.row is not None:
        return loaded.state
    now = clock.now()
    first = course.lessons[0] if course.lessons else None
    try:
        async with session.begin_nested():
            session.add(
                CourseProgress(
                    user_id=user_id,
                    course_id=course.id,
                    lesson_id=first.id if first else None,
                    page=1 if first else 0,
                    started_at=now,
                    updated_at=now,
                )
            )
    except IntegrityError:
        pass  # a double tap started it a moment ago
    return (await load(session, user_id, course)).state


def _step(state: State, forward: bool) -> tuple[Lesson | None, int, set[str]] | None:
    """The page one step away (lesson, page, lessons finished by the step), or None."""
    lessons = state.course.lessons
    lesson, page = state.lesson, state.page
    if lesson is None:  # past the last lesson: back; after passing, forward reads them again
        if not lessons or (forward and state.stage != "passed"):
            return None
        return (lessons[0], 1, set()) if forward else (lessons[-1], len(lessons[-1].pages), set())
    index = state.lesson_number - 1
    if not forward:
        if page > 1:
            return lesson, page - 1, set()
        if index > 0:
            return lessons[index - 1], len(lessons[index - 1].pages), set()
        return None
    if page < len(lesson.pages):
        return lesson, page + 1, set()
    finished = {lesson.id}
    if index + 1 < len(lessons):
        return lessons[index + 1], 1, finished
    after = first_unread(state.course, state.read | finished)
    return after, (1 if after is not None else 0), finished


async def turn_page(
    session: AsyncSession,
    user_id: int,
    course: Course,
    *,
    lesson_id: str,
    page: int,
    forward: bool,
    clock: Clock,
) -> State:
    """One step from the page the trainee saw (`lesson_id` "" and page 0: past the last lesson).

    A button from another page (stale, replayed or forged) changes nothing: the caller shows
    where the trainee is.
    """
    loaded = await load(session, user_id, course)
    state = loaded.state
    if loaded.row is None:
        raise LearningError("not_started")
    here = (state.lesson.id if state.lesson else "", state.page)
    if state.stage not in ("lesson", "passed") or here != (lesson_id, page):
        raise LearningError("stale")
    target = _step(state, forward)
    if target is None:
        raise LearningError("stale")
    lesson, number, finished = target
    return (await move(session, loaded, lesson, number, clock.now(), finished)).state
