"""Reminders the scheduler writes: a lesson left unfinished for hours, a quiz that can be taken
again, new paid work a worker is qualified for.

- `remind_idle_lessons`: courses started and not finished whose progress has not moved for
  `idle` (and whose quiz is not waiting out a cooldown: the retry reminder covers that), one
  reminder per idle spell;
- `remind_quiz_retries`: failed quizzes whose cooldown has ended and that were not taken again,
  one reminder per failed attempt;
- `remind_new_work`: open projects with open items, to qualified workers who have not tried
  them, one reminder per project and person, ever.

people.reminders keeps the rules (quiet hours, the daily cap, the off switches). Nothing here
commits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import _, current_locale
from courses.library import CourseLibrary as Library
from courses.models import CourseProgress, QuizAttempt, UserSkill
from people import reminders
from tasks.models import Assignment, ProjectState, WorkItem, WorkProject
from tasks.work import Rules


def _title(title: dict[str, str]) -> str:
    return title.get(current_locale()) or title["en"]


def settings_hint() -> str:
    return _("Reminders can be changed or switched off in ⚙️ Settings.")


async def _last_attempts(session: AsyncSession) -> dict[tuple[int, str], QuizAttempt]:
    latest = (
        select(QuizAttempt.user_id, QuizAttempt.course_id, func.max(QuizAttempt.attempt).label("n"))
        .group_by(QuizAttempt.user_id, QuizAttempt.course_id)
        .subquery()
    )
    rows = await session.execute(
        select(QuizAttempt).join(
            latest,
            and_(
                QuizAttempt.user_id == latest.c.user_id,
                QuizAttempt.course_id == latest.c.course_id,
                QuizAttempt.attempt == latest.c.n,
            ),
        )
    )
    return {(a.user_id, a.course_id): a for a in rows.scalars()}


async def remind_idle_lessons(
    session: AsyncSession,
    library: Library,
    now: datetime,
    idle: timedelta,
    default_zone: tzinfo,
    cap: int,
) -> int:
    """Remind people of a course they left unfinished `idle` ago; how many were written."""
    rows = (
        await session.execute(
            select(CourseProgress).where(
                CourseProgress.completed_at.is_(None), CourseProgress.updated_at <= now - idle
            )
        )
    ).scalars()
    waiting = [row for row in rows if library.get(row.course_id) is not None]
    attempts = await _last_attempts(session)
    people = await reminders.recipients(
        session, (row.user_id for row in waiting), "lesson", default_zone
    )
    written = 0
    for row in waiting:
        course = library.get(row.course_id)
        person = people.get(row.user_id)
        last = attempts.get((row.user_id, row.course_id))
        if course is None or person is None or (last is not None and not last.passed):
            continue

        def text(title: dict[str, str] = course.title) -> str:
            return "\n\n".join(
                (
                    _(
                        "📚 «{course}» is waiting where you left it. A few minutes are enough "
                        "for the next page: /learn"
                    ).format(course=_title(title)),
                    settings_hint(),
                )
            )

        key = f"{row.user_id}:{row.course_id}:{int(row.updated_at.timestamp())}"
        written += await reminders.remind(session, person, "lesson", key, text, now, cap)
    return written


async def remind_quiz_retries(
    session: AsyncSession, library: Library, now: datetime, default_zone: tzinfo, cap: int
) -> int:
    """Remind people whose failed quiz can be taken again now; how many were written."""
    due = []
    for (user_id, course_id), attempt in (await _last_attempts(session)).items():
        course = library.get(course_id)
        if course is None or attempt.passed or attempt.finished_at + course.retry_cooldown > now:
            continue
        due.append((user_id, course, attempt))
    finished = set(
        (
            await session.execute(
                select(CourseProgress.user_id, CourseProgress.course_id).where(
                    CourseProgress.completed_at.is_not(None)
                )
            )
        ).all()
    )
    people = await reminders.recipients(session, (u for u, _c, _a in due), "quiz", default_zone)
    written = 0
    for user_id, course, attempt in due:
        person = people.get(user_id)
        if person is None or (user_id, course.id) in finished:
            continue

        def text(title: dict[str, str] = course.title) -> str:
            return "\n\n".join(
                (
                    _(
                        "📝 The quiz of «{course}» can be taken again now. The lessons are "
                        "still there to read first: /learn"
                    ).format(course=_title(title)),
                    settings_hint(),
                )
            )

        key = f"{user_id}:{course.id}:{attempt.attempt}"
        written += await reminders.remind(session, person, "quiz", key, text, now, cap)
    return written


async def remind_new_work(
    session: AsyncSession, now: datetime, default_zone: tzinfo, cap: int
) -> int:
    """Tell qualified workers about open projects with open items; how many were written."""
    projects = (
        await session.execute(
            select(WorkProject)
            .where(
                WorkProject.state == ProjectState.OPEN,
                WorkProject.id.in_(select(WorkItem.project_id).where(WorkItem.state == "open")),
            )
            .order_by(WorkProject.created_at, WorkProject.id)
        )
    ).scalars()
    skills: dict[int, set[str]] = defaultdict(set)
    for user_id, skill in await session.execute(select(UserSkill.user_id, UserSkill.skill)):
        skills[user_id].add(skill)
    written = 0
    for project in list(projects):
        needs = Rules.of(project).requires
        tried = set(
            (
                await session.execute(
                    select(Assignment.user_id).where(Assignment.project_id == project.id)
                )
            ).scalars()
        )
        qualified = [u for u, has in skills.items() if needs <= has and u not in tried]
        people = await reminders.recipients(session, qualified, "work", default_zone)
        languages = set(
            (
                await session.execute(
                    select(WorkItem.language)
                    .where(WorkItem.project_id == project.id, WorkItem.state == "open")
                    .distinct()
                )
            ).scalars()
        )
        for user_id in qualified:
            person = people.get(user_id)
            if person is None or (None not in languages and person.locale not in languages):
                continue  # nothing in their language: a worker is given items in it only

            def text(project: WorkProject = project) -> str:
                return "\n\n".join(
                    (
                        _("🛠 New paid work for you: «{project}». It starts here: /work").format(
                            project=_title(project.spec["title"])
                        ),
                        settings_hint(),
                    )
                )

            key = f"{user_id}:{project.id}"
            written += await reminders.remind(session, person, "work", key, text, now, cap)
    return written
