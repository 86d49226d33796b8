"""The ledger on the database: one credit per source, releases once, balances from entries,
entries never changed or deleted, and the Earnings screen built from it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.app import Runtime
from core.i18n import format_money, use_locale
from handlers.menu import earnings_screen
from people import accounts
from tasks import ledger
from tasks.ledger import AppendOnly, Balance, LedgerError
from tasks.models import LedgerEntry
from tasks.owed import earnings, week_start

WORKER, OTHER, COORDINATOR = 700, 701, 702
HOUR = timedelta(hours=1)


async def people(rt: Runtime) -> None:
    async with rt.sessions() as session:
        for user_id in (WORKER, OTHER, COORDINATOR):
            await accounts.accept_consent(
                session,
                user_id=user_id,
                locale="en",
                invite_code=None,
                is_admin=False,
                clock=rt.clock,
            )
        await session.commit()


def answer_pay(rt: Runtime, assignment: int, amount: int = 3, **over: object) -> dict:
    now = rt.clock.now()
    return (
        dict(
            user_id=WORKER,
            kind="answer",
            source_key=f"work-answer:{assignment}",
            amount_minor=amount,
            currency="USD",
            now=now,
            release_at=now + 72 * HOUR,
        )
        | over
    )


async def entries(rt: Runtime) -> list[LedgerEntry]:
    async with rt.sessions() as session:
        query = select(LedgerEntry).order_by(LedgerEntry.id)
        return list((await session.execute(query)).scalars())


async def balance(rt: Runtime, user_id: int = WORKER) -> dict[str, Balance]:
    async with rt.sessions() as session:
        return await ledger.balances(session, user_id)


async def test_a_source_is_credited_once_however_often_it_is_asked(runtime: Runtime) -> None:
    await people(runtime)
    async with runtime.sessions() as session:
        first = await ledger.credit_once(session, **answer_pay(runtime, 1))
        again = await ledger.credit_once(session, **answer_pay(runtime, 1, amount=9))
        practice = await ledger.credit_once(
            session,
            user_id=WORKER,
            kind="practice",
            source_key="practice-answer:1",
            amount_minor=5,
            currency="USD",
            now=runtime.clock.now(),
        )
        await session.commit()
    assert first is not None and again is None and practice is not None
    assert [
        (e.kind, e.from_account, e.to_account, e.amount_minor) for e in await entries(runtime)
    ] == [
        ("answer", "platform:work_expense", "pending", 3),
        ("practice", "platform:training_expense", "available", 5),
    ]
    # Without the savepoint (the work loop's way) the database still refuses the second credit.
    async with runtime.sessions() as session:
        ledger.credit(session, **answer_pay(runtime, 1))
        with pytest.raises(IntegrityError):
            await session.flush()
    assert await balance(runtime) == {"USD": Balance(pending=3, available=5)}


async def test_record_credit_stores_the_entry_and_refuses_a_second_of_its_source(
    runtime: Runtime,
) -> None:
    await people(runtime)
    async with runtime.sessions() as session:
        await ledger.record_credit(session, **answer_pay(runtime, 1))
        await ledger.record_credit(session, **answer_pay(runtime, 2, release_at=None))
        await session.commit()
    async with runtime.sessions() as session:
        with pytest.raises(IntegrityError):
            await ledger.record_credit(session, **answer_pay(runtime, 1, amount=9))
        with pytest.raises(LedgerError):
            await ledger.record_credit(session, **answer_pay(runtime, 3, amount=0))
    now = runtime.clock.now()
    assert [
        (e.kind, e.source_key, e.from_account, e.to_account, e.amount_minor, e.release_at)
        for e in await entries(runtime)
    ] == [
        ("answer", "work-answer:1", "platform:work_expense", "pending", 3, now + 72 * HOUR),
        ("answer", "work-answer:2", "platform:work_expense", "available", 3, None),
    ]
    assert await balance(runtime) == {"USD": Balance(pending=3, available=3)}


async def test_release_due_moves_each_credit_once_when_its_window_has_passed(
    runtime: Runtime,
) -> None:
    await people(runtime)
    async with runtime.sessions() as session:
        await ledger.credit_once(session, **answer_pay(runtime, 1))
        runtime.clock.advance(HOUR)
        await ledger.credit_once(session, **answer_pay(runtime, 2, amount=4))
        await ledger.credit_once(session, **answer_pay(runtime, 3, user_id=OTHER, amount=7))
        await session.commit()
    async with runtime.sessions() as session:
        runtime.clock.advance(71 * HOUR - timedelta(seconds=1))
        assert await ledger.release_due(session, runtime.clock.now()) == 0  # a second early
        runtime.clock.advance(timedelta(seconds=1))
        assert await ledger.release_due(session, runtime.clock.now()) == 1  # the first only
        assert await ledger.release_due(session, runtime.clock.now()) == 0  # twice: moved once
        await session.commit()
    assert await balance(runtime) == {"USD": Balance(pending=4, available=3)}
    runtime.clock.advance(HOUR)
    async with runtime.sessions() as session:
        assert await ledger.release_due(session, runtime.clock.now(), user_id=WORKER) == 1
        await session.commit()
    assert await balance(runtime) == {"USD": Balance(available=7)}
    assert await balance(runtime, OTHER) == {"USD": Balance(available=0, pending=7)}
    async with runtime.sessions() as session:
        assert await ledger.release_due(session, runtime.clock.now()) == 1
        assert await ledger.release_due(session, runtime.clock.now()) == 0
        await session.commit()
    releases = [e for e in await entries(runtime) if e.kind == "release"]
    assert sorted(e.source_key for e in releases) == sorted(
        f"release:{e.related_id}" for e in releases
    )
    assert len({e.related_id for e in releases}) == 3


async def test_a_zero_window_pays_straight_to_available_and_acceptance_releases_early(
    runtime: Runtime,
) -> None:
    await people(runtime)
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        await ledger.credit_once(session, **answer_pay(runtime, 1, release_at=now))
        held = await ledger.credit_once(session, **answer_pay(runtime, 2, amount=4))
        await session.commit()
    assert held is not None and held.id is not None
    assert await balance(runtime) == {"USD": Balance(pending=4, available=3)}
    async with runtime.sessions() as session:
        assert await ledger.accept(session, held.id, now) is True
        assert await ledger.accept(session, held.id, now) is False  # a double tap
        with pytest.raises(LedgerError) as not_pending:
            await ledger.accept(session, held.id - 1, now)  # paid to available already
        assert not_pending.value.reason == "not_pending"
        runtime.clock.advance(100 * HOUR)
        assert await ledger.release_due(session, runtime.clock.now()) == 0  # accepted already
        await session.commit()
    assert await balance(runtime) == {"USD": Balance(available=7)}


async def test_adjustments_carry_reason_and_author_and_never_overdraw(runtime: Runtime) -> None:
    await people(runtime)
    now = runtime.clock.now()
    common = dict(user_id=WORKER, currency="USD", author_id=COORDINATOR, now=now)
    async with runtime.sessions() as session:
        with pytest.raises(LedgerError) as no_reason:
            await ledger.adjust(session, amount_minor=5, source_key="adj:1", reason=" ", **common)
        assert no_reason.value.reason == "no_reason"
        added = await ledger.adjust(
            session, amount_minor=10, source_key="adj:1", reason="missed answers", **common
        )
        twice = await ledger.adjust(
            session, amount_minor=10, source_key="adj:1", reason="missed answers", **common
        )
        with pytest.raises(LedgerError) as short:
            await ledger.adjust(
                session, amount_minor=-11, source_key="adj:2", reason="too much", **common
            )
        assert short.value.reason == "insufficient"
        taken = await ledger.adjust(
            session, amount_minor=-4, source_key="adj:3", reason="paid twice by hand", **common
        )
        with pytest.raises(LedgerError):
            await ledger.credit_once(session, **answer_pay(runtime, 9, amount=0))
        with pytest.raises(LedgerError):
            await ledger.credit_once(session, **answer_pay(runtime, 9, kind="release"))
        await session.commit()
    assert added is not None and twice is None and taken is not None
    rows = [
        (e.from_account, e.to_account, e.amount_minor, e.reason, e.author_id)
        for e in await entries(runtime)
    ]
    assert rows == [
        ("platform:adjustments", "available", 10, "missed answers", COORDINATOR),
        ("available", "platform:adjustments", 4, "paid twice by hand", COORDINATOR),
    ]
    assert await balance(runtime) == {"USD": Balance(available=6)}
    async with runtime.sessions() as session:
        assert await ledger.credited(session, WORKER) == {("adjustment", "USD"): 6}


async def test_entries_are_never_changed_or_deleted(runtime: Runtime) -> None:
    await people(runtime)
    async with runtime.sessions() as session:
        entry = await ledger.credit_once(session, **answer_pay(runtime, 1))
        await session.commit()
    assert entry is not None
    async with runtime.sessions() as session:  # through the ORM
        found = await session.get(LedgerEntry, entry.id)
        found.amount_minor = 300
        with pytest.raises(AppendOnly):
            await session.flush()
    async with runtime.sessions() as session:
        found = await session.get(LedgerEntry, entry.id)
        await session.delete(found)
        with pytest.raises(AppendOnly):
            await session.flush()
    for statement in (  # past the ORM: the database's triggers refuse it
        update(LedgerEntry).where(LedgerEntry.id == entry.id).values(amount_minor=300),
        update(LedgerEntry).where(LedgerEntry.id == entry.id).values(to_account="available"),
        delete(LedgerEntry).where(LedgerEntry.id == entry.id),
    ):
        async with runtime.sessions() as session:
            with pytest.raises(DBAPIError):
                await session.execute(statement)
    # The checks: no zero amount, no move to the same account, a currency code.
    for bad in (
        dict(amount_minor=0),
        dict(to_account="platform:work_expense"),
        dict(currency="usd"),
        dict(kind="adjustment", source_key="adj:9"),  # no reason
    ):
        async with runtime.sessions() as session:
            row = ledger.new_credit(**answer_pay(runtime, 5))
            for key, value in bad.items():
                setattr(row, key, value)
            session.add(row)
            with pytest.raises(IntegrityError):
                await session.flush()
    # An erasure may set the person's id to NULL: the amounts stay.
    async with runtime.sessions() as session:
        await session.execute(
            update(LedgerEntry).where(LedgerEntry.user_id == WORKER).values(user_id=None)
        )
        await session.commit()
    assert [(e.user_id, e.amount_minor) for e in await entries(runtime)] == [(None, 3)]


async def test_the_earnings_screen_shows_pending_available_and_the_week(runtime: Runtime) -> None:
    await people(runtime)
    now = runtime.clock.now()  # a Sunday
    last_week = now - timedelta(days=7)
    async with runtime.sessions() as session:
        await ledger.credit_once(
            session, **answer_pay(runtime, 1, now=last_week, release_at=last_week + 72 * HOUR)
        )
        await ledger.credit_once(session, **answer_pay(runtime, 2, amount=4))
        await ledger.credit_once(
            session,
            user_id=WORKER,
            kind="practice",
            source_key="practice-answer:1",
            amount_minor=120,
            currency="AFN",
            now=now,
        )
        await session.commit()
    for _ in range(2):  # seen twice: the due credit is released once
        async with runtime.sessions() as session:
            member = await accounts.get_member(session, WORKER)
            assert member is not None
            with use_locale("en"):
                screen = await earnings_screen(session, member, runtime.clock)
            await session.commit()
    with use_locale("en"):
        usd, afn = (lambda n: format_money(n, "USD")), (lambda n: format_money(n, "AFN"))
        lines = screen.text.split("\n")
        assert f"Pending: {afn(0)} and {usd(4)}" in lines
        assert f"Available: {afn(120)} and {usd(3)}" in lines
        assert f"This week: {afn(120)} and {usd(4)}" in lines  # last week's answer is not
        assert f"• Paid work: {usd(7)}" in lines and f"• Training pay: {afn(120)}" in lines
        assert any(
            line.startswith("The next pending amount becomes available on") for line in lines
        )
        assert not any(line.startswith(("In payout", "Paid so far")) for line in lines)
        assert "Next payout: Monday, November 23, 2026" in lines  # the next Monday
        assert "No payout method yet: set one to be paid." in lines
    assert [e.kind for e in await entries(runtime)].count("release") == 1
    assert week_start(now) == now.replace(day=16, hour=0)
    async with runtime.sessions() as session:
        assert (await earnings(session, OTHER, now)).balances == {}
        member = await accounts.get_member(session, OTHER)
        assert member is not None
        with use_locale("en"):
            empty = await earnings_screen(session, member, runtime.clock)
    assert "Nothing is recorded for you yet" in empty.text
