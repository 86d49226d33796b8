"""The work loop's service on the database: leases, answers, overlap, gold, pauses, pay."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import Runtime
from people import accounts
from tasks import work
from tasks.models import (
    Assignment,
    ItemState,
    LedgerEntry,
    WorkerStanding,
    WorkItem,
    WorkProject,
)
from tasks.work import WorkError

SKILLS = {"image-labelling"}


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "digits",
        "kind": "classification",
        "requires": ["image-labelling"],
        "title": {"en": "Digits", "ar": "أرقام", "fa_AF": "ارقام", "uk": "Цифри"},
        "instructions": {"en": "Pick the digit.", "ar": "-", "fa_AF": "-", "uk": "-"},
        "labels": [{"id": str(n), "text": {"en": str(n)}} for n in range(3)],
        "reward": {"amount_minor": 2, "currency": "USD"},
        "overlap": 2,
        "max_overlap": 3,
        "min_agreement": 0.6,
        "gold_share": 0.0,
        "min_gold_accuracy": 0.7,
        "lease_seconds": 300,
        "grace_seconds": 120,
        "min_seconds": 1,
        "aggregation": "majority",
    }
    base.update(overrides)
    return base


async def setup(rt: Runtime, items: int = 3, gold: int = 0, workers: int = 3, **over: Any):
    data = spec(**over)
    async with rt.sessions() as session:
        for n in range(workers):
            await accounts.accept_consent(
                session,
                user_id=100 + n,
                locale="en",
                invite_code=None,
                is_admin=False,
                clock=rt.clock,
            )
        session.add(
            WorkProject(
                id=data["id"],
                kind=data["kind"],
                spec=data,
                spec_digest="x",
                reward_minor=2,
                currency="USD",
                created_at=rt.clock.now(),
            )
        )
        await session.flush()
        for n in range(items + gold):
            is_gold = n >= items
            session.add(
                WorkItem(
                    project_id=data["id"],
                    external_id=f"i{n}",
                    content={"text": f"item {n}"},
                    is_gold=is_gold,
                    gold=["1"] if is_gold else None,
                    needed=data["overlap"],
                    created_at=rt.clock.now(),
                )
            )
        await session.commit()


async def take(rt: Runtime, user: int, rng: random.Random | None = None) -> work.Offer:
    async with rt.sessions() as session:
        offer = await work.next_item(
            session, user, "digits", skills=SKILLS, language="en", clock=rt.clock, rng=rng
        )
        await session.commit()
        return offer


async def give(rt: Runtime, user: int, assignment: int, answer: list[str]) -> work.AnswerOutcome:
    """As an update would: what the service did is committed, even when it refuses."""
    async with rt.sessions() as session:
        try:
            return await work.answer(session, user, assignment, answer, clock=rt.clock)
        finally:
            await session.commit()


async def rows(rt: Runtime, model: type) -> list[Any]:
    async with rt.sessions() as session:
        return list((await session.execute(select(model))).scalars())


async def test_answers_fill_an_item_to_its_overlap_and_decide_it(runtime: Runtime) -> None:
    await setup(runtime, items=1)
    first, second = await take(runtime, 100), await take(runtime, 101)
    assert first.item.id == second.item.id  # overlap 2: both may hold it
    with pytest.raises(WorkError) as full:
        await take(runtime, 102)
    assert full.value.reason == "empty"
    runtime.clock.advance(timedelta(seconds=5))
    outcome = await give(runtime, 100, first.assignment_id, ["1"])
    assert outcome.counted and outcome.credited_minor == 2
    await give(runtime, 101, second.assignment_id, ["1"])
    [item] = await rows(runtime, WorkItem)
    assert (item.state, item.label, item.answered, item.leased) == (ItemState.COMPLETE, ["1"], 2, 0)
    owed = await rows(runtime, LedgerEntry)
    assert sorted((o.user_id, o.amount_minor, o.kind, o.to_account) for o in owed) == [
        (100, 2, "answer", "pending"),  # until the review window (72 hours by default) passes
        (101, 2, "answer", "pending"),
    ]


async def test_disagreement_widens_the_overlap_then_goes_to_review(runtime: Runtime) -> None:
    await setup(runtime, items=1, workers=4)
    answers = {100: "0", 101: "1", 102: "2"}
    for user, label in answers.items():
        offer = await take(runtime, user)
        runtime.clock.advance(timedelta(seconds=5))
        await give(runtime, user, offer.assignment_id, [label])
    [item] = await rows(runtime, WorkItem)
    assert (item.state, item.needed, item.answered) == (ItemState.REVIEW, 3, 3)
    with pytest.raises(WorkError):
        await take(runtime, 103)


async def test_a_second_answer_and_someone_elses_assignment_change_nothing(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=2)
    offer = await take(runtime, 100)
    runtime.clock.advance(timedelta(seconds=5))
    with pytest.raises(WorkError) as other:
        await give(runtime, 101, offer.assignment_id, ["1"])
    assert other.value.reason == "not_found"
    with pytest.raises(WorkError) as bad:
        await give(runtime, 100, offer.assignment_id, ["7"])
    assert bad.value.reason == "bad_answer"
    await give(runtime, 100, offer.assignment_id, ["1"])
    with pytest.raises(WorkError) as again:
        await give(runtime, 100, offer.assignment_id, ["0"])
    assert again.value.reason == "already"
    assert len(await rows(runtime, LedgerEntry)) == 1
    [answered] = [a for a in await rows(runtime, Assignment) if a.answer]
    assert answered.answer == ["1"]


async def test_never_the_same_item_twice_and_a_held_lease_is_shown_again(runtime: Runtime) -> None:
    await setup(runtime, items=2)
    offer = await take(runtime, 100)
    assert (await take(runtime, 100)).assignment_id == offer.assignment_id
    runtime.clock.advance(timedelta(seconds=5))
    await give(runtime, 100, offer.assignment_id, ["0"])
    following = await take(runtime, 100)
    assert following.item.id != offer.item.id
    await give(runtime, 100, following.assignment_id, ["0"])
    with pytest.raises(WorkError) as done:
        await take(runtime, 100)
    assert done.value.reason == "empty"


async def test_an_expired_lease_returns_the_item_and_a_late_answer_is_paid_not_counted(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=1, overlap=1, max_overlap=1)
    offer = await take(runtime, 100)
    runtime.clock.advance(timedelta(seconds=301))
    other = await take(runtime, 101)  # the sweep gave the item back
    assert other.item.id == offer.item.id
    runtime.clock.advance(timedelta(seconds=60))
    late = await give(runtime, 100, offer.assignment_id, ["1"])
    assert (late.late, late.counted, late.credited_minor) == (True, False, 2)
    [item] = await rows(runtime, WorkItem)
    assert (item.answered, item.leased) == (0, 1)


async def test_an_answer_after_the_grace_is_refused_and_not_paid(runtime: Runtime) -> None:
    await setup(runtime, items=1)
    offer = await take(runtime, 100)
    runtime.clock.advance(timedelta(seconds=300 + 121))
    with pytest.raises(WorkError) as late:
        await give(runtime, 100, offer.assignment_id, ["1"])
    assert late.value.reason == "expired"
    assert await rows(runtime, LedgerEntry) == []
    [item] = await rows(runtime, WorkItem)
    assert item.leased == 0


async def test_too_fast_answers_are_flagged_unpaid_and_uncounted(runtime: Runtime) -> None:
    await setup(runtime, items=1)
    offer = await take(runtime, 100)
    outcome = await give(runtime, 100, offer.assignment_id, ["1"])
    assert (outcome.too_fast, outcome.counted, outcome.credited_minor) == (True, False, 0)
    [item] = await rows(runtime, WorkItem)
    assert (item.answered, item.leased) == (0, 0)
    assert await rows(runtime, LedgerEntry) == []


async def test_wrong_gold_answers_pause_the_worker_after_enough_evidence(runtime: Runtime) -> None:
    await setup(runtime, items=0, gold=8, gold_share=1.0)
    for n in range(5):
        offer = await take(runtime, 100)
        assert offer.item.is_gold
        runtime.clock.advance(timedelta(seconds=5))
        outcome = await give(runtime, 100, offer.assignment_id, ["0"])
        assert outcome.correct is False and outcome.gold == ("1",)
        assert outcome.paused_now == (n == 4)
    with pytest.raises(WorkError) as paused:
        await take(runtime, 100)
    assert paused.value.reason == "paused"
    [row] = await rows(runtime, WorkerStanding)
    assert (row.gold_answered, row.gold_correct) == (5, 0) and row.paused_at is not None
    assert len(await rows(runtime, LedgerEntry)) == 5  # every completed answer is paid


async def test_unqualified_and_closed(runtime: Runtime) -> None:
    await setup(runtime, items=1)
    async with runtime.sessions() as session:
        with pytest.raises(WorkError) as missing:
            await work.next_item(
                session, 100, "digits", skills=set(), language="en", clock=runtime.clock
            )
        assert missing.value.reason == "not_qualified"
        (await session.get(WorkProject, "digits")).state = "closed"
        await session.flush()
        with pytest.raises(WorkError) as closed:
            await work.next_item(
                session, 100, "digits", skills=SKILLS, language="en", clock=runtime.clock
            )
        assert closed.value.reason == "closed"


async def test_skip_and_report_pass_the_item_on(runtime: Runtime) -> None:
    await setup(runtime, items=1, overlap=1, max_overlap=1)
    offer = await take(runtime, 100)
    async with runtime.sessions() as session:
        await work.put_back(session, 100, offer.assignment_id, "broken", clock=runtime.clock)
        await session.commit()
    again = await take(runtime, 101)
    assert again.item.id == offer.item.id
    async with runtime.sessions() as session:
        count = (await session.execute(select(func.count()).select_from(Assignment))).scalar()
    assert count == 2
