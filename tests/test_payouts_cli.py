"""`python -m bot payouts run | list | confirm`: the run writes the batch file for its owner only,
finance marks payouts paid or failed once, and a refusal says why."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.cli import main
from core import crypto, db
from people.models import AuditEntry
from tasks.payout_models import Payout
from tests.conftest import TEST_ENCRYPTION_KEY

PHONE = "+93701234821"


async def _seed(url: str) -> None:
    await db.upgrade(url)
    crypto.configure([TEST_ENCRYPTION_KEY])
    engine = db.create_engine(url)
    async with engine.begin() as connection:
        for user_id in (1, 2):
            await connection.execute(
                text(
                    "INSERT INTO users (id, locale, role, consented_at) "
                    "VALUES (:id, 'ar', 'member', '2026-01-01 00:00:00')"
                ),
                {"id": user_id},
            )
            await connection.execute(
                text(
                    "INSERT INTO ledger_entries (user_id, from_account, to_account, amount_minor,"
                    " currency, kind, source_key, created_at) VALUES (:id, "
                    "'platform:work_expense', 'available', 900, 'USD', 'bonus', :key, "
                    "'2026-01-01 00:00:00')"
                ),
                {"id": user_id, "key": f"bonus:{user_id}"},
            )
            await connection.execute(
                text(
                    "INSERT INTO payout_methods (user_id, kind, details, updated_at) "
                    "VALUES (:id, 'mobile_money', :details, '2026-01-01 00:00:00')"
                ),
                {"id": user_id, "details": crypto.keyring().encrypt(PHONE)},
            )
    await engine.dispose()


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))  # main runs an event loop of its own


async def test_run_list_and_confirm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rafiq.sqlite3'}"
    await _seed(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_ENCRYPTION_KEY)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "batches"
    assert await _cli("payouts", "run", "--period", "2026-W48", "--out", str(out)) == 0
    said = capsys.readouterr().out
    assert "Period 2026-W48: 2 new payouts" in said and "(0600)" in said
    batch = out / "payouts-2026-W48.csv"
    assert stat.S_IMODE(batch.stat().st_mode) == 0o600
    assert batch.read_text(encoding="utf-8").count(PHONE) == 2

    assert await _cli("payouts", "list", "--period", "2026-W48") == 0
    listed = capsys.readouterr().out
    assert listed.count("in_payout") == 2 and "•••• 4821" in listed and PHONE not in listed

    assert await _cli("payouts", "confirm", "1", "--paid", "--by", "finance-amina") == 0
    assert await _cli("payouts", "confirm", "2", "--failed", "wrong number") == 0
    capsys.readouterr()
    assert await _cli("payouts", "confirm", "1", "2", "3", "--paid") == 1
    refused = capsys.readouterr().err
    assert "Payout 1: not changed, it was marked paid or failed already." in refused
    assert "Payout 3: not changed, no such payout." in refused
    assert await _cli("payouts", "run", "--period", "2026-W4") == 2

    engine = db.create_engine(url)
    async with db.session_factory(engine)() as session:
        payouts = list((await session.execute(select(Payout).order_by(Payout.id))).scalars())
        audit = (await session.execute(select(AuditEntry.action, AuditEntry.detail))).all()
    await engine.dispose()
    assert [(p.state, p.reason) for p in payouts] == [("paid", None), ("failed", "wrong number")]
    assert ("payout_paid", "by finance-amina") in audit
    assert sum(action == "payout_created" for action, _ in audit) == 2


async def test_batches_are_listed_and_confirmed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rafiq.sqlite3'}"
    await _seed(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ENCRYPTION_KEYS", TEST_ENCRYPTION_KEY)
    monkeypatch.chdir(tmp_path)
    assert await _cli("payouts", "run", "--period", "2026-W48", "--out", str(tmp_path)) == 0
    capsys.readouterr()

    assert await _cli("payouts", "list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[1] == "2026-W48\tUSD\t2\t$18.00\t2\t0\t0"
    assert listed[-1].startswith("1 batches.")

    assert await _cli("payouts", "confirm", "--period", "2026-W47", "--paid") == 1
    assert capsys.readouterr().err == "No payouts in 2026-W47.\n"
    assert await _cli("payouts", "confirm", "--paid") == 2
    assert "Name the payouts" in capsys.readouterr().err
    assert await _cli("payouts", "confirm", "--period", "2026-W48", "--failed", "") == 2
    capsys.readouterr()

    assert await _cli("payouts", "confirm", "--period", "2026-W48", "--paid", "--by", "ana") == 0
    assert capsys.readouterr().out == (
        "2026-W48: 2 payouts marked paid; 0 changed meanwhile by someone else.\n"
    )
    assert await _cli("payouts", "confirm", "--period", "2026-W48", "--paid") == 1
    assert "Nothing left to confirm in 2026-W48" in capsys.readouterr().err

    assert await _cli("payouts", "list") == 0
    assert capsys.readouterr().out.splitlines()[1] == "2026-W48\tUSD\t2\t$18.00\t0\t2\t0"
