"""A worker's own history: pay per hour of answering, what was earned by day and by project.

Pure queries over the ledger and the assignments: nothing here writes or commits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from fractions import Fraction
from typing import Any

from sqlalchemy import String, and_, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from tasks.fair_pay import TOP_UP_PREFIX
from tasks.figures import HOUR_MS
from tasks.models import Assignment, AssignmentState, LedgerEntry, WorkProject
from tasks.work import WORK_PAY_PREFIX

GIVEN = (AssignmentState.ANSWERED, AssignmentState.LATE)
PAY_KINDS = (("answer", WORK_PAY_PREFIX), ("top_up", TOP_UP_PREFIX))


def _pay_of_answer(kind: str, prefix: str) -> Any:
    """Join condition: the ledger credit of `kind` that names the assignment."""
    key = literal(prefix, String) + cast(Assignment.id, String)
    return and_(LedgerEntry.kind == kind, LedgerEntry.source_key == key)


async def hourly(
    session: AsyncSession, user_id: int, since: datetime | None = None
) -> dict[str, Fraction]:
    """Currency -> what the worker's honest answers (in time, not flagged) paid per hour of the
    time they took: their pay and top-ups over their answer time (since `since`, if given)."""
    honest = [
        Assignment.user_id == user_id,
        Assignment.state == AssignmentState.ANSWERED,
        Assignment.too_fast.is_(False),
        Assignment.answer_ms.is_not(None),
    ]
    if since is not None:
        honest.append(Assignment.answered_at >= since)
    times = dict(
        (
            await session.execute(
                select(WorkProject.currency, func.sum(Assignment.answer_ms))
                .join(WorkProject, WorkProject.id == Assignment.project_id)
                .where(*honest)
                .group_by(WorkProject.currency)
            )
        ).all()
    )
    pay: dict[str, int] = defaultdict(int)
    for kind, prefix in PAY_KINDS:
        rows = await session.execute(
            select(LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
            .select_from(Assignment)
            .join(LedgerEntry, _pay_of_answer(kind, prefix))
            .where(*honest)
            .group_by(LedgerEntry.currency)
        )
        for currency, total in rows:
            pay[currency] += int(total)
    return {
        currency: Fraction(pay[currency]) * HOUR_MS / int(ms)
        for currency, ms in times.items()
        if ms and pay.get(currency)
    }


@dataclass(frozen=True)
class Day:
    day: date
    answers: int
    earned: dict[str, int]  # currency -> credited that day


async def by_day(session: AsyncSession, user_id: int, since: datetime, zone: tzinfo) -> list[Day]:
    """The days since `since` with answers or credits, newest first (days in `zone`)."""
    earned: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for column, sign in ((LedgerEntry.from_account, 1), (LedgerEntry.to_account, -1)):
        rows = await session.execute(
            select(LedgerEntry.created_at, LedgerEntry.currency, LedgerEntry.amount_minor).where(
                LedgerEntry.user_id == user_id,
                LedgerEntry.created_at >= since,
                column.startswith("platform:"),
            )
        )
        for at, currency, amount in rows:
            earned[at.astimezone(zone).date()][currency] += sign * int(amount)
    answers: dict[date, int] = defaultdict(int)
    given = await session.execute(
        select(Assignment.answered_at).where(
            Assignment.user_id == user_id,
            Assignment.state.in_(GIVEN),
            Assignment.answered_at >= since,
        )
    )
    for (at,) in given:
        answers[at.astimezone(zone).date()] += 1
    days = sorted(set(earned) | set(answers), reverse=True)
    return [
        Day(d, answers.get(d, 0), {c: a for c, a in earned.get(d, {}).items() if a}) for d in days
    ]


@dataclass(frozen=True)
class ProjectTotal:
    project: WorkProject
    answers: int
    earned: dict[str, int]  # pay and top-ups for its answers


async def by_project(session: AsyncSession, user_id: int) -> list[ProjectTotal]:
    """Every project the worker answered in, with its answers and what they paid, most first."""
    counts = dict(
        (
            await session.execute(
                select(Assignment.project_id, func.count())
                .where(Assignment.user_id == user_id, Assignment.state.in_(GIVEN))
                .group_by(Assignment.project_id)
            )
        ).all()
    )
    earned: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for kind, prefix in PAY_KINDS:
        rows = await session.execute(
            select(Assignment.project_id, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
            .select_from(Assignment)
            .join(LedgerEntry, _pay_of_answer(kind, prefix))
            .where(Assignment.user_id == user_id)
            .group_by(Assignment.project_id, LedgerEntry.currency)
        )
        for project_id, currency, total in rows:
            earned[project_id][currency] += int(total)
    ids = set(counts) | set(earned)
    if not ids:
        return []
    projects = (
        (await session.execute(select(WorkProject).where(WorkProject.id.in_(ids)))).scalars().all()
    )
    totals = [
        ProjectTotal(p, int(counts.get(p.id, 0)), dict(earned.get(p.id, {}))) for p in projects
    ]
    return sorted(totals, key=lambda t: (-t.answers, t.project.id))
