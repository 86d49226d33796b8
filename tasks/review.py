"""What coordinators decide: review items, a project's state, a paused worker's return.

Each change is written to the audit log in the caller's session, with the change. Nothing here
commits; who may call these is the caller's check (the bot's coordinator router).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import ManualClock
from people import audit
from people.models import Cohort, User
from tasks import ledger
from tasks.models import (
    Assignment,
    AssignmentState,
    ItemState,
    LedgerEntry,
    ProjectState,
    WorkerStanding,
    WorkItem,
    WorkProject,
)
from tasks.work import WORK_PAY_PREFIX, Rules

ITEM_SETTLE = "item_settle"
PROJECT_STATE = "project_state"
PROJECT_EXPORT = "project_export"
WORKER_RESUME = "worker_resume"


class ReviewError(Exception):
    """Why a coordinator's request cannot be done: `reason` is one of

    not_found (no such project, item or worker standing), gold (a control item is never
    settled), bad_label (not an answer of the project), already (settled before, or the project
    is in that state already), bad_state (no such project state), not_paused.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _At:
    """A clock stopped at `at`, for the audit log."""

    at: datetime

    def now(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class ItemAnswers:
    """The answers an item has had, without who gave them."""

    counted: dict[tuple[str, ...], int]  # answer -> answers counted (in time, not too fast)
    reports: dict[str, int]  # reason -> reports


def choices(project: WorkProject) -> tuple[str, ...]:
    """The answers a coordinator may settle an item with, in button order ("unsure" is none)."""
    return tuple(a for a in Rules.of(project).answers if a != "unsure")


def _reported() -> Any:
    return exists().where(
        Assignment.item_id == WorkItem.id, Assignment.state == AssignmentState.REPORTED
    )


def _queue_filter(project_id: str | None) -> list[Any]:
    where = [
        WorkItem.is_gold.is_(False),
        WorkItem.state != ItemState.SETTLED,
        (WorkItem.state == ItemState.REVIEW) | _reported(),
    ]
    if project_id is not None:
        where.append(WorkItem.project_id == project_id)
    return where


async def review_queue(
    session: AsyncSession, project_id: str | None, limit: int, offset: int = 0
) -> list[WorkItem]:
    """Items waiting for a coordinator, in the project (or every project, None).

    The rule: a non-gold item that is not settled is in the queue when its state is 'review'
    (agreement stayed low at the maximum overlap) or when any worker reported a problem with it
    (whatever its state: open, complete or review). Items in 'review' come first, then reported
    ones; oldest first within each. Gold items never are: their answer is known.
    """
    return list(
        (
            await session.execute(
                select(WorkItem)
                .where(*_queue_filter(project_id))
                .order_by(case((WorkItem.state == ItemState.REVIEW, 0), else_=1), WorkItem.id)
                .offset(offset)
                .limit(limit)
            )
        ).scalars()
    )


async def review_count(session: AsyncSession, project_id: str | None) -> int:
    """How many items review_queue holds."""
    return (
        await session.execute(select(func.count()).where(*_queue_filter(project_id)))
    ).scalar_one()


async def item_answers(session: AsyncSession, item_id: int) -> ItemAnswers:
    rows = await session.execute(
        select(Assignment.state, Assignment.answer, Assignment.too_fast, Assignment.report_reason)
        .where(Assignment.item_id == item_id)
        .where(Assignment.state.in_((AssignmentState.ANSWERED, AssignmentState.REPORTED)))
    )
    counted: Counter[tuple[str, ...]] = Counter()
    reports: Counter[str] = Counter()
    for state, answer, too_fast, reason in rows:
        if state == AssignmentState.REPORTED:
            reports[reason or "?"] += 1
        elif not too_fast and answer is not None:
            counted[tuple(answer)] += 1
    return ItemAnswers(dict(counted), dict(reports))


def _valid_label(project: WorkProject, label: list[str]) -> list[str]:
    allowed = choices(project)
    picked = sorted(set(label), key=allowed.index) if set(label) <= set(allowed) else None
    if picked is None or (project.kind != "tagging" and len(picked) != 1):
        raise ReviewError("bad_label")
    return picked


async def settle(
    session: AsyncSession, item_id: int, label: list[str], coordinator_id: int, now: datetime
) -> WorkItem:
    """Decide the item: `label` (checked against the project's answers), confidence 1.0,
    state 'settled'. Live leases on it end (an answer still coming is paid within the grace,
    not counted). A second decision on the same item is refused ("already")."""
    item = await session.get(WorkItem, item_id, populate_existing=True)
    if item is None:
        raise ReviewError("not_found")
    if item.is_gold:
        raise ReviewError("gold")
    project = await session.get(WorkProject, item.project_id)
    assert project is not None
    picked = _valid_label(project, label)
    moved = (
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id == item_id, WorkItem.state != ItemState.SETTLED)
            .values(
                state=ItemState.SETTLED, label=picked, confidence=1.0, settled_by=coordinator_id
            )
            .execution_options(synchronize_session=False)
        )
    ).rowcount
    if not moved:
        raise ReviewError("already")
    ended = (
        await session.execute(
            update(Assignment)
            .where(Assignment.item_id == item_id, Assignment.state == AssignmentState.LEASED)
            .values(state=AssignmentState.EXPIRED)
            .execution_options(synchronize_session=False)
        )
    ).rowcount
    if ended:
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id == item_id)
            .values(leased=WorkItem.leased - ended)
            .execution_options(synchronize_session=False)
        )
    audit.record(
        session,
        _At(now),
        actor_id=coordinator_id,
        action=ITEM_SETTLE,
        object=f"item:{item_id}",
        detail=f"project:{project.id} label:{'|'.join(picked) or '-'}",
    )
    await session.refresh(item)
    return item


_MOVES = {
    ProjectState.PAUSED: (ProjectState.OPEN,),
    ProjectState.CLOSED: (ProjectState.OPEN, ProjectState.PAUSED),
    ProjectState.OPEN: (ProjectState.PAUSED, ProjectState.CLOSED),
}


async def set_state(
    session: AsyncSession,
    project_id: str,
    state: str,
    now: datetime,
    *,
    actor_id: int | None = None,
) -> WorkProject:
    """Pause (from open), close (from open or paused) or reopen (from paused or closed) a
    project. A paused or closed project leases no new item (tasks.work.next_item says
    "closed"); answers on leases already held still count."""
    if state not in _MOVES:
        raise ReviewError("bad_state")
    found = await session.get(WorkProject, project_id)
    if found is None:
        raise ReviewError("not_found")
    before = found.state
    moved = (
        await session.execute(
            update(WorkProject)
            .where(WorkProject.id == project_id, WorkProject.state.in_(_MOVES[ProjectState(state)]))
            .values(state=state, state_changed_at=now)
            .execution_options(synchronize_session=False)
        )
    ).rowcount
    if not moved:
        raise ReviewError("already")
    audit.record(
        session,
        _At(now),
        actor_id=actor_id,
        action=PROJECT_STATE,
        object=f"project:{project_id}",
        detail=f"{before}->{state}",
    )
    await session.refresh(found)
    return found


async def resume_worker(
    session: AsyncSession,
    project_id: str,
    user_id: int,
    *,
    actor_id: int | None = None,
    now: datetime,
) -> WorkerStanding:
    """Lift the worker's pause on the project; their gold counts stay as they are."""
    moved = (
        await session.execute(
            update(WorkerStanding)
            .where(
                WorkerStanding.user_id == user_id,
                WorkerStanding.project_id == project_id,
                WorkerStanding.paused_at.is_not(None),
            )
            .values(paused_at=None)
            .execution_options(synchronize_session=False)
        )
    ).rowcount
    if not moved:
        if await session.get(WorkProject, project_id) is None:
            raise ReviewError("not_found")
        raise ReviewError("not_paused")
    audit.record(
        session,
        _At(now),
        actor_id=actor_id,
        action=WORKER_RESUME,
        object=f"user:{user_id}",
        detail=f"project:{project_id}",
    )
    row = await session.get(WorkerStanding, (user_id, project_id), populate_existing=True)
    assert row is not None
    return row


def record_export(session: AsyncSession, project_id: str, actor_id: int, now: datetime) -> None:
    """Write to the audit log that the project's results left the bot as files."""
    audit.record(
        session,
        _At(now),
        actor_id=actor_id,
        action=PROJECT_EXPORT,
        object=f"project:{project_id}",
    )


def _pending_pay(project_id: str, organisation_id: int | None) -> Any:
    """The project's answers' pay still pending (of the organisation's workers; None: all)."""
    keys = select(literal(WORK_PAY_PREFIX) + cast(Assignment.id, String)).where(
        Assignment.project_id == project_id
    )
    query = ledger.unreleased().where(LedgerEntry.source_key.in_(keys))
    if organisation_id is not None:
        query = (
            query.join(User, User.id == LedgerEntry.user_id)
            .join(Cohort, Cohort.id == User.cohort_id)
            .where(Cohort.organisation_id == organisation_id)
        )
    return query


async def pending_pay(
    session: AsyncSession, project_id: str, organisation_id: int | None
) -> dict[str, tuple[int, int]]:
    """Per currency: (answers, amount) of the project's pay waiting for its review window."""
    found: dict[str, tuple[int, int]] = {}
    for credit in (await session.execute(_pending_pay(project_id, organisation_id))).scalars():
        count, amount = found.get(credit.currency, (0, 0))
        found[credit.currency] = (count + 1, amount + credit.amount_minor)
    return found


async def accept_pending_pay(
    session: AsyncSession,
    project_id: str,
    organisation_id: int | None,
    now: datetime,
    actor_id: int,
) -> int:
    """A coordinator accepts the project's pending answer pay before its review window ends:
    it is available to be paid now, each credit once; audited. How many moved."""
    credits = list((await session.execute(_pending_pay(project_id, organisation_id))).scalars())
    moved = await ledger.accept_all(session, credits, now)
    if moved:
        audit.record(
            session,
            ManualClock(now),
            actor_id=actor_id,
            action="pay_accepted",
            object=f"project:{project_id}",
            detail=f"{moved} answers",
        )
    return moved
