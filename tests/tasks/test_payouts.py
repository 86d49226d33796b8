"""Payouts on the database: a run pays each worker once per week however often it runs (also two
at once on PostgreSQL), the held workers are told why once, the batch file is for its owner only,
paid and failed move the money forward and tell the worker in their language."""

from __future__ import annotations

import asyncio
import csv
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlmodel import SQLModel

from bot.app import Runtime
from bot.payout_job import run_payout_job
from core import crypto
from core.i18n import format_money, use_locale
from core.outbox import OutboxMessage
from people import accounts, privacy
from tasks import ledger, payout_notices
from tasks.ledger import Balance
from tasks.models import LedgerEntry
from tasks.payout_methods import set_method
from tasks.payout_models import METHOD_KINDS, Payout, PayoutMethod
from tasks.payouts import (
    PayoutError,
    PayoutTerms,
    confirm,
    parse_period,
    period_of,
    run_payouts,
)

PAID_WORKER, POOR, NO_METHOD, DARI = 800, 801, 802, 803
PHONE = "+93701234821"
TERMS = PayoutTerms(minimum={"USD": 500})


async def workers(rt: Runtime) -> None:
    """Four workers: three with a method, two with enough money; one reads Dari."""
    now = rt.clock.now()
    async with rt.sessions() as session:
        for user_id, locale in (
            (PAID_WORKER, "ar"),
            (POOR, "en"),
            (NO_METHOD, "en"),
            (DARI, "fa_AF"),
        ):
            await accounts.accept_consent(
                session,
                user_id=user_id,
                locale=locale,
                invite_code=None,
                is_admin=False,
                clock=rt.clock,
            )
        for user_id, amount in ((PAID_WORKER, 700), (POOR, 300), (NO_METHOD, 900), (DARI, 500)):
            await ledger.credit_once(
                session,
                user_id=user_id,
                kind="bonus",
                source_key=f"bonus:{user_id}",
                amount_minor=amount,
                currency="USD",
                now=now,
            )
        for user_id in (PAID_WORKER, POOR):
            await set_method(session, user_id, "mobile_money", PHONE, now, METHOD_KINDS)
        await set_method(session, DARI, "cash", None, now, METHOD_KINDS)
        await session.commit()


async def books(rt: Runtime, user_id: int) -> Balance:
    async with rt.sessions() as session:
        return (await ledger.balances(session, user_id)).get("USD", Balance())


async def rows(rt: Runtime, model: type[SQLModel]) -> list:
    async with rt.sessions() as session:
        return list((await session.execute(select(model).order_by(model.id))).scalars())


async def test_a_run_pays_once_however_often_it_runs_and_tells_everyone_why(
    runtime: Runtime, tmp_path: Path
) -> None:
    await workers(runtime)
    for _ in range(3):
        result = await run_payout_job(
            runtime.sessions, runtime.gate, runtime.clock, runtime.settings, out_dir=tmp_path
        )
    assert result.report.created == [] and result.in_batch == 2
    payouts = await rows(runtime, Payout)
    assert [(p.user_id, p.amount_minor, p.state) for p in payouts] == [
        (PAID_WORKER, 700, "in_payout"),
        (DARI, 500, "in_payout"),
    ]
    assert await books(runtime, PAID_WORKER) == Balance(available=0, in_payout=700)
    assert await books(runtime, POOR) == Balance(available=300)
    assert await books(runtime, NO_METHOD) == Balance(available=900)

    notices = {(m.user_id, m.kind): m.text for m in await rows(runtime, OutboxMessage)}
    assert len(notices) == 4  # two payouts, two held workers: each once
    with use_locale("ar"):
        assert notices[(PAID_WORKER, "payout")] == payout_notices.payout_created(
            700, "USD", "mobile_money", PHONE
        )
        assert format_money(700, "USD") in notices[(PAID_WORKER, "payout")]
        assert (
            "4821" in notices[(PAID_WORKER, "payout")]
            and PHONE not in notices[(PAID_WORKER, "payout")]
        )
    with use_locale("fa_AF"):
        assert notices[(DARI, "payout")] == payout_notices.payout_created(500, "USD", "cash", None)
    with use_locale("en"):
        assert notices[(POOR, "payout_held")] == payout_notices.held_below_minimum(300, "USD", 500)
        assert notices[(NO_METHOD, "payout_held")] == payout_notices.held_no_method(900, "USD")

    batch = result.batch
    assert stat.S_IMODE(batch.stat().st_mode) == 0o600
    lines = list(csv.DictReader(batch.open(encoding="utf-8")))
    assert [(int(r["payout_id"]), r["amount_minor"], r["amount"], r["details"]) for r in lines] == [
        (payouts[0].id, "700", "7.00", PHONE),
        (payouts[1].id, "500", "5.00", ""),
    ]
    assert lines[0]["details_masked"] == "•••• 4821" and lines[0]["method"] == "mobile_money"
    assert lines[0]["worker"].startswith("u") and str(PAID_WORKER) not in lines[0]["worker"]


async def test_paid_and_failed_move_forward_once_and_tell_the_worker(runtime: Runtime) -> None:
    await workers(runtime)
    async with runtime.sessions() as session:
        report = await run_payouts(session, runtime.clock.now(), TERMS)
        await session.commit()
    first, second = report.created
    later = runtime.clock.now() + timedelta(hours=1)
    async with runtime.sessions() as session:
        await confirm(session, first, later, paid=True, actor="finance")
        await confirm(session, second, later, paid=False, reason="no such agent", actor="finance")
        for payout_id in (first, second):
            with pytest.raises(PayoutError) as refused:
                await confirm(session, payout_id, later, paid=True, actor="finance")
            assert refused.value.reason == "not_in_payout"
        with pytest.raises(PayoutError):
            await confirm(session, first, later, paid=False, reason=" ", actor="finance")
        await session.commit()
    assert await books(runtime, PAID_WORKER) == Balance(paid=700)
    assert await books(runtime, DARI) == Balance(available=500)
    payouts = await rows(runtime, Payout)
    assert [(p.state, p.reason) for p in payouts] == [("paid", None), ("failed", "no such agent")]
    texts = {(m.user_id, m.dedup_key): m.text for m in await rows(runtime, OutboxMessage)}
    with use_locale("ar"):
        assert texts[(PAID_WORKER, f"{first}:paid")] == payout_notices.payout_paid(
            700, "USD", "mobile_money", PHONE
        )
    with use_locale("fa_AF"):
        assert texts[(DARI, f"{second}:failed")] == payout_notices.payout_failed(
            500, "USD", "no such agent"
        )
    # A failed payout's money waits for the next week's run; this week's is done.
    async with runtime.sessions() as session:
        again = await run_payouts(session, later, TERMS)
        next_week = await run_payouts(session, later + timedelta(days=7), TERMS)
        await session.commit()
    assert again.created == [] and len(next_week.created) == 1
    assert await books(runtime, DARI) == Balance(in_payout=500)


async def test_two_runs_at_once_pay_once(runtime: Runtime) -> None:
    await workers(runtime)
    now = runtime.clock.now()

    async def one_run() -> list[int]:
        async with runtime.sessions() as session:
            report = await run_payouts(session, now, TERMS, after_each=session.commit)
            await session.commit()
            return report.created

    if runtime.settings.database_url.startswith("sqlite"):  # one writer: the gate queues them

        async def gated() -> list[int]:
            async with runtime.gate.held():
                return await one_run()

        made = await asyncio.gather(gated(), gated())
    else:
        made = await asyncio.gather(one_run(), one_run())
    assert sorted(made[0] + made[1]) == [p.id for p in await rows(runtime, Payout)]
    assert len(await rows(runtime, Payout)) == 2
    async with runtime.sessions() as session:
        kinds = await session.execute(
            select(LedgerEntry.kind, func.count()).group_by(LedgerEntry.kind)
        )
        assert dict(kinds.all()) == {"bonus": 4, "payout": 2}
    assert await books(runtime, PAID_WORKER) == Balance(in_payout=700)


async def test_payout_details_are_never_stored_in_plain_text(
    runtime: Runtime, tmp_path: Path
) -> None:
    """SQLite: the database file's bytes; PostgreSQL: the stored column values."""
    await workers(runtime)
    account = "DE89370400440532013000"
    async with runtime.sessions() as session:
        await set_method(session, NO_METHOD, "bank", account, runtime.clock.now(), METHOD_KINDS)
        await session.commit()
    await run_payout_job(
        runtime.sessions, runtime.gate, runtime.clock, runtime.settings, out_dir=tmp_path
    )
    assert len(await rows(runtime, Payout)) == 3
    secrets = (account, PHONE.removeprefix("+"))
    path = runtime.settings.sqlite_path()
    if path is not None:
        await runtime.engine.dispose()  # the WAL checkpointed into the file
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert not [s for s in secrets if s.encode() in raw]
        return
    async with runtime.sessions() as session:
        stored = await session.execute(
            text("SELECT details FROM payout_methods UNION ALL SELECT details FROM payouts")
        )
        values = [v for v in stored.scalars() if v is not None]
    assert len(values) == 5 and all(crypto.looks_encrypted(v) for v in values)
    assert not [s for s in secrets if any(s in v for v in values)]


async def test_keys_rotate_and_mydata_cover_payout_details(runtime: Runtime) -> None:
    await workers(runtime)
    async with runtime.sessions() as session:
        await run_payouts(session, runtime.clock.now(), TERMS)
        await session.commit()
    columns = {(t.name, c) for t, c in crypto.encrypted_columns(SQLModel.metadata)}
    assert {("payout_methods", "details"), ("payouts", "details")} <= columns
    async with runtime.sessions() as session:
        data = await privacy.export(session, PAID_WORKER, SQLModel.metadata, runtime.clock)
    assert data["tables"]["payout_methods"][0]["details"] == PHONE
    assert data["tables"]["payouts"][0]["amount_minor"] == 700
    async with runtime.sessions() as session:
        await privacy.erase(session, PAID_WORKER, SQLModel.metadata)
        await session.commit()
    assert not [m for m in await rows_methods(runtime) if m.user_id == PAID_WORKER]
    kept = (await rows(runtime, Payout))[0]
    assert (kept.user_id, kept.details, kept.amount_minor) == (None, None, 700)


async def rows_methods(rt: Runtime) -> list[PayoutMethod]:
    async with rt.sessions() as session:
        return list((await session.execute(select(PayoutMethod))).scalars())


def test_periods_are_iso_weeks_in_the_deployment_zone() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    sunday_night = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)  # Monday 01:30 in Kabul
    assert period_of(sunday_night, UTC) == "2026-W47"
    assert period_of(sunday_night, ZoneInfo("Asia/Kabul")) == "2026-W48"
    assert parse_period("2026-W48") == "2026-W48" and parse_period("2026-W54") is None
    terms = PayoutTerms(weekday=0, hour=9, zone=ZoneInfo("Asia/Kabul"))
    assert terms.next_payout(sunday_night).isoformat() == "2026-11-23T09:00:00+04:30"
    monday_ten = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Kabul"))
    assert terms.next_payout(monday_ten).date().isoformat() == "2026-11-30"
