"""Fair pay, kept by the system: a weekly top-up to the minimum hourly wage.

For each project and week, the median time an honest answer took (every worker's answers in
time and not flagged too fast: the project's median, which one slow worker cannot stretch)
gives the project's pay per hour: reward / median time * 1 hour. Where that is below the
minimum hourly wage of a worker's country (their cohort's; settings give one per country, in
minor units and a currency), each of that worker's paid answers of the week gets a top-up
credit: the pay per answer that reaches the floor at the median time, rounded up to a whole
minor unit in the worker's favour, less the reward. A top-up names its answer (`top_up`,
"top-up:<assignment>"), so it is written once however often the job runs; it goes where the
answer's pay is (pending until the same release time, or available once that pay was
released). Each worker who got a top-up is told once per week, in their language (outbox).

Floors only apply in the project's currency; a floor in another currency is not converted.
Nothing here commits except `weekly_job`, which is its own boundary.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import outbox
from core.clock import Clock
from core.db import SessionFactory, WriteGate
from core.i18n import _, format_date, format_list, format_money, use_locale
from people.models import Cohort, User
from tasks import ledger
from tasks.figures import HOUR_MS, hourly_pay
from tasks.models import Assignment, AssignmentState, LedgerEntry, WorkProject
from tasks.owed import week_start as start_of_week
from tasks.work import WORK_PAY_PREFIX

WEEK = timedelta(days=7)
TOP_UP_PREFIX = "top-up:"
NOTICE_KIND = "fair_pay_top_up"
_FLOOR = re.compile(r"^([A-Z]{2})\s*=\s*(\d{1,9})\s*([A-Z]{3})$")
_CHUNK = 500


@dataclass(frozen=True)
class Floor:
    """A minimum hourly wage: minor units of `currency` per hour."""

    amount_minor: int
    currency: str


def parse_floors(text: str) -> dict[str, Floor]:
    """ "SY=150 USD, AF=120 USD" -> {"SY": Floor(150, "USD"), ...}: per ISO 3166 alpha-2
    country, minor units per hour and an ISO 4217 currency. ValueError names a bad part."""
    floors: dict[str, Floor] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        found = _FLOOR.match(part.upper())
        if found is None:
            raise ValueError(f"not COUNTRY=AMOUNT CURRENCY: {part!r}")
        country, amount, currency = found.groups()
        floors[country] = Floor(int(amount), currency)
    return floors


def per_answer(floor_minor: int, median_ms: Fraction) -> int:
    """What an answer must pay so that its median time earns the floor: rounded up."""
    return math.ceil(Fraction(floor_minor) * median_ms / HOUR_MS)


@dataclass
class TopUps:
    """What one run wrote: credits, their sum per currency, the workers told."""

    credits: int = 0
    amounts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    notices: int = 0


@dataclass(frozen=True)
class _Paid:
    assignment_id: int
    user_id: int
    credit: LedgerEntry
    released: bool


async def _paid_answers(
    session: AsyncSession, project_id: str, since: datetime, until: datetime
) -> list[_Paid]:
    """The project's answers given in [since, until) that were paid, with their pay."""
    answers = (
        await session.execute(
            select(Assignment.id, Assignment.user_id).where(
                Assignment.project_id == project_id,
                Assignment.state.in_((AssignmentState.ANSWERED, AssignmentState.LATE)),
                Assignment.answered_at >= since,
                Assignment.answered_at < until,
                Assignment.user_id.is_not(None),
            )
        )
    ).all()
    paid: list[_Paid] = []
    for start in range(0, len(answers), _CHUNK):
        chunk = {f"{WORK_PAY_PREFIX}{a}": (a, u) for a, u in answers[start : start + _CHUNK]}
        credits = (
            await session.execute(
                select(LedgerEntry).where(
                    LedgerEntry.kind == "answer", LedgerEntry.source_key.in_(list(chunk))
                )
            )
        ).scalars()
        credits = list(credits)
        released = set(
            (
                await session.execute(
                    select(LedgerEntry.related_id).where(
                        LedgerEntry.kind == ledger.RELEASE,
                        LedgerEntry.related_id.in_([c.id for c in credits]),
                    )
                )
            ).scalars()
        )
        for credit in credits:
            assignment_id, user_id = chunk[credit.source_key]
            paid.append(_Paid(assignment_id, user_id, credit, credit.id in released))
    return paid


async def _countries(session: AsyncSession, user_ids: set[int]) -> dict[int, str]:
    ids = list(user_ids)
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(User.id, Cohort.country)
            .join(Cohort, Cohort.id == User.cohort_id)
            .where(User.id.in_(ids[start : start + _CHUNK]), Cohort.country.is_not(None))
        )
        found.update({int(u): str(c) for u, c in rows})
    return found


async def top_up_week(
    session: AsyncSession, week_start: datetime, now: datetime, floors: dict[str, Floor]
) -> TopUps:
    """Top up the paid answers of the week from `week_start` wherever a project's median pay
    per hour fell below the worker's floor; each answer once, each worker told once."""
    until = week_start + WEEK
    done = TopUps()
    per_worker: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    projects = (await session.execute(select(WorkProject).order_by(WorkProject.id))).scalars()
    for project in list(projects):
        pay = await hourly_pay(session, project, week_start, until)
        if pay.median_ms is None or pay.hourly_minor is None:
            continue  # no honest answer that week: nothing to measure the time by
        paid = await _paid_answers(session, project.id, week_start, until)
        countries = await _countries(session, {p.user_id for p in paid})
        for answer in paid:
            floor = floors.get(countries.get(answer.user_id, ""))
            if floor is None or floor.currency != project.currency:
                continue
            if pay.hourly_minor >= floor.amount_minor:
                continue
            amount = per_answer(floor.amount_minor, pay.median_ms) - answer.credit.amount_minor
            if amount <= 0:
                continue
            reason = (
                f"fair pay: {project.id}, week of {week_start.date().isoformat()}: median "
                f"{float(pay.median_ms) / 1000:.1f} s pays {float(pay.hourly_minor):.2f} "
                f"{project.currency} minor/h, below the floor of {floor.amount_minor} "
                f"({countries[answer.user_id]})"
            )
            entry = await ledger.credit_once(
                session,
                user_id=answer.user_id,
                kind="top_up",
                source_key=f"{TOP_UP_PREFIX}{answer.assignment_id}",
                amount_minor=amount,
                currency=project.currency,
                now=now,
                release_at=None if answer.released else answer.credit.release_at,
                reason=reason,
            )
            if entry is not None:
                done.credits += 1
                done.amounts[project.currency] += amount
                per_worker[answer.user_id][project.currency] += amount
    for user_id, amounts in per_worker.items():
        if await _notify(session, user_id, amounts, week_start, now):
            done.notices += 1
    return done


def notice_text(amounts: dict[str, int], week_start: datetime, locale: str) -> str:
    with use_locale(locale):
        total = format_list(format_money(a, c) for c, a in sorted(amounts.items()))
        return _(
            "💚 Fair pay: some of your work in the week of {date} paid less than the minimum "
            "hourly wage for the time it takes, so {amount} was added to your earnings."
        ).format(date=format_date(week_start.date()), amount=total)


async def _notify(
    session: AsyncSession,
    user_id: int,
    amounts: dict[str, int],
    week_start: datetime,
    now: datetime,
) -> bool:
    worker = await session.get(User, user_id)
    if worker is None:
        return False
    message = await outbox.enqueue(
        session,
        chat_id=worker.id,
        user_id=worker.id,
        kind=NOTICE_KIND,
        dedup_key=f"{TOP_UP_PREFIX}{worker.id}:{week_start.date().isoformat()}",
        text=notice_text(amounts, week_start, worker.locale),
        now=now,
    )
    return message is not None


def last_week(now: datetime, zone: tzinfo) -> datetime:
    """Monday 00:00 (in `zone`) of the week before `now`'s."""
    return start_of_week(now.astimezone(zone)) - WEEK


async def weekly_job(
    sessions: SessionFactory,
    clock: Clock,
    floors: dict[str, Floor],
    zone: tzinfo,
    gate: WriteGate | None = None,
    *,
    weeks: int = 4,
) -> TopUps:
    """The scheduled job: top up the last `weeks` complete weeks (in `zone`; a week missed
    while the bot was down is caught up), in one transaction of its own. Running it again, or
    after a crash, writes nothing twice."""
    now = clock.now()
    if gate is None:
        gate = WriteGate(enabled=False)
    done = TopUps()
    async with gate.held(), sessions() as session:
        for back in range(weeks):
            week = await top_up_week(session, last_week(now, zone) - back * WEEK, now, floors)
            done.credits += week.credits
            done.notices += week.notices
            for currency, amount in week.amounts.items():
                done.amounts[currency] += amount
        await session.commit()
    return done
