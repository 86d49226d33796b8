"""A project's labels: aggregate every counted answer and store each complete item's label.

Counted answers are those in time and not too fast (`Assignment.state == 'answered'`,
`too_fast` false). All of them teach Dawid-Skene about the workers, whatever their item's
state; gold items and coordinator-settled items are known truth and anchor it. Only non-gold
items in state `complete` get a label written: a settled item keeps its coordinator's label,
an open or review item has no final label yet. The caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tasks.aggregation import Outcome, Vote, answer_ids_for, dawid_skene, majority
from tasks.models import Assignment, AssignmentState, ItemState, WorkItem, WorkProject

PAGE = 2000


def method_of(project: WorkProject) -> str:
    """The aggregation the project's spec names ("dawid-skene" unless it says "majority")."""
    return "majority" if project.spec.get("aggregation") == "majority" else "dawid-skene"


def label_ids_of(project: WorkProject) -> tuple[str, ...]:
    return tuple(str(label["id"]) for label in project.spec.get("labels") or ())


async def _votes(session: AsyncSession, project_id: str) -> list[Vote]:
    """Every counted answer of the project, read a page at a time by assignment id."""
    votes: list[Vote] = []
    after = 0
    while True:
        rows = (
            await session.execute(
                select(Assignment.id, Assignment.item_id, Assignment.user_id, Assignment.answer)
                .where(
                    Assignment.project_id == project_id,
                    Assignment.state == AssignmentState.ANSWERED,
                    Assignment.too_fast.is_(False),
                    Assignment.id > after,
                )
                .order_by(Assignment.id)
                .limit(PAGE)
            )
        ).all()
        if not rows:
            return votes
        for assignment_id, item_id, user_id, answer in rows:
            # An erased worker's answers (user_id NULL) still count, each as an unknown worker.
            worker: str | int = user_id if user_id is not None else f"erased-{assignment_id}"
            votes.append(Vote(item_id, worker, tuple(answer or ())))
        after = rows[-1][0]


async def _known(session: AsyncSession, project_id: str) -> dict[int, Sequence[str]]:
    """Items whose truth is known: gold items' gold and settled items' coordinator label."""
    rows = await session.execute(
        select(WorkItem.id, WorkItem.is_gold, WorkItem.gold, WorkItem.label).where(
            WorkItem.project_id == project_id,
            (WorkItem.is_gold.is_(True)) | (WorkItem.state == ItemState.SETTLED),
        )
    )
    known: dict[int, Sequence[str]] = {}
    for item_id, is_gold, gold, label in rows:
        truth = gold if is_gold else label
        if truth is not None:
            known[item_id] = list(truth)
    return known


async def outcomes_of(session: AsyncSession, project: WorkProject) -> dict[int, Outcome]:
    """The project's aggregated outcome per item that has counted answers (nothing written)."""
    votes = await _votes(session, project.id)
    answer_ids = answer_ids_for(project.kind, label_ids_of(project))
    if method_of(project) == "majority":
        return majority(votes, project.kind, answer_ids)
    known = await _known(session, project.id)
    return dawid_skene(votes, project.kind, answer_ids, gold=known)


async def aggregate_project(session: AsyncSession, project_id: str) -> int:
    """Write label and confidence of the project's complete items; returns how many."""
    project = await session.get(WorkProject, project_id)
    if project is None:
        raise LookupError(f"no project {project_id!r}")
    outcomes = await outcomes_of(session, project)
    statement = (
        update(WorkItem.__table__)  # type: ignore[arg-type]
        .where(
            WorkItem.__table__.c.id == bindparam("item"),  # type: ignore[attr-defined]
            WorkItem.__table__.c.state == ItemState.COMPLETE.value,  # type: ignore[attr-defined]
        )
        .values(label=bindparam("new_label"), confidence=bindparam("new_confidence"))
    )
    written = 0
    after = 0
    while True:
        ids = (
            (
                await session.execute(
                    select(WorkItem.id)
                    .where(
                        WorkItem.project_id == project_id,
                        WorkItem.state == ItemState.COMPLETE,
                        WorkItem.is_gold.is_(False),
                        WorkItem.id > after,
                    )
                    .order_by(WorkItem.id)
                    .limit(PAGE)
                )
            )
            .scalars()
            .all()
        )
        if not ids:
            return written
        params: list[dict[str, Any]] = []
        for item_id in ids:
            outcome = outcomes.get(item_id)
            if outcome is None:
                continue
            undecided = not outcome.label and project.kind != "tagging"
            params.append(
                {
                    "item": item_id,
                    "new_label": None if undecided else list(outcome.label),
                    "new_confidence": round(outcome.confidence, 4),
                }
            )
        if params:
            await session.execute(statement, params)
            written += len(params)
        after = ids[-1]
