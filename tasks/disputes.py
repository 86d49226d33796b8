"""Disputes: a worker asks a coordinator to look again at an answer that was not paid or was
marked wrong; the coordinator upholds the decision or reverses it.

What can be disputed: an answer flagged too fast (not paid), an answer refused because it came
after the lease and its grace period (not paid), and a wrong answer on a control item. One
dispute per assignment (a unique constraint). Reversing pays the answer (the same ledger source
as ordinary pay for it, so never twice) straight to available, and for a control item counts the
answer as right in the worker's standing (lifting a pause it no longer justifies). The outcome
is a notice in the outbox, in the worker's language. Coordinators see and decide only disputes
of workers in their own organisation's cohorts (admins: every dispute). Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Select,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from core import outbox
from core.dbtypes import UTCDateTime
from core.i18n import _, format_money, use_locale
from people import audit
from people.models import Cohort, User
from tasks import ledger
from tasks.models import Assignment, AssignmentState, WorkerStanding, WorkProject
from tasks.work import WORK_PAY_PREFIX, Rules, smoothed

LATE, TOO_FAST, GOLD = "late", "too_fast", "gold"  # what is disputed
OPEN, UPHELD, REVERSED = "open", "upheld", "reversed"
NOTE_LENGTH = 300
DISPUTE_DECIDE = "dispute_decide"
NOTICE_KIND = "dispute_decided"


class Dispute(SQLModel, table=True):
    __tablename__ = "disputes"
    __table_args__ = (
        UniqueConstraint("assignment_id"),
        CheckConstraint("reason IN ('late', 'too_fast', 'gold')", name="reason_known"),
        CheckConstraint("state IN ('open', 'upheld', 'reversed')", name="state_known"),
        CheckConstraint("(state = 'open') = (decided_at IS NULL)", name="decided_iff_not_open"),
        Index("disputes_state", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="work_assignments.id")
    user_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    reason: str = Field(max_length=8)
    note: str | None = Field(default=None, max_length=NOTE_LENGTH)  # the worker's sentence
    state: str = Field(default=OPEN, max_length=8)
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # by: the audit log
    decision_note: str | None = Field(default=None, max_length=NOTE_LENGTH)


class DisputeError(Exception):
    """`reason`: not_found (no such assignment or dispute of theirs, or not in the
    coordinator's organisation), not_disputable (nothing to dispute: paid and not marked wrong),
    already (disputed before, or decided before)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Case:
    """A dispute with what a coordinator needs to decide it."""

    dispute: Dispute
    assignment: Assignment
    project: WorkProject


def disputable(assignment: Assignment) -> str | None:
    """What about this assignment can be disputed, if anything."""
    if assignment.state == AssignmentState.EXPIRED and assignment.answered_at is not None:
        return LATE  # an answer came after the grace period and was refused
    if assignment.state not in (AssignmentState.ANSWERED, AssignmentState.LATE):
        return None
    if assignment.too_fast:
        return TOO_FAST
    if assignment.correct is False:
        return GOLD
    return None


def _clean(note: str | None) -> str | None:
    text = " ".join((note or "").split())
    return text[:NOTE_LENGTH] or None


async def open_dispute(
    session: AsyncSession, user_id: int, assignment_id: int, now: datetime
) -> tuple[Dispute, bool]:
    """Dispute the worker's own assignment: the dispute, and whether it is new (a double tap
    finds the first one)."""
    found = await session.get(Assignment, assignment_id)
    if found is None or found.user_id != user_id:
        raise DisputeError("not_found")
    reason = disputable(found)
    if reason is None:
        raise DisputeError("not_disputable")
    dispute = Dispute(assignment_id=assignment_id, user_id=user_id, reason=reason, created_at=now)
    try:
        async with session.begin_nested():
            session.add(dispute)
            await session.flush()
    except IntegrityError:
        existing = (
            await session.execute(select(Dispute).where(Dispute.assignment_id == assignment_id))
        ).scalar_one()
        return existing, False
    return dispute, True


async def add_note(session: AsyncSession, user_id: int, dispute_id: int, note: str) -> bool:
    """The worker's sentence, once, while the dispute is open; False otherwise."""
    text = _clean(note)
    if text is None:
        return False
    moved = await session.execute(
        update(Dispute)
        .where(
            Dispute.id == dispute_id,
            Dispute.user_id == user_id,
            Dispute.state == OPEN,
            Dispute.note.is_(None),
        )
        .values(note=text)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)


async def of_worker(
    session: AsyncSession, user_id: int, assignment_ids: list[int]
) -> dict[int, str]:
    """assignment id -> the state of its dispute, for those the worker disputed."""
    if not assignment_ids:
        return {}
    rows = await session.execute(
        select(Dispute.assignment_id, Dispute.state).where(
            Dispute.user_id == user_id, Dispute.assignment_id.in_(assignment_ids)
        )
    )
    return {int(a): str(s) for a, s in rows}


def _scoped(query: Select[Any], organisation_id: int | None) -> Select[Any]:
    """Only disputes of workers in the organisation's cohorts (None: every dispute)."""
    if organisation_id is None:
        return query
    return (
        query.join(User, User.id == Dispute.user_id)
        .join(Cohort, Cohort.id == User.cohort_id)
        .where(Cohort.organisation_id == organisation_id)
    )


async def queue(
    session: AsyncSession,
    organisation_id: int | None,
    project_id: str | None = None,
    *,
    limit: int = 1,
    offset: int = 0,
) -> list[Case]:
    """Open disputes the coordinator may decide, oldest first."""
    query = (
        select(Dispute, Assignment, WorkProject)
        .join(Assignment, Assignment.id == Dispute.assignment_id)
        .join(WorkProject, WorkProject.id == Assignment.project_id)
        .where(Dispute.state == OPEN)
    )
    if project_id is not None:
        query = query.where(Assignment.project_id == project_id)
    query = _scoped(query, organisation_id).order_by(Dispute.id).offset(offset).limit(limit)
    return [Case(d, a, p) for d, a, p in (await session.execute(query)).all()]


async def open_counts(session: AsyncSession, organisation_id: int | None) -> dict[str, int]:
    """project id -> open disputes the coordinator may decide."""
    query = (
        select(Assignment.project_id, func.count())
        .select_from(Dispute)
        .join(Assignment, Assignment.id == Dispute.assignment_id)
        .where(Dispute.state == OPEN)
        .group_by(Assignment.project_id)
    )
    return {str(p): int(n) for p, n in (await session.execute(_scoped(query, organisation_id)))}


async def case(session: AsyncSession, dispute_id: int, organisation_id: int | None) -> Case:
    query = (
        select(Dispute, Assignment, WorkProject)
        .join(Assignment, Assignment.id == Dispute.assignment_id)
        .join(WorkProject, WorkProject.id == Assignment.project_id)
        .where(Dispute.id == dispute_id)
    )
    row = (await session.execute(_scoped(query, organisation_id))).first()
    if row is None:
        raise DisputeError("not_found")
    return Case(row[0], row[1], row[2])


async def _count_as_right(session: AsyncSession, assignment: Assignment, rules: Rules) -> None:
    """A control answer judged right after all: its standing counts it so, and a pause that
    its accuracy no longer justifies is lifted."""
    await session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id)
        .values(correct=True)
        .execution_options(synchronize_session=False)
    )
    if assignment.too_fast or assignment.user_id is None:
        return  # a flagged answer never counted in the standing
    row = await session.get(
        WorkerStanding, (assignment.user_id, assignment.project_id), populate_existing=True
    )
    if row is None or row.gold_correct >= row.gold_answered:
        return
    row.gold_correct += 1
    if row.paused_at is not None and (
        smoothed(row.gold_correct, row.gold_answered) >= rules.min_gold_accuracy
    ):
        row.paused_at = None


def _title(project: WorkProject, locale: str) -> str:
    title = project.spec.get("title") or {}
    return str(title.get(locale) or title.get("en") or project.id)


def notice_text(found: Case, paid_minor: int, locale: str) -> str:
    """The outcome as the worker reads it, in `locale`."""
    dispute, project = found.dispute, found.project
    with use_locale(locale):
        title = _title(project, locale)
        if dispute.state == REVERSED:
            if dispute.reason == GOLD:
                lines = [
                    _(
                        "⚖️ Your dispute about an answer in «{project}» was accepted: "
                        "your answer counts as right."
                    ).format(project=title)
                ]
            else:
                lines = [
                    _(
                        "⚖️ Your dispute about an answer in «{project}» was accepted: "
                        "the answer is paid."
                    ).format(project=title)
                ]
            if paid_minor:
                lines.append(
                    _("{amount} was added to your available earnings.").format(
                        amount=format_money(paid_minor, project.currency)
                    )
                )
        else:
            lines = [
                _(
                    "⚖️ Your dispute about an answer in «{project}» was looked at: "
                    "the decision stays."
                ).format(project=title)
            ]
        if dispute.decision_note:
            lines.append(_("The coordinator's note: {note}").format(note=dispute.decision_note))
        return "\n\n".join(lines)


@dataclass(frozen=True)
class _At:
    at: datetime

    def now(self) -> datetime:
        return self.at


async def decide(
    session: AsyncSession,
    dispute_id: int,
    *,
    reverse: bool,
    note: str | None,
    coordinator_id: int,
    organisation_id: int | None,
    now: datetime,
) -> Case:
    """Uphold or reverse an open dispute once; reversing pays the answer (once) and fixes a
    control answer's standing. The worker is told in their language (outbox)."""
    found = await case(session, dispute_id, organisation_id)
    state = REVERSED if reverse else UPHELD
    text = _clean(note)
    moved = await session.execute(
        update(Dispute)
        .where(Dispute.id == dispute_id, Dispute.state == OPEN)
        .values(state=state, decided_at=now, decision_note=text)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:
        raise DisputeError("already")
    await session.refresh(found.dispute)
    assignment, project = found.assignment, found.project
    rules = Rules.of(project)
    paid = 0
    if reverse:
        if found.dispute.reason == GOLD:
            await _count_as_right(session, assignment, rules)
        if rules.reward_minor and assignment.user_id is not None:
            entry = await ledger.credit_once(
                session,
                user_id=assignment.user_id,
                kind="answer",
                source_key=f"{WORK_PAY_PREFIX}{assignment.id}",
                amount_minor=rules.reward_minor,
                currency=rules.currency,
                now=now,
                reason=f"dispute {dispute_id} reversed",
            )
            paid = entry.amount_minor if entry is not None else 0
    audit.record(
        session,
        _At(now),
        actor_id=coordinator_id,
        action=DISPUTE_DECIDE,
        object=f"dispute:{dispute_id}",
        detail=f"assignment:{assignment.id} {state} paid:{paid}",
    )
    worker = await session.get(User, found.dispute.user_id)
    if worker is not None:
        await outbox.enqueue(
            session,
            chat_id=worker.id,
            user_id=worker.id,
            kind=NOTICE_KIND,
            dedup_key=f"dispute:{dispute_id}",
            text=notice_text(found, paid, worker.locale),
            now=now,
        )
    return found


@dataclass(frozen=True)
class MyAnswer:
    assignment: Assignment
    project: WorkProject
    disputable: str | None  # what can be disputed (None: nothing)
    dispute: str | None  # the state of its dispute, if the worker opened one


async def recent_answers(session: AsyncSession, user_id: int, limit: int = 10) -> list[MyAnswer]:
    """The worker's latest answers, refused ones too, newest first."""
    given = or_(
        Assignment.state.in_((AssignmentState.ANSWERED, AssignmentState.LATE)),
        and_(Assignment.state == AssignmentState.EXPIRED, Assignment.answered_at.is_not(None)),
    )
    rows = (
        await session.execute(
            select(Assignment, WorkProject)
            .join(WorkProject, WorkProject.id == Assignment.project_id)
            .where(Assignment.user_id == user_id, given)
            .order_by(Assignment.answered_at.desc(), Assignment.id.desc())
            .limit(limit)
        )
    ).all()
    states = await of_worker(session, user_id, [a.id for a, _p in rows if a.id is not None])
    return [MyAnswer(a, p, disputable(a), states.get(a.id or 0)) for a, p in rows]


async def can_dispute(session: AsyncSession, user_id: int, assignment_id: int) -> bool:
    """The worker's own assignment has something to dispute and no dispute yet."""
    found = await session.get(Assignment, assignment_id, populate_existing=True)
    if found is None or found.user_id != user_id or disputable(found) is None:
        return False
    return not await of_worker(session, user_id, [assignment_id])
