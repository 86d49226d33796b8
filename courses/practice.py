"""Practice sets: one answer per item (by item id), feedback, and the training pay it earns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from courses.content_model import Course, PracticeItem
from courses.models import PracticeAnswer
from courses.progress import LearningError, load
from tasks import ledger
from tasks.models import LedgerEntry


@dataclass(frozen=True)
class PracticeOutcome:
    item: PracticeItem
    chosen: str  # the label, or a multi-label item's ticked tag ids in the item's order, ","
    correct: bool
    credited_minor: int
    finished: bool
    number: int  # how many of the set's items are answered now


async def answer_practice(
    session: AsyncSession,
    user_id: int,
    course: Course,
    *,
    item_id: str,
    label: str | None = None,
    tags: frozenset[str] | None = None,
    clock: Clock,
) -> PracticeOutcome:
    """Record the answer to the next item once, and the training pay it earns once.

    A single-label item takes `label` (one of the set's labels); a multi-label item takes
    `tags` (any of its own tags, none included) and is right when they are exactly its answers.

    Only the next item (the first of the set, in its current order, without an answer) takes an
    answer; any other ("stale": a double tap, an old button, an item edited or removed) changes
    nothing. "not_now": the lessons are not read yet, or a quiz is under way.
    """
    practice = course.practice
    loaded = await load(session, user_id, course)
    row, state = loaded.row, loaded.state
    if practice is None or row is None:
        raise LearningError("stale")
    if state.stage == "quiz" or (state.stage != "passed" and not state.reading_done):
        raise LearningError("not_now")
    item = state.practice_item
    if item is None or item.id != item_id:
        raise LearningError("stale")
    if item.multi:
        if tags is None or label is not None or not tags <= {tag.id for tag in item.tags}:
            raise LearningError("stale")
        chosen = ",".join(tag.id for tag in item.tags if tag.id in tags)
        correct = tags == item.answers
    else:
        if label is None or tags is not None or label not in {lb.id for lb in practice.labels}:
            raise LearningError("stale")
        chosen, correct = label, label == item.answer
    now = clock.now()
    answer = PracticeAnswer(
        user_id=user_id,
        course_id=course.id,
        item_id=item.id,
        label=chosen,
        correct=correct,
        answered_at=now,
    )
    credited = 0
    try:
        async with session.begin_nested():
            session.add(answer)
            await session.flush()
            if practice.rate_minor and practice.currency:
                credited = practice.rate_minor
                ledger.credit(  # training pay: available at once
                    session,
                    user_id=user_id,
                    kind="practice",
                    source_key=practice_pay_key(answer.id),
                    amount_minor=credited,
                    currency=practice.currency,
                    now=now,
                )
            row.updated_at = now
    except IntegrityError:
        raise LearningError("stale") from None  # a double tap answered it a moment ago
    done = state.practised | {item.id}
    finished = all(other.id in done for other in practice.items)
    return PracticeOutcome(item, chosen, correct, credited, finished, len(done))


def practice_pay_key(answer_id: int | None) -> str:
    """What earned the pay: one practice answer (unique, and free of personal data)."""
    return f"practice-answer:{answer_id}"


async def practice_earned(session: AsyncSession, user_id: int, course: Course) -> int:
    total = (
        await session.execute(
            select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
                LedgerEntry.kind == "practice",
                LedgerEntry.source_key.in_(
                    select(literal("practice-answer:") + cast(PracticeAnswer.id, String)).where(
                        PracticeAnswer.user_id == user_id, PracticeAnswer.course_id == course.id
                    )
                ),
            )
        )
    ).scalar_one()
    return int(total)
