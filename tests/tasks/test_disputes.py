"""Disputes in the service: what can be disputed, once; decisions once, scoped to the worker's
organisation; reversing pays once and sets a control answer's standing right."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import update

from bot.app import Runtime
from core.outbox import OutboxMessage
from people.models import Cohort, Organisation, User
from tasks import disputes, history
from tasks.disputes import Dispute, DisputeError
from tasks.models import Assignment, LedgerEntry, WorkerStanding
from tasks.work import WorkError
from tests.tasks.test_work import give, rows, setup, take

HOPE, OTHER = 1, 2  # organisations


async def _organisations(rt: Runtime, worker_org: dict[int, int]) -> None:
    now = rt.clock.now()
    async with rt.sessions() as session:
        for org in (HOPE, OTHER):
            session.add(Organisation(id=org, name=f"org {org}", created_at=now))
            await session.flush()
            session.add(Cohort(id=org, organisation_id=org, name="group", created_at=now))
        await session.flush()
        for user, org in worker_org.items():
            await session.execute(update(User).where(User.id == user).values(cohort_id=org))
        await session.commit()


async def _open(rt: Runtime, user: int, assignment: int) -> tuple[Dispute, bool]:
    async with rt.sessions() as session:
        found = await disputes.open_dispute(session, user, assignment, rt.clock.now())
        await session.commit()
        return found


async def _decide(rt: Runtime, dispute: int, reverse: bool, org: int | None, note=None) -> None:
    async with rt.sessions() as session:
        await disputes.decide(
            session,
            dispute,
            reverse=reverse,
            note=note,
            coordinator_id=100,
            organisation_id=org,
            now=rt.clock.now(),
        )
        await session.commit()


async def _credits(rt: Runtime, user: int) -> list[tuple[str, int, str]]:
    return [
        (e.kind, e.amount_minor, e.to_account)
        for e in await rows(rt, LedgerEntry)
        if e.user_id == user and e.kind != "release"
    ]


async def test_a_too_fast_answer_is_disputed_once_and_reversing_pays_it_once(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=2)
    await _organisations(runtime, {101: HOPE})
    offer = await take(runtime, 101)
    outcome = await give(runtime, 101, offer.assignment_id, ["1"])  # at once: too fast
    assert outcome.too_fast and outcome.credited_minor == 0
    first, new = await _open(runtime, 101, offer.assignment_id)
    again, new_again = await _open(runtime, 101, offer.assignment_id)  # a double tap
    assert new and not new_again and again.id == first.id and first.reason == "too_fast"
    with pytest.raises(DisputeError) as foreign:
        await _open(runtime, 102, offer.assignment_id)  # not theirs
    assert foreign.value.reason == "not_found"
    async with runtime.sessions() as session:
        assert await disputes.add_note(session, 101, first.id, "  It was   clear. ")
        assert not await disputes.add_note(session, 101, first.id, "Second thought")
        assert not await disputes.add_note(session, 102, first.id, "Not mine")
        await session.commit()

    async with runtime.sessions() as session:  # another organisation sees nothing
        assert await disputes.queue(session, OTHER) == []
        assert await disputes.open_counts(session, OTHER) == {}
        assert await disputes.open_counts(session, HOPE) == {"digits": 1}
        [case] = await disputes.queue(session, None)  # an admin sees every dispute
        assert case.dispute.note == "It was clear."
    with pytest.raises(DisputeError) as hidden:
        await _decide(runtime, first.id, True, OTHER)
    assert hidden.value.reason == "not_found"
    await _decide(runtime, first.id, True, HOPE, note="Fair enough")
    with pytest.raises(DisputeError) as twice:
        await _decide(runtime, first.id, True, HOPE)
    assert twice.value.reason == "already"
    assert await _credits(runtime, 101) == [("answer", 2, "available")]
    [notice] = [m for m in await rows(runtime, OutboxMessage) if m.user_id == 101]
    assert notice.text.endswith("The coordinator's note: Fair enough")


async def test_a_refused_late_answer_can_be_disputed_and_an_upheld_one_pays_nothing(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=2)
    await _organisations(runtime, {100: HOPE, 101: HOPE})
    offer = await take(runtime, 100)
    runtime.clock.advance(timedelta(minutes=10))  # past the lease (5 min) and the grace (2)
    with pytest.raises(WorkError):
        await give(runtime, 100, offer.assignment_id, ["1"])
    [refused] = await rows(runtime, Assignment)
    assert refused.state == "expired" and refused.answer_ms == 600_000
    dispute, _new = await _open(runtime, 100, offer.assignment_id)
    assert dispute.reason == "late"
    await _decide(runtime, dispute.id, False, HOPE)
    assert await _credits(runtime, 100) == []
    [notice] = await rows(runtime, OutboxMessage)
    assert "the decision stays" in notice.text

    other = await take(runtime, 101)  # a paid answer in time: nothing to dispute
    runtime.clock.advance(timedelta(seconds=5))
    await give(runtime, 101, other.assignment_id, ["1"])
    with pytest.raises(DisputeError) as paid:
        await _open(runtime, 101, other.assignment_id)
    assert paid.value.reason == "not_disputable"


async def test_reversing_a_control_answer_counts_it_right_and_lifts_the_pause(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=0, gold=6, gold_share=1.0, min_gold_accuracy=0.5)
    await _organisations(runtime, {100: HOPE})
    answered = []
    for label in ("1", "0", "0", "0", "0"):  # one right, four wrong: paused at 1 of 5
        offer = await take(runtime, 100)
        runtime.clock.advance(timedelta(seconds=5))
        await give(runtime, 100, offer.assignment_id, [label])
        answered.append(offer.assignment_id)
    [standing] = await rows(runtime, WorkerStanding)
    assert standing.paused_at is not None
    dispute, _new = await _open(runtime, 100, answered[-1])
    assert dispute.reason == "gold"
    await _decide(runtime, dispute.id, True, HOPE)
    async with runtime.sessions() as session:
        standing = await session.get(WorkerStanding, (100, "digits"))
        corrected = await session.get(Assignment, answered[-1])
    assert (standing.gold_answered, standing.gold_correct, standing.paused_at) == (5, 2, None)
    assert corrected.correct is True
    credits = await _credits(runtime, 100)
    assert len(credits) == 5  # every control answer was paid already: nothing paid twice
    [notice] = await rows(runtime, OutboxMessage)
    assert "your answer counts as right" in notice.text


async def test_pay_per_hour_of_answering_counts_honest_answers_and_their_top_ups(
    runtime: Runtime,
) -> None:
    await setup(runtime, items=4)
    for seconds in (10, 20):
        offer = await take(runtime, 100)
        runtime.clock.advance(timedelta(seconds=seconds))
        await give(runtime, 100, offer.assignment_id, ["1"])
    offer = await take(runtime, 100)
    await give(runtime, 100, offer.assignment_id, ["1"])  # too fast: neither time nor pay
    async with runtime.sessions() as session:
        assert await history.hourly(session, 100) == {"USD": 2 * 2 * 3600 / 30}  # 4 c in 30 s
        later = runtime.clock.now() + timedelta(seconds=1)
        assert await history.hourly(session, 100, later) == {}
        [digits] = await history.by_project(session, 100)
        assert (digits.answers, digits.earned) == (3, {"USD": 4})
        days = await history.by_day(session, 100, runtime.clock.now() - timedelta(days=1), UTC)
        assert [(d.answers, d.earned) for d in days] == [(3, {"USD": 4})]
