"""Figures for coordinators: course progress per cohort of their organisation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from courses.library import CourseLibrary
from courses.models import CourseProgress, QuizAttempt
from people.models import Cohort, User


@dataclass(frozen=True)
class CourseStats:
    cohort: str
    course_id: str
    started: int
    in_progress: int
    completed: int
    attempts: int
    passed_attempts: int


async def cohort_progress(
    session: AsyncSession, organisation_id: int, library: CourseLibrary
) -> list[CourseStats]:
    """Per cohort of the organisation and course: started, in progress, completed, pass rate."""
    progress = (
        await session.execute(
            select(
                Cohort.name,
                CourseProgress.course_id,
                func.count(),
                func.sum(case((CourseProgress.stage == "passed", 1), else_=0)),
            )
            .join(User, User.cohort_id == Cohort.id)
            .join(CourseProgress, CourseProgress.user_id == User.id)
            .where(Cohort.organisation_id == organisation_id)
            .group_by(Cohort.name, CourseProgress.course_id)
        )
    ).all()
    attempts = (
        await session.execute(
            select(
                Cohort.name,
                QuizAttempt.course_id,
                func.count(),
                func.sum(case((QuizAttempt.passed.is_(True), 1), else_=0)),
            )
            .join(User, User.cohort_id == Cohort.id)
            .join(QuizAttempt, QuizAttempt.user_id == User.id)
            .where(Cohort.organisation_id == organisation_id)
            .group_by(Cohort.name, QuizAttempt.course_id)
        )
    ).all()
    tries = {(cohort, course): (int(n), int(ok or 0)) for cohort, course, n, ok in attempts}
    order = {course.id: index for index, course in enumerate(library.courses)}
    stats = [
        CourseStats(
            cohort=cohort,
            course_id=course_id,
            started=int(started),
            in_progress=int(started) - int(completed or 0),
            completed=int(completed or 0),
            attempts=tries.get((cohort, course_id), (0, 0))[0],
            passed_attempts=tries.get((cohort, course_id), (0, 0))[1],
        )
        for cohort, course_id, started, completed in progress
        if course_id in order
    ]
    return sorted(stats, key=lambda s: (s.cohort, order[s.course_id]))
