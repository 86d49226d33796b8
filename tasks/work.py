"""The work loop: claim an item under a lease, answer, skip or report it, once.

Safe under concurrency on both databases. An item's `answered + leased` never exceeds its
`needed` (a check constraint says so too): a claim raises `leased` in the same statement that
picks the item, PostgreSQL with ``FOR UPDATE SKIP LOCKED``, SQLite (one writer at a time) with
one conditional ``UPDATE ... RETURNING``. An assignment moves out of `leased` by one conditional
update, so a double tap or a second process acts on it once. Nothing here commits.
"""

from __future__ import annotations

import random
import weakref
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core import db
from core.clock import Clock
from core.dbtypes import UTCDateTime
from tasks import ledger
from tasks.aggregation import Vote, agreement
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

REPORT_REASONS = ("unclear", "broken", "offensive")
SKIP_REASONS = ("skip", "unsure")
# Gold accuracy is smoothed toward PRIOR as if PRIOR_WEIGHT answers had been seen, and nobody is
# paused before MIN_GOLD_SEEN gold answers: a few unlucky answers do not decide anyone's fate.
PRIOR, PRIOR_WEIGHT, MIN_GOLD_SEEN = 0.85, 4.0, 5
WORK_PAY_PREFIX = "work-answer:"
REVIEW_WINDOW_HOURS = 72  # pay for an answer waits this long in pending unless the spec says


class WorkError(Exception):
    """Why the worker cannot do what they asked: `reason` is one of the codes below.

    not_found (no such project or assignment of theirs), not_qualified, paused, closed (project
    paused or closed), empty (no item left for them), bad_answer, already (answered before),
    expired (a late answer after the grace period).
    """

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Rules:
    """What a project's spec says about how its work goes."""

    kind: str
    answers: tuple[str, ...]  # in button order; callbacks carry an index into it
    requires: frozenset[str]
    overlap: int
    max_overlap: int
    min_agreement: float
    gold_share: float
    min_gold_accuracy: float
    lease: timedelta
    grace: timedelta
    min_seconds: float
    reward_minor: int
    currency: str
    review_window: timedelta  # pay waits in pending this long (zero: available at once)

    @classmethod
    def of(cls, project: WorkProject) -> Rules:
        spec = project.spec
        kind = spec["kind"]
        if kind == "verification":
            answers: tuple[str, ...] = ("yes", "no", "unsure")
        elif kind == "comparison":
            answers = ("a", "b")
        else:
            answers = tuple(label["id"] for label in spec["labels"])
        return cls(
            kind=kind,
            answers=answers,
            requires=frozenset(spec.get("requires", ())),
            overlap=int(spec["overlap"]),
            max_overlap=int(spec.get("max_overlap", spec["overlap"])),
            min_agreement=float(spec.get("min_agreement", 0.5)),
            gold_share=float(spec.get("gold_share", 0)),
            min_gold_accuracy=float(spec.get("min_gold_accuracy", 0)),
            lease=timedelta(seconds=int(spec["lease_seconds"])),
            grace=timedelta(seconds=int(spec.get("grace_seconds", 0))),
            min_seconds=float(spec.get("min_seconds", 0)),
            reward_minor=project.reward_minor,
            currency=project.currency,
            review_window=timedelta(
                hours=float(spec.get("review_window_hours", REVIEW_WINDOW_HOURS))
            ),
        )


@dataclass(frozen=True)
class Offer:
    """An item leased to a worker."""

    assignment_id: int
    project: WorkProject
    item: WorkItem
    expires_at: datetime


@dataclass(frozen=True)
class Standing:
    gold_answered: int
    gold_correct: int
    accuracy: float  # smoothed
    paused: bool


@dataclass(frozen=True)
class AnswerOutcome:
    project: WorkProject
    item: WorkItem
    answer: tuple[str, ...]
    counted: bool  # counts toward the item's overlap (in time, not too fast)
    late: bool  # after the lease expired, within the grace period
    too_fast: bool
    credited_minor: int
    gold: tuple[str, ...] | None  # the right answer, when the item was gold
    correct: bool | None
    standing: Standing  # read only when the item was gold (no other answer changes it)
    paused_now: bool  # this answer paused the worker on the project
    assignment_id: int = 0


@dataclass(frozen=True)
class Today:
    answers: int
    earned: dict[str, int]  # currency -> minor units


def smoothed(correct: int, answered: int) -> float:
    return (correct + PRIOR * PRIOR_WEIGHT) / (answered + PRIOR_WEIGHT)


def standing_of(row: WorkerStanding | None, rules: Rules) -> Standing:
    if row is None:
        return Standing(0, 0, smoothed(0, 0), False)
    return Standing(
        row.gold_answered,
        row.gold_correct,
        smoothed(row.gold_correct, row.gold_answered),
        row.paused_at is not None,
    )


async def projects_for(session: AsyncSession, skills: set[str]) -> list[WorkProject]:
    """Open projects whose every required skill the worker has, oldest first."""
    rows = (
        await session.execute(
            select(WorkProject)
            .where(WorkProject.state == ProjectState.OPEN)
            .order_by(WorkProject.created_at, WorkProject.id)
        )
    ).scalars()
    return [p for p in rows if Rules.of(p).requires <= skills]


async def project(session: AsyncSession, project_id: str) -> WorkProject:
    found = await session.get(WorkProject, project_id)
    if found is None:
        raise WorkError("not_found")
    return found


async def standing(session: AsyncSession, user_id: int, project_row: WorkProject) -> Standing:
    row = await session.get(WorkerStanding, (user_id, project_row.id))
    return standing_of(row, Rules.of(project_row))


async def expire_leases(session: AsyncSession, now: datetime) -> int:
    """Return every item whose lease ran out to the pool; how many leases expired."""
    expired = (
        await session.execute(
            update(Assignment)
            .where(Assignment.state == AssignmentState.LEASED, Assignment.expires_at < now)
            .values(state=AssignmentState.EXPIRED)
            .returning(Assignment.item_id)
            .execution_options(synchronize_session=False)
        )
    ).scalars()
    per_item = Counter(expired)
    for item_id, count in per_item.items():
        await session.execute(
            update(WorkItem)
            .where(WorkItem.id == item_id)
            .values(leased=WorkItem.leased - count)
            .execution_options(synchronize_session=False)
        )
    return sum(per_item.values())


async def _live_lease(
    session: AsyncSession, user_id: int, project_id: str, now: datetime
) -> Assignment | None:
    return (
        await session.execute(
            select(Assignment)
            .where(
                Assignment.user_id == user_id,
                Assignment.project_id == project_id,
                Assignment.state == AssignmentState.LEASED,
                Assignment.expires_at >= now,
            )
            .order_by(Assignment.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


_PICK = """
    SELECT i.id FROM work_items i
    WHERE i.project_id = :project AND i.is_gold = :gold AND i.state = 'open'
      AND (i.is_gold OR i.answered + i.leased < i.needed)
      AND (i.language IS NULL OR i.language = :language)
      AND NOT EXISTS (
          SELECT 1 FROM work_assignments a WHERE a.item_id = i.id AND a.user_id = :user
      )
    ORDER BY i.queue_rank, i.id
    LIMIT 1
"""
_ITEM = WorkItem.__table__
_RETURNING = ", ".join(f"work_items.{column.name}" for column in _ITEM.columns)
_CLAIM = {
    "postgresql": text(
        f"WITH picked AS ({_PICK} FOR UPDATE SKIP LOCKED) "
        "UPDATE work_items SET leased = work_items.leased + 1 FROM picked "
        f"WHERE work_items.id = picked.id RETURNING {_RETURNING}"
    ).columns(*_ITEM.columns),
    "sqlite": text(
        f"UPDATE work_items SET leased = leased + 1 WHERE id = ({_PICK}) RETURNING {_RETURNING}"
    ).columns(*_ITEM.columns),
}
# Leases that ran out are returned to the pool at most this often by claims (and always when a
# claim finds nothing): one statement fewer on most claims.
SWEEP_EVERY = timedelta(seconds=10)
_swept: weakref.WeakKeyDictionary[Any, datetime] = weakref.WeakKeyDictionary()


async def claim(
    session: AsyncSession, user_id: int, project_id: str, language: str, *, gold: bool
) -> WorkItem | None:
    """Lease one item of the project to the worker, or None when none is left."""
    statement = select(WorkItem).from_statement(_CLAIM[session.bind.dialect.name])
    params = {"project": project_id, "gold": gold, "language": language, "user": user_id}
    result = await session.execute(statement, params, execution_options={"populate_existing": True})
    return result.scalar_one_or_none()


async def _sweep_if_due(session: AsyncSession, now: datetime, *, force: bool = False) -> None:
    last = _swept.get(session.bind)
    if force or last is None or now < last or now - last >= SWEEP_EVERY:
        _swept[session.bind] = now
        await expire_leases(session, now)


async def next_item(
    session: AsyncSession,
    user_id: int,
    project_id: str,
    *,
    skills: set[str],
    language: str,
    clock: Clock,
    rng: random.Random | None = None,
    continuing: Standing | None = None,
) -> Offer:
    """The item the worker holds in the project, or a newly leased one (gold at the set rate).

    `continuing`: the worker's standing, given right after their answer in this project (they
    hold no lease in it then), which saves looking both up again.
    """
    found = await project(session, project_id)
    rules = Rules.of(found)
    if found.state != ProjectState.OPEN:
        raise WorkError("closed")
    if not rules.requires <= skills:
        raise WorkError("not_qualified", missing=sorted(rules.requires - skills))
    now = clock.now()
    if continuing is None:
        held = await _live_lease(session, user_id, project_id, now)
        if held is not None:
            item = await session.get(WorkItem, held.item_id)
            assert item is not None
            return Offer(held.id, found, item, held.expires_at)
    if (continuing or await standing(session, user_id, found)).paused:
        raise WorkError("paused")
    await _sweep_if_due(session, now)
    item = await _claim_any(session, user_id, project_id, language, rules, rng)
    if item is None:
        await _sweep_if_due(session, now, force=True)
        item = await _claim_any(session, user_id, project_id, language, rules, rng)
    if item is None:
        raise WorkError("empty")
    assert item.id is not None
    expires_at = now + rules.lease
    lease = {
        "item_id": item.id,
        "project_id": project_id,
        "user_id": user_id,
        "state": AssignmentState.LEASED,
        "is_gold": item.is_gold,
        "leased_at": now,
        "expires_at": expires_at,
        "too_fast": False,
    }
    lease_id = (await db.run(session, _NEW_LEASE, lease)).scalar_one()
    return Offer(lease_id, found, item, expires_at)


_NEW_LEASE = insert(Assignment).returning(Assignment.id)


async def _claim_any(
    session: AsyncSession,
    user_id: int,
    project_id: str,
    language: str,
    rules: Rules,
    rng: random.Random | None,
) -> WorkItem | None:
    """A gold item at the project's rate, else an ordinary one (and the other way round)."""
    gold_first = (rng or random).random() < rules.gold_share
    item = await claim(session, user_id, project_id, language, gold=gold_first)
    if item is None:
        item = await claim(session, user_id, project_id, language, gold=not gold_first)
    return item


@dataclass(frozen=True)
class Lease:
    """A worker's assignment as an answer, a skip or a report finds it."""

    id: int
    item_id: int
    project_id: str
    user_id: int
    state: str
    leased_at: datetime
    expires_at: datetime
    report_reason: str | None


_LEASE = select(
    Assignment.id,
    Assignment.item_id,
    Assignment.project_id,
    Assignment.user_id,
    Assignment.state,
    Assignment.leased_at,
    Assignment.expires_at,
    Assignment.report_reason,
).where(Assignment.id == bindparam("lease_id"))


async def _mine(session: AsyncSession, user_id: int, assignment_id: int) -> Lease:
    row = (await db.run(session, _LEASE, {"lease_id": assignment_id})).first()
    if row is None or row.user_id != user_id:
        raise WorkError("not_found")
    return Lease(*row)


# Built once per set of columns: a lease is left on every answer.
_LEAVE: dict[tuple[str, ...], Any] = {}
_ITEM_COUNTS = {
    counted: update(WorkItem)
    .where(WorkItem.id == bindparam("item_id"))
    .values(leased=WorkItem.leased - 1, **({"answered": WorkItem.answered + 1} if counted else {}))
    .returning(WorkItem.answered, WorkItem.needed)
    for counted in (False, True)
}


def _leave_statement(columns: tuple[str, ...]) -> Any:
    statement = _LEAVE.get(columns)
    if statement is None:
        table = Assignment.__table__.c  # type: ignore[attr-defined]
        statement = (
            update(Assignment)
            .where(
                Assignment.id == bindparam("lease_id"),
                Assignment.state == AssignmentState.LEASED,
            )
            .values({name: bindparam(f"new_{name}", type_=table[name].type) for name in columns})
        )
        _LEAVE[columns] = statement
    return statement


async def _leave_lease(
    session: AsyncSession,
    assignment: Lease,
    state: str,
    *,
    counted: bool = False,
    **values: Any,
) -> tuple[int, int] | None:
    """Move the assignment out of `leased` once, the item's counts with it (one more answer
    when `counted`): the item's (answered, needed), or None if something else moved it first."""
    values["state"] = state
    columns = tuple(sorted(values))
    params = {f"new_{name}": values[name] for name in columns}
    params["lease_id"] = assignment.id
    moved = (await db.run(session, _leave_statement(columns), params)).rowcount
    if not moved:
        return None
    counts = await db.run(session, _ITEM_COUNTS[counted], {"item_id": assignment.item_id})
    answered, needed = counts.one()
    return answered, needed


async def answer(
    session: AsyncSession,
    user_id: int,
    assignment_id: int,
    chosen: list[str] | None = None,
    *,
    indexes: list[int] | None = None,
    clock: Clock,
) -> AnswerOutcome:
    """Record the worker's answer once: counted and paid in time, paid only within the grace.

    The answer is `chosen` answer ids, or `indexes` into the project's answers (button order).
    """
    lease = await _mine(session, user_id, assignment_id)
    found = await project(session, lease.project_id)
    rules = Rules.of(found)
    if indexes is not None:
        if not all(0 <= index < len(rules.answers) for index in indexes):
            raise WorkError("bad_answer")
        chosen = [rules.answers[index] for index in indexes]
    picked = tuple(sorted(set(chosen or ())))
    if not set(picked) <= set(rules.answers) or (rules.kind != "tagging" and len(picked) != 1):
        raise WorkError("bad_answer")
    now = clock.now()
    if lease.state not in (AssignmentState.LEASED, AssignmentState.EXPIRED):
        raise WorkError("already")
    in_time = lease.state == AssignmentState.LEASED and now <= lease.expires_at
    elapsed_ms = int((now - lease.leased_at).total_seconds() * 1000)
    if not in_time and now > lease.expires_at + rules.grace:
        # Refused, not paid; when it came is kept so that the worker can dispute it.
        refused = dict(answered_at=now, answer_ms=elapsed_ms)
        if lease.state == AssignmentState.LEASED:
            await _leave_lease(session, lease, AssignmentState.EXPIRED, **refused)
        else:
            await session.execute(
                update(Assignment)
                .where(Assignment.id == lease.id, Assignment.answered_at.is_(None))
                .values(**refused)
                .execution_options(synchronize_session=False)
            )
        raise WorkError("expired")
    too_fast = elapsed_ms < rules.min_seconds * 1000
    values = dict(answer=list(picked), answered_at=now, answer_ms=elapsed_ms, too_fast=too_fast)
    item = await session.get(WorkItem, lease.item_id)
    assert item is not None
    correct = (sorted(item.gold) == list(picked)) if item.is_gold and item.gold else None
    counts = None
    if lease.state == AssignmentState.LEASED:
        state = AssignmentState.ANSWERED if in_time else AssignmentState.LATE
        counts = await _leave_lease(
            session, lease, state, counted=in_time and not too_fast, correct=correct, **values
        )
    if counts is None:
        # Expired by a sweep, before this answer or while it came: the item went back to the
        # pool, so the answer is only paid (late), never counted.
        in_time = False
        moved = (
            await session.execute(
                update(Assignment)
                .where(Assignment.id == lease.id, Assignment.state == AssignmentState.EXPIRED)
                .values(state=AssignmentState.LATE, correct=correct, **values)
                .execution_options(synchronize_session=False)
            )
        ).rowcount
        if not moved:
            raise WorkError("already")
    counted = in_time and not too_fast
    if counted and counts is not None:
        set_committed_value(item, "answered", counts[0])
        if not item.is_gold and counts[0] >= counts[1]:
            await _decide(session, item, rules, needed=counts[1])
    credited = 0
    if not too_fast and rules.reward_minor:
        credited = rules.reward_minor
        # The conditional update above lets the answer through once; the ledger's unique
        # (kind, source_key) would refuse a second credit anyway.
        await ledger.record_credit(
            session,
            user_id=user_id,
            kind="answer",
            source_key=f"{WORK_PAY_PREFIX}{lease.id}",
            amount_minor=credited,
            currency=rules.currency,
            now=now,
            release_at=now + rules.review_window,
        )
    paused_now = False
    row = None
    if correct is not None and not too_fast:
        row = await session.get(WorkerStanding, (user_id, found.id), populate_existing=True)
        row, paused_now = await _record_gold(session, row, user_id, found.id, correct, rules, now)
    await session.flush()
    return AnswerOutcome(
        project=found,
        item=item,
        answer=picked,
        counted=counted,
        late=not in_time,
        too_fast=too_fast,
        credited_minor=credited,
        gold=tuple(item.gold) if item.is_gold and item.gold is not None else None,
        correct=correct,
        standing=standing_of(row, rules),
        paused_now=paused_now,
        assignment_id=lease.id or 0,
    )


async def _record_gold(
    session: AsyncSession,
    row: WorkerStanding | None,
    user_id: int,
    project_id: str,
    correct: bool,
    rules: Rules,
    now: datetime,
) -> tuple[WorkerStanding, bool]:
    if row is None:
        row = WorkerStanding(user_id=user_id, project_id=project_id)
        try:
            async with session.begin_nested():
                session.add(row)
                await session.flush()
        except IntegrityError:
            row = await session.get(WorkerStanding, (user_id, project_id), populate_existing=True)
            assert row is not None
    row.gold_answered += 1
    row.gold_correct += int(correct)
    paused_now = False
    if (
        row.paused_at is None
        and row.gold_answered >= MIN_GOLD_SEEN
        and smoothed(row.gold_correct, row.gold_answered) < rules.min_gold_accuracy
    ):
        row.paused_at, paused_now = now, True
    return row, paused_now


_VOTES = select(Assignment.user_id, Assignment.answer).where(
    Assignment.item_id == bindparam("item_id"),
    Assignment.state == AssignmentState.ANSWERED,
    Assignment.too_fast.is_(False),
)


async def _decide(session: AsyncSession, item: WorkItem, rules: Rules, *, needed: int) -> None:
    """The item has its overlap: decide it when the answers agree enough, else widen it."""
    answers = (await db.run(session, _VOTES, {"item_id": item.id})).all()
    votes = [Vote(item.id, worker or 0, tuple(answer or ())) for worker, answer in answers]
    label, share = agreement(votes, rules.kind)
    if share > 0 and share >= rules.min_agreement:
        values: dict[str, Any] = dict(
            state=ItemState.COMPLETE, label=list(label), confidence=round(share, 4)
        )
    elif needed < rules.max_overlap:
        values = dict(needed=needed + 1)
    else:
        values = dict(state=ItemState.REVIEW)
    await session.execute(
        update(WorkItem)
        .where(WorkItem.id == item.id, WorkItem.state == ItemState.OPEN)  # not if settled
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for key, value in values.items():
        set_committed_value(item, key, value)


async def put_back(
    session: AsyncSession, user_id: int, assignment_id: int, reason: str, *, clock: Clock
) -> Lease:
    """Skip, "not sure", or a report of a problem: the item goes to someone else."""
    if reason not in SKIP_REASONS + REPORT_REASONS:
        raise WorkError("bad_answer")
    lease = await _mine(session, user_id, assignment_id)
    if lease.state != AssignmentState.LEASED:
        raise WorkError("already")
    state = AssignmentState.REPORTED if reason in REPORT_REASONS else AssignmentState.SKIPPED
    moved = await _leave_lease(session, lease, state, report_reason=reason, answered_at=clock.now())
    if moved is None:
        raise WorkError("already")
    return replace(lease, state=state, report_reason=reason)


_USER = bindparam("user", type_=BigInteger)
_SINCE = bindparam("since", type_=UTCDateTime)
_ANSWERS_SINCE = (
    select(func.count())
    .where(
        Assignment.user_id == _USER,
        Assignment.state.in_((AssignmentState.ANSWERED, AssignmentState.LATE)),
        Assignment.answered_at >= _SINCE,
    )
    .scalar_subquery()
)
# Built once: today's figures are read for every item card.
_TODAY = (
    select(_ANSWERS_SINCE, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
    .select_from(LedgerEntry)
    .where(
        LedgerEntry.user_id == _USER,
        LedgerEntry.kind == "answer",
        LedgerEntry.created_at >= _SINCE,
    )
    .group_by(LedgerEntry.currency)
)
_TODAY_UNPAID = select(_ANSWERS_SINCE)


async def today(session: AsyncSession, user_id: int, since: datetime) -> Today:
    """The worker's answers and pay for work since `since` (the start of their day)."""
    params = {"user": user_id, "since": since}
    rows = (await db.run(session, _TODAY, params)).all()
    if not rows:  # nothing paid today: answers may still be there (too fast ones)
        return Today(int((await db.run(session, _TODAY_UNPAID, params)).scalar_one()), {})
    return Today(int(rows[0][0]), {currency: int(total) for _, currency, total in rows})


async def project_of(session: AsyncSession, user_id: int, assignment_id: int) -> str | None:
    found = await session.get(Assignment, assignment_id)
    return found.project_id if found is not None and found.user_id == user_id else None


async def offer_of(
    session: AsyncSession, user_id: int, assignment_id: int, *, clock: Clock
) -> Offer:
    """The worker's live lease, to show it again (a tag toggled, back from the report menu)."""
    lease = await _mine(session, user_id, assignment_id)
    if lease.state != AssignmentState.LEASED:
        raise WorkError("already")
    if lease.expires_at < clock.now():
        raise WorkError("expired")
    item = await session.get(WorkItem, lease.item_id)
    assert item is not None
    return Offer(lease.id, await project(session, lease.project_id), item, lease.expires_at)
