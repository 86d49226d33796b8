"""`python -m bot payouts run` in a real subprocess, killed with SIGKILL half-way through and run
again: each worker's payout is its own transaction, so the kill leaves whole workers paid and
the rest untouched, and the second run completes the week with no payout made twice."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import signal
import sqlite3
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, insert, select

from bot.app import Runtime
from core.outbox import OutboxMessage
from people.models import User
from tasks.ledger import AVAILABLE, IN_PAYOUT
from tasks.models import LedgerEntry
from tasks.payout_models import Payout, PayoutMethod
from tests import bot_process
from tests.bot_process import BotProcess
from tests.conftest import TEST_ENCRYPTION_KEY

WORKERS = 300
FIRST = 10_000
OUR_SETTINGS = ("WEBHOOK_", "BOT_", "DATABASE_", "REDIS_", "TELEGRAM_", "ENCRYPTION_", "PAYOUT")


def amount_of(user_id: int) -> int:
    return 500 + user_id % 97


def _run(database_url: str, out: Path, log: Path) -> BotProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_SETTINGS)}
    env.update(DATABASE_URL=database_url, ENCRYPTION_KEYS=TEST_ENCRYPTION_KEY)
    return bot_process.start(["payouts", "run", "--out", str(out), "--by", "test"], env, log)


async def _seed(rt: Runtime) -> None:
    now = rt.clock.now()
    ids = range(FIRST, FIRST + WORKERS)
    async with rt.sessions() as session:
        await session.execute(
            insert(User), [dict(id=i, locale="en", role="member", consented_at=now) for i in ids]
        )
        await session.execute(
            insert(LedgerEntry),
            [
                dict(
                    user_id=i,
                    from_account="platform:work_expense",
                    to_account=AVAILABLE,
                    amount_minor=amount_of(i),
                    currency="USD",
                    kind="bonus",
                    source_key=f"bonus:{i}",
                    created_at=now,
                )
                for i in ids
            ],
        )
        for i in ids:  # half by mobile money (encrypted details), half in cash
            phone = f"+9370{i:07d}" if i % 2 else None
            session.add(
                PayoutMethod(
                    user_id=i,
                    kind="mobile_money" if phone else "cash",
                    details=phone,
                    updated_at=now,
                )
            )
        await session.commit()


async def _count(rt: Runtime, model: type) -> int:
    path = rt.settings.sqlite_path()
    if path is not None:  # a plain reader: the bot's sessions queue for SQLite's write lock
        table = model.__tablename__  # type: ignore[attr-defined]

        def count() -> int:
            with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
                return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

        return await asyncio.to_thread(count)
    async with rt.sessions() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _books(rt: Runtime) -> dict[int, dict[str, int]]:
    """Every worker's accounts, summed from the ledger."""
    found: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    async with rt.sessions() as session:
        for entry in (await session.execute(select(LedgerEntry))).scalars():
            found[entry.user_id][entry.to_account] += entry.amount_minor
            found[entry.user_id][entry.from_account] -= entry.amount_minor
    return found


async def _check_consistent(rt: Runtime) -> int:
    """Each payout has its one ledger move and notice; no money lost or doubled. How many."""
    async with rt.sessions() as session:
        payouts = list((await session.execute(select(Payout))).scalars())
        moves = (
            await session.execute(
                select(LedgerEntry.source_key, LedgerEntry.amount_minor).where(
                    LedgerEntry.kind == "payout"
                )
            )
        ).all()
        notices = (
            await session.execute(select(func.count()).where(OutboxMessage.kind == "payout"))
        ).scalar_one()
    assert sorted(moves) == sorted((f"payout:{p.id}", p.amount_minor) for p in payouts)
    assert notices == len(payouts)
    assert len({p.user_id for p in payouts}) == len(payouts)
    paid = {p.user_id: p.amount_minor for p in payouts}
    for user_id, accounts in (await _books(rt)).items():
        if user_id is None:
            continue
        credited = amount_of(user_id)
        assert accounts[IN_PAYOUT] == paid.get(user_id, 0)
        assert accounts[AVAILABLE] == credited - paid.get(user_id, 0)
    return len(payouts)


def _batch_lines(folder: Path) -> list[dict[str, str]]:
    [batch] = folder.glob("payouts-*.csv")
    with batch.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_a_run_killed_half_way_leaves_whole_workers_and_the_rerun_completes(
    runtime: Runtime, tmp_path: Path
) -> None:
    await _seed(runtime)
    log = tmp_path / "payouts.log"
    first = _run(runtime.settings.database_url, tmp_path, log)
    try:
        for _ in range(6000):  # up to 60 s for the subprocess to start and pay a few
            if await _count(runtime, Payout) >= 20:
                break
            await asyncio.sleep(0.01)
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL, log.read_text()
    killed_at = await _check_consistent(runtime)
    assert 20 <= killed_at < WORKERS, killed_at  # killed in the middle, not before or after

    second = _run(runtime.settings.database_url, tmp_path, log)
    assert second.wait(timeout=300) == 0, log.read_text()
    assert await _check_consistent(runtime) == WORKERS
    lines = _batch_lines(tmp_path)
    assert len(lines) == WORKERS
    assert sum(int(row["amount_minor"]) for row in lines) == sum(
        amount_of(i) for i in range(FIRST, FIRST + WORKERS)
    )
    phones = [row["details"] for row in lines if row["method"] == "mobile_money"]
    assert len(phones) == WORKERS // 2 and all(p.startswith("+9370") for p in phones)
    assert "new payouts" in log.read_text()
