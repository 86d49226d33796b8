"""Who a broadcast reaches: an audience spec, checked against the author's reach, as a query.

A coordinator reaches the people in their own organisation's cohorts; an admin reaches everyone
(reach None). Every kind of audience is narrowed to the reach, so a cohort, course or project
chosen by a forged button still finds no one outside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from core.locales import CATALOG_LOCALES
from courses.models import CourseProgress, PracticeAnswer, QuizAnswer, UserSkill
from people.accounts import Member
from people.models import Cohort, Organisation, User
from people.privacy import STAND_IN_BELOW
from tasks.models import Assignment, ProjectState, WorkerStanding, WorkProject
from tasks.work import Rules

EVERYONE = "everyone"
COHORT = "cohort"
LANGUAGE = "language"
COURSE_DONE = "course_done"  # passed the course's quiz
COURSE_NOT_DONE = "course_not_done"  # not passed it, whether started or not
PROJECT = "project"  # has every skill the project requires and is not paused on it
ACTIVE = "active"  # did something recorded in the last `days` days
KINDS = (EVERYONE, COHORT, LANGUAGE, COURSE_DONE, COURSE_NOT_DONE, PROJECT, ACTIVE)
MAX_DAYS = 365


class AudienceError(Exception):
    """An audience that cannot be used; `reason` names the rule it broke."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Audience:
    kind: str
    cohort_id: int | None = None
    locale: str | None = None
    course_id: str | None = None
    project_id: str | None = None
    days: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        try:
            audience = cls(**data)
        except TypeError as error:
            raise AudienceError("bad_audience") from error
        audience.validate()
        return audience

    def validate(self) -> None:
        """The fields its kind needs, of the right shape (not yet whether they exist)."""
        needed = {
            EVERYONE: True,
            COHORT: isinstance(self.cohort_id, int) and 0 < self.cohort_id < 2**31,
            LANGUAGE: self.locale in CATALOG_LOCALES,
            COURSE_DONE: isinstance(self.course_id, str) and 0 < len(self.course_id) <= 40,
            COURSE_NOT_DONE: isinstance(self.course_id, str) and 0 < len(self.course_id) <= 40,
            PROJECT: isinstance(self.project_id, str) and 0 < len(self.project_id) <= 64,
            ACTIVE: isinstance(self.days, int) and 0 < self.days <= MAX_DAYS,
        }
        if not needed.get(self.kind, False):
            raise AudienceError("bad_audience")


def reach_of(member: Member) -> int | None:
    """The organisation whose people `member` may write to; None for an admin (everyone)."""
    if member.is_admin:
        return None
    if not member.is_coordinator or member.organisation_id is None:
        raise AudienceError("not_coordinator")
    return member.organisation_id


def reachable_filter() -> ColumnElement[bool]:
    """People the bot can still write to: not marked as having blocked it."""
    return User.unreachable_since.is_(None)


async def check(session: AsyncSession, reach: int | None, audience: Audience) -> None:
    """Refuse a cohort outside the reach or a project that does not exist."""
    audience.validate()
    if audience.kind == COHORT:
        query = select(Cohort.id).where(Cohort.id == audience.cohort_id)
        if reach is not None:
            query = query.where(Cohort.organisation_id == reach)
        if (await session.execute(query)).first() is None:
            raise AudienceError("unknown_cohort")
    if audience.kind == PROJECT and await session.get(WorkProject, audience.project_id) is None:
        raise AudienceError("unknown_project")


def _active_since(since: datetime) -> Select[Any]:
    """Whoever turned a page or answered a quiz, a practice item or work since then, or joined:
    what the database records of someone using the bot (opening a menu is not recorded)."""
    return union(
        select(CourseProgress.user_id).where(CourseProgress.updated_at >= since),
        select(QuizAnswer.user_id).where(QuizAnswer.answered_at >= since),
        select(PracticeAnswer.user_id).where(PracticeAnswer.answered_at >= since),
        select(Assignment.user_id).where(
            Assignment.leased_at >= since,
            Assignment.user_id.is_not(None),  # type: ignore[union-attr]
        ),
        select(User.id).where(User.consented_at >= since),
    )


async def _qualified(session: AsyncSession, project_id: str) -> Select[Any] | None:
    """Who has every skill the project requires and is not paused on it (None: no project)."""
    project = await session.get(WorkProject, project_id)
    if project is None:
        return None
    requires = sorted(Rules.of(project).requires)
    paused = select(WorkerStanding.user_id).where(
        WorkerStanding.project_id == project_id,
        WorkerStanding.paused_at.is_not(None),  # type: ignore[union-attr]
    )
    query = select(User.id).where(User.id.not_in(paused))  # type: ignore[attr-defined]
    if requires:
        skilled = (
            select(UserSkill.user_id)
            .where(UserSkill.skill.in_(requires))  # type: ignore[attr-defined]
            .group_by(UserSkill.user_id)
            .having(func.count() == len(requires))
        )
        query = query.where(User.id.in_(skilled))  # type: ignore[attr-defined]
    return query


async def people_query(
    session: AsyncSession, reach: int | None, audience: Audience, now: datetime
) -> Select[tuple[int, str]]:
    """(user id, locale) of everyone the audience reaches, in id order."""
    audience.validate()
    query = select(User.id, User.locale).where(
        User.id >= STAND_IN_BELOW,  # people, not the stand-ins of erased members
        reachable_filter(),
    )
    if reach is not None:
        own = select(Cohort.id).where(Cohort.organisation_id == reach)
        query = query.where(User.cohort_id.in_(own))  # type: ignore[union-attr]
    kind = audience.kind
    if kind == COHORT:
        query = query.where(User.cohort_id == audience.cohort_id)
    elif kind == LANGUAGE:
        query = query.where(User.locale == audience.locale)
    elif kind in (COURSE_DONE, COURSE_NOT_DONE):
        passed = select(CourseProgress.user_id).where(
            CourseProgress.course_id == audience.course_id, CourseProgress.stage == "passed"
        )
        inside = User.id.in_(passed)  # type: ignore[attr-defined]
        query = query.where(inside if kind == COURSE_DONE else ~inside)
    elif kind == PROJECT:
        assert audience.project_id is not None
        qualified = await _qualified(session, audience.project_id)
        if qualified is None:
            return query.where(false())
        query = query.where(User.id.in_(qualified))  # type: ignore[attr-defined]
    elif kind == ACTIVE:
        assert audience.days is not None
        since = now - timedelta(days=audience.days)
        query = query.where(User.id.in_(_active_since(since)))  # type: ignore[attr-defined]
    return query.order_by(User.id)


async def recipients(
    session: AsyncSession, reach: int | None, audience: Audience, now: datetime
) -> list[tuple[int, str]]:
    query = await people_query(session, reach, audience, now)
    return [(user_id, locale) for user_id, locale in (await session.execute(query)).all()]


async def sizes(
    session: AsyncSession, reach: int | None, audience: Audience, now: datetime
) -> dict[str, int]:
    """How many people the audience reaches in each language (every catalog language listed)."""
    people = (await people_query(session, reach, audience, now)).order_by(None).subquery()
    rows = await session.execute(select(people.c.locale, func.count()).group_by(people.c.locale))
    found = {locale: 0 for locale in CATALOG_LOCALES}
    for locale, count in rows.all():
        found[locale] = found.get(locale, 0) + int(count)
    return found


@dataclass(frozen=True)
class CohortChoice:
    id: int
    name: str
    organisation: str


async def cohorts_within(session: AsyncSession, reach: int | None) -> list[CohortChoice]:
    """The cohorts the reach holds, by organisation and name."""
    query = select(Cohort.id, Cohort.name, Organisation.name).join(
        Organisation, Organisation.id == Cohort.organisation_id
    )
    if reach is not None:
        query = query.where(Cohort.organisation_id == reach)
    rows = await session.execute(query.order_by(Organisation.name, Cohort.name))
    return [CohortChoice(cid, name, organisation) for cid, name, organisation in rows.all()]


async def cohort_name(session: AsyncSession, cohort_id: int) -> str | None:
    cohort = await session.get(Cohort, cohort_id)
    return cohort.name if cohort else None


async def projects_not_closed(session: AsyncSession) -> list[WorkProject]:
    rows = await session.execute(
        select(WorkProject)
        .where(WorkProject.state != ProjectState.CLOSED)
        .order_by(WorkProject.created_at, WorkProject.id)
    )
    return list(rows.scalars())
