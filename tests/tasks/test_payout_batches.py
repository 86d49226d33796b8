"""Payout batches: listed per week and currency, confirmed whole, scoped to the organisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Runtime
from bot.payout_job import run_payout_job
from core.outbox import OutboxMessage
from people.models import AuditEntry, Cohort, Organisation, User
from tasks.payout_batches import (
    Batch,
    batch,
    batches,
    confirm_batch,
    confirm_in_scope,
    payouts_in,
)
from tasks.payout_models import Payout
from tasks.payouts import PayoutError, period_of
from tests.tasks.test_payouts import DARI, PAID_WORKER, books, workers


async def two_organisations(rt: Runtime) -> tuple[int, int]:
    """PAID_WORKER in Hope's group, DARI in Light's; their organisations' ids."""
    now = rt.clock.now()
    async with rt.sessions() as session:
        hope, light = (
            Organisation(name="Hope", created_at=now),
            Organisation(name="Light", created_at=now),
        )
        session.add_all([hope, light])
        await session.flush()
        for org, user_id in ((hope, PAID_WORKER), (light, DARI)):
            cohort = Cohort(name=f"{org.name} 1", organisation_id=org.id, created_at=now)
            session.add(cohort)
            await session.flush()
            user = await session.get(User, user_id)
            assert user is not None
            user.cohort_id = cohort.id
        await session.commit()
        assert hope.id is not None and light.id is not None
        return hope.id, light.id


@pytest.fixture
async def paid_run(runtime: Runtime, tmp_path: Path) -> tuple[str, int, int]:
    await workers(runtime)
    hope, light = await two_organisations(runtime)
    await run_payout_job(
        runtime.sessions, runtime.gate, runtime.clock, runtime.settings, out_dir=tmp_path
    )
    return period_of(runtime.clock.now(), runtime.settings.zone), hope, light


async def test_batches_count_and_sum_each_week_within_the_organisation(
    runtime: Runtime, paid_run: tuple[str, int, int]
) -> None:
    period, hope, light = paid_run
    async with runtime.sessions() as session:
        everyone = await batches(session, None)
        own = await batches(session, hope)
        other = await payouts_in(session, period, "USD", light)
    assert everyone == [Batch(period, "USD", 2, 1200, 2, 0, 0, 1200)]
    assert own == [Batch(period, "USD", 1, 700, 1, 0, 0, 700)]
    assert [p.user_id for p in other] == [DARI]


async def test_a_whole_batch_is_marked_paid_once_and_each_worker_told(
    runtime: Runtime, paid_run: tuple[str, int, int]
) -> None:
    period, _, _ = paid_run
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        first = await confirm_batch(
            session, period, "USD", None, now, paid=True, reason=None, actor="finance:ana"
        )
        again = await confirm_batch(
            session, period, "USD", None, now, paid=True, reason=None, actor="finance:ana"
        )
        await session.commit()
    assert len(first.moved) == 2 and again.moved == [] and again.skipped == 0
    assert (await books(runtime, PAID_WORKER)).paid == 700
    assert (await books(runtime, DARI)).paid == 500
    async with runtime.sessions() as session:
        states = (await session.execute(select(Payout.state))).scalars().all()
        audit = (
            (
                await session.execute(
                    select(AuditEntry.detail).where(AuditEntry.action == "payout_paid")
                )
            )
            .scalars()
            .all()
        )
        notices = (
            (
                await session.execute(
                    select(OutboxMessage.user_id).where(OutboxMessage.dedup_key.like("%:paid"))
                )
            )
            .scalars()
            .all()
        )
        summary = await batch(session, period, "USD", None)
    assert set(states) == {"paid"}
    assert audit == ["by finance:ana"] * 2 and sorted(notices) == [PAID_WORKER, DARI]
    assert summary is not None and (summary.paid, summary.in_payout, summary.waiting_minor) == (
        2,
        0,
        0,
    )


async def test_a_failed_batch_needs_a_reason_and_returns_the_money(
    runtime: Runtime, paid_run: tuple[str, int, int]
) -> None:
    period, hope, _ = paid_run
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        with pytest.raises(PayoutError):
            await confirm_batch(
                session, period, "USD", hope, now, paid=False, reason=" ", actor="x"
            )
        outcome = await confirm_batch(
            session, period, "USD", hope, now, paid=False, reason="wrong number", actor="x"
        )
        await session.commit()
    assert len(outcome.moved) == 1  # Hope's worker only
    assert (await books(runtime, PAID_WORKER)).available == 700
    assert (await books(runtime, DARI)).in_payout == 500  # another organisation's: untouched


async def test_a_coordinator_cannot_confirm_another_organisations_payout(
    runtime: Runtime, paid_run: tuple[str, int, int]
) -> None:
    _, hope, _ = paid_run
    async with runtime.sessions() as session:
        theirs = (
            await session.execute(select(Payout.id).where(Payout.user_id == DARI))
        ).scalar_one()
        with pytest.raises(PayoutError) as refused:
            await confirm_in_scope(
                session, theirs, hope, runtime.clock.now(), paid=True, reason=None, actor="x"
            )
    assert refused.value.reason == "unknown"
    assert (await books(runtime, DARI)).in_payout == 500
