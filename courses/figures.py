"""Figures for coordinators: course progress per cohort, and where each trainee is.

`organisation_id` None means every organisation (admins); a coordinator's screens always pass
their own. Stand-ins of erased people (people.privacy) count in the totals but are no one: they
are never listed as trainees. A trainee is named by the name they chose (decrypted by the column
type) or, without one, by their pseudonym (core.pseudonym, the id exports use), never by their
Telegram id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.pseudonym import pseudonym
from courses.content_model import Course
from courses.library import CourseLibrary
from courses.models import CourseProgress, LessonRead, PracticeAnswer, QuizAttempt
from courses.progress import state_of
from people.models import Cohort, Organisation, User
from people.privacy import STAND_IN_BELOW

STUCK_AFTER = timedelta(days=3)  # no progress for this long, and not passed: stuck

# Where a trainee is in a course.
LESSON, QUIZ, PRACTICE, PASSED = "lesson", "quiz", "practice", "passed"


@dataclass(frozen=True)
class CourseStats:
    cohort: str
    course_id: str
    started: int
    in_progress: int
    completed: int
    attempts: int
    passed_attempts: int
    cohort_id: int = 0


@dataclass(frozen=True)
class Place:
    """Where one trainee is in one course, and since when nothing moved there."""

    course_id: str
    stage: str  # LESSON, QUIZ, PRACTICE or PASSED
    number: int  # the lesson (LESSON) or practice item (PRACTICE) being done, 1-based; else 0
    total: int  # the course's lessons (LESSON) or practice items (PRACTICE); else 0
    last_active: datetime
    stuck_since: datetime | None  # last_active, when that is STUCK_AFTER ago or more


@dataclass(frozen=True)
class Trainee:
    label: str  # pseudonymous id: what names a trainee without a name
    name: str | None  # the name they chose, if any
    places: tuple[Place, ...]  # in the library's course order; empty: no course started

    @property
    def stuck_since(self) -> datetime | None:
        """The earliest moment a course stopped moving, over the courses they are stuck in."""
        return min((p.stuck_since for p in self.places if p.stuck_since), default=None)


@dataclass(frozen=True)
class CohortReport:
    cohort_id: int
    cohort: str
    organisation: str
    courses: tuple[CourseStats, ...]  # totals per course, in the library's order
    trainees: tuple[Trainee, ...]  # stuck first (longest first), then by name


def _in_scope(query: Select[Any], organisation_id: int | None) -> Select[Any]:
    if organisation_id is None:
        return query
    return query.where(Cohort.organisation_id == organisation_id)


async def cohort_progress(
    session: AsyncSession, organisation_id: int | None, library: CourseLibrary
) -> list[CourseStats]:
    """Per cohort of the organisation (None: of every one) and course: started, in progress,
    completed, pass rate."""
    progress = (
        await session.execute(
            _in_scope(
                select(
                    Cohort.id,
                    Cohort.name,
                    CourseProgress.course_id,
                    func.count(),
                    func.sum(case((CourseProgress.stage == "passed", 1), else_=0)),
                )
                .join(User, User.cohort_id == Cohort.id)
                .join(CourseProgress, CourseProgress.user_id == User.id)
                .group_by(Cohort.id, Cohort.name, CourseProgress.course_id),
                organisation_id,
            )
        )
    ).all()
    attempts = (
        await session.execute(
            _in_scope(
                select(
                    Cohort.id,
                    QuizAttempt.course_id,
                    func.count(),
                    func.sum(case((QuizAttempt.passed.is_(True), 1), else_=0)),
                )
                .join(User, User.cohort_id == Cohort.id)
                .join(QuizAttempt, QuizAttempt.user_id == User.id)
                .group_by(Cohort.id, QuizAttempt.course_id),
                organisation_id,
            )
        )
    ).all()
    tries = {(cohort, course): (int(n), int(ok or 0)) for cohort, course, n, ok in attempts}
    order = {course.id: index for index, course in enumerate(library.courses)}
    stats = [
        CourseStats(
            cohort=name,
            course_id=course_id,
            started=int(started),
            in_progress=int(started) - int(completed or 0),
            completed=int(completed or 0),
            attempts=tries.get((cohort_id, course_id), (0, 0))[0],
            passed_attempts=tries.get((cohort_id, course_id), (0, 0))[1],
            cohort_id=cohort_id,
        )
        for cohort_id, name, course_id, started, completed in progress
        if course_id in order
    ]
    return sorted(stats, key=lambda s: (s.cohort, s.cohort_id, order[s.course_id]))


def place_of(
    course: Course,
    row: CourseProgress,
    read: Iterable[str],
    practised: Iterable[str],
    now: datetime,
    stuck_after: timedelta = STUCK_AFTER,
) -> Place:
    """Where the trainee of `row` is, read through the course as it is now."""
    state = state_of(course, row, read, (), practised)
    practice = course.practice
    number = total = 0
    if state.stage == "passed":
        stage = PASSED
    elif state.stage == "quiz":
        stage = QUIZ
    elif state.lesson is not None:
        stage, number, total = LESSON, state.lesson_number, len(course.lessons)
    elif practice is not None and state.practised and not state.practice_done:
        stage, number, total = PRACTICE, state.practice_number, len(practice.items)
    else:
        stage = QUIZ  # every lesson read: the quiz is next
    last = row.updated_at
    stuck = stage != PASSED and now - last >= stuck_after
    return Place(course.id, stage, number, total, last, last if stuck else None)


def _people(organisation_id: int | None) -> Select[Any]:
    """The ids of the people (not stand-ins) in the cohorts in scope."""
    return _in_scope(
        select(User.id).join(Cohort, Cohort.id == User.cohort_id).where(User.id >= STAND_IN_BELOW),
        organisation_id,
    )


async def progress_report(
    session: AsyncSession,
    library: CourseLibrary,
    now: datetime,
    organisation_id: int | None,
    stuck_after: timedelta = STUCK_AFTER,
) -> list[CohortReport]:
    """Per cohort in scope (by name): the totals per course and who is where, who is stuck and
    since when. Cohorts with no one in them and nothing counted are left out."""
    cohorts = (
        await session.execute(
            _in_scope(
                select(Cohort.id, Cohort.name, Organisation.name).join(
                    Organisation, Organisation.id == Cohort.organisation_id
                ),
                organisation_id,
            ).order_by(Cohort.name, Organisation.name, Cohort.id)
        )
    ).all()
    people = _people(organisation_id)
    members = (
        await session.execute(
            select(User.id, User.display_name, User.cohort_id).where(User.id.in_(people))  # type: ignore[attr-defined]
        )
    ).all()
    rows = (
        (
            await session.execute(
                select(CourseProgress).where(CourseProgress.user_id.in_(people))  # type: ignore[attr-defined]
            )
        )
        .scalars()
        .all()
    )
    read: dict[tuple[int, str], set[str]] = defaultdict(set)
    for user_id, course_id, lesson_id in await session.execute(
        select(LessonRead.user_id, LessonRead.course_id, LessonRead.lesson_id).where(
            LessonRead.user_id.in_(people)  # type: ignore[attr-defined]
        )
    ):
        read[user_id, course_id].add(lesson_id)
    practised: dict[tuple[int, str], set[str]] = defaultdict(set)
    for user_id, course_id, item_id in await session.execute(
        select(PracticeAnswer.user_id, PracticeAnswer.course_id, PracticeAnswer.item_id).where(
            PracticeAnswer.user_id.in_(people)  # type: ignore[attr-defined]
        )
    ):
        practised[user_id, course_id].add(item_id)

    order = {course.id: index for index, course in enumerate(library.courses)}
    places: dict[int, list[Place]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: order.get(r.course_id, -1)):
        course = library.get(row.course_id)
        if course is None:
            continue  # a course no longer offered
        key = (row.user_id, row.course_id)
        places[row.user_id].append(
            place_of(course, row, read[key], practised[key], now, stuck_after)
        )
    by_cohort: dict[int, list[Trainee]] = defaultdict(list)
    for user_id, name, cohort_id in members:
        by_cohort[cohort_id].append(
            Trainee(pseudonym(user_id), name or None, tuple(places[user_id]))
        )
    totals: dict[int, list[CourseStats]] = defaultdict(list)
    for stats in await cohort_progress(session, organisation_id, library):
        totals[stats.cohort_id].append(stats)

    def rank(trainee: Trainee) -> tuple[Any, ...]:
        stuck = trainee.stuck_since
        return (
            stuck is None,
            stuck or now,
            trainee.name is None,
            (trainee.name or "").casefold(),
            trainee.label,
        )

    return [
        CohortReport(
            cohort_id,
            name,
            organisation,
            tuple(totals[cohort_id]),
            tuple(sorted(by_cohort[cohort_id], key=rank)),
        )
        for cohort_id, name, organisation in cohorts
        if by_cohort[cohort_id] or totals[cohort_id]
    ]
