"""A project's figures for its coordinators: progress, pace, agreement, workers, problems.

Pure queries: nothing here writes or commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from itertools import pairwise

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from people.models import Cohort
from tasks.models import (
    Assignment,
    AssignmentState,
    ItemState,
    WorkerStanding,
    WorkItem,
    WorkProject,
)
from tasks.work import smoothed

HOURS = 24
# Gold accuracy bands (smoothed, tasks.work.smoothed): [low, high) except the last, which is closed.
BANDS = (0.5, 0.7, 0.9)
GIVEN = (AssignmentState.ANSWERED, AssignmentState.LATE)


@dataclass(frozen=True)
class ProjectFigures:
    """What a coordinator sees of one project. Item counts leave gold (control) items out."""

    project_id: str
    state: str
    items: int
    done: int  # complete or settled
    review: int
    open: int
    gold_items: int
    answers_last_hour: int
    answers_per_hour: tuple[int, ...]  # HOURS hours up to `now`, each (start, end], oldest first
    agreement: float | None  # mean confidence of complete items; None before the first
    accuracy_bands: tuple[int, int, int, int]  # workers with gold answers, per band of BANDS
    paused: int  # workers paused on the project
    too_fast: int  # answers flagged too fast, ever
    reports: dict[str, int]  # reason -> reports, ever

    @property
    def answers_24h(self) -> int:
        return sum(self.answers_per_hour)


@dataclass(frozen=True)
class ProjectSummary:
    """One line of the projects list."""

    project: WorkProject
    items: int
    done: int
    review: int
    answers_last_hour: int


def band(accuracy: float) -> int:
    """The index of the accuracy band (0..3) that `accuracy` falls into."""
    return sum(accuracy >= edge for edge in BANDS)


async def _item_counts(session: AsyncSession, project_id: str) -> dict[tuple[bool, str], int]:
    rows = await session.execute(
        select(WorkItem.is_gold, WorkItem.state, func.count())
        .where(WorkItem.project_id == project_id)
        .group_by(WorkItem.is_gold, WorkItem.state)
    )
    return {(bool(is_gold), state): int(count) for is_gold, state, count in rows}


async def _per_hour(session: AsyncSession, project_id: str, now: datetime) -> tuple[int, ...]:
    starts = [now - timedelta(hours=HOURS - n) for n in range(HOURS + 1)]
    columns = [
        func.coalesce(
            func.sum(
                case(
                    (and_(Assignment.answered_at > low, Assignment.answered_at <= high), 1),
                    else_=0,
                )
            ),
            0,
        )
        for low, high in pairwise(starts)
    ]
    row = (
        await session.execute(
            select(*columns).where(
                Assignment.project_id == project_id,
                Assignment.state.in_(GIVEN),
                Assignment.answered_at > starts[0],
                Assignment.answered_at <= now,
            )
        )
    ).one()
    return tuple(int(value) for value in row)


async def project_figures(session: AsyncSession, project_id: str, now: datetime) -> ProjectFigures:
    """The project's figures at `now`. Raises LookupError for an unknown project."""
    found = await session.get(WorkProject, project_id)
    if found is None:
        raise LookupError(f"no project {project_id!r}")
    counts = await _item_counts(session, project_id)
    regular = {state: n for (gold, state), n in counts.items() if not gold}
    per_hour = await _per_hour(session, project_id, now)
    agreement = (
        await session.execute(
            select(func.avg(WorkItem.confidence)).where(
                WorkItem.project_id == project_id,
                WorkItem.is_gold.is_(False),
                WorkItem.state == ItemState.COMPLETE,
                WorkItem.confidence.is_not(None),
            )
        )
    ).scalar_one_or_none()
    bands = [0, 0, 0, 0]
    standings = await session.execute(
        select(
            WorkerStanding.gold_correct, WorkerStanding.gold_answered, WorkerStanding.paused_at
        ).where(WorkerStanding.project_id == project_id)
    )
    paused = 0
    for correct, answered, paused_at in standings:
        paused += paused_at is not None
        if answered:
            bands[band(smoothed(correct, answered))] += 1
    too_fast = (
        await session.execute(
            select(func.count()).where(
                Assignment.project_id == project_id, Assignment.too_fast.is_(True)
            )
        )
    ).scalar_one()
    reports = await session.execute(
        select(Assignment.report_reason, func.count())
        .where(
            Assignment.project_id == project_id,
            Assignment.state == AssignmentState.REPORTED,
        )
        .group_by(Assignment.report_reason)
    )
    return ProjectFigures(
        project_id=project_id,
        state=found.state,
        items=sum(regular.values()),
        done=regular.get(ItemState.COMPLETE, 0) + regular.get(ItemState.SETTLED, 0),
        review=regular.get(ItemState.REVIEW, 0),
        open=regular.get(ItemState.OPEN, 0),
        gold_items=sum(n for (gold, _state), n in counts.items() if gold),
        answers_last_hour=per_hour[-1],
        answers_per_hour=per_hour,
        agreement=float(agreement) if agreement is not None else None,
        accuracy_bands=(bands[0], bands[1], bands[2], bands[3]),
        paused=paused,
        too_fast=int(too_fast),
        reports={str(reason): int(n) for reason, n in reports if reason is not None},
    )


async def summaries(session: AsyncSession, now: datetime) -> list[ProjectSummary]:
    """Every project with its item counts and last hour's answers: open ones first, then paused,
    then closed; oldest first within each."""
    projects = (await session.execute(select(WorkProject))).scalars().all()
    items = await session.execute(
        select(WorkItem.project_id, WorkItem.state, func.count())
        .where(WorkItem.is_gold.is_(False))
        .group_by(WorkItem.project_id, WorkItem.state)
    )
    per_project: dict[str, dict[str, int]] = {}
    for project_id, state, count in items:
        per_project.setdefault(project_id, {})[state] = int(count)
    recent = dict(
        (
            await session.execute(
                select(Assignment.project_id, func.count())
                .where(
                    Assignment.state.in_(GIVEN),
                    Assignment.answered_at > now - timedelta(hours=1),
                    Assignment.answered_at <= now,
                )
                .group_by(Assignment.project_id)
            )
        ).all()
    )
    order = {"open": 0, "paused": 1, "closed": 2}
    result = []
    for project in sorted(projects, key=lambda p: (order.get(p.state, 3), p.created_at, p.id)):
        states = per_project.get(project.id, {})
        result.append(
            ProjectSummary(
                project=project,
                items=sum(states.values()),
                done=states.get(ItemState.COMPLETE, 0) + states.get(ItemState.SETTLED, 0),
                review=states.get(ItemState.REVIEW, 0),
                answers_last_hour=int(recent.get(project.id, 0)),
            )
        )
    return result


# Pay for time: what an answer pays per hour of the time honest answers take.
HOUR_MS = 3_600_000


async def honest_times(
    session: AsyncSession, project_id: str, since: datetime, until: datetime
) -> list[int]:
    """How long (ms) each honest answer of the project in [since, until) took, every worker's:
    answered in time and not flagged too fast."""
    rows = await session.execute(
        select(Assignment.answer_ms).where(
            Assignment.project_id == project_id,
            Assignment.state == AssignmentState.ANSWERED,
            Assignment.too_fast.is_(False),
            Assignment.answer_ms.is_not(None),
            Assignment.answered_at >= since,
            Assignment.answered_at < until,
        )
    )
    return [int(ms) for ms in rows.scalars()]


def median(values: list[int]) -> Fraction | None:
    """The middle value (the mean of the two middle ones for an even count), exactly."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Fraction(ordered[middle])
    return Fraction(ordered[middle - 1] + ordered[middle], 2)


def hourly_minor(reward_minor: int, median_ms: Fraction) -> Fraction:
    """What an answer pays per hour, in minor units: reward / median time * 1 hour."""
    return Fraction(reward_minor) * HOUR_MS / median_ms


@dataclass(frozen=True)
class HourlyPay:
    """A project's pay per hour of honest work over a period."""

    project_id: str
    answers: int  # honest answers the median is taken over
    median_ms: Fraction | None
    hourly_minor: Fraction | None  # None without honest answers (or with a median of 0)
    currency: str


async def hourly_pay(
    session: AsyncSession, project: WorkProject, since: datetime, until: datetime
) -> HourlyPay:
    times = await honest_times(session, project.id, since, until)
    middle = median(times)
    rate = hourly_minor(project.reward_minor, middle) if middle else None
    return HourlyPay(project.id, len(times), middle, rate, project.currency)


async def floor_countries(session: AsyncSession, organisation_id: int | None) -> set[str]:
    """The countries of the organisation's cohorts (None: of every cohort)."""
    query = select(Cohort.country).where(Cohort.country.is_not(None)).distinct()
    if organisation_id is not None:
        query = query.where(Cohort.organisation_id == organisation_id)
    return {str(country) for country in (await session.execute(query)).scalars()}
