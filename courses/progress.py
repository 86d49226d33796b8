"""Where a trainee is in a course, derived from what they have done, by id (never by position).

The page is stored as a lesson id and a page number within that lesson; the lessons read, the
quiz answers of the attempt and the practice answers are rows keyed by ids. The next question or
practice item is the first one, in the course's current order, without an answer. So a course
file edited while people are mid-way (lessons, questions or items added, removed or reordered)
strands no one: each continues at the first thing not done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, literal_column, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core import db
from courses.content_model import Course, Lesson, PracticeItem, Question
from courses.library import page_ref
from courses.models import CourseProgress, LessonRead, PracticeAnswer, QuizAnswer


class LearningError(Exception):
    """A step that is not possible now; `reason` names the rule."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


@dataclass(frozen=True)
class State:
    course: Course
    stage: str  # "new", "lesson", "quiz" or "passed"
    lesson: Lesson | None  # the lesson being read; None past the last one (the quiz door)
    page: int  # 1-based within the lesson; 0 past the last lesson
    read: frozenset[str]  # ids of the course's lessons read to the end
    attempt: int
    answered: frozenset[str]  # ids of the course's questions answered in this attempt
    practised: frozenset[str]  # ids of the course's practice items answered

    @property
    def lesson_number(self) -> int:
        """1-based number of the lesson being read (0 past the last lesson)."""
        if self.lesson is None:
            return 0
        return next(i for i, lesson in enumerate(self.course.lessons, 1) if lesson is self.lesson)

    @property
    def at_quiz_door(self) -> bool:
        return self.stage in ("lesson", "new") and self.lesson is None

    @property
    def reading_done(self) -> bool:
        return all(lesson.id in self.read for lesson in self.course.lessons)

    @property
    def lessons_done(self) -> int:
        if self.stage == "passed":
            return len(self.course.lessons)
        return len(self.read)

    @property
    def steps_total(self) -> int:
        """Steps of the course: each lesson, the quiz, and the practice set if it has one."""
        return len(self.course.lessons) + 1 + (self.course.practice is not None)

    @property
    def steps_done(self) -> int:
        """Steps finished: lessons read, the quiz once passed, the practice once every item is
        answered."""
        practice = self.course.practice is not None and self.practice_done
        return self.lessons_done + (self.stage == "passed") + practice

    @property
    def question(self) -> Question | None:
        """The question to answer now (in a quiz): the first without an answer in the attempt."""
        if self.stage != "quiz":
            return None
        return next((q for q in self.course.quiz if q.id not in self.answered), None)

    @property
    def question_number(self) -> int:
        return len(self.answered) + 1

    @property
    def practice_item(self) -> PracticeItem | None:
        """The practice item to answer next: the first without an answer."""
        practice = self.course.practice
        if practice is None:
            return None
        return next((item for item in practice.items if item.id not in self.practised), None)

    @property
    def practice_done(self) -> bool:
        return self.practice_item is None

    @property
    def practice_number(self) -> int:
        return len(self.practised) + 1


@dataclass(frozen=True)
class Loaded:
    """A state with the row it came from and the lesson ids already stored as read."""

    row: CourseProgress | None
    stored_read: frozenset[str]
    state: State


def first_unread(course: Course, read: Iterable[str]) -> Lesson | None:
    done = set(read)
    return next((lesson for lesson in course.lessons if lesson.id not in done), None)


def legacy_read(course: Course, furthest_page: int) -> set[str]:
    """Lessons wholly before a flat position saved before migration 0004."""
    done, last = set(), -1
    for lesson in course.lessons:
        last += len(lesson.pages)
        if furthest_page > last:
            done.add(lesson.id)
    return done


def _place(course: Course, row: CourseProgress, read: frozenset[str]) -> tuple[Lesson | None, int]:
    lesson: Lesson | None
    if row.lesson_id is None and row.legacy_page is not None:
        if row.legacy_page < course.page_count:
            ref = page_ref(course, row.legacy_page)
            lesson, page = ref.lesson, ref.number
        else:
            lesson, page = None, 0
    elif row.lesson_id is None:
        lesson, page = None, 0
    else:
        lesson = next((item for item in course.lessons if item.id == row.lesson_id), None)
        if lesson is None:  # removed from the course: on to the first lesson not read
            lesson = first_unread(course, read)
            page = 1
        else:
            page = max(1, min(row.page, len(lesson.pages)))
    if lesson is None and row.stage == "lesson":
        lesson = first_unread(course, read)  # a lesson added since: read it before the quiz
        page = 1
    return lesson, (page if lesson is not None else 0)


def new_state(course: Course) -> State:
    first = course.lessons[0] if course.lessons else None
    empty: frozenset[str] = frozenset()
    return State(course, "new", first, 1 if first else 0, empty, 0, empty, empty)


def state_of(
    course: Course,
    row: CourseProgress | None,
    stored_read: Iterable[str],
    answered: Iterable[str] = (),
    practised: Iterable[str] = (),
) -> State:
    if row is None:
        return new_state(course)
    read = set(stored_read)
    if row.legacy_furthest_page is not None:
        read |= legacy_read(course, row.legacy_furthest_page)
    current_read = frozenset(read & {lesson.id for lesson in course.lessons})
    lesson, page = _place(course, row, current_read)
    questions = {q.id for q in course.quiz}
    items = {item.id for item in course.practice.items} if course.practice else set()
    return State(
        course,
        row.stage,
        lesson,
        page,
        current_read,
        row.attempt,
        frozenset(set(answered) & questions) if row.stage == "quiz" else frozenset(),
        frozenset(set(practised) & items),
    )


def _done(in_quiz: bool, practice: bool) -> Any:
    """The ids of what the trainee has done: lessons read, the attempt's answers, practice."""
    user, course = bindparam("user_id"), bindparam("course_id")
    done = [
        select(literal_column("'read'"), LessonRead.lesson_id).where(
            LessonRead.user_id == user, LessonRead.course_id == course
        )
    ]
    if in_quiz:
        done.append(
            select(literal_column("'answered'"), QuizAnswer.question_id).where(
                QuizAnswer.user_id == user,
                QuizAnswer.course_id == course,
                QuizAnswer.attempt == bindparam("attempt"),
            )
        )
    if practice:
        done.append(
            select(literal_column("'practised'"), PracticeAnswer.item_id).where(
                PracticeAnswer.user_id == user, PracticeAnswer.course_id == course
            )
        )
    return union_all(*done)


# Built once: read on every page turn, answer and practice step.
_DONE = {
    (in_quiz, practice): _done(in_quiz, practice)
    for in_quiz in (False, True)
    for practice in (False, True)
}


async def load(session: AsyncSession, user_id: int, course: Course) -> Loaded:
    """The trainee's row and what they have done, in two queries (the row, then the ids)."""
    row = await session.get(CourseProgress, (user_id, course.id))
    if row is None:
        return Loaded(None, frozenset(), new_state(course))
    statement = _DONE[(row.stage == "quiz", course.practice is not None)]
    params = {"user_id": user_id, "course_id": course.id, "attempt": row.attempt}
    ids: dict[str, set[str]] = {"read": set(), "answered": set(), "practised": set()}
    for kind, item_id in (await db.run(session, statement, params)).all():
        ids[kind].add(item_id)
    stored_read = frozenset(ids["read"])
    state = state_of(course, row, stored_read, ids["answered"], ids["practised"])
    return Loaded(row, stored_read, state)


async def current(session: AsyncSession, user_id: int, course: Course) -> State:
    """Where the trainee is now (reads only)."""
    return (await load(session, user_id, course)).state


_MOVE = (
    update(CourseProgress)
    .where(
        CourseProgress.user_id == bindparam("key_user"),
        CourseProgress.course_id == bindparam("key_course"),
    )
    .values(
        {
            name: bindparam(f"new_{name}", type_=CourseProgress.__table__.c[name].type)  # type: ignore[attr-defined]
            for name in ("lesson_id", "page", "legacy_page", "legacy_furthest_page", "updated_at")
        }
    )
)


async def move(
    session: AsyncSession,
    loaded: Loaded,
    lesson: Lesson | None,
    page: int,
    now: datetime,
    newly_read: Iterable[str] = (),
) -> Loaded:
    """Store the page by lesson id, and the lessons read by id (legacy positions end here);
    returns where that leaves the trainee."""
    row = loaded.row
    assert row is not None
    for lesson_id in (set(loaded.state.read) | set(newly_read)) - loaded.stored_read:
        try:
            async with session.begin_nested():
                session.add(
                    LessonRead(
                        user_id=row.user_id,
                        course_id=row.course_id,
                        lesson_id=lesson_id,
                        read_at=now,
                    )
                )
        except IntegrityError:
            pass  # a double tap stored it a moment ago
    place = {
        "lesson_id": lesson.id if lesson is not None else None,
        "page": page if lesson is not None else 0,
        "legacy_page": None,
        "legacy_furthest_page": None,
        "updated_at": now,
    }
    # One Core statement: flushing the changed row through the ORM costs more than all the
    # page turn's other statements.
    params = {f"new_{name}": value for name, value in place.items()}
    await db.run(session, _MOVE, {"key_user": row.user_id, "key_course": row.course_id, **params})
    for name, value in place.items():
        set_committed_value(row, name, value)
    read = frozenset(loaded.stored_read | loaded.state.read | set(newly_read))
    return Loaded(
        row,
        read,
        state_of(loaded.state.course, row, read, loaded.state.answered, loaded.state.practised),
    )
